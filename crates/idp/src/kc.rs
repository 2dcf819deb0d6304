//! Keycloak's representations of a SAML client and its protocol mappers (`ClientRepresentation`,
//! `ProtocolMapperRepresentation`), and their conversion to and from the stored `Client`: what
//! the admin REST API speaks and what a realm export holds, so a Keycloak client and one of ours
//! are written and read the same way.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use symbolon_saml::messages::{
    NAMEID_EMAIL, NAMEID_PERSISTENT, NAMEID_TRANSIENT, NAMEID_UNSPECIFIED,
};
use symbolon_saml::metadata::{BINDING_POST, BINDING_REDIRECT};
use symbolon_store::{Client, ClientEndpoint};
use time::OffsetDateTime;

use crate::common::{IdpError, Result};

fn yes() -> bool {
    true
}

fn saml() -> String {
    "saml".into()
}

pub use symbolon_store::UrlCheck;

fn bad(m: String) -> IdpError {
    IdpError::Invalid(m)
}

/// `ClientRepresentation` for SAML clients. `attributes` use Keycloak's keys;
/// `assertionConsumerServices` (all of them, with binding and index) is Symbolon's addition.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
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

pub fn name_id_keyword(format: &str) -> &'static str {
    match format {
        NAMEID_EMAIL => "email",
        NAMEID_PERSISTENT => "persistent",
        NAMEID_TRANSIENT => "transient",
        _ => "username",
    }
}

pub fn name_id_format(keyword: &str) -> Option<&'static str> {
    match keyword {
        "email" => Some(NAMEID_EMAIL),
        "persistent" => Some(NAMEID_PERSISTENT),
        "transient" => Some(NAMEID_TRANSIENT),
        "username" | "unspecified" => Some(NAMEID_UNSPECIFIED),
        _ => None,
    }
}

pub fn sig_alg_keyword(name: &str) -> String {
    name.to_uppercase().replace('-', "_")
}

pub fn client_rep(c: &Client) -> ClientRep {
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
    if let Some(acs) = crate::default_post_acs_of(c) {
        a.insert("saml_assertion_consumer_url_post".into(), acs);
    }
    for (key, binding) in [
        (SLO_REDIRECT, BINDING_REDIRECT),
        (SLO_POST, BINDING_POST),
        (SLO_SOAP, symbolon_saml::soap::BINDING_SOAP),
    ] {
        if let Some(l) = crate::logout_location(c, binding) {
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
pub fn apply(rep: &ClientRep, c: &mut Client) -> Result<()> {
    if rep.protocol != "saml" {
        return Err(bad(format!(
            "protocol {:?} is not supported (saml only)",
            rep.protocol
        )));
    }
    let flag = |k: &str, cur: bool| -> Result<bool> {
        match rep.attributes.get(k).map(String::as_str) {
            None => Ok(cur),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(v) => Err(bad(format!("{k} must be \"true\" or \"false\", not {v:?}"))),
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
        if !crate::ENCRYPTION_ALGORITHMS.contains(&v.as_str()) {
            return Err(bad(format!(
                "saml.encryption.algorithm {v:?} is not one of {}",
                crate::ENCRYPTION_ALGORITHMS.join(", ")
            )));
        }
        c.encryption.data_algorithm = v.clone();
    }
    if let Some(v) = rep.attributes.get("saml.encryption.keyTransport") {
        if !crate::KEY_TRANSPORTS.contains(&v.as_str()) {
            return Err(bad(format!(
                "saml.encryption.keyTransport {v:?} is not one of {}",
                crate::KEY_TRANSPORTS.join(", ")
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
    let (redirect, post, soap) = (
        rep.attributes.get(SLO_REDIRECT),
        rep.attributes.get(SLO_POST),
        rep.attributes.get(SLO_SOAP),
    );
    if redirect.is_some() || post.is_some() || soap.is_some() {
        let keep = |b: &str| crate::logout_location(c, b).map(str::to_string);
        let redirect = redirect.cloned().or_else(|| keep(BINDING_REDIRECT));
        let post = post.cloned().or_else(|| keep(BINDING_POST));
        let soap = soap
            .cloned()
            .or_else(|| keep(symbolon_saml::soap::BINDING_SOAP));
        crate::set_logout_endpoints(c, redirect.as_deref(), post.as_deref(), soap.as_deref())?;
    }
    Ok(())
}

/// `saml.metadata.url` (ours; Keycloak has none): the URL the client's metadata is refreshed
/// from by `idp:metadata-refresh`, `saml.metadata.allowHttp` to allow plain http for it. Set,
/// the client is due for a refresh at once (the job fetches it and re-imports its endpoints and
/// certificates); empty, the client stops being refreshed; absent, nothing changes.
/// `check_url` is the fetcher's own check of a URL (scheme, host), made before anything is stored.
pub fn apply_source(
    rep: &ClientRep,
    c: &mut Client,
    check_url: &UrlCheck,
    now: OffsetDateTime,
) -> Result<()> {
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
            return Err(bad(format!(
                "{METADATA_ALLOW_HTTP} must be \"true\" or \"false\", not {v:?}"
            )));
        }
    };
    check_url(url, allow_http).map_err(|e| {
        bad(format!(
            "{METADATA_URL} must be an https:// URL (http:// only with {METADATA_ALLOW_HTTP} \"true\"): {e}"
        ))
    })?;
    match &mut c.metadata_source {
        Some(s) if s.url == url && s.allow_http == allow_http => {}
        Some(s) if s.url == url => s.allow_http = allow_http,
        _ => c.metadata_source = Some(symbolon_store::MetadataSource::new(url, allow_http, now)),
    }
    Ok(())
}

pub const METADATA_URL: &str = "saml.metadata.url";
pub const METADATA_ALLOW_HTTP: &str = "saml.metadata.allowHttp";

/// Keycloak's client attributes for the single logout service locations.
pub const SLO_REDIRECT: &str = "saml_single_logout_service_url_redirect";
pub const SLO_POST: &str = "saml_single_logout_service_url_post";
/// The back-channel (SOAP) logout URL (Keycloak's name for it).
pub const SLO_SOAP: &str = "saml_single_logout_service_url_soap";

/// `ProtocolMapperRepresentation` for SAML mappers, with Keycloak's mapper types and config keys.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
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

pub const NAME_FORMAT_WORDS: [(&str, &str); 3] = [
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

pub fn mapper_rep(m: &symbolon_store::Mapper) -> MapperRep {
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

pub fn mapper_from_rep(rep: &MapperRep) -> Result<symbolon_store::Mapper> {
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
    let source = crate::roles::mapper_source(kind, param)?;
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
