//! After sign-in: the account/role picker, the home page and signing out.

use crate::page::{Tr, html, message, text, unavailable};
use crate::state::{AppState, SESSION, SESSION_COOKIE, save_session, session_of};
use askama::Template;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use symbolon_sp::Pair;
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "pick.html")]
pub(crate) struct PickPage<'a> {
    pub(crate) t: Tr,
    pub(crate) who: &'a str,
    pub(crate) csrf: &'a str,
    /// The pairs still offered: their index in the sign-in, the account's name now, the pair.
    pub(crate) pairs: &'a [(usize, String, &'a Pair)],
    pub(crate) refused: &'a [(String, String)],
}

pub(crate) async fn pick_page<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
) -> Response {
    let found = match session_of(&st, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some((_, s)) = found else {
        return message(
            StatusCode::UNAUTHORIZED,
            "sp-not-signed-in",
            "sp-sign-in-first",
            vec![],
        );
    };
    let t = text(s.sign_in.locale.as_deref());
    let who = s
        .sign_in
        .display_name
        .as_deref()
        .unwrap_or(&s.sign_in.name_id);
    let refused: Vec<(String, String)> = s
        .sign_in
        .refused
        .iter()
        .map(|(acc, why)| (acc.clone(), crate::page::not_offered_text(&t, why)))
        .collect();
    // Accounts deleted since the sign-in are no longer offered; renamed ones show their name now.
    let now = match symbolon_sp::pairs_now(&st.store, &s.sign_in.pairs).await {
        Ok(n) => n,
        Err(e) => return unavailable(e),
    };
    let pairs: Vec<(usize, String, &Pair)> = s
        .sign_in
        .pairs
        .iter()
        .zip(now)
        .enumerate()
        .filter_map(|(i, (p, name))| name.map(|n| (i, n, p)))
        .collect();
    if pairs.is_empty() && !s.sign_in.pairs.is_empty() {
        return message(
            StatusCode::GONE,
            "sp-choose-short",
            "sp-choices-gone",
            vec![],
        );
    }
    match (PickPage {
        t,
        who,
        csrf: &s.csrf,
        pairs: &pairs,
        refused: &refused,
    })
    .render()
    {
        Ok(b) => html(StatusCode::OK, b),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

#[derive(Deserialize)]
pub(crate) struct PickForm {
    pub(crate) csrf: Option<String>,
    pub(crate) pair: Option<usize>,
}

pub(crate) async fn pick<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Form(f): Form<PickForm>,
) -> Response {
    let found = match session_of(&st, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some((id, s)) = found else {
        return message(
            StatusCode::UNAUTHORIZED,
            "sp-not-signed-in",
            "sp-sign-in-first",
            vec![],
        );
    };
    if !symbolon_web::secret_eq(f.csrf.as_deref().unwrap_or(""), &s.csrf) {
        return message(
            StatusCode::FORBIDDEN,
            "err-form-title",
            "err-form-reload",
            vec![],
        );
    }
    let Some(p) = f
        .pair
        .and_then(|i| s.sign_in.pairs.get(i).map(|p| (i, p.clone())))
    else {
        return message(
            StatusCode::BAD_REQUEST,
            "sp-choose-short",
            "sp-choice-unavailable",
            vec![],
        );
    };
    // Deleted since the picker was shown: nothing is recorded for it.
    match st.store.account(&p.1.account_id).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return message(
                StatusCode::GONE,
                "sp-choose-short",
                "sp-choice-unavailable",
                vec![],
            );
        }
        Err(e) => return unavailable(e),
    }
    let action = if s.current.is_some() {
        "SwitchRole"
    } else {
        "SignIn"
    };
    if let Err(e) = symbolon_sp::record_sign_in(
        &st.store,
        &s.sign_in.name_id,
        &p.1,
        action,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        tracing::error!("recording a sign-in: {e}");
        return message(
            StatusCode::SERVICE_UNAVAILABLE,
            "sp-sign-in-failed",
            "sp-try-shortly",
            vec![],
        );
    }
    let mut live = s;
    live.current = Some(p.0);
    // The deep link the sign-in came with, followed once.
    let to = live.return_to.take().unwrap_or_else(|| "/".into());
    if let Err(r) = save_session(&st, &id, &live).await {
        return r;
    }
    Redirect::to(&to).into_response()
}

#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct HomePage<'a> {
    pub(crate) t: Tr,
    pub(crate) who: &'a str,
    pub(crate) account: &'a str,
    pub(crate) role: &'a str,
    pub(crate) signed_in_at: String,
    pub(crate) switchable: bool,
    pub(crate) may_administer: bool,
    pub(crate) csrf: &'a str,
}

#[derive(Deserialize)]
pub(crate) struct LogoutForm {
    pub(crate) csrf: Option<String>,
}

/// Sign out: the session ends here, and when the identity provider has a logout endpoint it is
/// asked to end its session too (single logout; it answers at `/saml/slo`).
pub(crate) async fn logout<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Form(f): Form<LogoutForm>,
) -> Response {
    let found = match session_of(&st, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some((id, s)) = found else {
        return Redirect::to("/login").into_response();
    };
    if !symbolon_web::secret_eq(f.csrf.as_deref().unwrap_or(""), &s.csrf) {
        return message(
            StatusCode::FORBIDDEN,
            "err-form-title",
            "err-form-reload",
            vec![],
        );
    }
    if let Err(e) = st.store.delete_state(SESSION, &id).await {
        return unavailable(e);
    }
    if let Some(si) = &s.sign_in.session_index {
        let key = symbolon_sp::slo_key(&s.sign_in.issuer, si);
        let _ = st.store.delete_state(symbolon_sp::SLO_INDEX, &key).await;
    }
    let account = s
        .current
        .and_then(|i| s.sign_in.pairs.get(i))
        .map(|p| p.account_id.as_str());
    if let Some(r) = crate::slo::start_logout(&st, &s.sign_in, account).await {
        return crate::slo::clear_cookie(r);
    }
    // Post/redirect/get: the page that says so is a GET, safe to reload.
    let mut r = Redirect::to("/signed-out").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

pub(crate) async fn home<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
) -> Response {
    let found = match session_of(&st, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some((id, mut s)) = found else {
        return welcome();
    };
    let Some(p) = s.current.and_then(|i| s.sign_in.pairs.get(i)) else {
        return Redirect::to("/pick").into_response();
    };
    // The account as it is now: renamed, its new name; deleted since, back to the picker.
    let account = match st.store.account(&p.account_id).await {
        Ok(Some(a)) => a.name,
        Ok(None) => {
            s.current = None;
            if let Err(r) = save_session(&st, &id, &s).await {
                return r;
            }
            return Redirect::to("/pick").into_response();
        }
        Err(e) => return unavailable(e),
    };
    // Inside an account, what the person is called, their language and time zone come from that
    // account's own mapping profile.
    let t = text(p.profile.locale.as_deref());
    match (HomePage {
        t,
        who: p
            .profile
            .display_name
            .as_deref()
            .unwrap_or(&s.sign_in.name_id),
        account: &account,
        role: &p.role,
        signed_in_at: symbolon_web::page::page_time_in(
            s.signed_in_at,
            p.profile.timezone.as_deref(),
        ),
        switchable: s.sign_in.pairs.len() > 1,
        may_administer: p.may_administer(),
        csrf: &s.csrf,
    })
    .render()
    {
        Ok(b) => html(StatusCode::OK, b),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

#[derive(Template)]
#[template(path = "welcome.html")]
struct WelcomePage {
    t: Tr,
}

/// `/` before signing in: how to sign in here.
fn welcome() -> Response {
    match (WelcomePage {
        t: symbolon_web::i18n::tr(),
    })
    .render()
    {
        Ok(b) => html(StatusCode::OK, b),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}
