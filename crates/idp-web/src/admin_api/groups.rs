//! `/admin/realms/{realm}/groups` and group membership.

use crate::admin_api::common::{ApiCaller, ApiError, ApiResult, St, created};
use crate::admin_api::realms::realm_exists;
use crate::admin_api::users::find_user;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use symbolon_store::IdpStore;
use symbolon_web::error::Kind;
use time::OffsetDateTime;

/// `GroupRepresentation`: `id`, `name` (last segment), `path` (full).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GroupRep {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
}

pub(crate) fn group_rep(g: &symbolon_store::Group) -> GroupRep {
    GroupRep {
        id: Some(g.id.clone()),
        name: g.path.rsplit('/').next().map(str::to_string),
        path: Some(g.path.clone()),
    }
}

#[utoipa::path(get, path = "/admin/realms/{realm}/groups", tag = "Groups",
    responses((status = 200, description = "The realm's groups.", body = [GroupRep])))]
pub(crate) async fn list_groups<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path(realm): Path<String>,
) -> ApiResult<Json<Vec<GroupRep>>> {
    realm_exists(&st, &realm).await?;
    Ok(Json(
        st.store()
            .groups(&realm)
            .await?
            .iter()
            .map(group_rep)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/admin/realms/{realm}/groups", tag = "Groups", request_body = GroupRep,
    responses((status = 201, description = "Created; `Location` names the group.")))]
pub(crate) async fn create_group<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(realm): Path<String>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<GroupRep>,
) -> ApiResult<Response> {
    let path = rep
        .path
        .or(rep.name.map(|n| format!("/{n}")))
        .ok_or_else(|| ApiError::new(Kind::Invalid, "a group needs a path or a name"))?;
    let g = symbolon_idp::add_group(st.store(), &actor, &realm, &path, OffsetDateTime::now_utc())
        .await?;
    Ok(created(format!("/admin/realms/{realm}/groups/{}", g.id)))
}

pub(crate) async fn find_group<S: IdpStore>(
    st: &crate::state::AppState<S>,
    realm: &str,
    id: &str,
) -> ApiResult<symbolon_store::Group> {
    st.store()
        .groups(realm)
        .await?
        .into_iter()
        .find(|g| g.id == id)
        .ok_or_else(|| ApiError::new(Kind::NotFound, format!("group {id:?} not found")))
}

#[utoipa::path(get, path = "/admin/realms/{realm}/users/{id}/groups", tag = "Groups",
    responses((status = 200, description = "The user's groups.", body = [GroupRep])))]
pub(crate) async fn user_groups<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<GroupRep>>> {
    let u = find_user(&st, &realm, &id).await?;
    Ok(Json(
        st.store()
            .user_groups(&u.id)
            .await?
            .iter()
            .map(group_rep)
            .collect(),
    ))
}

#[utoipa::path(put, path = "/admin/realms/{realm}/users/{id}/groups/{group}", tag = "Groups",
    responses((status = 204, description = "The user is a member.")))]
pub(crate) async fn join_group<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id, group)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let u = find_user(&st, &realm, &id).await?;
    let g = find_group(&st, &realm, &group).await?;
    symbolon_idp::join_group(
        st.store(),
        &actor,
        &realm,
        &u.username,
        &g.path,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
