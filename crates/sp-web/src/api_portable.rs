//! The key's account as one document through the REST API: export, and import with the
//! partial-import semantics of the IdP's realms (`symbolon_sp::account_io`). A key reaches its
//! own account only: a document naming another account is refused.

use crate::api::{ApiKey, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde::Deserialize;
use symbolon_sp::account_io::{AccountDoc, ImportOptions};
use symbolon_store::portable::{IfExists, ImportReport};
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

pub(crate) fn routes<S: SpStore>() -> Router<AppState<S>> {
    Router::new()
        .route("/api/v1/account/export", get(export_account::<S>))
        .route("/api/v1/account/import", post(import_account::<S>))
}

/// The account as one document: roles, identity providers (metadata, metadata URL, profile,
/// group mappings), SAML accounts and native users. Never a password hash (the CLI's
/// `sp account export --with-credentials` writes those), an API key or a SCIM token.
#[utoipa::path(get, path = "/api/v1/account/export", tag = "Account",
    responses((status = 200, description = "The account document.", body = AccountDoc)))]
pub(crate) async fn export_account<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, .. }: ApiKey,
) -> ApiResult<Json<AccountDoc>> {
    Ok(Json(
        symbolon_sp::account_io::export_account(&st.store, &account, false).await?,
    ))
}

/// An account document and what to do with what exists.
// Read by hand (`try_from`): serde's `flatten` would pass unknown fields over in silence, and a
// misspelt field in a document kept in version control must be an error.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(
    rename_all = "camelCase",
    try_from = "serde_json::Map<String, serde_json::Value>"
)]
pub(crate) struct AccountImportRep {
    /// `FAIL` (the default: refuse the whole import, writing nothing), `SKIP` or `OVERWRITE`.
    #[serde(default)]
    if_resource_exists: IfExists,
    /// Say what the import would do; write nothing.
    #[serde(default)]
    dry_run: bool,
    #[serde(flatten)]
    doc: AccountDoc,
}

impl TryFrom<serde_json::Map<String, serde_json::Value>> for AccountImportRep {
    type Error = String;

    fn try_from(mut m: serde_json::Map<String, serde_json::Value>) -> Result<Self, String> {
        let if_resource_exists = match m.remove("ifResourceExists") {
            None => IfExists::default(),
            Some(v) => serde_json::from_value(v).map_err(|e| format!("ifResourceExists: {e}"))?,
        };
        let dry_run = match m.remove("dryRun") {
            None => false,
            Some(v) => serde_json::from_value(v).map_err(|e| format!("dryRun: {e}"))?,
        };
        let doc =
            serde_json::from_value(serde_json::Value::Object(m)).map_err(|e| e.to_string())?;
        Ok(AccountImportRep {
            if_resource_exists,
            dry_run,
            doc,
        })
    }
}

/// Add the document's roles, identity providers, SAML accounts and users to the key's account;
/// what exists is skipped, overwritten, or fails the whole import before anything is written.
/// The document's `account` may be left out; naming another account is refused.
#[utoipa::path(post, path = "/api/v1/account/import", tag = "Account",
    request_body = AccountImportRep,
    responses((status = 200, description = "What was added, overwritten, left unchanged or skipped.", body = ImportReport)))]
pub(crate) async fn import_account<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<AccountImportRep>,
) -> ApiResult<Json<ImportReport>> {
    let opts = ImportOptions {
        if_exists: rep.if_resource_exists,
        dry_run: rep.dry_run,
        check_url: &symbolon_web::fetch::url_check,
    };
    let report = symbolon_sp::account_io::import_into_account(
        &st.store,
        &actor,
        &account,
        &rep.doc,
        &opts,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(Json(report))
}
