//! The account's REST API for provisioning: SCIM tokens (listed, created once shown, revoked)
//! and the provisioning settings with the provisioned users. Authenticated by an API key of
//! the account (scope `api`); a SCIM token cannot manage tokens.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde::Deserialize;
use serde_json::{Value, json};
use symbolon_store::sp::{KEY_SCOPE_SCIM, SpStore};
use time::OffsetDateTime;

use crate::api::{ApiKey, ApiResult};
use crate::state::AppState;

pub(crate) fn routes<S: SpStore>() -> Router<AppState<S>> {
    Router::new()
        .route("/api/v1/scim-tokens", get(tokens::<S>).post(add_token::<S>))
        .route("/api/v1/scim-tokens/{id}", delete(revoke_token::<S>))
        .route(
            "/api/v1/provisioning",
            get(settings::<S>).put(set_settings::<S>),
        )
}

async fn tokens<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, .. }: ApiKey,
) -> ApiResult<Json<Value>> {
    Ok(Json(Value::Array(
        st.store
            .api_keys(&account)
            .await?
            .into_iter()
            .filter(|k| k.scope == KEY_SCOPE_SCIM)
            .map(|k| json!({"id": k.id, "name": k.name, "created": symbolon_saml::time::format_instant(k.created_at), "revoked": k.revoked}))
            .collect(),
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRep {
    name: String,
}

async fn add_token<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    Json(rep): Json<TokenRep>,
) -> ApiResult<Response> {
    let (id, key) = symbolon_sp::create_api_key(
        &st.store,
        &actor,
        &account,
        &rep.name,
        KEY_SCOPE_SCIM,
        OffsetDateTime::now_utc(),
    )
    .await?;
    // Shown here once; only its SHA-256 is kept.
    Ok(symbolon_web::request::created(
        &format!("/api/v1/scim-tokens/{id}"),
        Json(json!({"id": id, "name": rep.name, "token": key})),
    ))
}

async fn revoke_token<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let is_scim = st
        .store
        .api_keys(&account)
        .await?
        .iter()
        .any(|k| k.id == id && k.scope == KEY_SCOPE_SCIM);
    if !is_scim {
        return Err(crate::api::ApiError::new(
            symbolon_web::error::Kind::NotFound,
            format!("there is no SCIM token {id:?} here"),
        ));
    }
    symbolon_sp::revoke_api_key(&st.store, &actor, &account, &id, OffsetDateTime::now_utc())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn settings_json<S: SpStore>(st: &AppState<S>, account: &str) -> ApiResult<Value> {
    let s = st.store.scim_settings(account).await?;
    let roles = st.store.account_roles(account).await?;
    let default_role = s
        .default_role_id
        .as_ref()
        .and_then(|id| roles.iter().find(|r| &r.id == id))
        .map(|r| r.name.clone());
    let users: Vec<Value> = symbolon_sp::scim::provisioned_views(&st.store, account)
        .await?
        .into_iter()
        .map(|p| json!({"id": p.id, "userName": p.user_name, "nameId": p.name_id, "active": p.active, "groups": p.groups, "roles": p.roles}))
        .collect();
    Ok(json!({
        "scimUrl": format!("{}/scim/v2", st.cfg.base_url),
        "nameSource": s.name_source,
        "defaultRole": default_role,
        "users": users,
    }))
}

async fn settings<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, .. }: ApiKey,
) -> ApiResult<Json<Value>> {
    Ok(Json(settings_json(&st, &account).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SettingsRep {
    #[serde(default)]
    name_source: Option<String>,
    #[serde(default)]
    default_role: Option<String>,
}

async fn set_settings<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    Json(rep): Json<SettingsRep>,
) -> ApiResult<Json<Value>> {
    symbolon_sp::scim::set_scim_settings(
        &st.store,
        &actor,
        &account,
        rep.name_source.as_deref().unwrap_or("userName"),
        rep.default_role.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(Json(settings_json(&st, &account).await?))
}
