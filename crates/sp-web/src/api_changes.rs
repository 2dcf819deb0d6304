//! Day-2 changes through the SP's REST API: rename the account; rename and delete custom roles;
//! change and remove identity providers and their group mappings; change and remove SAML
//! accounts; list and remove native users. Each change goes through the domain (so it is in
//! the audit log, and nothing is recorded when nothing changed) and answers 204, or 404 when
//! the object is not in the caller's account.

use crate::api::{ApiKey, ApiResult, IdpView, idp_json, idp_of};
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, put};
use serde::{Deserialize, Serialize};
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

pub(crate) fn routes<S: SpStore>() -> Router<AppState<S>> {
    Router::new()
        .route("/api/v1/account/name", put(rename_account::<S>))
        .route(
            "/api/v1/roles/{name}",
            patch(rename_role::<S>).delete(delete_role::<S>),
        )
        .route(
            "/api/v1/identity-providers/{id}",
            get(idp::<S>).patch(edit_idp::<S>).delete(delete_idp::<S>),
        )
        .route(
            "/api/v1/identity-providers/{id}/mappings/{group}",
            put(remap::<S>).delete(unmap::<S>),
        )
        .route(
            "/api/v1/saml-accounts/{name}",
            patch(edit_saml_account::<S>).delete(remove_saml_account::<S>),
        )
        .route("/api/v1/users", get(users::<S>))
        .route(
            "/api/v1/users/{email}",
            axum::routing::delete(remove_user::<S>),
        )
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NameOnly {
    name: String,
}

#[utoipa::path(put, path = "/api/v1/account/name", tag = "Account", request_body = NameOnly,
    responses((status = 204, description = "Renamed.")))]
pub(crate) async fn rename_account<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<NameOnly>,
) -> ApiResult<StatusCode> {
    symbolon_sp::rename_account(&st.store, &actor, &account, &rep.name, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(patch, path = "/api/v1/roles/{name}", tag = "Roles", request_body = NameOnly,
    responses((status = 204, description = "Renamed.")))]
pub(crate) async fn rename_role<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    Path(name): Path<String>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<NameOnly>,
) -> ApiResult<StatusCode> {
    symbolon_sp::rename_role(&st.store, &actor, &account, &name, &rep.name, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/roles/{name}", tag = "Roles",
    responses((status = 204, description = "Deleted.")))]
pub(crate) async fn delete_role<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    symbolon_sp::delete_role(&st.store, &actor, &account, &name, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/identity-providers/{id}", tag = "Identity providers",
    responses((status = 200, description = "The identity provider.", body = IdpView)))]
pub(crate) async fn idp<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, .. }: ApiKey,
    Path(id): Path<String>,
) -> ApiResult<Json<IdpView>> {
    Ok(Json(idp_json(&idp_of(&st, &account, &id).await?, now())))
}

/// Every field is optional: what is absent stays as it is. `metadata` replaces the IdP's
/// metadata (a certificate rollover); the profile and mappings stay.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct IdpPatch {
    name: Option<String>,
    description: Option<String>,
    metadata: Option<String>,
    name_attribute: Option<String>,
    locale_attribute: Option<String>,
    timezone_attribute: Option<String>,
    role_attribute: Option<String>,
    sp_initiated: Option<bool>,
    allow_cbc: Option<bool>,
}

#[utoipa::path(patch, path = "/api/v1/identity-providers/{id}", tag = "Identity providers", request_body = IdpPatch,
    responses((status = 200, description = "Changed.", body = IdpView)))]
pub(crate) async fn edit_idp<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    Path(id): Path<String>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<IdpPatch>,
) -> ApiResult<Json<IdpView>> {
    let t = now();
    let mut c = idp_of(&st, &account, &id).await?;
    if let Some(xml) = &rep.metadata {
        symbolon_sp::replace_idp_metadata(
            &st.store,
            &actor,
            &account,
            &c.name,
            xml.trim().as_bytes(),
            t,
        )
        .await?;
    }
    if rep.name.is_some() || rep.description.is_some() {
        let name = rep.name.clone().unwrap_or_else(|| c.name.clone());
        let description = rep.description.clone().or_else(|| c.description.clone());
        c = symbolon_sp::rename_idp(
            &st.store,
            &actor,
            &account,
            &c.name,
            &name,
            description.as_deref(),
            t,
        )
        .await?;
    }
    let keep = |new: Option<String>, old: &Option<String>| new.or_else(|| old.clone());
    let profile = symbolon_sp::MappingProfile {
        name: keep(rep.name_attribute, &c.name_attribute),
        locale: keep(rep.locale_attribute, &c.locale_attribute),
        timezone: keep(rep.timezone_attribute, &c.timezone_attribute),
        role: keep(rep.role_attribute, &c.role_attribute),
        sp_initiated: rep.sp_initiated.unwrap_or(c.sp_initiated),
        allow_cbc: rep.allow_cbc.unwrap_or(c.allow_cbc),
    };
    symbolon_sp::set_profile(&st.store, &actor, &account, &c.name, &profile, t).await?;
    Ok(Json(idp_json(&idp_of(&st, &account, &id).await?, t)))
}

#[utoipa::path(delete, path = "/api/v1/identity-providers/{id}", tag = "Identity providers",
    responses((status = 204, description = "Removed, with its mappings.")))]
pub(crate) async fn delete_idp<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let c = idp_of(&st, &account, &id).await?;
    symbolon_sp::delete_idp(&st.store, &actor, &account, &c.name, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleOnly {
    role: String,
}

/// Point a mapped group at another role. The group is the last path segment, percent-encoded
/// (`/eng` is `%2Feng`).
#[utoipa::path(put, path = "/api/v1/identity-providers/{id}/mappings/{group}", tag = "Identity providers", request_body = RoleOnly,
    responses((status = 204, description = "Remapped.")))]
pub(crate) async fn remap<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    Path((id, group)): Path<(String, String)>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<RoleOnly>,
) -> ApiResult<StatusCode> {
    let c = idp_of(&st, &account, &id).await?;
    symbolon_sp::remap_group(
        &st.store,
        &actor,
        &account,
        &c.name,
        &group,
        &rep.role,
        now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/identity-providers/{id}/mappings/{group}", tag = "Identity providers",
    responses((status = 204, description = "Unmapped.")))]
pub(crate) async fn unmap<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    Path((id, group)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let c = idp_of(&st, &account, &id).await?;
    symbolon_sp::unmap_group(&st.store, &actor, &account, &c.name, &group, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SamlAccountPatch {
    role: Option<String>,
    description: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/saml-accounts/{name}", tag = "SAML accounts",
    request_body = SamlAccountPatch, responses((status = 204, description = "Changed.")))]
pub(crate) async fn edit_saml_account<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    Path(name): Path<String>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<SamlAccountPatch>,
) -> ApiResult<StatusCode> {
    symbolon_sp::edit_saml_account(
        &st.store,
        &actor,
        &account,
        &name,
        rep.role.as_deref(),
        rep.description.as_deref(),
        now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/saml-accounts/{name}", tag = "SAML accounts",
    responses((status = 204, description = "Removed.")))]
pub(crate) async fn remove_saml_account<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    symbolon_sp::remove_saml_account(&st.store, &actor, &account, &name, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A native user of the account (signs in with a password).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserView {
    id: String,
    email: String,
    display_name: Option<String>,
    /// A master administrator.
    master: bool,
    role: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "Users",
    responses((status = 200, description = "The account's native users.", body = [UserView])))]
pub(crate) async fn users<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, .. }: ApiKey,
) -> ApiResult<Json<Vec<UserView>>> {
    let roles = st.store.account_roles(&account).await?;
    Ok(Json(
        symbolon_sp::native_users(&st.store, &account)
            .await?
            .into_iter()
            .map(|u| UserView {
                role: u
                    .role_id
                    .as_ref()
                    .and_then(|id| roles.iter().find(|r| &r.id == id))
                    .map(|r| r.name.clone()),
                id: u.id,
                email: u.email,
                display_name: u.display_name,
                master: u.master,
            })
            .collect(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/users/{email}", tag = "Users",
    responses((status = 204, description = "Removed.")))]
pub(crate) async fn remove_user<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    Path(email): Path<String>,
) -> ApiResult<StatusCode> {
    symbolon_sp::remove_native_user(&st.store, &actor, &account, &email, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
