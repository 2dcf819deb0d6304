//! Native sign-on for master administrators (email and password), with its lockout.

use crate::page::{html, message, unavailable};
use crate::state::{
    AppState, LOCKED, LOCKOUT, MAX_FAILURES, cookie, destination, random_token, start_session,
};
use askama::Template;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use symbolon_sp::SignIn;
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

pub(crate) const LOGIN_CSRF_COOKIE: &str = "SYMBOLON_SP_LOGIN";

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage<'a> {
    pub(crate) t: symbolon_web::i18n::Tr,
    pub(crate) csrf: &'a str,
    pub(crate) email: &'a str,
    pub(crate) error: Option<&'a str>,
    /// Carried through to the sign-in (a path of this SP, checked again when used).
    pub(crate) return_to: &'a str,
    /// Ask for the email address only (home-realm discovery is on: some account has a
    /// verified domain); the password comes on the next page when it is needed.
    pub(crate) email_first: bool,
    /// Home-realm discovery is on (the password page offers another address).
    pub(crate) discovery: bool,
}

/// What the sign-in page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ask {
    /// Email and password on one page (no account has a verified domain).
    Both,
    /// The email address first (discovery is on).
    Email,
    /// The password, after an address that discovery did not send elsewhere.
    Password,
}

pub(crate) fn login_page<S>(
    st: &AppState<S>,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
    return_to: &str,
) -> Response {
    login_page_asking(st, status, email, error, return_to, Ask::Both)
}

pub(crate) fn login_page_asking<S>(
    st: &AppState<S>,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
    return_to: &str,
    ask: Ask,
) -> Response {
    let Some(token) = random_token() else {
        return message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "spc-error",
            "No randomness.",
            vec![],
        );
    };
    let body = LoginPage {
        t: symbolon_web::i18n::tr(),
        csrf: &token,
        email,
        error,
        return_to,
        email_first: ask == Ask::Email,
        discovery: ask != Ask::Both,
    }
    .render();
    let mut r = match body {
        Ok(b) => html(status, b),
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    };
    let secure = if st.cfg.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict{secure}"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    #[serde(rename = "return")]
    pub(crate) return_to: Option<String>,
}

pub(crate) async fn login_form<S: SpStore>(
    State(st): State<AppState<S>>,
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
) -> Response {
    let back = destination(&st.cfg.base_url, q.return_to.as_deref()).unwrap_or_default();
    let ask = match st.store.has_verified_domains().await {
        Ok(true) => Ask::Email,
        Ok(false) => Ask::Both,
        Err(e) => return unavailable(e),
    };
    login_page_asking(&st, StatusCode::OK, "", None, &back, ask)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    pub(crate) csrf: Option<String>,
    /// The page to come back to (a path of this SP).
    #[serde(rename = "return")]
    pub(crate) return_to: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) password: Option<String>,
}

pub(crate) async fn login<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return login_page(
            &st,
            StatusCode::BAD_REQUEST,
            "",
            Some("sp-err-enter-both"),
            "",
        );
    };
    let f_return = f.return_to.clone();
    let csrf = f.csrf.unwrap_or_default();
    if !symbolon_web::secret_eq(
        &csrf,
        &cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default(),
    ) || !symbolon_web::request::same_origin_as(&st.cfg.base_url, &headers)
    {
        return message(
            StatusCode::FORBIDDEN,
            "err-form-title",
            "err-form-reload",
            vec![],
        );
    }
    let email = f.email.unwrap_or_default().trim().to_lowercase();
    // The first step of an email-first page: no password field was sent.
    let Some(password) = f.password else {
        return email_step(&st, &email, f_return.as_deref().unwrap_or("")).await;
    };
    if email.is_empty() || password.is_empty() {
        return login_page(
            &st,
            StatusCode::BAD_REQUEST,
            &email,
            Some("sp-err-enter-both"),
            f_return.as_deref().unwrap_or(""),
        );
    }
    let now = OffsetDateTime::now_utc();
    let failure_key = format!("sp-login:{email}");
    let locked = match st.store.state(LOCKED, &failure_key, now).await {
        Ok(l) => l.is_some(),
        Err(e) => return unavailable(e),
    };
    if locked {
        let _ =
            symbolon_sp::native_sign_in_failed(&st.store, &email, "temporarily locked", now).await;
        return login_page(
            &st,
            StatusCode::TOO_MANY_REQUESTS,
            &email,
            Some("sp-err-locked"),
            f_return.as_deref().unwrap_or(""),
        );
    }
    let pairs = match symbolon_sp::native_sign_in(&st.store, &email, &password, now).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("native sign-in: {e}");
            return message(
                StatusCode::SERVICE_UNAVAILABLE,
                "sp-sign-in-failed",
                "sp-try-shortly",
                vec![],
            );
        }
    };
    if pairs.is_empty() {
        // Counted in the store, atomically: every instance sees the same count.
        match st
            .store
            .count_failure(&failure_key, now, now + LOCKOUT)
            .await
        {
            Ok(n) if n >= MAX_FAILURES => {
                let locked = st
                    .store
                    .put_state(LOCKED, &failure_key, "", now + LOCKOUT)
                    .await;
                let cleared = st.store.clear_failures(&failure_key).await;
                if let Err(e) = locked.and(cleared) {
                    return unavailable(e);
                }
            }
            Ok(_) => {}
            Err(e) => return unavailable(e),
        }
        let _ =
            symbolon_sp::native_sign_in_failed(&st.store, &email, "wrong email or password", now)
                .await;
        return login_page(
            &st,
            StatusCode::UNAUTHORIZED,
            &email,
            Some("sp-err-credentials"),
            f_return.as_deref().unwrap_or(""),
        );
    }
    if let Err(e) = st.store.clear_failures(&failure_key).await {
        return unavailable(e);
    }
    let (Some(id), Some(csrf)) = (random_token(), random_token()) else {
        return message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "spc-error",
            "No randomness.",
            vec![],
        );
    };
    let sign_in = SignIn {
        name_id: email,
        display_name: None,
        locale: None,
        timezone: None,
        pairs,
        refused: vec![],
        attributes: vec![],
        // A native sign-on: no identity provider session to log out of.
        issuer: String::new(),
        name_id_format: None,
        session_index: None,
    };
    let return_to = destination(&st.cfg.base_url, f_return.as_deref());
    start_session(&st, id, csrf, sign_in, now, return_to).await
}

/// After the email address alone: a native user of some account enters their password (native
/// users never go to an identity provider, master administrators least of all); an address at
/// a verified domain goes to that account's identity provider (SP-initiated sign-in); anyone
/// else gets the password page too, so the page does not say who has an account here.
async fn email_step<S: SpStore>(st: &AppState<S>, email: &str, return_to: &str) -> Response {
    let back = destination(&st.cfg.base_url, Some(return_to)).unwrap_or_default();
    if email.is_empty() {
        return login_page_asking(
            st,
            StatusCode::BAD_REQUEST,
            "",
            Some("sp-err-enter-email"),
            &back,
            Ask::Email,
        );
    }
    let native = match st.store.native_users_by_email(email).await {
        Ok(n) => !n.is_empty(),
        Err(e) => return unavailable(e),
    };
    if !native {
        match symbolon_sp::domains::discover(&st.store, email).await {
            Ok(Some(idp)) => {
                let mut to = format!("/saml/login?idp={}", enc(&idp.id));
                if !back.is_empty() {
                    to.push_str("&return=");
                    to.push_str(&enc(&back));
                }
                return (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!("home-realm discovery: {e}");
                return message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "sp-sign-in-failed",
                    "sp-try-shortly",
                    vec![],
                );
            }
        }
    }
    login_page_asking(st, StatusCode::OK, email, None, &back, Ask::Password)
}

/// A query value: everything but RFC 3986's unreserved characters percent-encoded.
fn enc(s: &str) -> String {
    const VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, VALUE).to_string()
}
