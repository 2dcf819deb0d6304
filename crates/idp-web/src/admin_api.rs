//! The admin REST API under `/admin/realms`, in Keycloak's resource shapes where they fit.
//! Bearer tokens (`symbolon idp token create`) authenticate every call; every change is an
//! `ADMIN` event whose actor is `token:<name>`. `docs/admin-api.md` documents each endpoint.

use std::collections::BTreeMap;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use serde_json::json;
use symbolon_saml::messages::{
    NAMEID_EMAIL, NAMEID_PERSISTENT, NAMEID_TRANSIENT, NAMEID_UNSPECIFIED,
};
use symbolon_saml::metadata::BINDING_POST;
use symbolon_store::{Client, ClientEndpoint, IdpStore, StoreError};
use time::OffsetDateTime;

use symbolon_idp::{Actor, IdpError, KeyAlgorithm, NewUser};

/// An API error: status and a JSON body `{"error", "error_description"}`.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = match self.0 {
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::CONFLICT => "conflict",
            StatusCode::SERVICE_UNAVAILABLE => "unavailable",
            StatusCode::INTERNAL_SERVER_ERROR => "server_error",
            _ => "invalid_request",
        };
        let mut r = (
            self.0,
            Json(json!({"error": code, "error_description": self.1})),
        )
            .into_response();
        if self.0 == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(symbolon_idp::hashing::RETRY_AFTER_SECS),
            );
        }
        if self.0 == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"symbolon-admin\""),
            );
        }
        r
    }
}

impl From<IdpError> for ApiError {
    fn from(e: IdpError) -> Self {
        match e {
            IdpError::NoRealm(r) => {
                ApiError(StatusCode::NOT_FOUND, format!("realm {r:?} not found"))
            }
            IdpError::Invalid(m) if m.contains("already") => ApiError(StatusCode::CONFLICT, m),
            IdpError::Invalid(m) => ApiError(StatusCode::BAD_REQUEST, m),
            IdpError::Metadata(m) => ApiError(StatusCode::BAD_REQUEST, format!("metadata: {m}")),
            IdpError::Store(s) => s.into(),
            IdpError::Crypto(cause) => {
                tracing::error!(%cause, "admin API answered 500");
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
            }
            IdpError::Busy(b) => ApiError(StatusCode::SERVICE_UNAVAILABLE, b.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what, id) => {
                ApiError(StatusCode::NOT_FOUND, format!("{what} {id:?} not found"))
            }
            StoreError::Conflict(m) => ApiError(StatusCode::CONFLICT, m),
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "admin API answered 503: the store is unavailable");
                ApiError(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database is unavailable".into(),
                )
            }
            StoreError::Backend(cause) => {
                tracing::error!(%cause, "admin API answered 500");
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
            }
        }
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Who is calling: a bearer token (`Authorization: Bearer ...`), or a signed-in console
/// administrator whose request carries the session's CSRF token in `X-CSRF-Token` and, when the
/// browser sends one, an `Origin` of this server.
async fn caller<S: IdpStore>(
    st: &crate::http::AppState<S>,
    headers: &HeaderMap,
) -> ApiResult<Actor> {
    let unauthorized = || {
        ApiError(
            StatusCode::UNAUTHORIZED,
            "a valid bearer token, or the console session with its X-CSRF-Token, is required"
                .into(),
        )
    };
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(unauthorized)?
            .trim();
        let t = symbolon_idp::authenticate_admin_token(st.store(), token)
            .await?
            .ok_or_else(unauthorized)?;
        return Ok(Actor(format!("token:{}", t.name)));
    }
    let id =
        crate::http::cookie(headers, crate::console::SESSION_COOKIE).ok_or_else(unauthorized)?;
    let session = st
        .admin_session(&id)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(unauthorized)?;
    let presented = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !crate::console::csrf_matches(&session, presented)
        || !crate::http::same_origin_as(&st.config().base_url, headers)
    {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "the X-CSRF-Token header must carry the console session's CSRF token".into(),
        ));
    }
    Ok(Actor(session.username))
}

/// `RealmRepresentation`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RealmRep {
    pub realm: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// `CredentialRepresentation` (password only).
#[derive(Debug, Deserialize)]
pub struct CredentialRep {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// `UserRepresentation`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRep {
    #[serde(default)]
    pub id: Option<String>,
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub attributes: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing)]
    pub credentials: Vec<CredentialRep>,
}

/// `ClientRepresentation` for SAML clients. `attributes` use Keycloak's keys;
/// `assertionConsumerServices` (all of them, with binding and index) is Symbolon's addition.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientRep {
    #[serde(default)]
    pub id: Option<String>,
    pub client_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "saml")]
    pub protocol: String,
    /// Home URL.
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub assertion_consumer_services: Vec<ClientEndpoint>,
}

fn saml() -> String {
    "saml".into()
}

fn name_id_keyword(format: &str) -> &'static str {
    match format {
        NAMEID_EMAIL => "email",
        NAMEID_PERSISTENT => "persistent",
        NAMEID_TRANSIENT => "transient",
        _ => "username",
    }
}

fn name_id_format(keyword: &str) -> Option<&'static str> {
    match keyword {
        "email" => Some(NAMEID_EMAIL),
        "persistent" => Some(NAMEID_PERSISTENT),
        "transient" => Some(NAMEID_TRANSIENT),
        "username" | "unspecified" => Some(NAMEID_UNSPECIFIED),
        _ => None,
    }
}

fn sig_alg_keyword(name: &str) -> String {
    name.to_uppercase().replace('-', "_")
}

fn client_rep(c: &Client) -> ClientRep {
    let mut a = BTreeMap::new();
    let b = |v: bool| {
        if v {
            "true".to_string()
        } else {
            "false".to_string()
        }
    };
    if let Some(u) = &c.idp_initiated_url_name {
        a.insert("saml_idp_initiated_sso_url_name".into(), u.clone());
    }
    if let Some(r) = &c.idp_initiated_relay_state {
        a.insert("saml_idp_initiated_sso_relay_state".into(), r.clone());
    }
    a.insert(
        "saml_name_id_format".into(),
        name_id_keyword(&c.name_id_format).into(),
    );
    a.insert("saml.server.signature".into(), b(c.sign_documents));
    a.insert("saml.assertion.signature".into(), b(c.sign_assertions));
    a.insert(
        "saml.signature.algorithm".into(),
        sig_alg_keyword(&c.signature_algorithm),
    );
    a.insert(
        "saml.client.signature".into(),
        b(c.client_signature_required),
    );
    if let Some(l) = c.assertion_lifespan_secs {
        a.insert("saml.assertion.lifespan".into(), l.to_string());
    }
    if let Some(acs) = symbolon_idp::default_post_acs_of(c) {
        a.insert("saml_assertion_consumer_url_post".into(), acs);
    }
    if let Some(cert) = c.signing_certs.first() {
        a.insert(
            "saml.signing.certificate".into(),
            symbolon_dsig::encode_base64(cert),
        );
    }
    ClientRep {
        id: Some(c.id.clone()),
        client_id: c.client_id.clone(),
        name: c.name.clone(),
        description: c.description.clone(),
        enabled: c.enabled,
        protocol: "saml".into(),
        base_url: c.home_url.clone(),
        attributes: a,
        assertion_consumer_services: c.acs.clone(),
    }
}

/// Apply a representation's editable settings to a client.
fn apply(rep: &ClientRep, c: &mut Client) -> ApiResult<()> {
    let bad = |m: String| ApiError(StatusCode::BAD_REQUEST, m);
    if rep.protocol != "saml" {
        return Err(bad(format!(
            "protocol {:?} is not supported (saml only)",
            rep.protocol
        )));
    }
    let flag = |k: &str, cur: bool| -> ApiResult<bool> {
        match rep.attributes.get(k).map(String::as_str) {
            None => Ok(cur),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(v) => Err(ApiError(
                StatusCode::BAD_REQUEST,
                format!("{k} must be \"true\" or \"false\", not {v:?}"),
            )),
        }
    };
    c.client_id = rep.client_id.clone();
    c.name = rep.name.clone();
    c.description = rep.description.clone();
    c.enabled = rep.enabled;
    c.home_url = rep.base_url.clone().filter(|u| !u.is_empty());
    c.idp_initiated_url_name = rep
        .attributes
        .get("saml_idp_initiated_sso_url_name")
        .cloned()
        .filter(|u| !u.is_empty());
    c.idp_initiated_relay_state = rep
        .attributes
        .get("saml_idp_initiated_sso_relay_state")
        .cloned()
        .filter(|u| !u.is_empty());
    if let Some(k) = rep.attributes.get("saml_name_id_format") {
        c.name_id_format = name_id_format(k)
            .ok_or_else(|| {
                bad(format!(
                    "unknown saml_name_id_format {k:?} (email, persistent, transient, username)"
                ))
            })?
            .into();
    }
    c.sign_documents = flag("saml.server.signature", c.sign_documents)?;
    c.sign_assertions = flag("saml.assertion.signature", c.sign_assertions)?;
    c.client_signature_required = flag("saml.client.signature", c.client_signature_required)?;
    if let Some(alg) = rep.attributes.get("saml.signature.algorithm") {
        let name = alg.to_lowercase().replace('_', "-");
        match symbolon_dsig::SignatureAlgorithm::from_name(&name) {
            Some(a) if !a.is_sha1() => c.signature_algorithm = name,
            _ => {
                return Err(bad(format!(
                    "saml.signature.algorithm {alg:?} is not supported"
                )));
            }
        }
    }
    if let Some(l) = rep.attributes.get("saml.assertion.lifespan") {
        let secs: i64 = l.parse().map_err(|_| {
            bad(format!(
                "saml.assertion.lifespan {l:?} is not a number of seconds"
            ))
        })?;
        if !(10..=86_400).contains(&secs) {
            return Err(bad(
                "saml.assertion.lifespan must be between 10 and 86400 seconds".into(),
            ));
        }
        c.assertion_lifespan_secs = Some(secs);
    }
    if !rep.assertion_consumer_services.is_empty() {
        c.acs = rep.assertion_consumer_services.clone();
    } else if let Some(u) = rep.attributes.get("saml_assertion_consumer_url_post")
        && !c
            .acs
            .iter()
            .any(|e| e.location == *u && e.binding == BINDING_POST)
    {
        c.acs = vec![ClientEndpoint {
            binding: BINDING_POST.into(),
            location: u.clone(),
            index: Some(0),
            is_default: Some(true),
        }];
    }
    if !c.acs.iter().any(|e| e.binding == BINDING_POST) {
        return Err(bad(
            "a SAML client needs an HTTP-POST assertion consumer service".into(),
        ));
    }
    Ok(())
}

fn user_rep(u: &symbolon_store::User) -> UserRep {
    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in &u.attributes {
        attributes.entry(k.clone()).or_default().push(v.clone());
    }
    UserRep {
        id: Some(u.id.clone()),
        username: u.username.clone(),
        email: u.email.clone(),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        enabled: u.enabled,
        attributes,
        credentials: vec![],
    }
}

fn created(location: String) -> Response {
    let mut r = StatusCode::CREATED.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// The `/admin` routes.
pub fn routes<S: IdpStore>() -> Router<crate::http::AppState<S>> {
    Router::new()
        .route(
            "/admin/realms",
            get(list_realms::<S>).post(create_realm::<S>),
        )
        .route("/admin/realms/{realm}", get(get_realm::<S>))
        .route(
            "/admin/realms/{realm}/users",
            get(list_users::<S>).post(create_user::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}",
            get(get_user::<S>).put(put_user::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/reset-password",
            put(reset_password::<S>),
        )
        .route(
            "/admin/realms/{realm}/authentication-policy",
            get(get_policy::<S>).put(put_policy::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/credentials",
            get(credentials::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/credentials/{cred}",
            axum::routing::delete(delete_credential::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/credentials/{cred}/clear-flag",
            post(clear_credential_flag::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/reset-credentials",
            post(reset_credentials::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/required-actions",
            get(get_required_actions::<S>).put(put_required_actions::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/registration-link",
            post(registration_link::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients",
            get(list_clients::<S>).post(create_client::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients/{id}",
            get(get_client::<S>).put(update_client::<S>),
        )
        .route(
            "/admin/realms/{realm}/client-description-converter",
            post(convert::<S>),
        )
        .route("/admin/realms/{realm}/keys", get(keys::<S>))
        .route(
            "/admin/realms/{realm}/groups",
            get(list_groups::<S>).post(create_group::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/groups",
            get(user_groups::<S>),
        )
        .route(
            "/admin/realms/{realm}/users/{id}/groups/{group}",
            put(join_group::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients/{id}/access",
            get(client_access::<S>).put(set_access::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients/{id}/access/{kind}/{subject}",
            put(assign::<S>).delete(unassign::<S>),
        )
        .route(
            "/admin/realms/{realm}/roles",
            get(list_roles::<S>).post(create_role::<S>),
        )
        .route(
            "/admin/realms/{realm}/roles/{name}",
            get(get_role::<S>).delete(delete_role::<S>),
        )
        .route(
            "/admin/realms/{realm}/{kind}/{id}/role-mappings/realm",
            get(role_mappings::<S>)
                .post(add_role_mappings::<S>)
                .delete(remove_role_mappings::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients/{id}/protocol-mappers/models",
            get(list_mappers::<S>).post(create_mapper::<S>),
        )
        .route(
            "/admin/realms/{realm}/clients/{id}/protocol-mappers/models/{name}",
            get(get_mapper::<S>).delete(delete_mapper::<S>),
        )
        .route("/admin/realms/{realm}/events", get(events::<S>))
}

type St<S> = State<crate::http::AppState<S>>;

async fn list_realms<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
) -> ApiResult<Json<Vec<RealmRep>>> {
    caller(&st, &h).await?;
    let realms = st.store().realms().await?;
    Ok(Json(
        realms
            .into_iter()
            .map(|r| RealmRep {
                realm: r.name,
                display_name: Some(r.display_name),
                enabled: r.enabled,
            })
            .collect(),
    ))
}

async fn create_realm<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Json(rep): Json<RealmRep>,
) -> ApiResult<Response> {
    let actor = caller(&st, &h).await?;
    let r = symbolon_idp::create_realm(
        st.store(),
        &actor,
        &rep.realm,
        rep.display_name.as_deref(),
        KeyAlgorithm::Rsa2048,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(created(format!("/admin/realms/{}", r.name)))
}

async fn get_realm<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(realm): Path<String>,
) -> ApiResult<Json<RealmRep>> {
    caller(&st, &h).await?;
    let r = st
        .store()
        .realm(&realm)
        .await?
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("realm {realm:?} not found")))?;
    Ok(Json(RealmRep {
        realm: r.name,
        display_name: Some(r.display_name),
        enabled: r.enabled,
    }))
}

async fn realm_exists<S: IdpStore>(st: &crate::http::AppState<S>, realm: &str) -> ApiResult<()> {
    st.store()
        .realm(realm)
        .await?
        .map(|_| ())
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("realm {realm:?} not found")))
}

#[derive(Deserialize)]
struct UserQuery {
    username: Option<String>,
}

async fn list_users<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(realm): Path<String>,
    Query(q): Query<UserQuery>,
) -> ApiResult<Json<Vec<UserRep>>> {
    caller(&st, &h).await?;
    realm_exists(&st, &realm).await?;
    let wanted = q.username.as_deref().map(symbolon_idp::normalize_username);
    let users = st.store().users(&realm).await?;
    Ok(Json(
        users
            .iter()
            .filter(|u| wanted.as_ref().is_none_or(|w| *w == u.username))
            .map(user_rep)
            .collect(),
    ))
}

async fn create_user<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(realm): Path<String>,
    Json(rep): Json<UserRep>,
) -> ApiResult<Response> {
    let actor = caller(&st, &h).await?;
    let password = match rep.credentials.as_slice() {
        [] => None,
        [c] if c.kind == "password" => Some(c.value.clone()),
        _ => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                "credentials: at most one, of type \"password\"".into(),
            ));
        }
    };
    let attributes = rep
        .attributes
        .into_iter()
        .flat_map(|(k, vs)| vs.into_iter().map(move |v| (k.clone(), v)))
        .collect();
    let new = NewUser {
        username: rep.username,
        email: rep.email,
        first_name: rep.first_name,
        last_name: rep.last_name,
        attributes,
    };
    let u = symbolon_idp::add_user(
        st.store(),
        &actor,
        &realm,
        new,
        password.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(created(format!("/admin/realms/{realm}/users/{}", u.id)))
}

async fn reset_password<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
    Json(c): Json<CredentialRep>,
) -> ApiResult<StatusCode> {
    let actor = caller(&st, &h).await?;
    realm_exists(&st, &realm).await?;
    if c.kind != "password" {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "only credentials of type \"password\" are supported".into(),
        ));
    }
    let user = st
        .store()
        .users(&realm)
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("user {id:?} not found")))?;
    symbolon_idp::set_password(
        st.store(),
        &actor,
        &realm,
        &user.username,
        &c.value,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientQuery {
    client_id: Option<String>,
}

async fn list_clients<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(realm): Path<String>,
    Query(q): Query<ClientQuery>,
) -> ApiResult<Json<Vec<ClientRep>>> {
    caller(&st, &h).await?;
    realm_exists(&st, &realm).await?;
    let clients = st.store().clients(&realm).await?;
    Ok(Json(
        clients
            .iter()
            .filter(|c| q.client_id.as_ref().is_none_or(|w| *w == c.client_id))
            .map(client_rep)
            .collect(),
    ))
}

async fn find_client<S: IdpStore>(
    st: &crate::http::AppState<S>,
    realm: &str,
    id: &str,
) -> ApiResult<Client> {
    st.store()
        .clients(realm)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("client {id:?} not found")))
}

async fn get_client<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<ClientRep>> {
    caller(&st, &h).await?;
    Ok(Json(client_rep(&find_client(&st, &realm, &id).await?)))
}

async fn create_client<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(realm): Path<String>,
    Json(rep): Json<ClientRep>,
) -> ApiResult<Response> {
    let actor = caller(&st, &h).await?;
    realm_exists(&st, &realm).await?;
    if st.store().client(&realm, &rep.client_id).await?.is_some() {
        return Err(ApiError(
            StatusCode::CONFLICT,
            format!("client {:?} already exists", rep.client_id),
        ));
    }
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    let mut c = Client {
        id: uuid::Uuid::new_v4().to_string(),
        realm: realm.clone(),
        client_id: rep.client_id.clone(),
        name: None,
        description: None,
        enabled: true,
        home_url: None,
        idp_initiated_url_name: None,
        idp_initiated_relay_state: None,
        name_id_format: NAMEID_UNSPECIFIED.into(),
        sign_documents: true,
        sign_assertions: false,
        signature_algorithm: "rsa-sha256".into(),
        client_signature_required: false,
        assertion_lifespan_secs: None,
        acs: vec![],
        slo: vec![],
        signing_certs: rep
            .attributes
            .get("saml.signing.certificate")
            .and_then(|b| symbolon_dsig::decode_base64(b))
            .into_iter()
            .collect(),
        mappers: vec![],
        restricted: false,
        created_at: now,
    };
    apply(&rep, &mut c)?;
    if let Some(u) = &c.idp_initiated_url_name
        && st.store().client_by_url_name(&realm, u).await?.is_some()
    {
        return Err(ApiError(
            StatusCode::CONFLICT,
            format!("another client already uses the IdP-initiated SSO URL name {u:?}"),
        ));
    }
    st.store().create_client(&c).await?;
    symbolon_idp::record_admin(
        st.store(),
        &realm,
        &actor,
        Some(&c.client_id),
        format!("created client {}", c.client_id),
        now,
    )
    .await?;
    Ok(created(format!("/admin/realms/{realm}/clients/{}", c.id)))
}

async fn update_client<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
    Json(rep): Json<ClientRep>,
) -> ApiResult<StatusCode> {
    let actor = caller(&st, &h).await?;
    let mut c = find_client(&st, &realm, &id).await?;
    apply(&rep, &mut c)?;
    symbolon_idp::update_client(
        st.store(),
        &actor,
        &c,
        "settings",
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turn SP metadata (the request body) into a client representation, without saving it.
async fn convert<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(realm): Path<String>,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    caller(&st, &h).await?;
    realm_exists(&st, &realm).await?;
    let (c, findings) =
        symbolon_idp::client_from_metadata(&realm, &body, OffsetDateTime::now_utc())?;
    let mut rep = serde_json::to_value(client_rep(&Client {
        id: String::new(),
        ..c
    }))
    .map_err(|_| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into()))?;
    if let Some(o) = rep.as_object_mut() {
        o.remove("id");
        o.insert(
            "findings".into(),
            findings.iter().map(|f| json!({"severity": format!("{:?}", f.severity).to_lowercase(), "code": f.code, "message": f.message})).collect(),
        );
    }
    Ok(Json(rep))
}

async fn keys<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(realm): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    caller(&st, &h).await?;
    realm_exists(&st, &realm).await?;
    let keys: Vec<serde_json::Value> = st
        .store()
        .keys(&realm)
        .await?
        .iter()
        .map(|k| json!({"kid": k.kid, "status": k.status.as_str().to_uppercase(), "algorithm": k.algorithm, "certificate": symbolon_dsig::encode_base64(&k.certificate_der)}))
        .collect();
    Ok(Json(json!({ "keys": keys })))
}

#[derive(Deserialize)]
struct EventQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    max: Option<u32>,
}

async fn events<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(realm): Path<String>,
    Query(q): Query<EventQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    caller(&st, &h).await?;
    realm_exists(&st, &realm).await?;
    let evs = st
        .store()
        .events(&realm, q.kind.as_deref(), q.max.unwrap_or(100).min(1000))
        .await?;
    Ok(Json(serde_json::Value::Array(
        evs.iter()
            .map(|e| json!({"time": symbolon_saml::time::format_instant(e.at), "type": e.kind, "actor": e.actor, "clientId": e.client_id, "details": e.detail}))
            .collect(),
    )))
}

/// `GroupRepresentation`: `id`, `name` (last segment), `path` (full).
#[derive(Debug, Serialize, Deserialize)]
pub struct GroupRep {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
}

fn group_rep(g: &symbolon_store::Group) -> GroupRep {
    GroupRep {
        id: Some(g.id.clone()),
        name: g.path.rsplit('/').next().map(str::to_string),
        path: Some(g.path.clone()),
    }
}

async fn list_groups<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(realm): Path<String>,
) -> ApiResult<Json<Vec<GroupRep>>> {
    caller(&st, &h).await?;
    realm_exists(&st, &realm).await?;
    Ok(Json(
        st.store()
            .groups(&realm)
            .await?
            .iter()
            .map(group_rep)
            .collect(),
    ))
}

async fn create_group<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(realm): Path<String>,
    Json(rep): Json<GroupRep>,
) -> ApiResult<Response> {
    let actor = caller(&st, &h).await?;
    let path = rep
        .path
        .or(rep.name.map(|n| format!("/{n}")))
        .ok_or_else(|| {
            ApiError(
                StatusCode::BAD_REQUEST,
                "a group needs a path or a name".into(),
            )
        })?;
    let g = symbolon_idp::add_group(st.store(), &actor, &realm, &path, OffsetDateTime::now_utc())
        .await?;
    Ok(created(format!("/admin/realms/{realm}/groups/{}", g.id)))
}

async fn find_user<S: IdpStore>(
    st: &crate::http::AppState<S>,
    realm: &str,
    id: &str,
) -> ApiResult<symbolon_store::User> {
    realm_exists(st, realm).await?;
    st.store()
        .user_by_id(realm, id)
        .await?
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("user {id:?} not found")))
}

async fn find_group<S: IdpStore>(
    st: &crate::http::AppState<S>,
    realm: &str,
    id: &str,
) -> ApiResult<symbolon_store::Group> {
    st.store()
        .groups(realm)
        .await?
        .into_iter()
        .find(|g| g.id == id)
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("group {id:?} not found")))
}

async fn user_groups<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<GroupRep>>> {
    caller(&st, &h).await?;
    let u = find_user(&st, &realm, &id).await?;
    Ok(Json(
        st.store()
            .user_groups(&u.id)
            .await?
            .iter()
            .map(group_rep)
            .collect(),
    ))
}

async fn join_group<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id, group)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let actor = caller(&st, &h).await?;
    let u = find_user(&st, &realm, &id).await?;
    let g = find_group(&st, &realm, &group).await?;
    symbolon_idp::join_group(
        st.store(),
        &actor,
        &realm,
        &u.username,
        &g.path,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessRep {
    pub restricted: bool,
    /// Who can reach the client, in words (read-only).
    #[serde(default, skip_deserializing)]
    pub summary: Vec<String>,
}

async fn client_access<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<AccessRep>> {
    caller(&st, &h).await?;
    let c = find_client(&st, &realm, &id).await?;
    Ok(Json(AccessRep {
        restricted: c.restricted,
        summary: symbolon_idp::client_access_summary(st.store(), &c).await?,
    }))
}

async fn set_access<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
    Json(rep): Json<AccessRep>,
) -> ApiResult<StatusCode> {
    let actor = caller(&st, &h).await?;
    let c = find_client(&st, &realm, &id).await?;
    symbolon_idp::set_client_restricted(
        st.store(),
        &actor,
        &realm,
        &c.client_id,
        rep.restricted,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn subject<S: IdpStore>(
    st: &crate::http::AppState<S>,
    realm: &str,
    kind: &str,
    id: &str,
) -> ApiResult<symbolon_idp::Subject> {
    match kind {
        "users" => Ok(symbolon_idp::Subject::User(
            find_user(st, realm, id).await?.username,
        )),
        "groups" => Ok(symbolon_idp::Subject::Group(
            find_group(st, realm, id).await?.path,
        )),
        _ => Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no such assignment kind {kind:?} (users or groups)"),
        )),
    }
}

async fn assign<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(p): Path<(String, String, String, String)>,
) -> ApiResult<StatusCode> {
    assignment(&st, &h, p, true).await
}

async fn unassign<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(p): Path<(String, String, String, String)>,
) -> ApiResult<StatusCode> {
    assignment(&st, &h, p, false).await
}

/// Grant (`true`) or revoke a client assignment for a user or group.
async fn assignment<S: IdpStore>(
    st: &crate::http::AppState<S>,
    h: &HeaderMap,
    (realm, id, kind, who): (String, String, String, String),
    grant: bool,
) -> ApiResult<StatusCode> {
    let actor = caller(st, h).await?;
    let c = find_client(st, &realm, &id).await?;
    let s = subject(st, &realm, &kind, &who).await?;
    symbolon_idp::assign_client(
        st.store(),
        &actor,
        &realm,
        &c.client_id,
        &s,
        grant,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_user<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<UserRep>> {
    caller(&st, &h).await?;
    Ok(Json(user_rep(&find_user(&st, &realm, &id).await?)))
}

/// Update email, names, enabled and attributes (the username cannot change).
async fn put_user<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
    Json(rep): Json<UserRep>,
) -> ApiResult<StatusCode> {
    let actor = caller(&st, &h).await?;
    let mut u = find_user(&st, &realm, &id).await?;
    if symbolon_idp::normalize_username(&rep.username) != u.username {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "the username cannot be changed".into(),
        ));
    }
    u.email = rep.email.filter(|e| !e.trim().is_empty());
    u.first_name = rep.first_name;
    u.last_name = rep.last_name;
    u.enabled = rep.enabled;
    u.attributes = rep
        .attributes
        .into_iter()
        .flat_map(|(k, vs)| vs.into_iter().map(move |v| (k.clone(), v)))
        .collect();
    symbolon_idp::update_user(st.store(), &actor, &u, OffsetDateTime::now_utc()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `RoleRepresentation` (realm roles).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRep {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

fn role_rep(r: &symbolon_store::Role) -> RoleRep {
    RoleRep {
        id: Some(r.id.clone()),
        name: r.name.clone(),
        description: r.description.clone(),
    }
}

async fn list_roles<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(realm): Path<String>,
) -> ApiResult<Json<Vec<RoleRep>>> {
    caller(&st, &h).await?;
    realm_exists(&st, &realm).await?;
    Ok(Json(
        st.store()
            .roles(&realm)
            .await?
            .iter()
            .map(role_rep)
            .collect(),
    ))
}

async fn find_role<S: IdpStore>(
    st: &crate::http::AppState<S>,
    realm: &str,
    name: &str,
) -> ApiResult<symbolon_store::Role> {
    realm_exists(st, realm).await?;
    st.store()
        .roles(realm)
        .await?
        .into_iter()
        .find(|r| r.name == name)
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("role {name:?} not found")))
}

async fn get_role<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, name)): Path<(String, String)>,
) -> ApiResult<Json<RoleRep>> {
    caller(&st, &h).await?;
    Ok(Json(role_rep(&find_role(&st, &realm, &name).await?)))
}

async fn create_role<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(realm): Path<String>,
    Json(rep): Json<RoleRep>,
) -> ApiResult<Response> {
    let actor = caller(&st, &h).await?;
    let r = symbolon_idp::roles::add_role(
        st.store(),
        &actor,
        &realm,
        &rep.name,
        rep.description.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(created(format!("/admin/realms/{realm}/roles/{}", r.name)))
}

async fn delete_role<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let actor = caller(&st, &h).await?;
    find_role(&st, &realm, &name).await?;
    symbolon_idp::roles::delete_role(st.store(), &actor, &realm, &name, OffsetDateTime::now_utc())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The realm roles granted directly to a user or a group (`kind` is `users` or `groups`).
async fn role_mappings<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, kind, id)): Path<(String, String, String)>,
) -> ApiResult<Json<Vec<RoleRep>>> {
    caller(&st, &h).await?;
    realm_exists(&st, &realm).await?;
    let holder = match kind.as_str() {
        "users" => symbolon_store::Assignment::User(find_user(&st, &realm, &id).await?.id),
        "groups" => symbolon_store::Assignment::Group(find_group(&st, &realm, &id).await?.id),
        _ => {
            return Err(ApiError(
                StatusCode::NOT_FOUND,
                format!("no such role holder kind {kind:?} (users or groups)"),
            ));
        }
    };
    let names: Vec<String> = st
        .store()
        .role_grants(&realm)
        .await?
        .into_iter()
        .filter(|(_, a)| *a == holder)
        .map(|(n, _)| n)
        .collect();
    Ok(Json(
        st.store()
            .roles(&realm)
            .await?
            .iter()
            .filter(|r| names.contains(&r.name))
            .map(role_rep)
            .collect(),
    ))
}

async fn add_role_mappings<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(p): Path<(String, String, String)>,
    Json(reps): Json<Vec<RoleRep>>,
) -> ApiResult<StatusCode> {
    change_role_mappings(&st, &h, p, reps, true).await
}

async fn remove_role_mappings<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(p): Path<(String, String, String)>,
    Json(reps): Json<Vec<RoleRep>>,
) -> ApiResult<StatusCode> {
    change_role_mappings(&st, &h, p, reps, false).await
}

/// Grant (`true`) or revoke realm roles for a user or a group. Every role is checked before
/// any change is made.
async fn change_role_mappings<S: IdpStore>(
    st: &crate::http::AppState<S>,
    h: &HeaderMap,
    (realm, kind, id): (String, String, String),
    reps: Vec<RoleRep>,
    grant: bool,
) -> ApiResult<StatusCode> {
    let actor = caller(st, h).await?;
    let who = subject(st, &realm, &kind, &id).await?;
    for r in &reps {
        find_role(st, &realm, &r.name).await?;
    }
    for r in &reps {
        symbolon_idp::roles::grant_role(
            st.store(),
            &actor,
            &realm,
            &r.name,
            &who,
            grant,
            OffsetDateTime::now_utc(),
        )
        .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `ProtocolMapperRepresentation` for SAML mappers, with Keycloak's mapper types and config keys.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapperRep {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default = "saml")]
    pub protocol: String,
    pub protocol_mapper: String,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

const NAME_FORMAT_WORDS: [(&str, &str); 3] = [
    ("Basic", "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"),
    (
        "URI Reference",
        "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
    ),
    (
        "Unspecified",
        "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified",
    ),
];

fn mapper_rep(m: &symbolon_store::Mapper) -> MapperRep {
    use symbolon_store::MapperSource as M;
    let mut config = BTreeMap::new();
    config.insert("attribute.name".to_string(), m.saml_attribute.clone());
    if let Some(f) = &m.name_format {
        let word = NAME_FORMAT_WORDS
            .iter()
            .find(|(_, u)| u == f)
            .map_or(f.as_str(), |(w, _)| w);
        config.insert("attribute.nameformat".into(), word.into());
    }
    if let Some(f) = &m.friendly_name {
        config.insert("friendly.name".into(), f.clone());
    }
    let kind = match &m.source {
        M::UserAttribute { attribute } => {
            config.insert("user.attribute".into(), attribute.clone());
            "saml-user-attribute-mapper"
        }
        M::UserProperty { property } => {
            config.insert("user.attribute".into(), property.clone());
            "saml-user-property-mapper"
        }
        M::GroupList { full_path } => {
            config.insert("full.path".into(), full_path.to_string());
            config.insert("single".into(), "true".into());
            "saml-group-membership-mapper"
        }
        M::RoleList => {
            config.insert("single".into(), "true".into());
            "saml-role-list-mapper"
        }
        M::Hardcoded { value } => {
            config.insert("attribute.value".into(), value.clone());
            "saml-hardcode-attribute-mapper"
        }
    };
    MapperRep {
        id: Some(m.name.clone()),
        name: m.name.clone(),
        protocol: "saml".into(),
        protocol_mapper: kind.into(),
        config,
    }
}

fn mapper_from_rep(rep: &MapperRep) -> ApiResult<symbolon_store::Mapper> {
    let bad = |m: String| ApiError(StatusCode::BAD_REQUEST, m);
    if rep.protocol != "saml" {
        return Err(bad(format!(
            "protocol {:?} is not supported (saml only)",
            rep.protocol
        )));
    }
    let get = |k: &str| rep.config.get(k).map(String::as_str).unwrap_or("");
    let (kind, param) = match rep.protocol_mapper.as_str() {
        "saml-user-attribute-mapper" => ("user-attribute", get("user.attribute")),
        "saml-user-property-mapper" => ("user-property", get("user.attribute")),
        "saml-group-membership-mapper" => match get("full.path") {
            "true" | "" => ("group-list-full", ""),
            "false" => ("group-list", ""),
            v => {
                return Err(bad(format!(
                    "full.path must be \"true\" or \"false\", not {v:?}"
                )));
            }
        },
        "saml-role-list-mapper" => ("role-list", ""),
        "saml-hardcode-attribute-mapper" => ("hardcoded", get("attribute.value")),
        other => {
            return Err(bad(format!(
                "protocolMapper {other:?} is not supported (saml-user-attribute-mapper, \
                 saml-user-property-mapper, saml-group-membership-mapper, saml-role-list-mapper, \
                 saml-hardcode-attribute-mapper)"
            )));
        }
    };
    let source = symbolon_idp::roles::mapper_source(kind, param)?;
    let name_format = match rep.config.get("attribute.nameformat") {
        None => None,
        Some(w) => Some(
            NAME_FORMAT_WORDS
                .iter()
                .find(|(word, uri)| w == word || w == uri)
                .map(|(_, uri)| uri.to_string())
                .ok_or_else(|| {
                    bad(format!(
                        "attribute.nameformat {w:?} is not one of Basic, URI Reference, Unspecified"
                    ))
                })?,
        ),
    };
    Ok(symbolon_store::Mapper {
        name: rep.name.clone(),
        saml_attribute: get("attribute.name").to_string(),
        name_format,
        friendly_name: rep
            .config
            .get("friendly.name")
            .cloned()
            .filter(|f| !f.is_empty()),
        source,
    })
}

async fn list_mappers<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<MapperRep>>> {
    caller(&st, &h).await?;
    let c = find_client(&st, &realm, &id).await?;
    Ok(Json(c.mappers.iter().map(mapper_rep).collect()))
}

async fn get_mapper<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id, name)): Path<(String, String, String)>,
) -> ApiResult<Json<MapperRep>> {
    caller(&st, &h).await?;
    let c = find_client(&st, &realm, &id).await?;
    c.mappers
        .iter()
        .find(|m| m.name == name)
        .map(|m| Json(mapper_rep(m)))
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("mapper {name:?} not found")))
}

async fn create_mapper<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
    Json(rep): Json<MapperRep>,
) -> ApiResult<Response> {
    let actor = caller(&st, &h).await?;
    let c = find_client(&st, &realm, &id).await?;
    let m = mapper_from_rep(&rep)?;
    let name = if m.name.trim().is_empty() {
        m.saml_attribute.trim().to_string()
    } else {
        m.name.trim().to_string()
    };
    symbolon_idp::roles::add_mapper(
        st.store(),
        &actor,
        &realm,
        &c.client_id,
        m,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(created(format!(
        "/admin/realms/{realm}/clients/{id}/protocol-mappers/models/{name}"
    )))
}

async fn delete_mapper<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id, name)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let actor = caller(&st, &h).await?;
    let c = find_client(&st, &realm, &id).await?;
    if !c.mappers.iter().any(|m| m.name == name) {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("mapper {name:?} not found"),
        ));
    }
    symbolon_idp::roles::remove_mapper(
        st.store(),
        &actor,
        &realm,
        &c.client_id,
        &name,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The realm's sign-in policy: `{"policy": "password" | "second-factor" |
/// "passkey-or-password" | "passkey-only"}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct PolicyRep {
    pub policy: String,
}

async fn get_policy<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(realm): Path<String>,
) -> ApiResult<Json<PolicyRep>> {
    caller(&st, &h).await?;
    let p = symbolon_idp::auth_policy(st.store(), &realm).await?;
    Ok(Json(PolicyRep {
        policy: p.as_str().into(),
    }))
}

async fn put_policy<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path(realm): Path<String>,
    Json(rep): Json<PolicyRep>,
) -> ApiResult<StatusCode> {
    let actor = caller(&st, &h).await?;
    let policy = symbolon_idp::AuthPolicy::parse(&rep.policy).ok_or_else(|| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!(
                "unknown policy {:?} (one of password, second-factor, passkey-or-password, passkey-only)",
                rep.policy
            ),
        )
    })?;
    symbolon_idp::set_auth_policy(
        st.store(),
        &actor,
        &realm,
        policy,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's credential as Keycloak's `CredentialInforesentation` names it (`password`, `otp`,
/// `webauthn-passwordless`); never a secret.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialInfo {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub user_label: Option<String>,
    /// Milliseconds since the epoch.
    #[serde(default)]
    pub created_date: Option<i64>,
    #[serde(default)]
    pub last_used_date: Option<i64>,
    #[serde(default)]
    pub sign_count: Option<u32>,
    #[serde(default)]
    pub backed_up: Option<bool>,
    #[serde(default)]
    pub recovery_codes_left: Option<u32>,
    /// A passkey suspended as a possible clone since then (milliseconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flagged_date: Option<i64>,
}

fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

async fn credentials<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<CredentialInfo>>> {
    caller(&st, &h).await?;
    let u = find_user(&st, &realm, &id).await?;
    let m = symbolon_idp::user_methods(st.store(), &u).await?;
    let mut out = Vec::new();
    let blank = |id: &str, kind: &str| CredentialInfo {
        id: id.into(),
        kind: kind.into(),
        user_label: None,
        created_date: None,
        last_used_date: None,
        sign_count: None,
        backed_up: None,
        recovery_codes_left: None,
        flagged_date: None,
    };
    if m.password {
        out.push(blank("password", "password"));
    }
    if let Some(enrolled) = m.totp {
        out.push(CredentialInfo {
            created_date: Some(millis(enrolled)),
            recovery_codes_left: Some(m.recovery_codes_left),
            ..blank("otp", "otp")
        });
    }
    for p in m.passkeys {
        out.push(CredentialInfo {
            user_label: Some(p.name),
            created_date: Some(millis(p.created_at)),
            last_used_date: p.last_used.map(millis),
            sign_count: Some(p.sign_count),
            backed_up: Some(p.backup_state),
            flagged_date: p.flagged_at.map(millis),
            ..blank(&p.id, "webauthn-passwordless")
        });
    }
    Ok(Json(out))
}

/// Remove one credential: `otp` (the authenticator app and its recovery codes) or a passkey by
/// its ID. The password is changed with reset-password, not removed here.
async fn delete_credential<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id, cred)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let actor = caller(&st, &h).await?;
    let u = find_user(&st, &realm, &id).await?;
    let now = OffsetDateTime::now_utc();
    match cred.as_str() {
        "otp" => symbolon_idp::remove_totp(st.store(), &actor, &realm, &u.username, now).await?,
        "password" => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                "the password is changed with reset-password".into(),
            ));
        }
        passkey => {
            symbolon_idp::remove_user_passkey(st.store(), &actor, &realm, &u.username, passkey, now)
                .await
                .map_err(|e| match e {
                    IdpError::Invalid(m) => ApiError(StatusCode::NOT_FOUND, m),
                    other => other.into(),
                })?
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Clear a passkey's possible-clone flag (204; 404 when the user has no such passkey).
async fn clear_credential_flag<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id, cred)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let actor = caller(&st, &h).await?;
    let u = find_user(&st, &realm, &id).await?;
    symbolon_idp::clear_passkey_flag(
        st.store(),
        &actor,
        &realm,
        &u.username,
        &cred,
        OffsetDateTime::now_utc(),
    )
    .await
    .map_err(|e| match e {
        IdpError::Invalid(m) => ApiError(StatusCode::NOT_FOUND, m),
        other => other.into(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove the user's second factor and passkeys and sign out their sessions (a lost device).
async fn reset_credentials<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<serde_json::Value>> {
    let actor = caller(&st, &h).await?;
    let u = find_user(&st, &realm, &id).await?;
    let r = symbolon_idp::reset_credentials(
        st.store(),
        &actor,
        &realm,
        &u.username,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(Json(
        json!({"passkeysRemoved": r.passkeys_removed, "sessionsSignedOut": r.sessions_signed_out}),
    ))
}

async fn get_required_actions<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<String>>> {
    caller(&st, &h).await?;
    let u = find_user(&st, &realm, &id).await?;
    Ok(Json(st.store().required_actions(&u.id).await?))
}

/// Set the user's required actions: `[]` or `["register-passkey"]`.
async fn put_required_actions<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
    Json(actions): Json<Vec<String>>,
) -> ApiResult<StatusCode> {
    let actor = caller(&st, &h).await?;
    let u = find_user(&st, &realm, &id).await?;
    if let Some(bad) = actions
        .iter()
        .find(|a| a.as_str() != symbolon_store::ACTION_REGISTER_PASSKEY)
    {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!("unknown required action {bad:?} (known: register-passkey)"),
        ));
    }
    let on = !actions.is_empty();
    symbolon_idp::require_passkey(
        st.store(),
        &actor,
        &realm,
        &u.username,
        on,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A one-time link (24 hours) with which the user registers a passkey without a password:
/// `{"url", "expiresAt"}` (milliseconds). Shown once; only its hash is kept.
async fn registration_link<S: IdpStore>(
    State(st): St<S>,
    h: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<serde_json::Value>> {
    let actor = caller(&st, &h).await?;
    let u = find_user(&st, &realm, &id).await?;
    let l = symbolon_idp::create_registration_link(
        st.store(),
        &actor,
        &st.config().base_url,
        &realm,
        &u.username,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(Json(json!({"url": l.url, "expiresAt": millis(l.expires)})))
}
