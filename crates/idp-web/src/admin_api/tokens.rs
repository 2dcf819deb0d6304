//! `/admin/tokens`: the admin API's bearer tokens (not Keycloak's: Keycloak uses service
//! accounts). A token is shown once, in the answer that creates it; only its hash is stored.
//! Changes are admin events of the master realm.

use crate::admin_api::common::{ApiCaller, ApiResult, St, millis};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use symbolon_store::IdpStore;
use time::OffsetDateTime;

/// An admin token as listed (never the token itself).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenRep {
    pub id: String,
    pub name: String,
    /// Milliseconds since the epoch, as Keycloak's timestamps.
    pub created_timestamp: i64,
    pub revoked: bool,
}

/// A created token: the only answer that carries the token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedTokenRep {
    pub id: String,
    pub name: String,
    pub token: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
}

fn token_rep(t: &symbolon_store::AdminToken) -> TokenRep {
    TokenRep {
        id: t.id.clone(),
        name: t.name.clone(),
        created_timestamp: millis(t.created_at),
        revoked: t.revoked,
    }
}

#[utoipa::path(get, path = "/admin/tokens", tag = "Tokens",
    responses((status = 200, description = "Every token (never the token itself).", body = [TokenRep])))]
pub(crate) async fn list_tokens<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
) -> ApiResult<Json<Vec<TokenRep>>> {
    let tokens = symbolon_idp::admin_tokens(st.store()).await?;
    Ok(Json(tokens.iter().map(token_rep).collect()))
}

/// 201 with the token in the body (once) and its `Location`; not cached anywhere.
#[utoipa::path(post, path = "/admin/tokens", tag = "Tokens", request_body = NewToken,
    responses((status = 201, description = "Created; the token is in this answer only.", body = CreatedTokenRep)))]
pub(crate) async fn create_token<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    symbolon_web::request::JsonObject(new): symbolon_web::request::JsonObject<NewToken>,
) -> ApiResult<Response> {
    let (id, token) =
        symbolon_idp::create_admin_token(st.store(), &actor, &new.name, OffsetDateTime::now_utc())
            .await?;
    let location = format!("/admin/tokens/{id}");
    let body = CreatedTokenRep {
        id,
        name: new.name.trim().to_string(),
        token,
    };
    Ok((
        StatusCode::CREATED,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Json(body),
    )
        .into_response())
}

/// Revoke: 204, also for a token already revoked; 404 for an unknown id.
#[utoipa::path(delete, path = "/admin/tokens/{id}", tag = "Tokens",
    responses((status = 204, description = "Revoked.")))]
pub(crate) async fn revoke_token<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    symbolon_idp::revoke_admin_token(st.store(), &actor, &id, OffsetDateTime::now_utc()).await?;
    Ok(StatusCode::NO_CONTENT)
}
