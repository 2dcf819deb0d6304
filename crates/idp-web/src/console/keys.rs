//! Realm keys and their rollover: add the next key, promote it, retire the old one (after a
//! confirmation).

#![allow(clippy::result_large_err)]

use crate::console::common::{ConfirmPage, page, realm_admin, realm_admin_post};
use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use symbolon_idp::{Actor, IdpError};
use symbolon_store::IdpStore;
use time::OffsetDateTime;

pub(crate) struct KeyRow {
    pub(crate) kid: String,
    pub(crate) status: &'static str,
    pub(crate) algorithm: String,
    pub(crate) valid_until: String,
    /// Days until the certificate expires, and a warning within 30 days of a published key.
    pub(crate) days_left: i64,
    pub(crate) warning: Option<String>,
}

#[derive(Template)]
#[template(path = "console/keys.html")]
pub(crate) struct KeysPage<'a> {
    pub(crate) realm: Option<&'a str>,
    pub(crate) realm_name: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) admin: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) keys: Vec<KeyRow>,
}

pub(crate) async fn render_keys<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    notice: Option<String>,
) -> Response {
    let keys = match st.store().keys(realm).await {
        Ok(k) => k,
        Err(e) => return WebError::from(e).into_response(),
    };
    let now = OffsetDateTime::now_utc();
    let rows = keys
        .iter()
        .map(|k| {
            let days_left =
                symbolon_store::expiry::days_left(&k.certificate_der, now).unwrap_or_default();
            let warning = (k.status.published()
                && symbolon_store::expiry::threshold(days_left).is_some())
            .then(|| {
                format!(
                    "The {} key's certificate {}: add a next key and roll over.",
                    k.status.as_str(),
                    symbolon_store::expiry::phrase(days_left, &k.certificate_der)
                )
            });
            (k, days_left, warning)
        })
        .map(|(k, days_left, warning)| KeyRow {
            kid: k.kid.clone(),
            status: k.status.as_str(),
            algorithm: k.algorithm.clone(),
            valid_until: symbolon_dsig::describe_certificate(&k.certificate_der)
                .ok()
                .and_then(|c| OffsetDateTime::from_unix_timestamp(c.not_after).ok())
                .map(symbolon_saml::time::format_instant)
                .unwrap_or_default(),
            days_left,
            warning,
        })
        .collect();
    page(
        KeysPage {
            realm: Some(realm),
            realm_name: realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice,
            keys: rows,
        }
        .render(),
    )
}

pub(crate) async fn keys<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path(realm): Path<String>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let notice = symbolon_web::flash::take(st.store(), &s.csrf).await;
    render_keys(&st, &s, &realm, notice).await
}

#[derive(Deserialize)]
pub(crate) struct KeyForm {
    pub(crate) csrf: Option<String>,
    pub(crate) alg: Option<String>,
    pub(crate) confirm: Option<String>,
}

pub(crate) async fn add_next_key<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(f): Form<KeyForm>,
) -> Response {
    let s = match realm_admin_post(&st, signed_in, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let alg = f
        .alg
        .as_deref()
        .and_then(symbolon_idp::KeyAlgorithm::parse)
        .unwrap_or(symbolon_idp::KeyAlgorithm::Rsa2048);
    match symbolon_idp::add_next_key(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        alg,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(kid) => {
            symbolon_web::flash::redirect_with(
                st.store(),
                &s.csrf,
                &format!("/admin/console/{realm}/keys"),
                &format!("Added next key {kid}: published in the metadata, not signing yet."),
            )
            .await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

pub(crate) async fn promote_key<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path((realm, kid)): Path<(String, String)>,
    Form(f): Form<KeyForm>,
) -> Response {
    let s = match realm_admin_post(&st, signed_in, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if f.confirm.as_deref() != Some("yes") {
        return page(
            ConfirmPage {
                realm: Some(&realm),
                csrf: &s.csrf,
                admin: &s.username,
                notice: None,
                question: format!("Make key {kid} the signing key?"),
                consequence: "Every response from now on is signed with it. Service providers that have not yet loaded the realm's current metadata (which publishes this key) will reject sign-ins until they do; the key signing now stays published as passive, so you can promote it back.".into(),
                verb: "Promote key",
                action: format!("/admin/console/{realm}/keys/{kid}/promote"),
                cancel: format!("/admin/console/{realm}/keys"),
                hidden: vec![],
            }
            .render(),
        );
    }
    match symbolon_idp::promote_key(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        &kid,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(()) => {
            symbolon_web::flash::redirect_with(
                st.store(),
                &s.csrf,
                &format!("/admin/console/{realm}/keys"),
                &format!("Key {kid} now signs; the previous key stays published as passive."),
            )
            .await
        }
        Err(IdpError::Store(symbolon_store::StoreError::Conflict(m))) => {
            render_keys(&st, &s, &realm, Some(m)).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

pub(crate) async fn confirm_retire<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path((realm, kid)): Path<(String, String)>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    page(
        ConfirmPage {
            realm: Some(&realm),
            csrf: &s.csrf,
            admin: &s.username,
            notice: None,
            question: format!("Retire key {kid}?"),
            consequence: "It will no longer be published in the realm's metadata. Service providers that still trust only this key will reject responses from this realm. This cannot be undone.".into(),
            verb: "Retire key",
            action: format!("/admin/console/{realm}/keys/{kid}/retire"),
            cancel: format!("/admin/console/{realm}/keys"),
            hidden: vec![],
        }
        .render(),
    )
}

pub(crate) async fn retire_key<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path((realm, kid)): Path<(String, String)>,
    Form(f): Form<KeyForm>,
) -> Response {
    let s = match realm_admin_post(&st, signed_in, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if f.confirm.as_deref() != Some("yes") {
        return Redirect::to(&format!("/admin/console/{realm}/keys/{kid}/retire")).into_response();
    }
    match symbolon_idp::retire_key(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        &kid,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(()) => {
            symbolon_web::flash::redirect_with(
                st.store(),
                &s.csrf,
                &format!("/admin/console/{realm}/keys"),
                &format!("Key {kid} retired."),
            )
            .await
        }
        Err(IdpError::Invalid(m) | IdpError::Conflict(m) | IdpError::NotFound(m)) => {
            render_keys(&st, &s, &realm, Some(m)).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}
