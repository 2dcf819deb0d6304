//! `/admin/realms`: realms, their keys, events and sign-in policy.

use crate::admin_api::common::{ApiCaller, ApiError, ApiResult, St, created, yes};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;
use symbolon_idp::KeyAlgorithm;
use symbolon_store::IdpStore;
use symbolon_web::error::Kind;
use time::OffsetDateTime;

/// `RealmRepresentation`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RealmRep {
    pub realm: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

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

pub(crate) async fn create_realm<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Json(rep): Json<RealmRep>,
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

pub(crate) async fn keys<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path(realm): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    realm_exists(&st, &realm).await?;
    let keys: Vec<serde_json::Value> = st
        .store()
        .keys(&realm)
        .await?
        .iter()
        .map(|k| json!({"kid": k.kid, "status": k.status.as_str().to_uppercase(), "algorithm": k.algorithm, "certificate": symbolon_dsig::encode_base64(&k.certificate_der)}))
        .collect();
    Ok(Json(json!({ "keys": keys })))
}

#[derive(Deserialize)]
pub(crate) struct EventQuery {
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    pub(crate) max: Option<u32>,
}

pub(crate) async fn events<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path(realm): Path<String>,
    Query(q): Query<EventQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    realm_exists(&st, &realm).await?;
    let evs = st
        .store()
        .events(&realm, q.kind.as_deref(), q.max.unwrap_or(100).min(1000))
        .await?;
    Ok(Json(serde_json::Value::Array(
        evs.iter()
            .map(|e| json!({"time": symbolon_saml::time::format_instant(e.at), "type": e.kind, "actor": e.actor, "clientId": e.client_id, "details": e.detail}))
            .collect(),
    )))
}

/// The realm's sign-in policy: `{"policy": "password" | "second-factor" |
/// "passkey-or-password" | "passkey-only"}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct PolicyRep {
    pub policy: String,
}

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

pub(crate) async fn put_policy<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(realm): Path<String>,
    Json(rep): Json<PolicyRep>,
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
