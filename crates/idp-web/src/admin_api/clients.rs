//! `/admin/realms/{realm}/clients`: clients (Keycloak's representation), import by
//! converter, who may use a client, and protocol mappers.

use crate::admin_api::common::{ApiCaller, ApiError, ApiResult, St, created, saml, yes};
use crate::admin_api::groups::find_group;
use crate::admin_api::realms::realm_exists;
use crate::admin_api::users::find_user;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use symbolon_idp::Actor;
use symbolon_saml::messages::{
    NAMEID_EMAIL, NAMEID_PERSISTENT, NAMEID_TRANSIENT, NAMEID_UNSPECIFIED,
};
use symbolon_saml::metadata::{BINDING_POST, BINDING_REDIRECT};
use symbolon_store::{Client, ClientEndpoint, IdpStore};
use symbolon_web::error::Kind;
use time::OffsetDateTime;

/// `ClientRepresentation` for SAML clients. `attributes` use Keycloak's keys;
/// `assertionConsumerServices` (all of them, with binding and index) is Symbolon's addition.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientRep {
    /// Read-only: the client's internal ID, used in its URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The SP's entity ID.
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
    /// Keycloak's SAML client attributes (`saml_name_id_format`, `saml.server.signature`,
    /// `saml.signature.algorithm`, `saml.encrypt`, `saml_idp_initiated_sso_url_name`, ...).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Every assertion consumer service, with binding and index.
    #[serde(default)]
    #[schema(value_type = Vec<EndpointRep>)]
    pub assertion_consumer_services: Vec<ClientEndpoint>,
}

/// An endpoint of a client (the shape of `ClientEndpoint`, for the API document).
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct EndpointRep {
    /// A SAML binding URI.
    pub binding: String,
    pub location: String,
    pub index: Option<u16>,
    pub is_default: Option<bool>,
}

/// What the converter found in the metadata.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FindingRep {
    /// `error`, `warning` or `info`.
    pub severity: String,
    pub code: String,
    pub message: String,
}

/// The converter's answer: the client the metadata describes (not saved), and its findings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConvertedRep {
    #[serde(flatten)]
    pub client: ClientRep,
    pub findings: Vec<FindingRep>,
}

pub(crate) fn name_id_keyword(format: &str) -> &'static str {
    match format {
        NAMEID_EMAIL => "email",
        NAMEID_PERSISTENT => "persistent",
        NAMEID_TRANSIENT => "transient",
        _ => "username",
    }
}

pub(crate) fn name_id_format(keyword: &str) -> Option<&'static str> {
    match keyword {
        "email" => Some(NAMEID_EMAIL),
        "persistent" => Some(NAMEID_PERSISTENT),
        "transient" => Some(NAMEID_TRANSIENT),
        "username" | "unspecified" => Some(NAMEID_UNSPECIFIED),
        _ => None,
    }
}

pub(crate) fn sig_alg_keyword(name: &str) -> String {
    name.to_uppercase().replace('-', "_")
}

pub(crate) fn client_rep(c: &Client) -> ClientRep {
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
    a.insert("saml.encrypt".into(), b(c.encryption.enabled));
    a.insert(
        "saml.encryption.algorithm".into(),
        c.encryption.data_algorithm.clone(),
    );
    a.insert(
        "saml.encryption.keyTransport".into(),
        c.encryption.key_transport.clone(),
    );
    if let Some(l) = c.assertion_lifespan_secs {
        a.insert("saml.assertion.lifespan".into(), l.to_string());
    }
    if let Some(src) = &c.metadata_source {
        a.insert(METADATA_URL.into(), src.url.clone());
        a.insert(METADATA_ALLOW_HTTP.into(), b(src.allow_http));
    }
    if let Some(acs) = symbolon_idp::default_post_acs_of(c) {
        a.insert("saml_assertion_consumer_url_post".into(), acs);
    }
    for (key, binding) in [(SLO_REDIRECT, BINDING_REDIRECT), (SLO_POST, BINDING_POST)] {
        if let Some(l) = symbolon_idp::logout_location(c, binding) {
            a.insert(key.into(), l.into());
        }
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
pub(crate) fn apply(rep: &ClientRep, c: &mut Client) -> ApiResult<()> {
    let bad = |m: String| ApiError::new(Kind::Invalid, m);
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
            Some(v) => Err(ApiError::new(
                Kind::Invalid,
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
    c.encryption.enabled = flag("saml.encrypt", c.encryption.enabled)?;
    if let Some(v) = rep.attributes.get("saml.encryption.algorithm") {
        if !symbolon_idp::ENCRYPTION_ALGORITHMS.contains(&v.as_str()) {
            return Err(bad(format!(
                "saml.encryption.algorithm {v:?} is not one of {}",
                symbolon_idp::ENCRYPTION_ALGORITHMS.join(", ")
            )));
        }
        c.encryption.data_algorithm = v.clone();
    }
    if let Some(v) = rep.attributes.get("saml.encryption.keyTransport") {
        if !symbolon_idp::KEY_TRANSPORTS.contains(&v.as_str()) {
            return Err(bad(format!(
                "saml.encryption.keyTransport {v:?} is not one of {}",
                symbolon_idp::KEY_TRANSPORTS.join(", ")
            )));
        }
        c.encryption.key_transport = v.clone();
    }
    if c.encryption.enabled && c.encryption.certs.is_empty() {
        return Err(bad(
            "saml.encrypt is true but the client publishes no encryption certificate".into(),
        ));
    }
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
    // Keycloak's attributes for the logout URLs; an absent one keeps that binding's location,
    // an empty one removes it.
    let (redirect, post) = (
        rep.attributes.get(SLO_REDIRECT),
        rep.attributes.get(SLO_POST),
    );
    if redirect.is_some() || post.is_some() {
        let keep = |b: &str| symbolon_idp::logout_location(c, b).map(str::to_string);
        let redirect = redirect.cloned().or_else(|| keep(BINDING_REDIRECT));
        let post = post.cloned().or_else(|| keep(BINDING_POST));
        symbolon_idp::set_logout_endpoints(c, redirect.as_deref(), post.as_deref())
            .map_err(|e| bad(e.to_string()))?;
    }
    Ok(())
}

/// `saml.metadata.url` (ours; Keycloak has none): the URL the client's metadata is refreshed
/// from by `idp:metadata-refresh`, `saml.metadata.allowHttp` to allow plain http for it. Set,
/// the client is due for a refresh at once (the job fetches it and re-imports its endpoints and
/// certificates); empty, the client stops being refreshed; absent, nothing changes.
pub(crate) fn apply_source(rep: &ClientRep, c: &mut Client, now: OffsetDateTime) -> ApiResult<()> {
    let Some(url) = rep.attributes.get(METADATA_URL).map(|u| u.trim()) else {
        return Ok(());
    };
    if url.is_empty() {
        c.metadata_source = None;
        return Ok(());
    }
    let allow_http = match rep.attributes.get(METADATA_ALLOW_HTTP).map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => {
            return Err(ApiError::new(
                Kind::Invalid,
                format!("{METADATA_ALLOW_HTTP} must be \"true\" or \"false\", not {v:?}"),
            ));
        }
    };
    // The same check the fetcher makes, before anything is stored.
    symbolon_web::fetch::check_url(url, allow_http).map_err(|e| {
        ApiError::new(
            Kind::Invalid,
            format!(
                "{METADATA_URL} must be an https:// URL (http:// only with {METADATA_ALLOW_HTTP} \"true\"): {e}"
            ),
        )
    })?;
    match &mut c.metadata_source {
        Some(s) if s.url == url && s.allow_http == allow_http => {}
        Some(s) if s.url == url => s.allow_http = allow_http,
        _ => c.metadata_source = Some(symbolon_store::MetadataSource::new(url, allow_http, now)),
    }
    Ok(())
}

const METADATA_URL: &str = "saml.metadata.url";
const METADATA_ALLOW_HTTP: &str = "saml.metadata.allowHttp";

/// Keycloak's client attributes for the single logout service locations.
const SLO_REDIRECT: &str = "saml_single_logout_service_url_redirect";
const SLO_POST: &str = "saml_single_logout_service_url_post";

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub(crate) struct ClientQuery {
    /// Only the client with this client ID (entity ID).
    pub(crate) client_id: Option<String>,
}

#[utoipa::path(get, path = "/admin/realms/{realm}/clients", tag = "Clients", params(ClientQuery),
    responses((status = 200, description = "The realm's clients.", body = [ClientRep])))]
pub(crate) async fn list_clients<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path(realm): Path<String>,
    Query(q): Query<ClientQuery>,
) -> ApiResult<Json<Vec<ClientRep>>> {
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

pub(crate) async fn find_client<S: IdpStore>(
    st: &crate::state::AppState<S>,
    realm: &str,
    id: &str,
) -> ApiResult<Client> {
    st.store()
        .clients(realm)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| ApiError::new(Kind::NotFound, format!("client {id:?} not found")))
}

#[utoipa::path(get, path = "/admin/realms/{realm}/clients/{id}", tag = "Clients",
    responses((status = 200, description = "The client.", body = ClientRep)))]
pub(crate) async fn get_client<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<ClientRep>> {
    Ok(Json(client_rep(&find_client(&st, &realm, &id).await?)))
}

#[utoipa::path(post, path = "/admin/realms/{realm}/clients", tag = "Clients", request_body = ClientRep,
    responses((status = 201, description = "Created; `Location` names the client.")))]
pub(crate) async fn create_client<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(realm): Path<String>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<ClientRep>,
) -> ApiResult<Response> {
    realm_exists(&st, &realm).await?;
    if st.store().client(&realm, &rep.client_id).await?.is_some() {
        return Err(ApiError::new(
            Kind::Conflict,
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
        encryption: Default::default(),
        metadata_source: None,
        provisioning: None,
        created_at: now,
    };
    apply(&rep, &mut c)?;
    apply_source(&rep, &mut c, now)?;
    if let Some(u) = &c.idp_initiated_url_name
        && st.store().client_by_url_name(&realm, u).await?.is_some()
    {
        return Err(ApiError::new(
            Kind::Conflict,
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

#[utoipa::path(put, path = "/admin/realms/{realm}/clients/{id}", tag = "Clients", request_body = ClientRep,
    responses((status = 204, description = "Updated.")))]
pub(crate) async fn update_client<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<ClientRep>,
) -> ApiResult<StatusCode> {
    let mut c = find_client(&st, &realm, &id).await?;
    apply(&rep, &mut c)?;
    apply_source(&rep, &mut c, OffsetDateTime::now_utc())?;
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

/// The converter's query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub(crate) struct ConvertQuery {
    /// Fetch a plain http:// metadata URL.
    #[serde(default)]
    allow_http: bool,
}

/// Read SP metadata (the body: the XML, or an `https://` URL to fetch it from) into a client
/// representation, without saving it.
#[utoipa::path(post, path = "/admin/realms/{realm}/client-description-converter", tag = "Clients",
    params(ConvertQuery), request_body(content = String, content_type = "application/xml", description = "SP metadata XML, or its URL."),
    responses((status = 200, description = "The client the metadata describes.", body = ConvertedRep)))]
pub(crate) async fn convert<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path(realm): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ConvertQuery>,
    body: Bytes,
) -> ApiResult<Json<ConvertedRep>> {
    realm_exists(&st, &realm).await?;
    // The body is the SP's metadata, or its https:// URL (fetched here, with the refresh's
    // limits and checks; nothing is saved).
    let text = std::str::from_utf8(&body).unwrap_or("").trim();
    let fetched;
    let from_url = text.starts_with("https://") || text.starts_with("http://");
    let metadata: &[u8] = if from_url {
        let (doc, _, _) = st
            .fetcher
            .outcome(text, q.allow_http, None, None)
            .await
            .into_first_document(text)
            .map_err(|m| ApiError::new(Kind::Invalid, m))?;
        fetched = doc;
        &fetched
    } else {
        &body
    };
    let now = OffsetDateTime::now_utc();
    let (mut c, findings) = symbolon_idp::client_from_metadata(&realm, metadata, now)?;
    // Fetched from a URL: the representation names it, so that creating the client from it
    // (POST .../clients) keeps it refreshed from there.
    if from_url {
        c.metadata_source = Some(symbolon_store::MetadataSource::new(text, q.allow_http, now));
    }
    let mut client = client_rep(&c);
    client.id = None;
    Ok(Json(ConvertedRep {
        client,
        findings: findings
            .iter()
            .map(|f| FindingRep {
                severity: format!("{:?}", f.severity).to_lowercase(),
                code: f.code.to_string(),
                message: f.message.clone(),
            })
            .collect(),
    }))
}

/// Who may use a client: everyone in the realm, or only those assigned.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccessRep {
    pub restricted: bool,
    /// Who can reach the client, in words (read-only).
    #[serde(default, skip_deserializing)]
    #[schema(read_only)]
    pub summary: Vec<String>,
}

#[utoipa::path(get, path = "/admin/realms/{realm}/clients/{id}/access", tag = "Clients",
    responses((status = 200, description = "Who may use the client.", body = AccessRep)))]
pub(crate) async fn client_access<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<AccessRep>> {
    let c = find_client(&st, &realm, &id).await?;
    Ok(Json(AccessRep {
        restricted: c.restricted,
        summary: symbolon_idp::client_access_summary(st.store(), &c).await?,
    }))
}

#[utoipa::path(put, path = "/admin/realms/{realm}/clients/{id}/access", tag = "Clients", request_body = AccessRep,
    responses((status = 204, description = "Set.")))]
pub(crate) async fn set_access<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<AccessRep>,
) -> ApiResult<StatusCode> {
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

pub(crate) async fn subject<S: IdpStore>(
    st: &crate::state::AppState<S>,
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
        _ => Err(ApiError::new(
            Kind::NotFound,
            format!("no such assignment kind {kind:?} (users or groups)"),
        )),
    }
}

/// Let a user or a group use a restricted client.
#[utoipa::path(put, path = "/admin/realms/{realm}/clients/{id}/access/{kind}/{subject}", tag = "Clients",
    responses((status = 204, description = "Assigned.")))]
pub(crate) async fn assign<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(p): Path<(String, String, String, String)>,
) -> ApiResult<StatusCode> {
    assignment(&st, &actor, p, true).await
}

/// Take a user's or a group's assignment away.
#[utoipa::path(delete, path = "/admin/realms/{realm}/clients/{id}/access/{kind}/{subject}", tag = "Clients",
    responses((status = 204, description = "Unassigned.")))]
pub(crate) async fn unassign<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(p): Path<(String, String, String, String)>,
) -> ApiResult<StatusCode> {
    assignment(&st, &actor, p, false).await
}

/// Grant (`true`) or revoke a client assignment for a user or group.
pub(crate) async fn assignment<S: IdpStore>(
    st: &crate::state::AppState<S>,
    actor: &Actor,
    (realm, id, kind, who): (String, String, String, String),
    grant: bool,
) -> ApiResult<StatusCode> {
    let c = find_client(st, &realm, &id).await?;
    let s = subject(st, &realm, &kind, &who).await?;
    symbolon_idp::assign_client(
        st.store(),
        actor,
        &realm,
        &c.client_id,
        &s,
        grant,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `ProtocolMapperRepresentation` for SAML mappers, with Keycloak's mapper types and config keys.
/// `ProtocolMapperRepresentation` (SAML mappers).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
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

pub(crate) const NAME_FORMAT_WORDS: [(&str, &str); 3] = [
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

pub(crate) fn mapper_rep(m: &symbolon_store::Mapper) -> MapperRep {
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

pub(crate) fn mapper_from_rep(rep: &MapperRep) -> ApiResult<symbolon_store::Mapper> {
    let bad = |m: String| ApiError::new(Kind::Invalid, m);
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

#[utoipa::path(get, path = "/admin/realms/{realm}/clients/{id}/protocol-mappers/models", tag = "Protocol mappers",
    responses((status = 200, description = "The client's mappers.", body = [MapperRep])))]
pub(crate) async fn list_mappers<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<MapperRep>>> {
    let c = find_client(&st, &realm, &id).await?;
    Ok(Json(c.mappers.iter().map(mapper_rep).collect()))
}

#[utoipa::path(get, path = "/admin/realms/{realm}/clients/{id}/protocol-mappers/models/{name}", tag = "Protocol mappers",
    responses((status = 200, description = "The mapper.", body = MapperRep)))]
pub(crate) async fn get_mapper<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path((realm, id, name)): Path<(String, String, String)>,
) -> ApiResult<Json<MapperRep>> {
    let c = find_client(&st, &realm, &id).await?;
    c.mappers
        .iter()
        .find(|m| m.name == name)
        .map(|m| Json(mapper_rep(m)))
        .ok_or_else(|| ApiError::new(Kind::NotFound, format!("mapper {name:?} not found")))
}

#[utoipa::path(post, path = "/admin/realms/{realm}/clients/{id}/protocol-mappers/models", tag = "Protocol mappers",
    request_body = MapperRep, responses((status = 201, description = "Created; `Location` names the mapper.")))]
pub(crate) async fn create_mapper<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<MapperRep>,
) -> ApiResult<Response> {
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

#[utoipa::path(delete, path = "/admin/realms/{realm}/clients/{id}/protocol-mappers/models/{name}", tag = "Protocol mappers",
    responses((status = 204, description = "Removed.")))]
pub(crate) async fn delete_mapper<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id, name)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let c = find_client(&st, &realm, &id).await?;
    if !c.mappers.iter().any(|m| m.name == name) {
        return Err(ApiError::new(
            Kind::NotFound,
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
