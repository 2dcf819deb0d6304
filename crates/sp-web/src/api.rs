//! The service provider's JSON REST API under `/api/v1`, for one account per API key
//! (`Authorization: Bearer spk_...`, created with `symbolon sp api-key create`). Every change
//! goes through the domain and lands in the account's audit log with the principal
//! `urn:symbolon:identity:{account}:api-key/{id}`. `docs/sp-api.md` documents each endpoint.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use symbolon_store::sp::SpStore;
use symbolon_web::error::Kind;
use time::OffsetDateTime;

use crate::state::AppState;
use symbolon_sp::{Actor, SpError};

pub(crate) fn routes<S: SpStore>() -> Router<AppState<S>> {
    Router::new()
        .route("/api/v1/account", get(account::<S>))
        .route("/api/v1/roles", get(roles::<S>).post(add_role::<S>))
        .route(
            "/api/v1/identity-providers",
            get(idps::<S>).post(add_idp::<S>),
        )
        .route(
            "/api/v1/identity-providers/{id}/mappings",
            get(mappings::<S>).post(add_mapping::<S>),
        )
        .route(
            "/api/v1/saml-accounts",
            get(saml_accounts::<S>).post(add_saml_account::<S>),
        )
        .route("/api/v1/saml-users", get(saml_users::<S>))
        .route("/api/v1/audit", get(audit::<S>))
        .route("/api/v1/failed-sign-ins", get(traces::<S>))
}

/// An API error: a kind and a message, answered by `symbolon_web` as a status and a JSON body
/// `{"error", "error_description"}`.
pub(crate) struct ApiError(symbolon_web::error::ApiError);

impl ApiError {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        ApiError(match kind {
            Kind::Unauthorized => {
                symbolon_web::error::ApiError::unauthorized(message, "Bearer realm=\"symbolon-sp\"")
            }
            kind => symbolon_web::error::ApiError::new(kind, message),
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl From<SpError> for ApiError {
    fn from(e: SpError) -> Self {
        match e {
            SpError::Store(s) => s.into(),
            e => ApiError(symbolon_web::error::ApiError::classified(
                &e,
                "the service is unavailable",
            )),
        }
    }
}

impl From<symbolon_store::StoreError> for ApiError {
    fn from(e: symbolon_store::StoreError) -> Self {
        ApiError(e.into())
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// The caller of the SP API: the account and actor behind a live bearer key. Every handler
/// names it in its signature, so none can forget authentication.
pub(crate) struct ApiKey {
    pub(crate) account: String,
    pub(crate) actor: Actor,
}

impl<S: SpStore> axum::extract::FromRequestParts<AppState<S>> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let (account, actor) = caller(st, &parts.headers).await?;
        Ok(ApiKey { account, actor })
    }
}

/// The account and actor behind the bearer key.
async fn caller<S: SpStore>(st: &AppState<S>, h: &HeaderMap) -> ApiResult<(String, Actor)> {
    let unauthorized = || {
        ApiError::new(
            Kind::Unauthorized,
            "a valid API key is required (Authorization: Bearer spk_...)",
        )
    };
    let key = symbolon_web::request::bearer(h).ok_or_else(unauthorized)?;
    // A SCIM token (scope `scim`) may only provision, at /scim/v2.
    let k = symbolon_sp::authenticate_api_key(&st.store, key)
        .await?
        .filter(|k| k.scope == symbolon_store::sp::KEY_SCOPE_API)
        .ok_or_else(unauthorized)?;
    let actor = Actor(format!(
        "urn:symbolon:identity:{}:api-key/{}",
        k.account_id, k.id
    ));
    Ok((k.account_id, actor))
}

async fn account<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
) -> ApiResult<Json<Value>> {
    let a = symbolon_sp::account(&st.store, &acc).await?;
    Ok(Json(json!({"id": a.id, "name": a.name})))
}

async fn roles<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
) -> ApiResult<Json<Value>> {
    let roles: Vec<Value> = st
        .store
        .account_roles(&acc)
        .await?
        .into_iter()
        .map(|r| json!({"id": r.id, "name": r.name, "builtin": r.builtin}))
        .collect();
    Ok(Json(Value::Array(roles)))
}

#[derive(Deserialize)]
struct NameRep {
    name: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

async fn add_role<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey {
        account: acc,
        actor,
    }: ApiKey,
    Json(rep): Json<NameRep>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let r = symbolon_sp::add_role(
        &st.store,
        &actor,
        &acc,
        &rep.name,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": r.id, "name": r.name, "builtin": false})),
    ))
}

pub(crate) fn idp_json(i: &symbolon_store::sp::IdpConfig, now: OffsetDateTime) -> Value {
    json!({
        "id": i.id,
        "name": i.name,
        "description": i.description,
        "entityId": i.entity_id,
        "ssoUrl": i.sso_url,
        "certificates": symbolon_sp::describe_certs(&i.certs, now),
        "nameAttribute": i.name_attribute,
        "localeAttribute": i.locale_attribute,
        "timezoneAttribute": i.timezone_attribute,
        "roleAttribute": i.role_attribute,
        "spInitiated": i.sp_initiated,
        "allowCbc": i.allow_cbc,
    })
}

async fn idps<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
) -> ApiResult<Json<Value>> {
    let now = OffsetDateTime::now_utc();
    Ok(Json(Value::Array(
        st.store
            .idps(&acc)
            .await?
            .iter()
            .map(|i| idp_json(i, now))
            .collect(),
    )))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdpRep {
    name: String,
    #[serde(default)]
    description: Option<String>,
    /// The IdP's metadata XML, or...
    #[serde(default)]
    metadata: String,
    /// ...its URL, refreshed on a schedule (`allowHttp` for plain http://).
    #[serde(default)]
    metadata_url: Option<String>,
    #[serde(default)]
    allow_http: bool,
    #[serde(default)]
    name_attribute: Option<String>,
    #[serde(default)]
    locale_attribute: Option<String>,
    #[serde(default)]
    timezone_attribute: Option<String>,
    #[serde(default)]
    role_attribute: Option<String>,
    #[serde(default)]
    sp_initiated: bool,
    #[serde(default)]
    allow_cbc: bool,
}

/// Add Identity Provider, with its mapping profile.
async fn add_idp<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey {
        account: acc,
        actor,
    }: ApiKey,
    Json(rep): Json<IdpRep>,
) -> ApiResult<Response> {
    let now = OffsetDateTime::now_utc();
    let summary = match rep
        .metadata_url
        .as_deref()
        .filter(|_| rep.metadata.trim().is_empty())
    {
        Some(url) => {
            let fetched = st.fetcher.outcome(url, rep.allow_http, None, None).await;
            let settings = symbolon_sp::SourceSettings {
                url: url.to_string(),
                allow_http: rep.allow_http,
                ..Default::default()
            };
            symbolon_sp::add_idp_from_url(
                &st.store,
                &actor,
                &acc,
                &rep.name,
                rep.description.as_deref(),
                &settings,
                fetched,
                &st.cfg.metadata_refresh,
                now,
            )
            .await?
        }
        None => {
            symbolon_sp::add_idp(
                &st.store,
                &actor,
                &acc,
                &rep.name,
                rep.description.as_deref(),
                rep.metadata.as_bytes(),
                now,
            )
            .await?
        }
    };
    let profile = symbolon_sp::MappingProfile {
        name: rep.name_attribute,
        locale: rep.locale_attribute,
        timezone: rep.timezone_attribute,
        role: rep.role_attribute,
        sp_initiated: rep.sp_initiated,
        allow_cbc: rep.allow_cbc,
    };
    symbolon_sp::set_profile(&st.store, &actor, &acc, &summary.config.name, &profile, now).await?;
    let saved = st
        .store
        .idp_by_id(&summary.config.id)
        .await?
        .ok_or_else(|| ApiError::new(Kind::Unavailable, "not saved"))?;
    let mut body = idp_json(&saved, now);
    if let Some(obj) = body.as_object_mut() {
        obj.insert(
            "findings".into(),
            json!(
                summary
                    .findings
                    .iter()
                    .map(|(sev, msg)| json!({"severity": sev, "message": msg}))
                    .collect::<Vec<_>>()
            ),
        );
    }
    Ok(symbolon_web::request::created(
        &format!("/api/v1/identity-providers/{}", saved.id),
        Json(body),
    ))
}

pub(crate) async fn idp_of<S: SpStore>(
    st: &AppState<S>,
    acc: &str,
    id: &str,
) -> ApiResult<symbolon_store::sp::IdpConfig> {
    st.store
        .idp_by_id(id)
        .await?
        .filter(|i| i.account_id == acc)
        .ok_or_else(|| {
            ApiError::new(
                Kind::NotFound,
                format!("identity provider {id:?} not found"),
            )
        })
}

async fn mappings<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let i = idp_of(&st, &acc, &id).await?;
    let roles = st.store.account_roles(&acc).await?;
    Ok(Json(Value::Array(
        st.store
            .mappings(&i.id)
            .await?
            .into_iter()
            .map(|m| {
                let deleted = !roles.iter().any(|r| r.id == m.role_id);
                json!({"group": m.group, "role": m.role_name, "roleDeleted": deleted})
            })
            .collect(),
    )))
}

#[derive(Deserialize)]
struct MappingRep {
    group: String,
    role: String,
}

async fn add_mapping<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey {
        account: acc,
        actor,
    }: ApiKey,
    Path(id): Path<String>,
    Json(rep): Json<MappingRep>,
) -> ApiResult<StatusCode> {
    let i = idp_of(&st, &acc, &id).await?;
    symbolon_sp::map_group(
        &st.store,
        &actor,
        &acc,
        &i.name,
        &rep.group,
        &rep.role,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::CREATED)
}

async fn saml_accounts<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
) -> ApiResult<Json<Value>> {
    let roles = st.store.account_roles(&acc).await?;
    Ok(Json(Value::Array(
        st.store
            .saml_accounts(&acc)
            .await?
            .into_iter()
            .map(|s| {
                let role = roles
                    .iter()
                    .find(|r| r.id == s.role_id)
                    .map(|r| r.name.clone());
                json!({"name": s.name, "role": role, "description": s.description})
            })
            .collect(),
    )))
}

async fn add_saml_account<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey {
        account: acc,
        actor,
    }: ApiKey,
    Json(rep): Json<NameRep>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let role = rep.role.unwrap_or_default();
    let warning = symbolon_sp::add_saml_account(
        &st.store,
        &actor,
        &acc,
        &rep.name,
        &role,
        rep.description.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"name": rep.name.trim().to_lowercase(), "warning": warning})),
    ))
}

async fn saml_users<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
) -> ApiResult<Json<Value>> {
    Ok(Json(Value::Array(
        st.store
            .saml_users(&acc)
            .await?
            .into_iter()
            .map(|u| json!({"id": u.id, "name": u.name_id, "role": u.last_role, "lastLogon": u.last_logon.unix_timestamp()}))
            .collect(),
    )))
}

async fn audit<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
) -> ApiResult<Json<Value>> {
    Ok(Json(Value::Array(
        st.store
            .audit_log(&acc)
            .await?
            .into_iter()
            .map(|e| json!({"time": e.at.unix_timestamp(), "principal": e.principal, "action": e.action, "detail": e.detail}))
            .collect(),
    )))
}

async fn traces<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
) -> ApiResult<Json<Value>> {
    Ok(Json(Value::Array(
        st.store
            .traces(&acc, 200)
            .await?
            .into_iter()
            .map(|t| json!({"time": t.at.unix_timestamp(), "identityProvider": t.idp_name, "code": t.code, "reason": t.reason, "message": t.message, "reference": t.reference}))
            .collect(),
    )))
}
