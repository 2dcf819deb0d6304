//! Protocol messages other than the Response: AuthnRequest, LogoutRequest, LogoutResponse.
//! Built with the escaping writer; parsed with the hardened parser.

use symbolon_dsig::SecureRandom;
use symbolon_xml::writer::XmlWriter;
use symbolon_xml::{Document, Node, children_named, is_element, ns, text_content};
use time::OffsetDateTime;

use crate::metadata::BINDING_POST;
use crate::time::{format_instant, parse_instant};

pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
pub const NAMEID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
pub const NAMEID_TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
pub const NAMEID_ENTITY: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

/// A fresh message ID: `_` and 40 hex digits (160 bits) from the caller's random source.
pub fn new_id(rng: &dyn SecureRandom) -> Result<String, symbolon_dsig::SignError> {
    let mut bytes = [0u8; 20];
    rng.fill(&mut bytes)
        .map_err(|_| symbolon_dsig::SignError::Crypto)?;
    let mut s = String::with_capacity(41);
    s.push('_');
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    Ok(s)
}

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("not acceptable XML: {0}")]
    Xml(#[from] symbolon_xml::XmlError),
    #[error("expected a {expected}, found {found}")]
    WrongMessage {
        expected: &'static str,
        found: String,
    },
    #[error("{0} Version is not 2.0")]
    Version(&'static str),
    #[error("{0} has no ID")]
    MissingId(&'static str),
    #[error("{0} ID {1:?} is not an NCName (xs:ID)")]
    BadId(&'static str, String),
    #[error("{0} IssueInstant is missing or invalid")]
    BadIssueInstant(&'static str),
    #[error("{0} has no Issuer")]
    MissingIssuer(&'static str),
    #[error("{0}")]
    Invalid(String),
}

/// What every protocol message starts with: the root element (checked by namespace and name),
/// Version 2.0, an ID, an IssueInstant and an Issuer.
struct Header<'a, 'i> {
    root: Node<'a, 'i>,
    id: String,
    issue_instant: OffsetDateTime,
    issuer: String,
}

fn header<'a, 'i>(
    doc: &'a Document<'i>,
    what: &'static str,
) -> Result<Header<'a, 'i>, MessageError> {
    let root = doc.root_element();
    if !is_element(root, ns::SAMLP, what) {
        return Err(MessageError::WrongMessage {
            expected: what,
            found: root.tag_name().name().into(),
        });
    }
    if root.attribute("Version") != Some("2.0") {
        return Err(MessageError::Version(what));
    }
    let id = root
        .attribute("ID")
        .filter(|s| !s.is_empty())
        .ok_or(MessageError::MissingId(what))?;
    if !symbolon_xml::is_ncname(id) {
        return Err(MessageError::BadId(what, id.to_string()));
    }
    let issue_instant = root
        .attribute("IssueInstant")
        .and_then(parse_instant)
        .ok_or(MessageError::BadIssueInstant(what))?;
    let issuer = children_named(root, ns::SAML, "Issuer")
        .next()
        .map(|i| text_content(i).trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or(MessageError::MissingIssuer(what))?;
    Ok(Header {
        root,
        id: id.to_string(),
        issue_instant,
        issuer,
    })
}

/// RequestedAuthnContext comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Comparison {
    #[default]
    Exact,
    Minimum,
    Maximum,
    Better,
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Exact => "exact",
            Comparison::Minimum => "minimum",
            Comparison::Maximum => "maximum",
            Comparison::Better => "better",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "exact" => Some(Comparison::Exact),
            "minimum" => Some(Comparison::Minimum),
            "maximum" => Some(Comparison::Maximum),
            "better" => Some(Comparison::Better),
            _ => None,
        }
    }
}

/// A RequestedAuthnContext with class references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedAuthnContext {
    pub comparison: Comparison,
    pub class_refs: Vec<String>,
}

/// An AuthnRequest (built by an SP, read by an IdP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequest {
    pub id: String,
    pub issue_instant: OffsetDateTime,
    pub destination: Option<String>,
    pub issuer: String,
    pub acs_url: Option<String>,
    pub acs_index: Option<u16>,
    pub protocol_binding: Option<String>,
    pub name_id_format: Option<String>,
    pub allow_create: Option<bool>,
    pub sp_name_qualifier: Option<String>,
    pub force_authn: bool,
    pub is_passive: bool,
    pub requested_authn_context: Option<RequestedAuthnContext>,
    /// Whether the XML carries an enveloped signature (verified by the IdP checks, not here).
    pub has_signature: bool,
}

impl AuthnRequest {
    /// A request an SP sends: POST binding back to `acs_url`.
    pub fn new(
        id: String,
        issue_instant: OffsetDateTime,
        issuer: &str,
        destination: &str,
        acs_url: &str,
    ) -> Self {
        AuthnRequest {
            id,
            issue_instant,
            destination: Some(destination.into()),
            issuer: issuer.into(),
            acs_url: Some(acs_url.into()),
            acs_index: None,
            protocol_binding: Some(BINDING_POST.into()),
            name_id_format: None,
            allow_create: Some(true),
            sp_name_qualifier: None,
            force_authn: false,
            is_passive: false,
            requested_authn_context: None,
            has_signature: false,
        }
    }

    /// The XML, every value escaped.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.start("samlp:AuthnRequest")
            .attr("xmlns:samlp", ns::SAMLP)
            .attr("xmlns:saml", ns::SAML)
            .attr("ID", &self.id)
            .attr("Version", "2.0")
            .attr("IssueInstant", &format_instant(self.issue_instant))
            .opt_attr("Destination", self.destination.as_deref())
            .opt_attr("AssertionConsumerServiceURL", self.acs_url.as_deref())
            .opt_attr(
                "AssertionConsumerServiceIndex",
                self.acs_index.map(|i| i.to_string()).as_deref(),
            )
            .opt_attr("ProtocolBinding", self.protocol_binding.as_deref());
        if self.force_authn {
            w.attr("ForceAuthn", "true");
        }
        if self.is_passive {
            w.attr("IsPassive", "true");
        }
        w.leaf("saml:Issuer", &self.issuer);
        if self.name_id_format.is_some()
            || self.allow_create.is_some()
            || self.sp_name_qualifier.is_some()
        {
            w.start("samlp:NameIDPolicy")
                .opt_attr("Format", self.name_id_format.as_deref())
                .opt_attr("SPNameQualifier", self.sp_name_qualifier.as_deref())
                .opt_attr(
                    "AllowCreate",
                    self.allow_create.map(|b| if b { "true" } else { "false" }),
                )
                .end();
        }
        if let Some(rac) = &self.requested_authn_context {
            w.start("samlp:RequestedAuthnContext")
                .attr("Comparison", rac.comparison.as_str());
            for c in &rac.class_refs {
                w.leaf("saml:AuthnContextClassRef", c);
            }
            w.end();
        }
        w.end();
        w.finish().unwrap_or_default()
    }

    /// Read an AuthnRequest from a parsed document (structure only; the IdP-side checks are in
    /// [`crate::idp::check_authn_request`]).
    pub fn from_document(doc: &Document<'_>) -> Result<Self, MessageError> {
        let h = header(doc, "AuthnRequest")?;
        let root = h.root;
        let policy = children_named(root, ns::SAMLP, "NameIDPolicy").next();
        let bool_attr = |v: Option<&str>| v.map(|s| s == "true" || s == "1");
        let requested_authn_context = match children_named(root, ns::SAMLP, "RequestedAuthnContext")
            .next()
        {
            None => None,
            Some(r) => {
                let comparison = match r.attribute("Comparison") {
                    None => Comparison::Exact,
                    Some(c) => Comparison::parse(c).ok_or_else(|| {
                        MessageError::Invalid(format!("unknown Comparison {c:?}"))
                    })?,
                };
                let class_refs: Vec<String> = children_named(r, ns::SAML, "AuthnContextClassRef")
                    .map(|c| text_content(c).trim().to_string())
                    .collect();
                if class_refs.is_empty() {
                    return Err(MessageError::Invalid(
                        "RequestedAuthnContext without AuthnContextClassRef (DeclRef is not supported)".into(),
                    ));
                }
                Some(RequestedAuthnContext {
                    comparison,
                    class_refs,
                })
            }
        };
        let acs_index = match root.attribute("AssertionConsumerServiceIndex") {
            None => None,
            Some(i) => Some(i.trim().parse().map_err(|_| {
                MessageError::Invalid(format!("bad AssertionConsumerServiceIndex {i:?}"))
            })?),
        };
        Ok(AuthnRequest {
            id: h.id,
            issue_instant: h.issue_instant,
            destination: root.attribute("Destination").map(str::to_string),
            issuer: h.issuer,
            acs_url: root
                .attribute("AssertionConsumerServiceURL")
                .map(str::to_string),
            acs_index,
            protocol_binding: root.attribute("ProtocolBinding").map(str::to_string),
            name_id_format: policy
                .and_then(|p| p.attribute("Format"))
                .map(str::to_string),
            allow_create: bool_attr(policy.and_then(|p| p.attribute("AllowCreate"))),
            sp_name_qualifier: policy
                .and_then(|p| p.attribute("SPNameQualifier"))
                .map(str::to_string),
            force_authn: bool_attr(root.attribute("ForceAuthn")).unwrap_or(false),
            is_passive: bool_attr(root.attribute("IsPassive")).unwrap_or(false),
            requested_authn_context,
            has_signature: children_named(root, ns::DSIG, "Signature").next().is_some(),
        })
    }
}

/// A LogoutRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    pub id: String,
    pub issue_instant: OffsetDateTime,
    pub destination: Option<String>,
    pub issuer: String,
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub session_indexes: Vec<String>,
}

impl LogoutRequest {
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.start("samlp:LogoutRequest")
            .attr("xmlns:samlp", ns::SAMLP)
            .attr("xmlns:saml", ns::SAML)
            .attr("ID", &self.id)
            .attr("Version", "2.0")
            .attr("IssueInstant", &format_instant(self.issue_instant))
            .opt_attr("Destination", self.destination.as_deref())
            .leaf("saml:Issuer", &self.issuer)
            .start("saml:NameID")
            .opt_attr("Format", self.name_id_format.as_deref())
            .text(&self.name_id)
            .end();
        for s in &self.session_indexes {
            w.leaf("samlp:SessionIndex", s);
        }
        w.end();
        w.finish().unwrap_or_default()
    }

    pub fn from_document(doc: &Document<'_>) -> Result<Self, MessageError> {
        let h = header(doc, "LogoutRequest")?;
        let name_id = children_named(h.root, ns::SAML, "NameID")
            .next()
            .ok_or_else(|| MessageError::Invalid("LogoutRequest has no NameID".into()))?;
        Ok(LogoutRequest {
            id: h.id,
            issue_instant: h.issue_instant,
            destination: h.root.attribute("Destination").map(str::to_string),
            issuer: h.issuer,
            name_id: text_content(name_id),
            name_id_format: name_id.attribute("Format").map(str::to_string),
            session_indexes: children_named(h.root, ns::SAMLP, "SessionIndex")
                .map(text_content)
                .collect(),
        })
    }
}

/// A LogoutResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutResponse {
    pub id: String,
    pub issue_instant: OffsetDateTime,
    pub destination: Option<String>,
    pub issuer: String,
    pub in_response_to: String,
    pub status: String,
}

impl LogoutResponse {
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.start("samlp:LogoutResponse")
            .attr("xmlns:samlp", ns::SAMLP)
            .attr("xmlns:saml", ns::SAML)
            .attr("ID", &self.id)
            .attr("Version", "2.0")
            .attr("IssueInstant", &format_instant(self.issue_instant))
            .opt_attr("Destination", self.destination.as_deref())
            .attr("InResponseTo", &self.in_response_to)
            .leaf("saml:Issuer", &self.issuer)
            .start("samlp:Status")
            .start("samlp:StatusCode")
            .attr("Value", &self.status)
            .end()
            .end()
            .end();
        w.finish().unwrap_or_default()
    }

    pub fn from_document(doc: &Document<'_>) -> Result<Self, MessageError> {
        let h = header(doc, "LogoutResponse")?;
        let status = children_named(h.root, ns::SAMLP, "Status")
            .next()
            .and_then(|s| children_named(s, ns::SAMLP, "StatusCode").next())
            .and_then(|c| c.attribute("Value"))
            .ok_or_else(|| MessageError::Invalid("LogoutResponse has no StatusCode".into()))?;
        Ok(LogoutResponse {
            id: h.id,
            issue_instant: h.issue_instant,
            destination: h.root.attribute("Destination").map(str::to_string),
            issuer: h.issuer,
            in_response_to: h.root.attribute("InResponseTo").unwrap_or("").into(),
            status: status.into(),
        })
    }
}
