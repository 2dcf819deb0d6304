//! `/admin/realms/{realm}/clients/{id}/provisioning` (ours; Keycloak has no SCIM): where a
//! client's users are provisioned, and how the runs went. The token is write-only: a PUT
//! without one keeps the token in use; no answer carries it.

use crate::admin_api::clients::find_client;
use crate::admin_api::common::{ApiCaller, ApiError, ApiResult, St};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use symbolon_store::IdpStore;
use symbolon_store::provisioning::Provisioning;
use symbolon_web::error::Kind;
use time::OffsetDateTime;

fn rfc3339(t: Option<OffsetDateTime>) -> Option<String> {
    t.map(symbolon_saml::time::format_instant)
}

/// Where a client's users are provisioned (never the token), and how the runs went.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningView {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_removed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_http: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ProvisioningRuns>,
}

/// How the provisioning runs went (times RFC 3339, UTC).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningRuns {
    pub last_run: Option<String>,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    /// Failed runs in a row.
    pub failures: u32,
    pub next_attempt: Option<String>,
    pub users: u32,
    pub active_users: u32,
    pub groups: u32,
    pub changed: u32,
    pub pending: u32,
    pub last_reconcile: Option<String>,
    pub drift: u32,
}

#[utoipa::path(get, path = "/admin/realms/{realm}/clients/{id}/provisioning", tag = "Provisioning",
    responses((status = 200, description = "The client's provisioning.", body = ProvisioningView)))]
pub(crate) async fn get_provisioning<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<ProvisioningView>> {
    let c = find_client(&st, &realm, &id).await?;
    let Some(t) = &c.provisioning else {
        return Ok(Json(ProvisioningView {
            enabled: false,
            url: None,
            delete_removed: None,
            allow_http: None,
            status: None,
        }));
    };
    let p = st.store().provisioning_status(&c.id).await?;
    Ok(Json(ProvisioningView {
        enabled: true,
        url: Some(t.url.clone()),
        delete_removed: Some(t.delete_removed),
        allow_http: Some(t.allow_http),
        status: Some(ProvisioningRuns {
            last_run: rfc3339(p.last_run),
            last_success: rfc3339(p.last_success),
            last_error: p.last_error,
            failures: p.failures,
            next_attempt: rfc3339(p.next_attempt),
            users: p.users,
            active_users: p.active_users,
            groups: p.groups,
            changed: p.changed,
            pending: p.pending,
            last_reconcile: rfc3339(p.last_reconcile),
            drift: p.drift,
        }),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ProvisioningRep {
    url: String,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    delete_removed: bool,
    #[serde(default)]
    allow_http: bool,
}

#[utoipa::path(put, path = "/admin/realms/{realm}/clients/{id}/provisioning", tag = "Provisioning", request_body = ProvisioningRep,
    responses((status = 204, description = "Provisioning is on, with these settings.")))]
pub(crate) async fn put_provisioning<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<ProvisioningRep>,
) -> ApiResult<Response> {
    let c = find_client(&st, &realm, &id).await?;
    let token = rep
        .token
        .filter(|t| !t.trim().is_empty())
        .or_else(|| c.provisioning.as_ref().map(|p| p.token.clone()))
        .ok_or_else(|| ApiError::new(Kind::Invalid, "token is required to turn provisioning on"))?;
    symbolon_idp::provisioning::set_provisioning(
        st.store(),
        &actor,
        &realm,
        &c.client_id,
        Some(Provisioning {
            url: rep.url,
            token,
            delete_removed: rep.delete_removed,
            allow_http: rep.allow_http,
        }),
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(delete, path = "/admin/realms/{realm}/clients/{id}/provisioning", tag = "Provisioning",
    responses((status = 204, description = "Provisioning is off.")))]
pub(crate) async fn delete_provisioning<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let c = find_client(&st, &realm, &id).await?;
    symbolon_idp::provisioning::set_provisioning(
        st.store(),
        &actor,
        &realm,
        &c.client_id,
        None,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
