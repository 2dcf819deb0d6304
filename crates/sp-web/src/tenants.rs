//! The operator's tenant API: a SaaS that runs this SP creates, lists, renames and deletes
//! accounts from its own code, and gives each its first master administrator and API key.
//! Authenticated by the operator token of the configuration (`[sp] operator_token`), never by
//! an account's key; without a configured token the routes answer 404, as unknown paths do.
//! Every change goes through the domain, so it is in the account's audit log (an account's
//! deletion in the server log), as the operator.

use crate::api::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use symbolon_sp::Actor;
use symbolon_store::sp::SpStore;
use symbolon_web::error::Kind;
use symbolon_web::request::created;
use time::OffsetDateTime;

/// Who the operator is in audit entries.
pub const OPERATOR: &str = "urn:symbolon:identity:system/operator";

pub(crate) fn routes<S: SpStore>() -> Router<AppState<S>> {
    Router::new()
        .route("/api/v1/accounts", get(list::<S>).post(create::<S>))
        .route(
            "/api/v1/accounts/{id}",
            get(one::<S>).put(rename::<S>).delete(delete::<S>),
        )
        .route(
            "/api/v1/accounts/{id}/administrators",
            post(add_administrator::<S>),
        )
        .route("/api/v1/accounts/{id}/api-keys", post(add_api_key::<S>))
}

/// The caller of the tenant API: whoever presents the operator token. Every handler names it.
pub(crate) struct Operator(Actor);

impl<S: SpStore> axum::extract::FromRequestParts<AppState<S>> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let Some(want) = st.cfg.operator_token_sha256.as_deref() else {
            return Err(ApiError::new(Kind::NotFound, "no such resource"));
        };
        let given = symbolon_web::request::bearer(&parts.headers)
            .map(token_sha256)
            .unwrap_or_default();
        if symbolon_web::secret_eq(&given, want) {
            Ok(Operator(Actor(OPERATOR.into())))
        } else {
            Err(ApiError::new(
                Kind::Unauthorized,
                "the operator token is required (Authorization: Bearer ...)",
            ))
        }
    }
}

/// The hex SHA-256 of an operator token, as the configuration keeps it.
pub fn token_sha256(token: &str) -> String {
    symbolon_dsig::sha256(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// An account, as the operator sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccountView {
    id: String,
    name: String,
    /// Seconds since the epoch.
    created_at: i64,
}

fn account_json(a: &symbolon_store::sp::Account) -> AccountView {
    AccountView {
        id: a.id.clone(),
        name: a.name.clone(),
        created_at: a.created_at.unix_timestamp(),
    }
}

/// The account's first master administrator, as created.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AdministratorCreated {
    email: String,
    master_administrator: bool,
}

/// A created API key: the only answer that carries it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct KeyCreated {
    id: String,
    name: String,
    scope: String,
    key: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct Name {
    name: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyRep {
    name: String,
    /// `api` (the default) or `scim`.
    scope: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/accounts", tag = "Tenants", security(("operator" = [])),
    responses((status = 200, description = "Every account.", body = [AccountView])))]
pub(crate) async fn list<S: SpStore>(
    State(st): State<AppState<S>>,
    _op: Operator,
) -> ApiResult<Json<Vec<AccountView>>> {
    let accounts = st.store.accounts().await?;
    Ok(Json(accounts.iter().map(account_json).collect()))
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "Tenants", security(("operator" = [])),
    responses((status = 200, description = "The account.", body = AccountView)))]
pub(crate) async fn one<S: SpStore>(
    State(st): State<AppState<S>>,
    _op: Operator,
    Path(id): Path<String>,
) -> ApiResult<Json<AccountView>> {
    Ok(Json(account_json(
        &symbolon_sp::account(&st.store, &id).await?,
    )))
}

#[utoipa::path(post, path = "/api/v1/accounts", tag = "Tenants", request_body = Name, security(("operator" = [])),
    responses((status = 201, description = "Created; `Location` names it.", body = AccountView)))]
pub(crate) async fn create<S: SpStore>(
    State(st): State<AppState<S>>,
    Operator(actor): Operator,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<Name>,
) -> ApiResult<Response> {
    let a = symbolon_sp::create_account(&st.store, &actor, &rep.name, now()).await?;
    Ok(created(
        &format!("/api/v1/accounts/{}", a.id),
        Json(account_json(&a)),
    ))
}

#[utoipa::path(put, path = "/api/v1/accounts/{id}", tag = "Tenants", request_body = Name, security(("operator" = [])),
    responses((status = 204, description = "Renamed.")))]
pub(crate) async fn rename<S: SpStore>(
    State(st): State<AppState<S>>,
    Operator(actor): Operator,
    Path(id): Path<String>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<Name>,
) -> ApiResult<StatusCode> {
    symbolon_sp::rename_account(&st.store, &actor, &id, &rep.name, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/accounts/{id}", tag = "Tenants", security(("operator" = [])),
    responses((status = 204, description = "Deleted, with everything in it.")))]
pub(crate) async fn delete<S: SpStore>(
    State(st): State<AppState<S>>,
    Operator(actor): Operator,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    symbolon_sp::delete_account(&st.store, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Administrator {
    email: String,
    password: String,
    display_name: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/administrators", tag = "Tenants",
    request_body = Administrator, security(("operator" = [])),
    responses((status = 201, description = "Created.", body = AdministratorCreated)))]
pub(crate) async fn add_administrator<S: SpStore>(
    State(st): State<AppState<S>>,
    Operator(actor): Operator,
    Path(id): Path<String>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<Administrator>,
) -> ApiResult<Response> {
    let u = symbolon_sp::add_native_user(
        &st.store,
        &actor,
        &id,
        &rep.email,
        rep.display_name.as_deref(),
        &rep.password,
        true,
        None,
        now(),
    )
    .await?;
    Ok(created(
        &format!("/api/v1/users/{}", u.email),
        Json(AdministratorCreated {
            email: u.email,
            master_administrator: true,
        }),
    ))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/api-keys", tag = "Tenants", request_body = KeyRep, security(("operator" = [])),
    responses((status = 201, description = "Created; the key is in this answer only.", body = KeyCreated)))]
pub(crate) async fn add_api_key<S: SpStore>(
    State(st): State<AppState<S>>,
    Operator(actor): Operator,
    Path(id): Path<String>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<KeyRep>,
) -> ApiResult<Response> {
    let scope = rep
        .scope
        .as_deref()
        .unwrap_or(symbolon_store::sp::KEY_SCOPE_API);
    let (key_id, key) =
        symbolon_sp::create_api_key(&st.store, &actor, &id, &rep.name, scope, now()).await?;
    // The key itself is shown here once; only its SHA-256 is kept.
    Ok(created(
        &format!("/api/v1/accounts/{id}/api-keys/{key_id}"),
        Json(KeyCreated {
            id: key_id,
            name: rep.name,
            scope: scope.to_string(),
            key,
        }),
    ))
}
