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
                symbolon_web::i18n::encode(
                    "idpc-key-expiring",
                    &[
                        ("status", k.status.as_str()),
                        (
                            "phrase",
                            &symbolon_store::expiry::phrase(days_left, &k.certificate_der),
                        ),
                    ],
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
                .map(|t| s.time(t))
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
                &symbolon_web::i18n::encode("idpc-next-key-added", &[("kid", &kid)]),
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
                question: symbolon_web::i18n::encode("idpc-promote-q", &[("kid", &kid)]),
                consequence: "idpc-promote-consequence".into(),
                verb: "idpc-promote-verb",
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
                &symbolon_web::i18n::encode("idpc-promoted", &[("kid", &kid)]),
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
            question: symbolon_web::i18n::encode("idpc-retire-q", &[("kid", &kid)]),
            consequence: "idpc-retire-consequence".into(),
            verb: "idpc-retire-verb",
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
                &symbolon_web::i18n::encode("idpc-retired", &[("kid", &kid)]),
            )
            .await
        }
        Err(IdpError::Invalid(m) | IdpError::Conflict(m) | IdpError::NotFound(m)) => {
            render_keys(&st, &s, &realm, Some(m)).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}
