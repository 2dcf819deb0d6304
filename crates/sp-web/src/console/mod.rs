//! The SP's account console, by resource; this module only routes.

use crate::console::accounts::{add_saml_account, saml_accounts, saml_users};
use crate::console::audit::{audit, audit_export, failed};
use crate::console::common::css;
use crate::console::idps::{add_idp, idp, idp_action, idps};
use crate::console::roles::{add_role, delete_role, rename_role, roles};
use crate::console::saml_account::{saml_account, saml_account_action};
use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};
use symbolon_store::sp::SpStore;

mod accounts;
mod audit;
mod common;
mod domains;
mod idps;
mod people;
mod portable;
mod roles;
mod saml_account;
mod settings;
mod webhooks;

pub(crate) fn routes<S: SpStore>() -> Router<AppState<S>> {
    Router::new()
        .route("/resources/console.css", get(css))
        .route("/resources/copy.js", get(symbolon_web::page::copy_script))
        .route("/account/idps", get(idps::<S>).post(add_idp::<S>))
        .route("/account/idps/{id}", get(idp::<S>).post(idp_action::<S>))
        .route("/account/roles", get(roles::<S>).post(add_role::<S>))
        .route("/account/roles/delete", post(delete_role::<S>))
        .route("/account/roles/rename", post(rename_role::<S>))
        .route(
            "/account/saml-accounts",
            get(saml_accounts::<S>).post(add_saml_account::<S>),
        )
        .route(
            "/account/saml-accounts/{name}",
            get(saml_account::<S>).post(saml_account_action::<S>),
        )
        .route(
            "/account/users",
            get(crate::console::people::users::<S>).post(crate::console::people::user_action::<S>),
        )
        .route(
            "/account/settings",
            get(crate::console::settings::settings::<S>)
                .post(crate::console::settings::settings_action::<S>),
        )
        .route(
            "/account/settings/export",
            get(crate::console::portable::export::<S>),
        )
        .route(
            "/account/settings/import",
            get(crate::console::portable::import_form::<S>)
                .post(crate::console::portable::import::<S>),
        )
        .route(
            "/account/webhooks",
            get(crate::console::webhooks::webhooks::<S>)
                .post(crate::console::webhooks::webhook_action::<S>),
        )
        .route(
            "/account/domains",
            get(crate::console::domains::domains::<S>)
                .post(crate::console::domains::domain_action::<S>),
        )
        .route("/account/saml-users", get(saml_users::<S>))
        .route("/account/audit", get(audit::<S>))
        .route("/account/failed-sign-ins", get(failed::<S>))
        .route("/account/audit.jsonl", get(audit_export::<S>))
}
