//! Sessions (Keycloak's realm sessions view): the realm's live SSO sessions with their user,
//! start, last use, method and the clients reached; sign out one, or all of a user's.

#![allow(clippy::result_large_err)]

use crate::console::common::{page_status, realm_admin, realm_admin_post};
use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use symbolon_idp::{Actor, IdpError};
use symbolon_store::IdpStore;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "console/sessions.html")]
pub(crate) struct SessionsPage<'a> {
    pub(crate) realm: Option<&'a str>,
    pub(crate) realm_name: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) admin: &'a str,
    pub(crate) notice: Option<String>,
    /// (handle, username, started, last used, method, clients)
    pub(crate) sessions: Vec<(String, String, String, String, String, String)>,
}

async fn render<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    notice: Option<String>,
) -> Response {
    let list = match symbolon_idp::list_sessions(st.store(), realm, None, OffsetDateTime::now_utc())
        .await
    {
        Ok(l) => l,
        Err(e) => return WebError::from(e).into_response(),
    };
    let sessions = list
        .into_iter()
        .map(|v| {
            (
                v.handle,
                v.username,
                s.time(v.started),
                v.last_used
                    .map(|t| s.time(t))
                    .unwrap_or_else(|| "not yet".into()),
                v.method,
                if v.clients.is_empty() {
                    "none yet".into()
                } else {
                    v.clients.join(", ")
                },
            )
        })
        .collect();
    page_status(
        StatusCode::OK,
        SessionsPage {
            realm: Some(realm),
            realm_name: realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice,
            sessions,
        }
        .render(),
    )
}

pub(crate) async fn sessions<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path(realm): Path<String>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    render(&st, &s, &realm, None).await
}

#[derive(Deserialize)]
pub(crate) struct SessionForm {
    pub(crate) csrf: Option<String>,
    pub(crate) action: Option<String>,
    pub(crate) session: Option<String>,
    pub(crate) user: Option<String>,
}

pub(crate) async fn session_action<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(f): Form<SessionForm>,
) -> Response {
    let s = match realm_admin_post(&st, signed_in, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let actor = Actor(s.username.clone());
    let now = OffsetDateTime::now_utc();
    let done = match f.action.as_deref() {
        Some("revoke") => symbolon_idp::revoke_session(
            st.store(),
            &actor,
            &realm,
            f.session.as_deref().unwrap_or(""),
            now,
        )
        .await
        .map(|_| ()),
        Some("revoke-user") => symbolon_idp::revoke_user_sessions(
            st.store(),
            &actor,
            &realm,
            f.user.as_deref().unwrap_or(""),
            now,
        )
        .await
        .map(|_| ()),
        _ => return WebError::bad_request_page("err-unknown-action").into_response(),
    };
    match done {
        Ok(()) => Redirect::to(&format!("/admin/console/{realm}/sessions")).into_response(),
        Err(IdpError::NotFound(m) | IdpError::Invalid(m)) => render(&st, &s, &realm, Some(m)).await,
        Err(e) => WebError::from(e).into_response(),
    }
}
