//! Realms from the console: create one (with an active signing key), change its general
//! settings, and delete it after a confirmation that names what goes and asks for its name.

#![allow(clippy::result_large_err)]

use crate::console::common::{ConfirmPage, check_csrf, page_status, realm_or_404};
use crate::console::settings::settings_page;
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

#[derive(Deserialize)]
pub(crate) struct RealmForm {
    pub(crate) csrf: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) display_name: Option<String>,
    pub(crate) enabled: Option<String>,
    pub(crate) lifespan: Option<String>,
    pub(crate) confirm: Option<String>,
    pub(crate) typed: Option<String>,
}

pub(crate) async fn create_realm<S: IdpStore>(
    State(st): State<AppState<S>>,
    s: AdminSession,
    headers: HeaderMap,
    Form(f): Form<RealmForm>,
) -> Response {
    if let Err(r) = check_csrf(&s, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    let name = f.name.unwrap_or_default();
    let display = f.display_name.filter(|d| !d.trim().is_empty());
    match symbolon_idp::create_realm(
        st.store(),
        &Actor(s.username.clone()),
        name.trim(),
        display.as_deref(),
        symbolon_idp::KeyAlgorithm::Rsa2048,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(r) => Redirect::to(&format!("/admin/console/{}/settings", r.name)).into_response(),
        Err(IdpError::Invalid(m) | IdpError::Conflict(m)) => {
            WebError::bad_request_page(format!("The realm was not created: {m}")).into_response()
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

pub(crate) async fn general<S: IdpStore>(
    State(st): State<AppState<S>>,
    s: AdminSession,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(f): Form<RealmForm>,
) -> Response {
    if let Err(r) = check_csrf(&s, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    let lifespan = match f
        .lifespan
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        None => None,
        Some(l) => match l.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                return match realm_or_404(&st, &realm).await {
                    Ok(r) => settings_page(&st, &s, &r, Some("idpc-lifespan-number".into())).await,
                    Err(resp) => resp,
                };
            }
        },
    };
    let change = symbolon_idp::RealmChange {
        display_name: f.display_name,
        enabled: Some(f.enabled.is_some()),
        assertion_lifespan_secs: lifespan,
    };
    match symbolon_idp::update_realm(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        &change,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/admin/console/{realm}/settings")).into_response(),
        Err(IdpError::Invalid(m)) => match realm_or_404(&st, &realm).await {
            Ok(r) => settings_page(&st, &s, &r, Some(m)).await,
            Err(resp) => resp,
        },
        Err(e) => WebError::from(e).into_response(),
    }
}

pub(crate) async fn delete<S: IdpStore>(
    State(st): State<AppState<S>>,
    s: AdminSession,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(f): Form<RealmForm>,
) -> Response {
    if let Err(r) = check_csrf(&s, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    let typed_ok = f.typed.as_deref().map(str::trim) == Some(realm.as_str());
    if f.confirm.as_deref() != Some("yes") || !typed_ok {
        let contents = match symbolon_idp::realm_contents(st.store(), &realm).await {
            Ok(c) => c,
            Err(e) => return WebError::from(e).into_response(),
        };
        return page_status(
            if f.confirm.is_some() {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            },
            ConfirmPage {
                realm: Some(&realm),
                csrf: &s.csrf,
                admin: &s.username,
                notice: f.confirm.is_some().then(|| {
                    symbolon_web::i18n::encode("spc-type-to-confirm-notice", &[("name", &realm)])
                }),
                question: symbolon_web::i18n::encode("idpc-delete-realm-q", &[("name", &realm)]),
                consequence: symbolon_web::i18n::encode(
                    "idpc-delete-realm-consequence",
                    &[("contents", &contents.describe())],
                ),
                verb: "idpc-delete-realm-verb",
                action: format!("/admin/console/{realm}/settings/delete"),
                cancel: format!("/admin/console/{realm}/settings"),
                hidden: vec![("typed-field", realm.clone())],
            }
            .render(),
        );
    }
    match symbolon_idp::delete_realm(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(()) => Redirect::to("/admin/console/").into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}
