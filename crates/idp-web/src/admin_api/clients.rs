//! `/admin/realms/{realm}/clients`: clients (Keycloak's representation), import by
//! converter, who may use a client, and protocol mappers.

use crate::admin_api::common::{ApiCaller, ApiError, ApiResult, St, created};
use crate::admin_api::groups::find_group;
use crate::admin_api::realms::realm_exists;
use crate::admin_api::users::find_user;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use symbolon_idp::Actor;
use symbolon_saml::messages::NAMEID_UNSPECIFIED;
use symbolon_store::{Client, IdpStore};
use symbolon_web::error::Kind;
use time::OffsetDateTime;

pub use symbolon_idp::kc::{ClientRep, MapperRep};
pub(crate) use symbolon_idp::kc::{apply, client_rep, mapper_from_rep, mapper_rep};

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
    symbolon_idp::kc::apply_source(&rep, &mut c, &symbolon_web::fetch::url_check, now)?;
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
    symbolon_idp::kc::apply_source(
        &rep,
        &mut c,
        &symbolon_web::fetch::url_check,
        OffsetDateTime::now_utc(),
    )?;
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
