//! `/admin/console/tokens`: the admin REST API's bearer tokens, listed, created (shown once) and
//! revoked after a confirmation. Not a realm's: changes are admin events of the master realm.

use crate::console::common::{ConfirmPage, CsrfForm, check_csrf, form_status, page, page_status};
use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use symbolon_idp::{Actor, IdpError};
use symbolon_store::IdpStore;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "console/tokens.html")]
struct TokensPage<'a> {
    realm: Option<&'a str>,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    /// Name, id, created (UTC), revoked.
    tokens: Vec<(String, String, String, bool)>,
    /// A token just created: its name and the token, shown this once.
    created: Option<(String, String)>,
    name: String,
    name_error: Option<String>,
    /// The create form's one-time submission token (`symbolon_web::once`).
    once: String,
}

/// What the page shows besides the list.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    created: Option<(String, String)>,
    name: String,
    name_error: Option<String>,
}

async fn render<S: IdpStore>(st: &AppState<S>, s: &AdminSession, shown: Shown) -> Response {
    let tokens = match symbolon_idp::admin_tokens(st.store()).await {
        Ok(t) => t,
        Err(e) => return WebError::from(e).into_response(),
    };
    let bad = shown.name_error.is_some();
    let once = symbolon_web::once::issue(st.store(), &s.csrf).await;
    let mut r = page_status(
        form_status(bad),
        TokensPage {
            realm: None,
            csrf: &s.csrf,
            admin: &s.username,
            notice: shown.notice,
            tokens: tokens
                .into_iter()
                .map(|t| (t.name, t.id, s.time(t.created_at), t.revoked))
                .collect(),
            created: shown.created,
            name: shown.name,
            name_error: shown.name_error,
            once,
        }
        .render(),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub(crate) async fn tokens<S: IdpStore>(
    State(st): State<AppState<S>>,
    s: AdminSession,
) -> Response {
    let notice = symbolon_web::flash::take(st.store(), &s.csrf).await;
    render(
        &st,
        &s,
        Shown {
            notice,
            ..Shown::default()
        },
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct CreateForm {
    csrf: Option<String>,
    #[serde(default)]
    name: String,
    once: Option<String>,
}

/// Create: the answer shows the token once (not a redirect: the token is never stored, not
/// even for the next page). The form is taken once: a reload of the answer creates nothing.
pub(crate) async fn create<S: IdpStore>(
    State(st): State<AppState<S>>,
    s: AdminSession,
    headers: HeaderMap,
    Form(f): Form<CreateForm>,
) -> Response {
    if let Err(r) = check_csrf(&s, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    if !symbolon_web::once::redeem(st.store(), &s.csrf, f.once.as_deref()).await {
        return render(
            &st,
            &s,
            Shown {
                notice: Some("common-form-sent-once".into()),
                ..Shown::default()
            },
        )
        .await;
    }
    let actor = Actor(s.username.clone());
    match symbolon_idp::create_admin_token(st.store(), &actor, &f.name, OffsetDateTime::now_utc())
        .await
    {
        Ok((_, token)) => {
            let name = f.name.trim().to_string();
            render(
                &st,
                &s,
                Shown {
                    created: Some((name, token)),
                    ..Shown::default()
                },
            )
            .await
        }
        Err(IdpError::Invalid(_)) => {
            render(
                &st,
                &s,
                Shown {
                    name: f.name,
                    name_error: Some("idpc-token-name-rule".into()),
                    ..Shown::default()
                },
            )
            .await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

/// The confirmation before a token is revoked.
pub(crate) async fn confirm_revoke<S: IdpStore>(
    State(st): State<AppState<S>>,
    s: AdminSession,
    Path(id): Path<String>,
) -> Response {
    let token = match symbolon_idp::admin_tokens(st.store()).await {
        Ok(t) => t.into_iter().find(|t| t.id == id && !t.revoked),
        Err(e) => return WebError::from(e).into_response(),
    };
    let Some(t) = token else {
        return WebError::not_found_page("idpc-no-live-token".into()).into_response();
    };
    page(
        ConfirmPage {
            realm: None,
            csrf: &s.csrf,
            admin: &s.username,
            notice: None,
            question: symbolon_web::i18n::encode("idpc-revoke-token-q", &[("name", &t.name)]),
            consequence: "idpc-revoke-token-consequence".into(),
            verb: "idpc-revoke-token-verb",
            action: format!("/admin/console/tokens/{id}/revoke"),
            cancel: "/admin/console/tokens".into(),
            hidden: vec![],
        }
        .render(),
    )
}

pub(crate) async fn revoke<S: IdpStore>(
    State(st): State<AppState<S>>,
    s: AdminSession,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(r) = check_csrf(&s, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    let actor = Actor(s.username.clone());
    match symbolon_idp::revoke_admin_token(st.store(), &actor, &id, OffsetDateTime::now_utc()).await
    {
        Ok(t) => {
            symbolon_web::flash::redirect_with(
                st.store(),
                &s.csrf,
                "/admin/console/tokens",
                &symbolon_web::i18n::encode("idpc-token-revoked", &[("name", &t.name)]),
            )
            .await
        }
        Err(IdpError::NotFound(_)) => {
            WebError::not_found_page("idpc-no-token".into()).into_response()
        }
        Err(e) => WebError::from(e).into_response(),
    }
}
