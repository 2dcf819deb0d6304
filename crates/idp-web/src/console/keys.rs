//! Signing keys and their rollover: add the next key, promote it, retire the old one (after a
//! confirmation); for the realm (Realm > Keys) or for one client's own keys (Clients > a
//! client > Signing keys), where a retired or unused key can also be removed.

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
use symbolon_store::{Client, IdpStore, RealmKey};
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

/// Whose keys a page shows: the realm's, or one client's own.
#[derive(Clone, Copy)]
pub(crate) enum Owner<'a> {
    Realm,
    Client(&'a Client),
}

impl Owner<'_> {
    /// The keys page of this owner.
    fn base(&self, realm: &str) -> String {
        match self {
            Owner::Realm => format!("/admin/console/{realm}/keys"),
            Owner::Client(c) => format!("/admin/console/{realm}/clients/{}/keys", c.id),
        }
    }
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
    /// Where this page's forms post.
    pub(crate) base: String,
    /// For a client's keys: its internal ID, client ID and descriptor URL.
    pub(crate) client: Option<(String, String, String)>,
    /// The client has an active key of its own.
    pub(crate) signs_own: bool,
}

async fn load<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
    owner: Owner<'_>,
) -> Result<Vec<RealmKey>, WebError> {
    Ok(match owner {
        Owner::Realm => st.store().keys(realm).await?,
        Owner::Client(c) => st.store().client_keys(&c.id).await?,
    })
}

pub(crate) async fn render_keys<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    owner: Owner<'_>,
    notice: Option<String>,
) -> Response {
    let keys = match load(st, realm, owner).await {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let now = OffsetDateTime::now_utc();
    let signs_own = keys
        .iter()
        .any(|k| k.status == symbolon_store::KeyStatus::Active);
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
            KeyRow {
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
            }
        })
        .collect();
    let client = match owner {
        Owner::Realm => None,
        Owner::Client(c) => Some((
            c.id.clone(),
            c.client_id.clone(),
            format!(
                "{}/realms/{realm}/protocol/saml/clients/{}/descriptor",
                st.config().base_url.trim_end_matches('/'),
                c.idp_initiated_url_name.clone().unwrap_or_else(|| {
                    percent_encoding::utf8_percent_encode(
                        &c.client_id,
                        percent_encoding::NON_ALPHANUMERIC,
                    )
                    .to_string()
                })
            ),
        )),
    };
    page(
        KeysPage {
            realm: Some(realm),
            realm_name: realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice,
            keys: rows,
            base: owner.base(realm),
            client,
            signs_own,
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
    render_keys(&st, &s, &realm, Owner::Realm, notice).await
}

#[derive(Deserialize)]
pub(crate) struct KeyForm {
    pub(crate) csrf: Option<String>,
    pub(crate) alg: Option<String>,
    pub(crate) confirm: Option<String>,
}

/// Add a next key for `owner`.
pub(crate) async fn add<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    owner: Owner<'_>,
    f: &KeyForm,
) -> Response {
    let alg = f
        .alg
        .as_deref()
        .and_then(symbolon_idp::KeyAlgorithm::parse)
        .unwrap_or(symbolon_idp::KeyAlgorithm::Rsa2048);
    let actor = Actor(s.username.clone());
    let now = OffsetDateTime::now_utc();
    let added = match owner {
        Owner::Realm => symbolon_idp::add_next_key(st.store(), &actor, realm, alg, now).await,
        Owner::Client(c) => {
            symbolon_idp::add_client_key(st.store(), &actor, realm, &c.client_id, alg, now)
                .await
                .map(|k| k.kid)
        }
    };
    match added {
        Ok(kid) => {
            symbolon_web::flash::redirect_with(
                st.store(),
                &s.csrf,
                &owner.base(realm),
                &symbolon_web::i18n::encode("idpc-next-key-added", &[("kid", &kid)]),
            )
            .await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

pub(crate) async fn add_next_key<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(f): Form<KeyForm>,
) -> Response {
    match realm_admin_post(&st, signed_in, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => add(&st, &s, &realm, Owner::Realm, &f).await,
        Err(r) => r,
    }
}

/// Promote `kid` of `owner`, after a confirmation.
pub(crate) async fn promote<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    owner: Owner<'_>,
    kid: &str,
    f: &KeyForm,
) -> Response {
    let base = owner.base(realm);
    if f.confirm.as_deref() != Some("yes") {
        return page(
            ConfirmPage {
                realm: Some(realm),
                csrf: &s.csrf,
                admin: &s.username,
                notice: None,
                question: symbolon_web::i18n::encode("idpc-promote-q", &[("kid", kid)]),
                consequence: match owner {
                    Owner::Realm => "idpc-promote-consequence".into(),
                    Owner::Client(_) => "idpc-client-promote-consequence".into(),
                },
                verb: "idpc-promote-verb",
                action: format!("{base}/{kid}/promote"),
                cancel: base.clone(),
                hidden: vec![],
            }
            .render(),
        );
    }
    let actor = Actor(s.username.clone());
    let now = OffsetDateTime::now_utc();
    let done = match owner {
        Owner::Realm => symbolon_idp::promote_key(st.store(), &actor, realm, kid, now).await,
        Owner::Client(c) => {
            symbolon_idp::promote_client_key(st.store(), &actor, realm, &c.client_id, kid, now)
                .await
        }
    };
    match done {
        Ok(()) => {
            symbolon_web::flash::redirect_with(
                st.store(),
                &s.csrf,
                &base,
                &symbolon_web::i18n::encode("idpc-promoted", &[("kid", kid)]),
            )
            .await
        }
        Err(
            IdpError::Store(symbolon_store::StoreError::Conflict(m))
            | IdpError::NotFound(m)
            | IdpError::Invalid(m),
        ) => render_keys(st, s, realm, owner, Some(m)).await,
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
    match realm_admin_post(&st, signed_in, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => promote(&st, &s, &realm, Owner::Realm, &kid, &f).await,
        Err(r) => r,
    }
}

/// What may be done to a key after a confirmation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    Retire,
    Remove,
}

/// The confirmation page of retiring or removing `kid`.
pub(crate) fn confirm_page(
    s: &AdminSession,
    realm: &str,
    owner: Owner<'_>,
    kid: &str,
    ending: Ending,
) -> Response {
    let base = owner.base(realm);
    let (q, consequence, verb, path) = match (ending, owner) {
        (Ending::Retire, Owner::Realm) => (
            "idpc-retire-q",
            "idpc-retire-consequence",
            "idpc-retire-verb",
            "retire",
        ),
        (Ending::Retire, Owner::Client(_)) => (
            "idpc-retire-q",
            "idpc-client-retire-consequence",
            "idpc-retire-verb",
            "retire",
        ),
        (Ending::Remove, _) => (
            "idpc-remove-key-q",
            "idpc-remove-key-consequence",
            "idpc-remove-key-verb",
            "remove",
        ),
    };
    page(
        ConfirmPage {
            realm: Some(realm),
            csrf: &s.csrf,
            admin: &s.username,
            notice: None,
            question: symbolon_web::i18n::encode(q, &[("kid", kid)]),
            consequence: consequence.into(),
            verb,
            action: format!("{base}/{kid}/{path}"),
            cancel: base,
            hidden: vec![],
        }
        .render(),
    )
}

/// Retire or remove `kid` of `owner` once confirmed.
pub(crate) async fn end<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    owner: Owner<'_>,
    kid: &str,
    ending: Ending,
    f: &KeyForm,
) -> Response {
    let base = owner.base(realm);
    if f.confirm.as_deref() != Some("yes") {
        let path = if ending == Ending::Retire {
            "retire"
        } else {
            "remove"
        };
        return Redirect::to(&format!("{base}/{kid}/{path}")).into_response();
    }
    let actor = Actor(s.username.clone());
    let now = OffsetDateTime::now_utc();
    let done = match (owner, ending) {
        (Owner::Realm, Ending::Retire) => {
            symbolon_idp::retire_key(st.store(), &actor, realm, kid, now).await
        }
        (Owner::Realm, Ending::Remove) => Err(IdpError::Invalid(
            "a realm key is retired, never removed".into(),
        )),
        (Owner::Client(c), Ending::Retire) => {
            symbolon_idp::retire_client_key(st.store(), &actor, realm, &c.client_id, kid, now).await
        }
        (Owner::Client(c), Ending::Remove) => {
            symbolon_idp::remove_client_key(st.store(), &actor, realm, &c.client_id, kid, now).await
        }
    };
    let done_id = if ending == Ending::Retire {
        "idpc-retired"
    } else {
        "idpc-key-removed"
    };
    match done {
        Ok(()) => {
            symbolon_web::flash::redirect_with(
                st.store(),
                &s.csrf,
                &base,
                &symbolon_web::i18n::encode(done_id, &[("kid", kid)]),
            )
            .await
        }
        Err(
            IdpError::Invalid(m)
            | IdpError::Conflict(m)
            | IdpError::NotFound(m)
            | IdpError::Store(symbolon_store::StoreError::Conflict(m)),
        ) => render_keys(st, s, realm, owner, Some(m)).await,
        Err(e) => WebError::from(e).into_response(),
    }
}

pub(crate) async fn confirm_retire<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path((realm, kid)): Path<(String, String)>,
) -> Response {
    match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => confirm_page(&s, &realm, Owner::Realm, &kid, Ending::Retire),
        Err(r) => r,
    }
}

pub(crate) async fn retire_key<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path((realm, kid)): Path<(String, String)>,
    Form(f): Form<KeyForm>,
) -> Response {
    match realm_admin_post(&st, signed_in, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => end(&st, &s, &realm, Owner::Realm, &kid, Ending::Retire, &f).await,
        Err(r) => r,
    }
}
