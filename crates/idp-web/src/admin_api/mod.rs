//! The admin REST API (Keycloak's paths and representations where they exist), by resource;
//! this module only routes. Every handler takes an [`ApiCaller`].

use crate::admin_api::clients::{
    assign, client_access, convert, create_client, create_mapper, delete_mapper, get_client,
    get_mapper, list_clients, list_mappers, set_access, unassign, update_client,
};
use crate::admin_api::groups::{create_group, join_group, list_groups, user_groups};
use crate::admin_api::realms::{
    create_realm, events, get_policy, get_realm, keys, list_realms, put_policy,
};
use crate::admin_api::roles::{
    add_role_mappings, create_role, delete_role, get_role, list_roles, remove_role_mappings,
    role_mappings,
};
use crate::admin_api::users::{
    clear_credential_flag, create_user, credentials, delete_credential, get_required_actions,
    get_user, list_users, put_required_actions, put_user, registration_link, reset_credentials,
    reset_password,
};
use axum::Router;
use axum::routing::{get, post, put};
use symbolon_store::IdpStore;

mod changes;
mod clients;
mod common;
mod groups;
mod provisioning;
mod realms;
mod roles;
mod tokens;
mod users;

pub use common::{ApiCaller, ApiError};
pub use realms::RealmRep;

/// The `/admin` routes.
pub fn routes<S: IdpStore>() -> Router<crate::state::AppState<S>> {
    Router::new()
        .route(
            "/admin/realms",
            get(list_realms::<S>).post(create_realm::<S>),
        )
        .route(
            "/admin/realms/{realm}",
            get(get_realm::<S>)
                .put(changes::put_realm::<S>)
                .delete(changes::delete_realm::<S>),
        )
        .route(
            "/admin/realms/{realm}/users",
            get(list_users::<S>).post(create_user::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}",
            get(get_user::<S>)
                .put(put_user::<S>)
                .delete(changes::delete_user::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/reset-password",
            put(reset_password::<S>),
        )
        .route(
            "/admin/realms/{realm}/authentication-policy",
            get(get_policy::<S>).put(put_policy::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/credentials",
            get(credentials::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/credentials/{cred}",
            axum::routing::delete(delete_credential::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/credentials/{cred}/clear-flag",
            post(clear_credential_flag::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/reset-credentials",
            post(reset_credentials::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/required-actions",
            get(get_required_actions::<S>).put(put_required_actions::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/registration-link",
            post(registration_link::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients",
            get(list_clients::<S>).post(create_client::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients/{id}",
            get(get_client::<S>)
                .put(update_client::<S>)
                .delete(changes::delete_client::<S>),
        )
        .route(
            "/admin/realms/{realm}/client-description-converter",
            post(convert::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients/{id}/provisioning",
            get(provisioning::get_provisioning::<S>)
                .put(provisioning::put_provisioning::<S>)
                .delete(provisioning::delete_provisioning::<S>),
        )
        .route("/admin/realms/{realm}/keys", get(keys::<S>))
        .route(
            "/admin/realms/{realm}/groups",
            get(list_groups::<S>).post(create_group::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/groups",
            get(user_groups::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/groups/{group}",
            put(join_group::<S>).delete(changes::leave_group::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients/{id}/access",
            get(client_access::<S>).put(set_access::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients/{id}/access/{kind}/{subject}",
            put(assign::<S>).delete(unassign::<S>),
        )
        .route(
            "/admin/realms/{realm}/roles",
            get(list_roles::<S>).post(create_role::<S>),
        )
        .route(
            "/admin/realms/{realm}/roles/{name}",
            get(get_role::<S>)
                .put(changes::put_role::<S>)
                .delete(delete_role::<S>),
        )
        .route(
            "/admin/realms/{realm}/{kind}/{id}/role-mappings/realm",
            get(role_mappings::<S>)
                .post(add_role_mappings::<S>)
                .delete(remove_role_mappings::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients/{id}/protocol-mappers/models",
            get(list_mappers::<S>).post(create_mapper::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients/{id}/protocol-mappers/models/{name}",
            get(get_mapper::<S>)
                .put(changes::put_mapper::<S>)
                .delete(delete_mapper::<S>),
        )
        .route("/admin/realms/{realm}/events", get(events::<S>))
        .route(
            "/admin/realms/{realm}/groups/{id}",
            put(changes::put_group::<S>).delete(changes::delete_group::<S>),
        )
        .route(
            "/admin/realms/{realm}/groups/{id}/members",
            get(changes::group_members::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/sessions",
            get(changes::user_sessions::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/logout",
            post(changes::logout_user::<S>),
        )
        .route(
            "/admin/realms/{realm}/sessions/{session}",
            axum::routing::delete(changes::delete_session::<S>),
        )
        .route(
            "/admin/tokens",
            get(tokens::list_tokens::<S>).post(tokens::create_token::<S>),
        )
        .route(
            "/admin/tokens/{id}",
            axum::routing::delete(tokens::revoke_token::<S>),
        )
}
