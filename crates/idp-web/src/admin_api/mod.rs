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
mod client_keys;
mod clients;
mod common;
mod groups;
mod portable;
mod provisioning;
mod realms;
mod roles;
mod tokens;
mod users;

pub use common::{ApiCaller, ApiError};
pub use realms::RealmRep;

/// The admin API's OpenAPI document: generated from the handlers' annotations and types,
/// completed with what every operation shares (path parameters, error answers, the bearer
/// scheme). Served at `/admin/openapi.json`; `docs/openapi/idp-admin.json` is a copy kept
/// current by a test.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Symbolon identity provider admin API",
        description = "Realms, users, clients, groups, roles and tokens, in Keycloak's \
                       representations where Keycloak has them. Errors are \
                       `{\"error\", \"error_description\"}`."
    ),
    paths(
        realms::list_realms,
        realms::create_realm,
        realms::get_realm,
        changes::put_realm,
        changes::delete_realm,
        realms::keys,
        realms::events,
        realms::get_policy,
        realms::put_policy,
        portable::partial_export,
        portable::partial_import,
        users::list_users,
        users::create_user,
        users::get_user,
        users::put_user,
        changes::delete_user,
        users::reset_password,
        users::get_required_actions,
        users::put_required_actions,
        users::registration_link,
        users::credentials,
        users::delete_credential,
        users::clear_credential_flag,
        users::reset_credentials,
        changes::user_sessions,
        changes::logout_user,
        changes::delete_session,
        clients::list_clients,
        clients::create_client,
        client_keys::list_client_keys,
        client_keys::add_client_key,
        client_keys::promote_client_key,
        client_keys::retire_client_key,
        client_keys::remove_client_key,
        clients::get_client,
        clients::update_client,
        changes::delete_client,
        clients::convert,
        clients::client_access,
        clients::set_access,
        clients::assign,
        clients::unassign,
        provisioning::get_provisioning,
        provisioning::put_provisioning,
        provisioning::delete_provisioning,
        clients::list_mappers,
        clients::create_mapper,
        clients::get_mapper,
        changes::put_mapper,
        clients::delete_mapper,
        groups::list_groups,
        groups::create_group,
        changes::put_group,
        changes::delete_group,
        changes::group_members,
        groups::user_groups,
        groups::join_group,
        changes::leave_group,
        roles::list_roles,
        roles::create_role,
        roles::get_role,
        changes::put_role,
        roles::delete_role,
        roles::role_mappings,
        roles::add_role_mappings,
        roles::remove_role_mappings,
        tokens::list_tokens,
        tokens::create_token,
        tokens::revoke_token,
    )
)]
struct ApiDoc;

/// Path parameters, described once.
const PATH_PARAMS: &[symbolon_web::openapi::PathParam] = &[
    param("realm", "The realm's URL name.", &[]),
    param(
        "id",
        "The object's ID (a user, client, group or token, by the path).",
        &[],
    ),
    param("cred", "`otp`, or a passkey's ID.", &[]),
    param("group", "The group's ID.", &[]),
    param("name", "The object's name.", &[]),
    param("session", "The SSO session's ID.", &[]),
    param("kind", "Users or groups.", &["users", "groups"]),
    param("subject", "The user's or group's ID.", &[]),
    param("kid", "The key's ID.", &[]),
];

const fn param(
    name: &'static str,
    description: &'static str,
    values: &'static [&'static str],
) -> symbolon_web::openapi::PathParam {
    symbolon_web::openapi::PathParam {
        name,
        description,
        values,
    }
}

/// The admin API's OpenAPI 3.1 document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = <ApiDoc as utoipa::OpenApi>::openapi();
    symbolon_web::openapi::complete(&mut doc, true, PATH_PARAMS);
    doc
}

/// The document as pretty JSON, made once.
pub fn openapi_json() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    symbolon_web::openapi::pretty_once(&DOC, openapi)
}

/// The `/admin` routes.
pub fn routes<S: IdpStore>() -> Router<crate::state::AppState<S>> {
    api_routes::<S>()
        .route_layer(axum::middleware::from_fn(
            symbolon_web::openapi::json_errors,
        ))
        .route(
            "/admin/openapi.json",
            get(|| async { symbolon_web::openapi::serve_json(openapi_json()) }),
        )
}

fn api_routes<S: IdpStore>() -> Router<crate::state::AppState<S>> {
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
            "/admin/realms/{realm}/partial-export",
            post(portable::partial_export::<S>),
        )
        .route(
            "/admin/realms/{realm}/partialImport",
            post(portable::partial_import::<S>),
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
            "/admin/realms/{realm}/clients/{id}/keys",
            get(client_keys::list_client_keys::<S>).post(client_keys::add_client_key::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients/{id}/keys/{kid}",
            axum::routing::delete(client_keys::remove_client_key::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients/{id}/keys/{kid}/promote",
            post(client_keys::promote_client_key::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients/{id}/keys/{kid}/retire",
            post(client_keys::retire_client_key::<S>),
        )
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

#[cfg(test)]
mod tests {
    #[test]
    fn openapi_copy_in_docs_is_current() {
        let doc = super::openapi_json();
        assert!(doc.contains("\"openapi\": \"3.1"));
        let r = symbolon_web::openapi::check_copy(
            env!("CARGO_MANIFEST_DIR"),
            "docs/openapi/idp-admin.json",
            doc,
        );
        assert!(r.is_ok(), "{r:?}");
    }
}
