//! Signing in to and out of the admin console, and the realm list (with the jobs' last runs).

#![allow(clippy::result_large_err)]

use crate::console::common::{
    CsrfForm, LOGIN_CSRF_COOKIE, MASTER_REALM, SESSION_COOKIE, check_csrf, cookie_attrs, page,
    page_status,
};
use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use askama::Template;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use symbolon_store::IdpStore;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "console/login.html")]
pub(crate) struct LoginPage<'a> {
    pub(crate) t: symbolon_web::i18n::Tr,
    pub(crate) csrf: &'a str,
    pub(crate) username: &'a str,
    pub(crate) error: Option<&'a str>,
}

pub(crate) async fn login_form<S: IdpStore>(State(st): State<AppState<S>>) -> Response {
    let Ok(token) = crate::error::random_token() else {
        return WebError::internal_error().into_response();
    };
    let mut r = page(
        LoginPage {
            t: symbolon_web::i18n::tr(),
            csrf: &token,
            username: "",
            error: None,
        }
        .render(),
    );
    let c = format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/admin; HttpOnly; SameSite=Strict{}",
        cookie_attrs(&st)
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    pub(crate) csrf: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
}

pub(crate) async fn login<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let cookie = crate::state::cookie(&headers, LOGIN_CSRF_COOKIE);
    let csrf = f.csrf.unwrap_or_default();
    if cookie.as_deref() != Some(csrf.as_str())
        || csrf.is_empty()
        || !crate::state::same_origin_as(&st.config().base_url, &headers)
    {
        return WebError::forbidden("err-form-title", "err-form-reload").into_response();
    }
    let username = symbolon_idp::normalize_username(f.username.as_deref().unwrap_or(""));
    let password = f.password.unwrap_or_default();
    let again = |msg: &str, status: StatusCode| {
        page_status(
            status,
            LoginPage {
                t: symbolon_web::i18n::tr(),
                csrf: &csrf,
                username: &username,
                error: Some(msg),
            }
            .render(),
        )
    };
    let locked = match st.locked_until(MASTER_REALM, &username).await {
        Ok(l) => l.is_some(),
        Err(e) => return WebError::from(e).into_response(),
    };
    if locked {
        return again("sp-err-locked", StatusCode::TOO_MANY_REQUESTS);
    }
    let user =
        match symbolon_idp::check_password(st.store(), MASTER_REALM, &username, &password).await {
            Ok(u) => u,
            Err(_) => return WebError::internal_error().into_response(),
        };
    let Some(user) = user.filter(|_| !password.is_empty()) else {
        if let Err(e) = st.record_failure(MASTER_REALM, &username).await {
            return WebError::from(e).into_response();
        }
        crate::state::record_event(
            &st,
            MASTER_REALM,
            "LOGIN_ERROR",
            Some(&username),
            None,
            "admin console: invalid username or password".into(),
        )
        .await;
        return again("idp-err-credentials", StatusCode::UNAUTHORIZED);
    };
    if let Err(e) = st.clear_failures(MASTER_REALM, &username).await {
        return WebError::from(e).into_response();
    }
    let Ok(id) = crate::error::random_token() else {
        return WebError::internal_error().into_response();
    };
    let Ok(token) = crate::error::random_token() else {
        return WebError::internal_error().into_response();
    };
    if let Err(e) = st
        .put_admin_session(
            &id,
            AdminSession {
                username: user.username.clone(),
                csrf: token,
                expires: OffsetDateTime::now_utc() + time::Duration::hours(8),
                zone: crate::account::user_zone(&user).map(str::to_string),
            },
        )
        .await
    {
        return WebError::from(e).into_response();
    }
    crate::state::record_event(
        &st,
        MASTER_REALM,
        "LOGIN",
        Some(&user.username),
        None,
        "admin console".into(),
    )
    .await;
    let mut r = Redirect::to("/admin/console/").into_response();
    let c = format!(
        "{SESSION_COOKIE}={id}; Path=/admin; HttpOnly; SameSite=Strict{}",
        cookie_attrs(&st)
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

pub(crate) async fn logout<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let session = signed_in;
    if let Err(r) = check_csrf(&session, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    if let Some(id) = crate::state::cookie(&headers, SESSION_COOKIE)
        && let Err(e) = st.drop_admin_session(&id).await
    {
        return WebError::from(e).into_response();
    }
    let mut r = Redirect::to("/admin/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Strict"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Template)]
#[template(path = "console/realms.html")]
pub(crate) struct RealmsPage<'a> {
    pub(crate) realm: Option<&'a str>,
    pub(crate) csrf: &'a str,
    pub(crate) admin: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) realms: Vec<(String, String)>,
    pub(crate) jobs: Vec<[String; 5]>,
}

pub(crate) async fn realms<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
) -> Response {
    let s = signed_in;
    let realms = match st.store().realms().await {
        Ok(r) => r.into_iter().map(|r| (r.name, r.display_name)).collect(),
        Err(e) => return WebError::from(e).into_response(),
    };
    let mut jobs = Vec::new();
    for name in st.config().shown_jobs.iter().copied() {
        let row = match symbolon_web::jobs::job_status(st.store(), name).await {
            Ok(Some(j)) => [
                name.to_string(),
                s.time(j.last_run),
                j.holder,
                j.runs.to_string(),
                format!("{}{}", if j.ok { "" } else { "FAILED: " }, j.outcome),
            ],
            Ok(None) => [
                name.to_string(),
                "never".into(),
                String::new(),
                "0".into(),
                "not run yet (it runs where that server role runs)".into(),
            ],
            Err(e) => return WebError::from(e).into_response(),
        };
        jobs.push(row);
    }
    page(
        RealmsPage {
            realm: None,
            csrf: &s.csrf,
            admin: &s.username,
            notice: None,
            realms,
            jobs,
        }
        .render(),
    )
}
