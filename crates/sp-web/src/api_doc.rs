//! The SP REST API's OpenAPI document, and the API's routes under one JSON error layer.
//!
//! The document is generated from the handlers' annotations and types, then completed with what
//! every operation shares (path parameters, error answers, the bearer scheme). Served at
//! `/api/v1/openapi.json`; `docs/openapi/sp.json` is a copy kept current by a test.

use crate::state::AppState;
use crate::{api, api_changes, api_domains, api_portable, api_provisioning, tenants};
use axum::Router;
use axum::routing::get;
use symbolon_store::sp::SpStore;
use symbolon_web::openapi::PathParam;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Symbolon service provider API",
        description = "One account per API key (`Authorization: Bearer spk_...`): identity \\
                       providers, group mappings, roles, SAML accounts, users, provisioning and \\
                       the audit log. The tenant operations (`/api/v1/accounts`) take the \\
                       operator token instead. Errors are `{\"error\", \"error_description\"}`."
    ),
    paths(
        api::account,
        api_changes::rename_account,
        api_portable::export_account,
        api_portable::import_account,
        api::roles,
        api::add_role,
        api_changes::rename_role,
        api_changes::delete_role,
        api::idps,
        api::add_idp,
        api_changes::idp,
        api_changes::edit_idp,
        api_changes::delete_idp,
        api::mappings,
        api::add_mapping,
        api_changes::remap,
        api_changes::unmap,
        api::saml_accounts,
        api::add_saml_account,
        api_changes::edit_saml_account,
        api_changes::remove_saml_account,
        api_changes::users,
        api_changes::remove_user,
        api::saml_users,
        api::audit,
        api::traces,
        api_provisioning::tokens,
        api_provisioning::add_token,
        api_provisioning::revoke_token,
        api_provisioning::settings,
        api_provisioning::set_settings,
        api_domains::list,
        api_domains::claim,
        api_domains::verify,
        api_domains::remove,
        tenants::list,
        tenants::create,
        tenants::one,
        tenants::rename,
        tenants::delete,
        tenants::add_administrator,
        tenants::add_api_key,
    )
)]
struct ApiDoc;

const PATH_PARAMS: &[PathParam] = &[
    PathParam {
        name: "id",
        description: "The object's ID (an identity provider, SCIM token or account, by the path).",
        values: &[],
    },
    PathParam {
        name: "name",
        description: "The role's or SAML account's name.",
        values: &[],
    },
    PathParam {
        name: "group",
        description: "The group as the identity provider sends it, percent-encoded.",
        values: &[],
    },
    PathParam {
        name: "domain",
        description: "The email domain, such as `corp.example`.",
        values: &[],
    },
    PathParam {
        name: "email",
        description: "The user's email address.",
        values: &[],
    },
];

/// The SP API's OpenAPI 3.1 document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = <ApiDoc as utoipa::OpenApi>::openapi();
    if let Some(c) = doc.components.as_mut() {
        c.security_schemes.insert(
            "operator".into(),
            utoipa::openapi::RefOr::T(SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build(),
            )),
        );
    }
    symbolon_web::openapi::complete(&mut doc, false, PATH_PARAMS);
    doc
}

/// The document as pretty JSON, made once.
pub fn openapi_json() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    symbolon_web::openapi::pretty_once(&DOC, openapi)
}

/// Every `/api/v1` route, with framework answers made JSON errors, and the document.
pub(crate) fn routes<S: SpStore>() -> Router<AppState<S>> {
    Router::new()
        .merge(api::routes::<S>())
        .merge(api_changes::routes::<S>())
        .merge(tenants::routes::<S>())
        .merge(api_provisioning::routes::<S>())
        .merge(api_domains::routes::<S>())
        .merge(api_portable::routes::<S>())
        .route_layer(axum::middleware::from_fn(
            symbolon_web::openapi::json_errors,
        ))
        .route(
            "/api/v1/openapi.json",
            get(|| async { symbolon_web::openapi::serve_json(openapi_json()) }),
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
            "docs/openapi/sp.json",
            doc,
        );
        assert!(r.is_ok(), "{r:?}");
    }
}
