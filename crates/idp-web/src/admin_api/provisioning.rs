//! `/admin/realms/{realm}/clients/{id}/provisioning` (ours; Keycloak has no SCIM): where a
//! client's users are provisioned, and how the runs went. The token is write-only: a PUT
//! without one keeps the token in use; no answer carries it.

use crate::admin_api::clients::find_client;
use crate::admin_api::common::{ApiCaller, ApiError, ApiResult, St};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use symbolon_store::IdpStore;
use symbolon_store::provisioning::Provisioning;
use symbolon_web::error::Kind;
use time::OffsetDateTime;

fn rfc3339(t: Option<OffsetDateTime>) -> Value {
    t.map_or(Value::Null, |t| {
        Value::String(symbolon_saml::time::format_instant(t))
    })
}

pub(crate) async fn get_provisioning<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let c = find_client(&st, &realm, &id).await?;
    let Some(t) = &c.provisioning else {
        return Ok(Json(json!({"enabled": false})));
    };
    let p = st.store().provisioning_status(&c.id).await?;
    Ok(Json(json!({
        "enabled": true,
        "url": t.url,
        "deleteRemoved": t.delete_removed,
        "allowHttp": t.allow_http,
        "status": {
            "lastRun": rfc3339(p.last_run),
            "lastSuccess": rfc3339(p.last_success),
            "lastError": p.last_error,
            "failures": p.failures,
            "nextAttempt": rfc3339(p.next_attempt),
            "users": p.users,
            "activeUsers": p.active_users,
            "groups": p.groups,
            "changed": p.changed,
            "pending": p.pending,
            "lastReconcile": rfc3339(p.last_reconcile),
            "drift": p.drift,
        }
    })))
}

#[derive(Debug, Deserialize)]
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

pub(crate) async fn put_provisioning<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
    Json(rep): Json<ProvisioningRep>,
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
