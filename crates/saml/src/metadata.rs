//! SAML 2.0 metadata: parse EntityDescriptor / EntitiesDescriptor completely enough to import an
//! IdP or an SP, lint it for administrators, and pick one entity out of an aggregate.
//! Generation lives in [`crate::metadata_gen`].

use symbolon_dsig::{PinnedCert, decode_base64};
use symbolon_xml::{Limits, Node, children_named, is_element, ns, text_content};
use time::OffsetDateTime;

use crate::time::parse_instant;

pub const PROTOCOL_SAML2: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
pub const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const SAML2_BINDING_PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:bindings:";

/// Why metadata was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("not acceptable XML: {0}")]
    Xml(#[from] symbolon_xml::XmlError),
    #[error("metadata root is {0}, not EntityDescriptor or EntitiesDescriptor")]
    NotMetadata(String),
    #[error("an EntityDescriptor has no entityID")]
    MissingEntityId,
    #[error("no entity {0:?} in the metadata")]
    EntityNotFound(String),
    #[error("the metadata holds {0} entities; name the one to use")]
    AmbiguousEntity(usize),
    #[error(
        "entity {0:?} has no IDPSSODescriptor, so it is not an identity provider (a service provider's metadata is imported at the identity provider, as a client)"
    )]
    NotAnIdp(String),
    #[error(
        "entity {0:?} has no SPSSODescriptor, so it is not a service provider (an identity provider's metadata is added at the service provider: Identity providers > Add, or `symbolon sp idp add`)"
    )]
    NotAnSp(String),
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

impl KeyDescriptor {
    pub fn for_signing(&self) -> bool {
        matches!(self.key_use, KeyUse::Signing | KeyUse::Unspecified)
    }
    pub fn for_encryption(&self) -> bool {
        matches!(self.key_use, KeyUse::Encryption | KeyUse::Unspecified)
    }
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

impl Endpoint {
    pub fn is_saml2(&self) -> bool {
        self.binding.starts_with(SAML2_BINDING_PREFIX)
    }
}

/// A RequestedAttribute of an AttributeConsumingService.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedAttribute {
    pub name: String,
    pub name_format: Option<String>,
    pub friendly_name: Option<String>,
    pub is_required: bool,
}

/// An IDPSSODescriptor. Flags keep "absent" (`None`) apart from an explicit value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdpSsoDescriptor {
    pub want_authn_requests_signed: Option<bool>,
    pub protocol_support: Vec<String>,
    pub keys: Vec<KeyDescriptor>,
    pub single_sign_on: Vec<Endpoint>,
    pub single_logout: Vec<Endpoint>,
    pub name_id_formats: Vec<String>,
}

/// An SPSSODescriptor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpSsoDescriptor {
    pub authn_requests_signed: Option<bool>,
    pub want_assertions_signed: Option<bool>,
    pub protocol_support: Vec<String>,
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
    /// `validUntil` as written, and parsed when it parses.
    pub valid_until_raw: Option<String>,
    pub valid_until: Option<OffsetDateTime>,
    pub cache_duration: Option<String>,
    /// A ds:Signature on the EntityDescriptor (not verified here).
    pub has_signature: bool,
    /// Role descriptors in document order (`RoleDescriptor[xsi:type=...]` for generic ones).
    pub roles: Vec<String>,
    pub idp: Option<IdpSsoDescriptor>,
    pub sp: Option<SpSsoDescriptor>,
}

/// A parsed metadata document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// `EntityDescriptor` or `EntitiesDescriptor`.
    pub root_element: String,
    /// For aggregates: Name, validUntil, and whether the root carries a signature.
    pub name: Option<String>,
    pub valid_until_raw: Option<String>,
    /// The aggregate's `cacheDuration` (an entity's own is on the entity).
    pub cache_duration: Option<String>,
    pub has_signature: bool,
    pub entities: Vec<EntityDescriptor>,
}

fn protocol_has_saml2(protocols: &[String]) -> bool {
    protocols.iter().any(|p| p == PROTOCOL_SAML2)
}

impl IdpSsoDescriptor {
    /// DER of every signing certificate (KeyDescriptor `use="signing"` or without `use`).
    pub fn signing_certificates(&self) -> impl Iterator<Item = &[u8]> {
        self.keys
            .iter()
            .filter(|k| k.for_signing())
            .flat_map(|k| k.certificates.iter().map(Vec::as_slice))
    }

    /// Announces SAML 2.0 and has at least one SAML 2.0 binding endpoint.
    pub fn is_saml2(&self) -> bool {
        protocol_has_saml2(&self.protocol_support)
            && self.single_sign_on.iter().any(Endpoint::is_saml2)
    }

    /// The SSO endpoint for a binding.
    pub fn sso(&self, binding: &str) -> Option<&Endpoint> {
        self.single_sign_on.iter().find(|e| e.binding == binding)
    }
}

impl SpSsoDescriptor {
    pub fn signing_certificates(&self) -> impl Iterator<Item = &[u8]> {
        self.keys
            .iter()
            .filter(|k| k.for_signing())
            .flat_map(|k| k.certificates.iter().map(Vec::as_slice))
    }

    /// Certificates published with `use="encryption"` (a key without `use` is not taken as an
    /// invitation to encrypt: the SP may not decrypt at all).
    pub fn encryption_certificates(&self) -> impl Iterator<Item = &[u8]> {
        self.keys
            .iter()
            .filter(|k| k.key_use == KeyUse::Encryption)
            .flat_map(|k| k.certificates.iter().map(Vec::as_slice))
    }

    pub fn is_saml2(&self) -> bool {
        protocol_has_saml2(&self.protocol_support)
            && self.assertion_consumer.iter().any(Endpoint::is_saml2)
    }

    /// The default HTTP-POST ACS ([`default_post_acs`]).
    pub fn default_acs(&self) -> Option<&Endpoint> {
        default_post_acs(&self.assertion_consumer)
    }
}

/// The default HTTP-POST AssertionConsumerService (SAML metadata 2.2.3): the one marked
/// isDefault="true", else the first not marked "false", else the first.
pub fn default_post_acs(acs: &[Endpoint]) -> Option<&Endpoint> {
    let post: Vec<&Endpoint> = acs.iter().filter(|e| e.binding == BINDING_POST).collect();
    post.iter()
        .find(|e| e.is_default == Some(true))
        .or_else(|| post.iter().find(|e| e.is_default.is_none()))
        .or_else(|| post.first())
        .copied()
}

impl Metadata {
    /// Entities whose IdP role speaks SAML 2.0 (what an IdP import takes from an aggregate).
    pub fn saml2_idps(&self) -> impl Iterator<Item = &EntityDescriptor> {
        self.entities
            .iter()
            .filter(|e| e.idp.as_ref().is_some_and(IdpSsoDescriptor::is_saml2))
    }

    /// Entities whose SP role speaks SAML 2.0.
    pub fn saml2_sps(&self) -> impl Iterator<Item = &EntityDescriptor> {
        self.entities
            .iter()
            .filter(|e| e.sp.as_ref().is_some_and(SpSsoDescriptor::is_saml2))
    }
}

/// Every entity in a metadata document (one for an EntityDescriptor, all nested ones for an
/// EntitiesDescriptor). Accepts a BOM and non-UTF-8 encodings declared by the document.
pub fn parse_metadata(input: &[u8]) -> Result<Vec<EntityDescriptor>, MetadataError> {
    Ok(parse_metadata_document(input)?.entities)
}

/// The limits for metadata: aggregates are large, but still bounded.
pub fn metadata_limits() -> Limits {
    Limits {
        max_bytes: 64 * 1024 * 1024,
        max_nodes: 20_000_000,
        ..Limits::default()
    }
}

/// Parse a metadata document, keeping the aggregate's own attributes.
pub fn parse_metadata_document(input: &[u8]) -> Result<Metadata, MetadataError> {
    let limits = metadata_limits();
    let text = symbolon_xml::decode_document(input, &limits)?;
    let doc = symbolon_xml::parse(&text, &limits)?;
    let root = doc.root_element();
    let mut entities = Vec::new();
    let has_sig = |n: Node<'_, '_>| children_named(n, ns::DSIG, "Signature").next().is_some();
    if is_element(root, ns::MD, "EntityDescriptor") {
        entities.push(entity(root)?);
        Ok(Metadata {
            root_element: "EntityDescriptor".into(),
            name: None,
            valid_until_raw: None,
            cache_duration: None,
            has_signature: has_sig(root),
            entities,
        })
    } else if is_element(root, ns::MD, "EntitiesDescriptor") {
        collect(root, &mut entities)?;
        Ok(Metadata {
            root_element: "EntitiesDescriptor".into(),
            name: root.attribute("Name").map(str::to_string),
            valid_until_raw: root.attribute("validUntil").map(str::to_string),
            cache_duration: root.attribute("cacheDuration").map(str::to_string),
            has_signature: has_sig(root),
            entities,
        })
    } else {
        Err(MetadataError::NotMetadata(
            root.tag_name().name().to_string(),
        ))
    }
}

fn collect(node: Node<'_, '_>, out: &mut Vec<EntityDescriptor>) -> Result<(), MetadataError> {
    // Iterative: nesting depth is bounded by the parser limits, but no recursion is needed.
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        let mut nested = Vec::new();
        for c in n.children() {
            if is_element(c, ns::MD, "EntityDescriptor") {
                out.push(entity(c)?);
            } else if is_element(c, ns::MD, "EntitiesDescriptor") {
                nested.push(c);
            }
        }
        stack.extend(nested.into_iter().rev());
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

fn protocols(node: Node<'_, '_>) -> Vec<String> {
    node.attribute("protocolSupportEnumeration")
        .unwrap_or("")
        .split_ascii_whitespace()
        .map(str::to_string)
        .collect()
}

fn entity(node: Node<'_, '_>) -> Result<EntityDescriptor, MetadataError> {
    let entity_id = node
        .attribute("entityID")
        .filter(|s| !s.trim().is_empty())
        .ok_or(MetadataError::MissingEntityId)?
        .to_string();
    let valid_until_raw = node.attribute("validUntil").map(str::to_string);
    let valid_until = valid_until_raw.as_deref().and_then(parse_instant);
    let mut roles = Vec::new();
    for c in node
        .children()
        .filter(|c| c.is_element() && c.tag_name().namespace() == Some(ns::MD))
    {
        let name = c.tag_name().name();
        if name.ends_with("Descriptor") {
            match c.attribute((ns::XSI, "type")) {
                Some(t) => roles.push(format!("{name}[xsi:type={t}]")),
                None => roles.push(name.to_string()),
            }
        }
    }
    let idp = children_named(node, ns::MD, "IDPSSODescriptor")
        .next()
        .map(|d| IdpSsoDescriptor {
            want_authn_requests_signed: attr_bool(d, "WantAuthnRequestsSigned"),
            protocol_support: protocols(d),
            keys: keys(d),
            single_sign_on: endpoints(d, "SingleSignOnService"),
            single_logout: endpoints(d, "SingleLogoutService"),
            name_id_formats: name_id_formats(d),
        });
    let sp = children_named(node, ns::MD, "SPSSODescriptor")
        .next()
        .map(|d| SpSsoDescriptor {
            authn_requests_signed: attr_bool(d, "AuthnRequestsSigned"),
            want_assertions_signed: attr_bool(d, "WantAssertionsSigned"),
            protocol_support: protocols(d),
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
        valid_until_raw,
        valid_until,
        cache_duration: node.attribute("cacheDuration").map(str::to_string),
        has_signature: children_named(node, ns::DSIG, "Signature").next().is_some(),
        roles,
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
                binding: e.attribute("Binding")?.to_string(),
                location: e.attribute("Location")?.to_string(),
                response_location: e.attribute("ResponseLocation").map(str::to_string),
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

/// Pin every usable certificate; describe the ones left out.
pub fn pin_certificates<'a>(
    ders: impl Iterator<Item = &'a [u8]>,
) -> (Vec<PinnedCert>, Vec<String>) {
    let mut certs: Vec<PinnedCert> = Vec::new();
    let mut skipped = Vec::new();
    for der in ders {
        match PinnedCert::from_der(der) {
            Ok(c) if !certs.contains(&c) => certs.push(c),
            Ok(_) => {}
            Err(e) => skipped.push(e.to_string()),
        }
    }
    (certs, skipped)
}

impl IdpTrust {
    pub fn from_entity(entity: &EntityDescriptor) -> Result<Self, MetadataError> {
        let idp = entity
            .idp
            .as_ref()
            .ok_or_else(|| MetadataError::NotAnIdp(entity.entity_id.clone()))?;
        let (certs, skipped) = pin_certificates(idp.signing_certificates());
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
