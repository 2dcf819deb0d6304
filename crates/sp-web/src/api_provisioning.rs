//! The account's REST API for provisioning: SCIM tokens (listed, created once shown, revoked)
//! and the provisioning settings with the provisioned users. Authenticated by an API key of
//! the account (scope `api`); a SCIM token cannot manage tokens.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde::{Deserialize, Serialize};
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

/// A SCIM token as listed (never the token).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ScimTokenView {
    id: String,
    name: String,
    /// RFC 3339, UTC.
    created: String,
    revoked: bool,
}

/// A created SCIM token: the only answer that carries it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ScimTokenCreated {
    id: String,
    name: String,
    token: String,
}

/// The account's SCIM provisioning settings and the users provisioned.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SettingsView {
    /// Where the IdP's SCIM client sends its requests.
    scim_url: String,
    /// The SCIM attribute that becomes the SAML NameID.
    name_source: String,
    default_role: Option<String>,
    users: Vec<ProvisionedView>,
}

/// A user provisioned by SCIM.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProvisionedView {
    id: String,
    user_name: String,
    name_id: String,
    active: bool,
    groups: Vec<String>,
    roles: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/scim-tokens", tag = "Provisioning",
    responses((status = 200, description = "The account's SCIM tokens.", body = [ScimTokenView])))]
pub(crate) async fn tokens<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, .. }: ApiKey,
) -> ApiResult<Json<Vec<ScimTokenView>>> {
    Ok(Json(
        st.store
            .api_keys(&account)
            .await?
            .into_iter()
            .filter(|k| k.scope == KEY_SCOPE_SCIM)
            .map(|k| ScimTokenView {
                created: symbolon_saml::time::format_instant(k.created_at),
                id: k.id,
                name: k.name,
                revoked: k.revoked,
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenRep {
    name: String,
}

#[utoipa::path(post, path = "/api/v1/scim-tokens", tag = "Provisioning", request_body = TokenRep,
    responses((status = 201, description = "Created; the token is in this answer only.", body = ScimTokenCreated)))]
pub(crate) async fn add_token<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<TokenRep>,
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
        Json(ScimTokenCreated {
            id,
            name: rep.name,
            token: key,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/scim-tokens/{id}", tag = "Provisioning",
    responses((status = 204, description = "Revoked.")))]
pub(crate) async fn revoke_token<S: SpStore>(
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

pub(crate) async fn settings_json<S: SpStore>(
    st: &AppState<S>,
    account: &str,
) -> ApiResult<SettingsView> {
    let s = st.store.scim_settings(account).await?;
    let roles = st.store.account_roles(account).await?;
    let default_role = s
        .default_role_id
        .as_ref()
        .and_then(|id| roles.iter().find(|r| &r.id == id))
        .map(|r| r.name.clone());
    let users = symbolon_sp::scim::provisioned_views(&st.store, account)
        .await?
        .into_iter()
        .map(|p| ProvisionedView {
            id: p.id,
            user_name: p.user_name,
            name_id: p.name_id,
            active: p.active,
            groups: p.groups,
            roles: p.roles,
        })
        .collect();
    Ok(SettingsView {
        scim_url: format!("{}/scim/v2", st.cfg.base_url),
        name_source: s.name_source,
        default_role,
        users,
    })
}

#[utoipa::path(get, path = "/api/v1/provisioning", tag = "Provisioning",
    responses((status = 200, description = "The settings and the provisioned users.", body = SettingsView)))]
pub(crate) async fn settings<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, .. }: ApiKey,
) -> ApiResult<Json<SettingsView>> {
    Ok(Json(settings_json(&st, &account).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SettingsRep {
    #[serde(default)]
    name_source: Option<String>,
    #[serde(default)]
    default_role: Option<String>,
}

#[utoipa::path(put, path = "/api/v1/provisioning", tag = "Provisioning", request_body = SettingsRep,
    responses((status = 200, description = "Set; the settings as they are now.", body = SettingsView)))]
pub(crate) async fn set_settings<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<SettingsRep>,
) -> ApiResult<Json<SettingsView>> {
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
