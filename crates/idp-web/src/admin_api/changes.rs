//! Day-2 changes through the admin REST API, in Keycloak's shapes: update and delete a realm;
//! delete a user, take them out of a group, list and end their sessions; rename, move, list
//! the members of and delete a group; delete a client; end one session.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use symbolon_store::IdpStore;
use symbolon_web::error::Kind;
use time::OffsetDateTime;

use crate::admin_api::clients::find_client;
use crate::admin_api::common::{ApiCaller, ApiError, ApiResult, St, millis};
use crate::admin_api::groups::find_group;
use crate::admin_api::users::find_user;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// `RealmRepresentation` fields an update may carry; absent fields stay.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RealmUpdate {
    #[serde(default)]
    realm: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    access_code_lifespan: Option<i64>,
}

#[utoipa::path(put, path = "/admin/realms/{realm}", tag = "Realms", request_body = RealmUpdate,
    responses((status = 204, description = "Updated.")))]
pub(crate) async fn put_realm<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(realm): Path<String>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<RealmUpdate>,
) -> ApiResult<StatusCode> {
    if rep.realm.as_deref().is_some_and(|r| r != realm) {
        return Err(ApiError::new(
            Kind::Invalid,
            "a realm cannot be renamed (its name is in every URL and entity ID)",
        ));
    }
    let change = symbolon_idp::RealmChange {
        display_name: rep.display_name,
        enabled: rep.enabled,
        assertion_lifespan_secs: rep.access_code_lifespan,
    };
    symbolon_idp::update_realm(st.store(), &actor, &realm, &change, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/admin/realms/{realm}", tag = "Realms",
    responses((status = 204, description = "Removed, with everything in it.")))]
pub(crate) async fn delete_realm<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(realm): Path<String>,
) -> ApiResult<StatusCode> {
    symbolon_idp::delete_realm(st.store(), &actor, &realm, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/admin/realms/{realm}/users/{id}", tag = "Users",
    responses((status = 204, description = "Removed.")))]
pub(crate) async fn delete_user<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let u = find_user(&st, &realm, &id).await?;
    symbolon_idp::delete_user(st.store(), &actor, &realm, &u.username, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/admin/realms/{realm}/users/{id}/groups/{group}", tag = "Groups",
    responses((status = 204, description = "The user is no longer a member.")))]
pub(crate) async fn leave_group<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id, group)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let u = find_user(&st, &realm, &id).await?;
    let g = find_group(&st, &realm, &group).await?;
    symbolon_idp::leave_group(st.store(), &actor, &realm, &u.username, &g.path, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `UserSessionRepresentation`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SessionRep {
    id: String,
    username: String,
    user_id: String,
    start: i64,
    last_access: Option<i64>,
    /// Entity IDs of the clients reached (Keycloak: client ID -> name).
    clients: std::collections::BTreeMap<String, String>,
    method: String,
}

fn session_rep(v: symbolon_idp::sessions::SessionView) -> SessionRep {
    SessionRep {
        id: v.handle,
        username: v.username,
        user_id: v.user_id,
        start: millis(v.started),
        last_access: v.last_used.map(millis),
        clients: v.clients.into_iter().map(|c| (c.clone(), c)).collect(),
        method: v.method,
    }
}

#[utoipa::path(get, path = "/admin/realms/{realm}/users/{id}/sessions", tag = "Sessions",
    responses((status = 200, description = "The user's SSO sessions.", body = [SessionRep])))]
pub(crate) async fn user_sessions<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<SessionRep>>> {
    let u = find_user(&st, &realm, &id).await?;
    let list = symbolon_idp::list_sessions(st.store(), &realm, Some(&u.username), now()).await?;
    Ok(Json(list.into_iter().map(session_rep).collect()))
}

#[utoipa::path(post, path = "/admin/realms/{realm}/users/{id}/logout", tag = "Sessions",
    responses((status = 204, description = "Every session of the user is ended.")))]
pub(crate) async fn logout_user<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let u = find_user(&st, &realm, &id).await?;
    symbolon_idp::revoke_user_sessions(st.store(), &actor, &realm, &u.username, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/admin/realms/{realm}/sessions/{session}", tag = "Sessions",
    responses((status = 204, description = "Ended.")))]
pub(crate) async fn delete_session<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, session)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    symbolon_idp::revoke_session(st.store(), &actor, &realm, &session, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GroupRepresentation` fields an update may carry: a new `name` (the last segment) or a new
/// full `path` (a move).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct GroupUpdate {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    path: Option<String>,
}

#[utoipa::path(put, path = "/admin/realms/{realm}/groups/{id}", tag = "Groups", request_body = GroupUpdate,
    responses((status = 204, description = "Renamed or moved.")))]
pub(crate) async fn put_group<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<GroupUpdate>,
) -> ApiResult<StatusCode> {
    let g = find_group(&st, &realm, &id).await?;
    let new_path = match (rep.path, rep.name) {
        (Some(p), _) => p,
        (None, Some(n)) => {
            let parent = g.path.rsplit_once('/').map_or("", |(p, _)| p);
            format!("{parent}/{}", n.trim())
        }
        (None, None) => return Ok(StatusCode::NO_CONTENT),
    };
    symbolon_idp::move_group(st.store(), &actor, &realm, &g.path, &new_path, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/admin/realms/{realm}/groups/{id}", tag = "Groups",
    responses((status = 204, description = "Removed.")))]
pub(crate) async fn delete_group<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let g = find_group(&st, &realm, &id).await?;
    symbolon_idp::delete_group(st.store(), &actor, &realm, &g.path, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A member, as Keycloak lists group members (`UserRepresentation`, brief).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MemberRep {
    id: String,
    username: String,
    email: Option<String>,
    enabled: bool,
}

#[utoipa::path(get, path = "/admin/realms/{realm}/groups/{id}/members", tag = "Groups",
    responses((status = 200, description = "The group's members.", body = [MemberRep])))]
pub(crate) async fn group_members<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<MemberRep>>> {
    let g = find_group(&st, &realm, &id).await?;
    let members = symbolon_idp::group_members(st.store(), &realm, &g.path).await?;
    Ok(Json(
        members
            .into_iter()
            .map(|u| MemberRep {
                id: u.id,
                username: u.username,
                email: u.email,
                enabled: u.enabled,
            })
            .collect(),
    ))
}

#[utoipa::path(delete, path = "/admin/realms/{realm}/clients/{id}", tag = "Clients",
    responses((status = 204, description = "Removed.")))]
pub(crate) async fn delete_client<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let c = find_client(&st, &realm, &id).await?;
    symbolon_idp::delete_client(st.store(), &actor, &realm, &c.client_id, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT .../protocol-mappers/models/{name}`: change a mapper (Keycloak's update).
#[utoipa::path(put, path = "/admin/realms/{realm}/clients/{id}/protocol-mappers/models/{name}", tag = "Protocol mappers", request_body = crate::admin_api::clients::MapperRep,
    responses((status = 204, description = "Updated.")))]
pub(crate) async fn put_mapper<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id, name)): Path<(String, String, String)>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<
        crate::admin_api::clients::MapperRep,
    >,
) -> ApiResult<StatusCode> {
    let c = find_client(&st, &realm, &id).await?;
    let m = crate::admin_api::clients::mapper_from_rep(&rep)?;
    symbolon_idp::roles::edit_mapper(st.store(), &actor, &realm, &c.client_id, &name, m, now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `RoleRepresentation` fields an update may carry.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct RoleUpdate {
    name: String,
}

/// `PUT /admin/realms/{realm}/roles/{name}`: rename a role (its grants stay).
#[utoipa::path(put, path = "/admin/realms/{realm}/roles/{name}", tag = "Roles", request_body = RoleUpdate,
    responses((status = 204, description = "Renamed.")))]
pub(crate) async fn put_role<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, name)): Path<(String, String)>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<RoleUpdate>,
) -> ApiResult<StatusCode> {
    symbolon_idp::roles::rename_role(st.store(), &actor, &realm, &name, &rep.name, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
