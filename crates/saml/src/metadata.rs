//! SAML 2.0 metadata: EntityDescriptor, or one entity out of an EntitiesDescriptor aggregate.

use symbolon_dsig::{PinnedCert, decode_base64};
use symbolon_xml::{Limits, Node, children_named, is_element, ns, text_content};
use time::OffsetDateTime;

use crate::time::parse_instant;

/// Why metadata was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("metadata is not acceptable XML: {0}")]
    Xml(#[from] symbolon_xml::XmlError),
    #[error("metadata root is {0}, not EntityDescriptor or EntitiesDescriptor")]
    NotMetadata(String),
    #[error("an EntityDescriptor has no entityID")]
    MissingEntityId,
    #[error("no entity {0:?} in the metadata")]
    EntityNotFound(String),
    #[error("the metadata holds {0} entities; name the one to use")]
    AmbiguousEntity(usize),
    #[error("entity {0:?} has no IDPSSODescriptor")]
    NotAnIdp(String),
    #[error("entity {0:?} has no usable signing certificate{1}")]
    NoSigningKey(String, String),
}

/// What a KeyDescriptor is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    Signing,
    Encryption,
    /// No `use` attribute: both.
    Unspecified,
}

/// A KeyDescriptor's certificates (DER).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDescriptor {
    pub key_use: KeyUse,
    pub certificates: Vec<Vec<u8>>,
}

/// An endpoint (SingleSignOnService, SingleLogoutService, AssertionConsumerService...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub binding: String,
    pub location: String,
    pub response_location: Option<String>,
    pub index: Option<u16>,
    pub is_default: Option<bool>,
}

/// A RequestedAttribute of an AttributeConsumingService.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedAttribute {
    pub name: String,
    pub name_format: Option<String>,
    pub friendly_name: Option<String>,
    pub is_required: bool,
}

/// An IDPSSODescriptor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdpSsoDescriptor {
    pub want_authn_requests_signed: bool,
    pub keys: Vec<KeyDescriptor>,
    pub single_sign_on: Vec<Endpoint>,
    pub single_logout: Vec<Endpoint>,
    pub name_id_formats: Vec<String>,
}

/// An SPSSODescriptor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpSsoDescriptor {
    pub authn_requests_signed: bool,
    pub want_assertions_signed: bool,
    pub keys: Vec<KeyDescriptor>,
    pub assertion_consumer: Vec<Endpoint>,
    pub single_logout: Vec<Endpoint>,
    pub name_id_formats: Vec<String>,
    pub requested_attributes: Vec<RequestedAttribute>,
}

/// One entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityDescriptor {
    pub entity_id: String,
    pub valid_until: Option<OffsetDateTime>,
    pub idp: Option<IdpSsoDescriptor>,
    pub sp: Option<SpSsoDescriptor>,
}

impl KeyDescriptor {
    pub fn for_signing(&self) -> bool {
        matches!(self.key_use, KeyUse::Signing | KeyUse::Unspecified)
    }
}

impl IdpSsoDescriptor {
    /// DER of every signing certificate (KeyDescriptor `use="signing"` or without `use`).
    pub fn signing_certificates(&self) -> impl Iterator<Item = &[u8]> {
        self.keys
            .iter()
            .filter(|k| k.for_signing())
            .flat_map(|k| k.certificates.iter().map(Vec::as_slice))
    }
}

/// Every entity in a metadata document (one for an EntityDescriptor, all nested ones for an
/// EntitiesDescriptor).
pub fn parse_metadata(input: &[u8]) -> Result<Vec<EntityDescriptor>, MetadataError> {
    let limits = Limits {
        max_bytes: 64 * 1024 * 1024,
        max_nodes: 20_000_000,
        ..Limits::default()
    };
    let doc = symbolon_xml::parse_bytes(input, &limits)?;
    let root = doc.root_element();
    let mut out = Vec::new();
    if is_element(root, ns::MD, "EntityDescriptor") {
        out.push(entity(root)?);
    } else if is_element(root, ns::MD, "EntitiesDescriptor") {
        collect(root, &mut out)?;
    } else {
        return Err(MetadataError::NotMetadata(
            root.tag_name().name().to_string(),
        ));
    }
    Ok(out)
}

fn collect(node: Node<'_, '_>, out: &mut Vec<EntityDescriptor>) -> Result<(), MetadataError> {
    for c in node.children() {
        if is_element(c, ns::MD, "EntityDescriptor") {
            out.push(entity(c)?);
        } else if is_element(c, ns::MD, "EntitiesDescriptor") {
            collect(c, out)?;
        }
    }
    Ok(())
}

/// The entity with this ID, or the only one when `entity_id` is `None`.
pub fn select_entity(
    entities: Vec<EntityDescriptor>,
    entity_id: Option<&str>,
) -> Result<EntityDescriptor, MetadataError> {
    match entity_id {
        Some(id) => entities
            .into_iter()
            .find(|e| e.entity_id == id)
            .ok_or_else(|| MetadataError::EntityNotFound(id.to_string())),
        None => {
            let n = entities.len();
            let mut it = entities.into_iter();
            match (it.next(), n) {
                (Some(e), 1) => Ok(e),
                _ => Err(MetadataError::AmbiguousEntity(n)),
            }
        }
    }
}

fn attr_bool(node: Node<'_, '_>, name: &str) -> Option<bool> {
    match node.attribute(name).map(str::trim) {
        Some("true") | Some("1") => Some(true),
        Some("false") | Some("0") => Some(false),
        _ => None,
    }
}

fn entity(node: Node<'_, '_>) -> Result<EntityDescriptor, MetadataError> {
    let entity_id = node
        .attribute("entityID")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(MetadataError::MissingEntityId)?
        .to_string();
    let valid_until = node.attribute("validUntil").and_then(parse_instant);
    let idp = children_named(node, ns::MD, "IDPSSODescriptor")
        .next()
        .map(|d| IdpSsoDescriptor {
            want_authn_requests_signed: attr_bool(d, "WantAuthnRequestsSigned").unwrap_or(false),
            keys: keys(d),
            single_sign_on: endpoints(d, "SingleSignOnService"),
            single_logout: endpoints(d, "SingleLogoutService"),
            name_id_formats: name_id_formats(d),
        });
    let sp = children_named(node, ns::MD, "SPSSODescriptor")
        .next()
        .map(|d| SpSsoDescriptor {
            authn_requests_signed: attr_bool(d, "AuthnRequestsSigned").unwrap_or(false),
            want_assertions_signed: attr_bool(d, "WantAssertionsSigned").unwrap_or(false),
            keys: keys(d),
            assertion_consumer: endpoints(d, "AssertionConsumerService"),
            single_logout: endpoints(d, "SingleLogoutService"),
            name_id_formats: name_id_formats(d),
            requested_attributes: children_named(d, ns::MD, "AttributeConsumingService")
                .flat_map(|acs| children_named(acs, ns::MD, "RequestedAttribute"))
                .filter_map(|ra| {
                    Some(RequestedAttribute {
                        name: ra.attribute("Name")?.to_string(),
                        name_format: ra.attribute("NameFormat").map(str::to_string),
                        friendly_name: ra.attribute("FriendlyName").map(str::to_string),
                        is_required: attr_bool(ra, "isRequired").unwrap_or(false),
                    })
                })
                .collect(),
        });
    Ok(EntityDescriptor {
        entity_id,
        valid_until,
        idp,
        sp,
    })
}

fn keys(role: Node<'_, '_>) -> Vec<KeyDescriptor> {
    children_named(role, ns::MD, "KeyDescriptor")
        .map(|kd| {
            let key_use = match kd.attribute("use").map(str::trim) {
                Some("signing") => KeyUse::Signing,
                Some("encryption") => KeyUse::Encryption,
                _ => KeyUse::Unspecified,
            };
            let certificates = kd
                .descendants()
                .filter(|n| is_element(*n, ns::DSIG, "X509Certificate"))
                .filter_map(|n| decode_base64(&text_content(n)))
                .collect();
            KeyDescriptor {
                key_use,
                certificates,
            }
        })
        .collect()
}

fn endpoints(role: Node<'_, '_>, name: &str) -> Vec<Endpoint> {
    children_named(role, ns::MD, name)
        .filter_map(|e| {
            Some(Endpoint {
                binding: e.attribute("Binding")?.trim().to_string(),
                location: e.attribute("Location")?.trim().to_string(),
                response_location: e
                    .attribute("ResponseLocation")
                    .map(|s| s.trim().to_string()),
                index: e.attribute("index").and_then(|i| i.trim().parse().ok()),
                is_default: attr_bool(e, "isDefault"),
            })
        })
        .collect()
}

fn name_id_formats(role: Node<'_, '_>) -> Vec<String> {
    children_named(role, ns::MD, "NameIDFormat")
        .map(|n| text_content(n).trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The trust an SP places in one IdP, from its metadata: entity ID and pinned signing keys.
/// Certificates that cannot be used (unparseable, RSA under 2048 bits, unknown key type) are left
/// out and reported in `skipped`.
#[derive(Debug, Clone)]
pub struct IdpTrust {
    pub entity_id: String,
    pub certs: Vec<PinnedCert>,
    pub skipped: Vec<String>,
}

impl IdpTrust {
    pub fn from_entity(entity: &EntityDescriptor) -> Result<Self, MetadataError> {
        let idp = entity
            .idp
            .as_ref()
            .ok_or_else(|| MetadataError::NotAnIdp(entity.entity_id.clone()))?;
        let mut certs: Vec<PinnedCert> = Vec::new();
        let mut skipped = Vec::new();
        for der in idp.signing_certificates() {
            match PinnedCert::from_der(der) {
                Ok(c) if !certs.contains(&c) => certs.push(c),
                Ok(_) => {}
                Err(e) => skipped.push(e.to_string()),
            }
        }
        if certs.is_empty() {
            let why = if skipped.is_empty() {
                String::new()
            } else {
                format!(" ({})", skipped.join("; "))
            };
            return Err(MetadataError::NoSigningKey(entity.entity_id.clone(), why));
        }
        Ok(IdpTrust {
            entity_id: entity.entity_id.clone(),
            certs,
            skipped,
        })
    }

    /// Parse metadata and take the IdP entity `entity_id` (or the only entity).
    pub fn from_metadata(input: &[u8], entity_id: Option<&str>) -> Result<Self, MetadataError> {
        let entities = parse_metadata(input)?;
        let entity = select_entity(entities, entity_id)?;
        Self::from_entity(&entity)
    }
}
