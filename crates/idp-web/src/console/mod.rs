//! The admin console, by resource; this module only routes.

use crate::console::clients::{client_page, clients, import, import_form, save_client};
use crate::console::common::css;
use crate::console::groups::{add_group, groups};
use crate::console::keys::{add_next_key, confirm_retire, keys, promote_key, retire_key};
use crate::console::session::{login, login_form, logout, realms};
use crate::console::settings::{events, set_policy, settings};
use crate::console::users::{add_user, user_action, user_page, users};
use crate::state::AppState;
use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};
use symbolon_store::IdpStore;
mod access;
mod branding;
mod client_keys;
mod client_lifecycle;
mod clients;
pub(crate) mod common;
mod groups;
mod keys;
mod portable;
mod provisioning;
mod realm_lifecycle;
mod session;
mod sessions;
mod settings;
mod tokens;
mod users;
mod webhooks;

pub use common::MASTER_REALM;

pub fn routes<S: IdpStore>() -> Router<AppState<S>> {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/console/") }))
        .route("/admin/", get(|| async { Redirect::to("/admin/console/") }))
        .route("/admin/login", get(login_form::<S>).post(login::<S>))
        .route("/admin/logout", post(logout::<S>))
        .route("/resources/console.css", get(css))
        .route("/resources/copy.js", get(symbolon_web::page::copy_script))
        .route(
            "/admin/console/",
            get(realms::<S>).post(crate::console::realm_lifecycle::create_realm::<S>),
        )
        .route(
            "/admin/console/{realm}/settings/general",
            post(crate::console::realm_lifecycle::general::<S>),
        )
        .route(
            "/admin/console/{realm}/settings/branding",
            get(branding::branding::<S>).post(branding::save::<S>),
        )
        .route(
            "/admin/console/{realm}/settings/export",
            get(portable::export::<S>),
        )
        .route(
            "/admin/console/{realm}/settings/import",
            get(portable::import_form::<S>).post(portable::import::<S>),
        )
        .route(
            "/admin/console/{realm}/webhooks",
            get(webhooks::webhooks::<S>).post(webhooks::add::<S>),
        )
        .route(
            "/admin/console/{realm}/webhooks/{id}/test",
            post(webhooks::test::<S>),
        )
        .route(
            "/admin/console/{realm}/webhooks/{id}/remove",
            get(webhooks::confirm_remove::<S>).post(webhooks::remove::<S>),
        )
        .route(
            "/admin/console/{realm}/settings/delete",
            post(crate::console::realm_lifecycle::delete::<S>),
        )
        .route(
            "/admin/console/tokens",
            get(tokens::tokens::<S>).post(tokens::create::<S>),
        )
        .route(
            "/admin/console/tokens/{id}/revoke",
            get(tokens::confirm_revoke::<S>).post(tokens::revoke::<S>),
        )
        .route("/admin/console/{realm}/clients", get(clients::<S>))
        .route(
            "/admin/console/{realm}/clients/import",
            get(import_form::<S>).post(import::<S>),
        )
        .route(
            "/admin/console/{realm}/clients/{id}",
            get(client_page::<S>).post(save_client::<S>),
        )
        .route(
            "/admin/console/{realm}/clients/{id}/lifecycle",
            post(crate::console::client_lifecycle::client_lifecycle::<S>),
        )
        .route(
            "/admin/console/{realm}/settings",
            get(settings::<S>).post(set_policy::<S>),
        )
        .route(
            "/admin/console/{realm}/clients/{id}/keys",
            get(client_keys::keys::<S>),
        )
        .route(
            "/admin/console/{realm}/clients/{id}/keys/next",
            post(client_keys::add_next::<S>),
        )
        .route(
            "/admin/console/{realm}/clients/{id}/keys/{kid}/promote",
            post(client_keys::promote_key::<S>),
        )
        .route(
            "/admin/console/{realm}/clients/{id}/keys/{kid}/retire",
            get(client_keys::confirm_retire::<S>).post(client_keys::retire_key::<S>),
        )
        .route(
            "/admin/console/{realm}/clients/{id}/keys/{kid}/remove",
            get(client_keys::confirm_remove::<S>).post(client_keys::remove_key::<S>),
        )
        .route("/admin/console/{realm}/keys", get(keys::<S>))
        .route("/admin/console/{realm}/keys/next", post(add_next_key::<S>))
        .route(
            "/admin/console/{realm}/keys/{kid}/promote",
            post(promote_key::<S>),
        )
        .route(
            "/admin/console/{realm}/keys/{kid}/retire",
            get(confirm_retire::<S>).post(retire_key::<S>),
        )
        .route(
            "/admin/console/{realm}/users",
            get(users::<S>).post(add_user::<S>),
        )
        .route(
            "/admin/console/{realm}/users/{username}",
            get(user_page::<S>).post(user_action::<S>),
        )
        .route(
            "/admin/console/{realm}/groups",
            get(groups::<S>).post(add_group::<S>),
        )
        .route(
            "/admin/console/{realm}/groups/action",
            post(crate::console::groups::group_action::<S>),
        )
        .route(
            "/admin/console/{realm}/sessions",
            get(crate::console::sessions::sessions::<S>)
                .post(crate::console::sessions::session_action::<S>),
        )
        .route("/admin/console/{realm}/events", get(events::<S>))
        .route(
            "/admin/console/{realm}/clients/{id}/access",
            post(access::client_access::<S>),
        )
        .route(
            "/admin/console/{realm}/clients/{id}/mappers",
            post(access::client_mappers::<S>),
        )
        .route(
            "/admin/console/{realm}/clients/{id}/provisioning",
            post(provisioning::client_provisioning::<S>),
        )
        .route(
            "/admin/console/{realm}/roles",
            get(access::roles::<S>).post(access::roles_action::<S>),
        )
}
