//! A realm as one document through the API: Keycloak's partial export and partial import.

use crate::admin_api::common::{ApiCaller, ApiError, ApiResult, St};
use crate::admin_api::realms::realm_exists;
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use symbolon_idp::realm_io::{IfExists, ImportOptions, ImportReport, RealmDoc};
use symbolon_store::IdpStore;
use symbolon_web::error::Kind;
use time::OffsetDateTime;

/// The realm as one document: settings, roles, groups, users, SAML clients with their mappers
/// and access, key metadata. Never a password hash or a private key (the CLI's
/// `idp realm export --with-credentials` writes those).
#[utoipa::path(post, path = "/admin/realms/{realm}/partial-export", tag = "Realms",
    responses((status = 200, description = "The realm document.", body = RealmDoc)))]
pub(crate) async fn partial_export<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path(realm): Path<String>,
) -> ApiResult<Json<RealmDoc>> {
    realm_exists(&st, &realm).await?;
    Ok(Json(
        symbolon_idp::realm_io::export_realm(st.store(), &realm, false).await?,
    ))
}

/// `PartialImportRepresentation`: a realm document and what to do with what exists.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartialImportRep {
    /// `FAIL` (the default: refuse the whole import, writing nothing), `SKIP` or `OVERWRITE`.
    #[serde(default)]
    pub if_resource_exists: IfExists,
    /// Say what the import would do; write nothing.
    #[serde(default)]
    pub dry_run: bool,
    #[serde(flatten)]
    pub doc: RealmDoc,
}

/// Add the document's roles, groups, users and clients to the realm; what exists is skipped,
/// overwritten, or fails the whole import before anything is written. The realm's own
/// settings change only with `OVERWRITE`; keys are never imported into an existing realm.
#[utoipa::path(post, path = "/admin/realms/{realm}/partialImport", tag = "Realms",
    request_body = PartialImportRep,
    responses((status = 200, description = "What was added, overwritten, left unchanged or skipped.", body = ImportReport)))]
pub(crate) async fn partial_import<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(realm): Path<String>,
    symbolon_web::request::JsonObject(mut rep): symbolon_web::request::JsonObject<PartialImportRep>,
) -> ApiResult<Json<ImportReport>> {
    realm_exists(&st, &realm).await?;
    if rep.doc.realm.is_empty() {
        rep.doc.realm.clone_from(&realm);
    } else if rep.doc.realm != realm {
        return Err(ApiError::new(
            Kind::Invalid,
            format!("the document is realm {:?}, not {realm:?}", rep.doc.realm),
        ));
    }
    let opts = ImportOptions {
        if_exists: rep.if_resource_exists,
        dry_run: rep.dry_run,
        check_url: &symbolon_web::fetch::url_check,
    };
    let report = symbolon_idp::realm_io::import_realm(
        st.store(),
        &actor,
        &rep.doc,
        &opts,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(Json(report))
}
