//! A client's own signing keys (per-client keys) through the API: list, add a next key,
//! promote, retire, remove. The client's descriptor is
//! `/realms/{realm}/protocol/saml/clients/{name}/descriptor`.

use crate::admin_api::clients::find_client;
use crate::admin_api::common::{ApiCaller, ApiError, ApiResult, St};
use crate::admin_api::realms::{KeyRep, KeysRep};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use symbolon_idp::KeyAlgorithm;
use symbolon_store::{IdpStore, RealmKey};
use symbolon_web::error::Kind;
use time::OffsetDateTime;

fn key_rep(k: &RealmKey) -> KeyRep {
    KeyRep {
        kid: k.kid.clone(),
        status: k.status.as_str().to_uppercase(),
        algorithm: k.algorithm.clone(),
        certificate: symbolon_dsig::encode_base64(&k.certificate_der),
    }
}

/// The client's own keys, oldest first (retired ones too). Empty: it signs with the realm's.
#[utoipa::path(get, path = "/admin/realms/{realm}/clients/{id}/keys", tag = "Clients",
    responses((status = 200, description = "The client's own signing keys.", body = KeysRep)))]
pub(crate) async fn list_client_keys<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<KeysRep>> {
    let c = find_client(&st, &realm, &id).await?;
    let keys = st.store().client_keys(&c.id).await?;
    Ok(Json(KeysRep {
        keys: keys.iter().map(key_rep).collect(),
    }))
}

/// A new key's algorithm.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewKeyRep {
    /// `rsa2048` (the default), `rsa3072` or `ec-p256`.
    #[serde(default)]
    algorithm: Option<String>,
}

/// Rollover step 1: a new NEXT key, published in the client's descriptor, not signing yet.
#[utoipa::path(post, path = "/admin/realms/{realm}/clients/{id}/keys", tag = "Clients",
    request_body = NewKeyRep,
    responses((status = 201, description = "The new key.", body = KeyRep)))]
pub(crate) async fn add_client_key<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<NewKeyRep>,
) -> ApiResult<(StatusCode, Json<KeyRep>)> {
    let c = find_client(&st, &realm, &id).await?;
    let alg = match rep.algorithm.as_deref() {
        None => KeyAlgorithm::Rsa2048,
        Some(a) => KeyAlgorithm::parse(a).ok_or_else(|| {
            ApiError::new(
                Kind::Invalid,
                format!("algorithm {a:?}: use rsa2048, rsa3072 or ec-p256"),
            )
        })?,
    };
    let key = symbolon_idp::add_client_key(
        st.store(),
        &actor,
        &realm,
        &c.client_id,
        alg,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(key_rep(&key))))
}

/// A step of a key's life after it was added.
#[derive(Clone, Copy)]
enum Step {
    Promote,
    Retire,
    Remove,
}

async fn step<S: IdpStore>(
    st: &crate::state::AppState<S>,
    actor: &symbolon_idp::Actor,
    (realm, id, kid): (String, String, String),
    step: Step,
) -> ApiResult<StatusCode> {
    let c = find_client(st, &realm, &id).await?;
    let (store, now) = (st.store(), OffsetDateTime::now_utc());
    let client = &c.client_id;
    match step {
        Step::Promote => {
            symbolon_idp::promote_client_key(store, actor, &realm, client, &kid, now).await?
        }
        Step::Retire => {
            symbolon_idp::retire_client_key(store, actor, &realm, client, &kid, now).await?
        }
        Step::Remove => {
            symbolon_idp::remove_client_key(store, actor, &realm, client, &kid, now).await?
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Rollover step 2: the key signs the client's messages; its previous key stays published as
/// PASSIVE.
#[utoipa::path(post, path = "/admin/realms/{realm}/clients/{id}/keys/{kid}/promote", tag = "Clients",
    responses((status = 204, description = "Promoted.")))]
pub(crate) async fn promote_client_key<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(p): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    step(&st, &actor, p, Step::Promote).await
}

/// Rollover step 3: the key is no longer published; retiring the ACTIVE key makes the client
/// sign with the realm's key again.
#[utoipa::path(post, path = "/admin/realms/{realm}/clients/{id}/keys/{kid}/retire", tag = "Clients",
    responses((status = 204, description = "Retired.")))]
pub(crate) async fn retire_client_key<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(p): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    step(&st, &actor, p, Step::Retire).await
}

/// Delete a RETIRED or never promoted (NEXT) key; 409 for a key in use.
#[utoipa::path(delete, path = "/admin/realms/{realm}/clients/{id}/keys/{kid}", tag = "Clients",
    responses((status = 204, description = "Removed.")))]
pub(crate) async fn remove_client_key<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(p): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    step(&st, &actor, p, Step::Remove).await
}
