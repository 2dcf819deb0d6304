//! `/admin/realms/{realm}/roles` and role mappings of users and groups.

use crate::admin_api::clients::subject;
use crate::admin_api::common::{ApiCaller, ApiError, ApiResult, St, created};
use crate::admin_api::groups::find_group;
use crate::admin_api::realms::realm_exists;
use crate::admin_api::users::find_user;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use symbolon_idp::Actor;
use symbolon_store::IdpStore;
use symbolon_web::error::Kind;
use time::OffsetDateTime;

/// `RoleRepresentation` (realm roles).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleRep {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

pub(crate) fn role_rep(r: &symbolon_store::Role) -> RoleRep {
    RoleRep {
        id: Some(r.id.clone()),
        name: r.name.clone(),
        description: r.description.clone(),
    }
}

#[utoipa::path(get, path = "/admin/realms/{realm}/roles", tag = "Roles",
    responses((status = 200, description = "The realm's roles.", body = [RoleRep])))]
pub(crate) async fn list_roles<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path(realm): Path<String>,
) -> ApiResult<Json<Vec<RoleRep>>> {
    realm_exists(&st, &realm).await?;
    Ok(Json(
        st.store()
            .roles(&realm)
            .await?
            .iter()
            .map(role_rep)
            .collect(),
    ))
}

pub(crate) async fn find_role<S: IdpStore>(
    st: &crate::state::AppState<S>,
    realm: &str,
    name: &str,
) -> ApiResult<symbolon_store::Role> {
    realm_exists(st, realm).await?;
    st.store()
        .roles(realm)
        .await?
        .into_iter()
        .find(|r| r.name == name)
        .ok_or_else(|| ApiError::new(Kind::NotFound, format!("role {name:?} not found")))
}

#[utoipa::path(get, path = "/admin/realms/{realm}/roles/{name}", tag = "Roles",
    responses((status = 200, description = "The role.", body = RoleRep)))]
pub(crate) async fn get_role<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path((realm, name)): Path<(String, String)>,
) -> ApiResult<Json<RoleRep>> {
    Ok(Json(role_rep(&find_role(&st, &realm, &name).await?)))
}

#[utoipa::path(post, path = "/admin/realms/{realm}/roles", tag = "Roles", request_body = RoleRep,
    responses((status = 201, description = "Created; `Location` names the role.")))]
pub(crate) async fn create_role<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(realm): Path<String>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<RoleRep>,
) -> ApiResult<Response> {
    let r = symbolon_idp::roles::add_role(
        st.store(),
        &actor,
        &realm,
        &rep.name,
        rep.description.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(created(format!("/admin/realms/{realm}/roles/{}", r.name)))
}

#[utoipa::path(delete, path = "/admin/realms/{realm}/roles/{name}", tag = "Roles",
    responses((status = 204, description = "Removed, with its grants.")))]
pub(crate) async fn delete_role<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    find_role(&st, &realm, &name).await?;
    symbolon_idp::roles::delete_role(st.store(), &actor, &realm, &name, OffsetDateTime::now_utc())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The realm roles granted directly to a user or a group (`kind` is `users` or `groups`).
#[utoipa::path(get, path = "/admin/realms/{realm}/{kind}/{id}/role-mappings/realm", tag = "Roles",
    responses((status = 200, description = "The realm roles granted directly.", body = [RoleRep])))]
pub(crate) async fn role_mappings<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path((realm, kind, id)): Path<(String, String, String)>,
) -> ApiResult<Json<Vec<RoleRep>>> {
    realm_exists(&st, &realm).await?;
    let holder = match kind.as_str() {
        "users" => symbolon_store::Assignment::User(find_user(&st, &realm, &id).await?.id),
        "groups" => symbolon_store::Assignment::Group(find_group(&st, &realm, &id).await?.id),
        _ => {
            return Err(ApiError::new(
                Kind::NotFound,
                format!("no such role holder kind {kind:?} (users or groups)"),
            ));
        }
    };
    let names: Vec<String> = st
        .store()
        .role_grants(&realm)
        .await?
        .into_iter()
        .filter(|(_, a)| *a == holder)
        .map(|(n, _)| n)
        .collect();
    Ok(Json(
        st.store()
            .roles(&realm)
            .await?
            .iter()
            .filter(|r| names.contains(&r.name))
            .map(role_rep)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/admin/realms/{realm}/{kind}/{id}/role-mappings/realm", tag = "Roles", request_body = Vec<RoleRep>,
    responses((status = 204, description = "Granted.")))]
pub(crate) async fn add_role_mappings<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(p): Path<(String, String, String)>,
    Json(reps): Json<Vec<RoleRep>>,
) -> ApiResult<StatusCode> {
    change_role_mappings(&st, &actor, p, reps, true).await
}

#[utoipa::path(delete, path = "/admin/realms/{realm}/{kind}/{id}/role-mappings/realm", tag = "Roles", request_body = Vec<RoleRep>,
    responses((status = 204, description = "Revoked.")))]
pub(crate) async fn remove_role_mappings<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(p): Path<(String, String, String)>,
    Json(reps): Json<Vec<RoleRep>>,
) -> ApiResult<StatusCode> {
    change_role_mappings(&st, &actor, p, reps, false).await
}

/// Grant (`true`) or revoke realm roles for a user or a group. Every role is checked before
/// any change is made.
pub(crate) async fn change_role_mappings<S: IdpStore>(
    st: &crate::state::AppState<S>,
    actor: &Actor,
    (realm, kind, id): (String, String, String),
    reps: Vec<RoleRep>,
    grant: bool,
) -> ApiResult<StatusCode> {
    let who = subject(st, &realm, &kind, &id).await?;
    for r in &reps {
        find_role(st, &realm, &r.name).await?;
    }
    for r in &reps {
        symbolon_idp::roles::grant_role(
            st.store(),
            actor,
            &realm,
            &r.name,
            &who,
            grant,
            OffsetDateTime::now_utc(),
        )
        .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
