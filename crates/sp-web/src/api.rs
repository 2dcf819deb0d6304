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
use serde::{Deserialize, Serialize};
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
pub(crate) async fn caller<S: SpStore>(
    st: &AppState<S>,
    h: &HeaderMap,
) -> ApiResult<(String, Actor)> {
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

/// The caller's account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct AccountRep {
    id: String,
    name: String,
}

#[utoipa::path(get, path = "/api/v1/account", tag = "Account",
    responses((status = 200, description = "The account of the key.", body = AccountRep)))]
pub(crate) async fn account<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
) -> ApiResult<Json<AccountRep>> {
    let a = symbolon_sp::account(&st.store, &acc).await?;
    Ok(Json(AccountRep {
        id: a.id,
        name: a.name,
    }))
}

/// A role of the account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct RoleRep {
    id: String,
    name: String,
    /// Full Access, Read Only: cannot be renamed or deleted.
    builtin: bool,
}

#[utoipa::path(get, path = "/api/v1/roles", tag = "Roles",
    responses((status = 200, description = "The account's roles.", body = [RoleRep])))]
pub(crate) async fn roles<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
) -> ApiResult<Json<Vec<RoleRep>>> {
    let roles = st
        .store
        .account_roles(&acc)
        .await?
        .into_iter()
        .map(|r| RoleRep {
            id: r.id,
            name: r.name,
            builtin: r.builtin,
        })
        .collect();
    Ok(Json(roles))
}

/// A new role (`name`), or a new SAML account (`name`, `role`, `description`).
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct NameRep {
    name: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/roles", tag = "Roles", request_body = NameRep,
    responses((status = 201, description = "Created.", body = RoleRep)))]
pub(crate) async fn add_role<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey {
        account: acc,
        actor,
    }: ApiKey,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<NameRep>,
) -> ApiResult<(StatusCode, Json<RoleRep>)> {
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
        Json(RoleRep {
            id: r.id,
            name: r.name,
            builtin: false,
        }),
    ))
}

/// An identity provider the account trusts, with its mapping profile.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IdpView {
    id: String,
    name: String,
    description: Option<String>,
    entity_id: String,
    /// Where SP-initiated sign-in sends the browser; `null` when the metadata has none.
    sso_url: Option<String>,
    /// Each signing certificate, for a person (subject, expiry, a warning when close).
    certificates: Vec<String>,
    name_attribute: Option<String>,
    locale_attribute: Option<String>,
    timezone_attribute: Option<String>,
    role_attribute: Option<String>,
    sp_initiated: bool,
    allow_cbc: bool,
    /// Only when the identity provider was just added: what the metadata check found.
    #[serde(skip_serializing_if = "Option::is_none")]
    findings: Option<Vec<FindingRep>>,
}

/// A finding of the metadata check.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct FindingRep {
    severity: String,
    message: String,
}

pub(crate) fn idp_json(i: &symbolon_store::sp::IdpConfig, now: OffsetDateTime) -> IdpView {
    IdpView {
        id: i.id.clone(),
        name: i.name.clone(),
        description: i.description.clone(),
        entity_id: i.entity_id.clone(),
        sso_url: i.sso_url.clone(),
        certificates: symbolon_sp::describe_certs(&i.certs, now),
        name_attribute: i.name_attribute.clone(),
        locale_attribute: i.locale_attribute.clone(),
        timezone_attribute: i.timezone_attribute.clone(),
        role_attribute: i.role_attribute.clone(),
        sp_initiated: i.sp_initiated,
        allow_cbc: i.allow_cbc,
        findings: None,
    }
}

#[utoipa::path(get, path = "/api/v1/identity-providers", tag = "Identity providers",
    responses((status = 200, description = "The identity providers the account trusts.", body = [IdpView])))]
pub(crate) async fn idps<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
) -> ApiResult<Json<Vec<IdpView>>> {
    let now = OffsetDateTime::now_utc();
    Ok(Json(
        st.store
            .idps(&acc)
            .await?
            .iter()
            .map(|i| idp_json(i, now))
            .collect(),
    ))
}

/// Add Identity Provider: its metadata (XML) or a metadata URL, and the mapping profile.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IdpRep {
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
#[utoipa::path(post, path = "/api/v1/identity-providers", tag = "Identity providers",
    request_body = IdpRep,
    responses((status = 201, description = "Added; `Location` names it.", body = IdpView)))]
pub(crate) async fn add_idp<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey {
        account: acc,
        actor,
    }: ApiKey,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<IdpRep>,
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
    body.findings = Some(
        summary
            .findings
            .iter()
            .map(|(sev, msg)| FindingRep {
                severity: sev.clone(),
                message: msg.clone(),
            })
            .collect(),
    );
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

/// A group -> role mapping of an identity provider.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MappingView {
    group: String,
    role: String,
    /// The role was deleted: the mapping grants nothing until it is pointed elsewhere.
    role_deleted: bool,
}

#[utoipa::path(get, path = "/api/v1/identity-providers/{id}/mappings", tag = "Identity providers",
    responses((status = 200, description = "The group mappings.", body = [MappingView])))]
pub(crate) async fn mappings<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<MappingView>>> {
    let i = idp_of(&st, &acc, &id).await?;
    let roles = st.store.account_roles(&acc).await?;
    Ok(Json(
        st.store
            .mappings(&i.id)
            .await?
            .into_iter()
            .map(|m| MappingView {
                role_deleted: !roles.iter().any(|r| r.id == m.role_id),
                group: m.group,
                role: m.role_name,
            })
            .collect(),
    ))
}

/// Map a group (as the IdP sends it) to a role.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct MappingRep {
    group: String,
    role: String,
}

#[utoipa::path(post, path = "/api/v1/identity-providers/{id}/mappings", tag = "Identity providers",
    request_body = MappingRep, responses((status = 201, description = "Mapped.")))]
pub(crate) async fn add_mapping<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey {
        account: acc,
        actor,
    }: ApiKey,
    Path(id): Path<String>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<MappingRep>,
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

/// A SAML account: a name the IdP's role attribute may send, and the role it grants.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SamlAccountView {
    name: String,
    /// `null` when the role was deleted.
    role: Option<String>,
    description: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/saml-accounts", tag = "SAML accounts",
    responses((status = 200, description = "The account's SAML accounts.", body = [SamlAccountView])))]
pub(crate) async fn saml_accounts<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
) -> ApiResult<Json<Vec<SamlAccountView>>> {
    let roles = st.store.account_roles(&acc).await?;
    Ok(Json(
        st.store
            .saml_accounts(&acc)
            .await?
            .into_iter()
            .map(|s| SamlAccountView {
                role: roles
                    .iter()
                    .find(|r| r.id == s.role_id)
                    .map(|r| r.name.clone()),
                name: s.name,
                description: s.description,
            })
            .collect(),
    ))
}

/// A SAML account as created.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SamlAccountCreated {
    name: String,
    /// Set when the account was created but something deserves a look.
    warning: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/saml-accounts", tag = "SAML accounts", request_body = NameRep,
    responses((status = 201, description = "Created.", body = SamlAccountCreated)))]
pub(crate) async fn add_saml_account<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey {
        account: acc,
        actor,
    }: ApiKey,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<NameRep>,
) -> ApiResult<(StatusCode, Json<SamlAccountCreated>)> {
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
        Json(SamlAccountCreated {
            name: rep.name.trim().to_lowercase(),
            warning,
        }),
    ))
}

/// A user who signed in by SAML (the SAML Users tab).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SamlUserView {
    id: String,
    /// The NameID.
    name: String,
    /// The role of the last sign-in.
    role: String,
    /// Seconds since the epoch.
    last_logon: i64,
}

#[utoipa::path(get, path = "/api/v1/saml-users", tag = "Activity",
    responses((status = 200, description = "Users who signed in by SAML.", body = [SamlUserView])))]
pub(crate) async fn saml_users<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
) -> ApiResult<Json<Vec<SamlUserView>>> {
    Ok(Json(
        st.store
            .saml_users(&acc)
            .await?
            .into_iter()
            .map(|u| SamlUserView {
                id: u.id,
                name: u.name_id,
                role: u.last_role,
                last_logon: u.last_logon.unix_timestamp(),
            })
            .collect(),
    ))
}

/// An audit log entry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct AuditView {
    /// Seconds since the epoch.
    time: i64,
    principal: String,
    action: String,
    detail: String,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "Activity",
    responses((status = 200, description = "The account's audit log, newest first.", body = [AuditView])))]
pub(crate) async fn audit<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
) -> ApiResult<Json<Vec<AuditView>>> {
    Ok(Json(
        st.store
            .audit_log(&acc)
            .await?
            .into_iter()
            .map(|e| AuditView {
                time: e.at.unix_timestamp(),
                principal: e.principal,
                action: e.action,
                detail: e.detail,
            })
            .collect(),
    ))
}

/// A refused sign-in, with its reference.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TraceView {
    /// Seconds since the epoch.
    time: i64,
    identity_provider: String,
    code: String,
    reason: String,
    message: String,
    reference: String,
}

#[utoipa::path(get, path = "/api/v1/failed-sign-ins", tag = "Activity",
    responses((status = 200, description = "The last 200 refused sign-ins, newest first.", body = [TraceView])))]
pub(crate) async fn traces<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account: acc, .. }: ApiKey,
) -> ApiResult<Json<Vec<TraceView>>> {
    Ok(Json(
        st.store
            .traces(&acc, 200)
            .await?
            .into_iter()
            .map(|t| TraceView {
                time: t.at.unix_timestamp(),
                identity_provider: t.idp_name,
                code: t.code,
                reason: t.reason,
                message: t.message,
                reference: t.reference,
            })
            .collect(),
    ))
}
