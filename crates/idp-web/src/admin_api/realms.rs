//! `/admin/realms`: realms, their keys, events and sign-in policy.

use crate::admin_api::common::{ApiCaller, ApiError, ApiResult, St, created, yes};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use symbolon_idp::KeyAlgorithm;
use symbolon_store::IdpStore;
use symbolon_web::error::Kind;
use time::OffsetDateTime;

/// `RealmRepresentation`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RealmRep {
    /// The realm's URL name (case-sensitive; letters, digits, `-`, `_`, `.`).
    pub realm: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

#[utoipa::path(get, path = "/admin/realms", tag = "Realms",
    responses((status = 200, description = "Every realm.", body = [RealmRep])))]
pub(crate) async fn list_realms<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
) -> ApiResult<Json<Vec<RealmRep>>> {
    let realms = st.store().realms().await?;
    Ok(Json(
        realms
            .into_iter()
            .map(|r| RealmRep {
                realm: r.name,
                display_name: Some(r.display_name),
                enabled: r.enabled,
            })
            .collect(),
    ))
}

/// Create a realm; a signing key is generated for it.
#[utoipa::path(post, path = "/admin/realms", tag = "Realms", request_body = RealmRep,
    responses((status = 201, description = "Created; `Location` names the realm.")))]
pub(crate) async fn create_realm<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<RealmRep>,
) -> ApiResult<Response> {
    let r = symbolon_idp::create_realm(
        st.store(),
        &actor,
        &rep.realm,
        rep.display_name.as_deref(),
        KeyAlgorithm::Rsa2048,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(created(format!("/admin/realms/{}", r.name)))
}

#[utoipa::path(get, path = "/admin/realms/{realm}", tag = "Realms",
    responses((status = 200, description = "The realm.", body = RealmRep)))]
pub(crate) async fn get_realm<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path(realm): Path<String>,
) -> ApiResult<Json<RealmRep>> {
    let r = st
        .store()
        .realm(&realm)
        .await?
        .ok_or_else(|| ApiError::new(Kind::NotFound, format!("realm {realm:?} not found")))?;
    Ok(Json(RealmRep {
        realm: r.name,
        display_name: Some(r.display_name),
        enabled: r.enabled,
    }))
}

pub(crate) async fn realm_exists<S: IdpStore>(
    st: &crate::state::AppState<S>,
    realm: &str,
) -> ApiResult<()> {
    st.store()
        .realm(realm)
        .await?
        .map(|_| ())
        .ok_or_else(|| ApiError::new(Kind::NotFound, format!("realm {realm:?} not found")))
}

/// `KeysMetadataRepresentation`: the realm's signing keys, never a private key.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeysRep {
    pub keys: Vec<KeyRep>,
}

/// One signing key.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyRep {
    pub kid: String,
    /// `ACTIVE` (signs), `NEXT` (published, not yet signing), `PASSIVE` (was active, still
    /// published) or `RETIRED` (no longer published).
    pub status: String,
    pub algorithm: String,
    /// The X.509 certificate, DER in base64.
    pub certificate: String,
}

#[utoipa::path(get, path = "/admin/realms/{realm}/keys", tag = "Realms",
    responses((status = 200, description = "The realm's keys.", body = KeysRep)))]
pub(crate) async fn keys<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path(realm): Path<String>,
) -> ApiResult<Json<KeysRep>> {
    realm_exists(&st, &realm).await?;
    let keys = st
        .store()
        .keys(&realm)
        .await?
        .iter()
        .map(|k| KeyRep {
            kid: k.kid.clone(),
            status: k.status.as_str().to_uppercase(),
            algorithm: k.algorithm.clone(),
            certificate: symbolon_dsig::encode_base64(&k.certificate_der),
        })
        .collect();
    Ok(Json(KeysRep { keys }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventQuery {
    /// Only events of this type (`LOGIN`, `LOGIN_ERROR`, `ADMIN`, ...).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub(crate) kind: Option<String>,
    /// At most this many, newest first (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) max: Option<u32>,
}

/// An event of the realm.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventRep {
    /// RFC 3339, UTC.
    pub time: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: Option<String>,
    pub client_id: Option<String>,
    pub details: String,
}

#[utoipa::path(get, path = "/admin/realms/{realm}/events", tag = "Realms", params(EventQuery),
    responses((status = 200, description = "Events, newest first.", body = [EventRep])))]
pub(crate) async fn events<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path(realm): Path<String>,
    Query(q): Query<EventQuery>,
) -> ApiResult<Json<Vec<EventRep>>> {
    realm_exists(&st, &realm).await?;
    let max = q.max.unwrap_or(100);
    if !(1..=1000).contains(&max) {
        return Err(ApiError::new(Kind::Invalid, "max must be 1 to 1000"));
    }
    let evs = st.store().events(&realm, q.kind.as_deref(), max).await?;
    Ok(Json(
        evs.into_iter()
            .map(|e| EventRep {
                time: symbolon_saml::time::format_instant(e.at),
                kind: e.kind,
                actor: e.actor,
                client_id: e.client_id,
                details: e.detail,
            })
            .collect(),
    ))
}

/// The realm's sign-in policy: `{"policy": "password" | "second-factor" |
/// "passkey-or-password" | "passkey-only"}`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PolicyRep {
    /// `password`, `second-factor`, `passkey-or-password` or `passkey-only`.
    pub policy: String,
}

#[utoipa::path(get, path = "/admin/realms/{realm}/authentication-policy", tag = "Realms",
    responses((status = 200, description = "The realm's sign-in policy.", body = PolicyRep)))]
pub(crate) async fn get_policy<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path(realm): Path<String>,
) -> ApiResult<Json<PolicyRep>> {
    let p = symbolon_idp::auth_policy(st.store(), &realm).await?;
    Ok(Json(PolicyRep {
        policy: p.as_str().into(),
    }))
}

#[utoipa::path(put, path = "/admin/realms/{realm}/authentication-policy", tag = "Realms",
    request_body = PolicyRep, responses((status = 204, description = "Set.")))]
pub(crate) async fn put_policy<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(realm): Path<String>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<PolicyRep>,
) -> ApiResult<StatusCode> {
    let policy = symbolon_idp::AuthPolicy::parse(&rep.policy).ok_or_else(|| {
        ApiError::new(
            Kind::Invalid,
            format!(
                "unknown policy {:?} (one of password, second-factor, passkey-or-password, passkey-only)",
                rep.policy
            ),
        )
    })?;
    symbolon_idp::set_auth_policy(
        st.store(),
        &actor,
        &realm,
        policy,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
