//! Backend-neutral codecs both database backends share: the JSON columns and the small enums
//! stored as text. The backends keep only SQL and the reading of their own row types.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Assignment, Client, ClientEndpoint, Mapper, Result, StoreError};

/// The client's settings as stored in its JSON column.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClientData {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub home_url: Option<String>,
    pub idp_initiated_relay_state: Option<String>,
    pub name_id_format: String,
    pub sign_documents: bool,
    pub sign_assertions: bool,
    pub signature_algorithm: String,
    pub client_signature_required: bool,
    pub assertion_lifespan_secs: Option<i64>,
    pub acs: Vec<ClientEndpoint>,
    pub slo: Vec<ClientEndpoint>,
    pub signing_certs: Vec<String>,
    pub mappers: Vec<Mapper>,
    pub restricted: bool,
}

pub fn client_data(c: &Client) -> Result<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    serde_json::to_string(&ClientData {
        name: c.name.clone(),
        description: c.description.clone(),
        enabled: c.enabled,
        home_url: c.home_url.clone(),
        idp_initiated_relay_state: c.idp_initiated_relay_state.clone(),
        name_id_format: c.name_id_format.clone(),
        sign_documents: c.sign_documents,
        sign_assertions: c.sign_assertions,
        signature_algorithm: c.signature_algorithm.clone(),
        client_signature_required: c.client_signature_required,
        assertion_lifespan_secs: c.assertion_lifespan_secs,
        acs: c.acs.clone(),
        slo: c.slo.clone(),
        signing_certs: c.signing_certs.iter().map(|d| b64.encode(d)).collect(),
        mappers: c.mappers.clone(),
        restricted: c.restricted,
    })
    .map_err(|e| StoreError::Backend(e.to_string()))
}

/// The columns of a client row besides its JSON data.
#[derive(Debug)]
pub struct ClientColumns {
    pub id: String,
    pub realm: String,
    pub client_id: String,
    pub url_name: Option<String>,
    pub created_at: OffsetDateTime,
}

/// A client from its row's columns and JSON data.
pub fn client_from_data(cols: ClientColumns, data: &str) -> Result<Client> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let d: ClientData =
        serde_json::from_str(data).map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(Client {
        id: cols.id,
        realm: cols.realm,
        client_id: cols.client_id,
        idp_initiated_url_name: cols.url_name,
        name: d.name,
        description: d.description,
        enabled: d.enabled,
        home_url: d.home_url,
        idp_initiated_relay_state: d.idp_initiated_relay_state,
        name_id_format: d.name_id_format,
        sign_documents: d.sign_documents,
        sign_assertions: d.sign_assertions,
        signature_algorithm: d.signature_algorithm,
        client_signature_required: d.client_signature_required,
        assertion_lifespan_secs: d.assertion_lifespan_secs,
        acs: d.acs,
        slo: d.slo,
        signing_certs: d
            .signing_certs
            .iter()
            .map(|s| {
                b64.decode(s)
                    .map_err(|e| StoreError::Backend(e.to_string()))
            })
            .collect::<Result<_>>()?,
        mappers: d.mappers,
        restricted: d.restricted,
        created_at: cols.created_at,
    })
}

/// An assignment as its stored (kind, id) pair.
pub fn assignment_parts(a: &Assignment) -> (&'static str, &str) {
    match a {
        Assignment::User(id) => ("user", id.as_str()),
        Assignment::Group(id) => ("group", id.as_str()),
    }
}

/// An assignment from its stored (kind, id) pair.
pub fn assignment_of(kind: &str, id: String) -> Assignment {
    if kind == "user" {
        Assignment::User(id)
    } else {
        Assignment::Group(id)
    }
}
