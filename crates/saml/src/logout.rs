//! Single logout (SAML profiles 4.4), sans-IO: logout messages sent over the binding the peer
//! published (HTTP-Redirect with a query signature, or HTTP-POST with an enveloped one), and
//! received messages checked: the signature of the peer's pinned key is required (an unsigned
//! LogoutRequest would let anyone end anyone's session), the Destination must be ours, the
//! IssueInstant recent.

use symbolon_dsig::{
    DsigError, PinnedCert, SecureRandom, SignError, SignOptions, SigningKey, VerifyPolicy,
    sign_enveloped, verify_enveloped,
};
use symbolon_xml::{Document, ns};
use time::{Duration, OffsetDateTime};

use crate::binding::{BindingError, MessageKind, encode_redirect};
use crate::idp::Arrival;
use crate::messages::{LogoutRequest, LogoutResponse, MessageError};
use crate::metadata::{BINDING_POST, BINDING_REDIRECT, Endpoint};
use crate::time::{at_least, at_most, format_instant};

/// `urn:oasis:names:tc:SAML:2.0:status:PartialLogout`: not every participant confirmed.
pub const STATUS_PARTIAL_LOGOUT: &str = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout";

/// The endpoint to send logout messages to: HTTP-Redirect if the peer publishes one, else POST.
pub fn slo_endpoint(endpoints: &[Endpoint]) -> Option<&Endpoint> {
    endpoints
        .iter()
        .find(|e| e.binding == BINDING_REDIRECT)
        .or_else(|| endpoints.iter().find(|e| e.binding == BINDING_POST))
}

/// How a logout message leaves: a URL to redirect the browser to, or a form to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    Redirect(String),
    Post {
        action: String,
        /// `SAMLRequest` or `SAMLResponse`.
        field: &'static str,
        xml: String,
    },
}

impl Outgoing {
    /// Where the message goes (with the query, for HTTP-Redirect).
    pub fn destination(&self) -> &str {
        match self {
            Outgoing::Redirect(url) => url,
            Outgoing::Post { action, .. } => action,
        }
    }
}

/// Sign and address a logout message (`xml`, whose root has ID `id`) to `endpoint`: a request
/// goes to its `Location`, a response to its `ResponseLocation` when it has one.
pub fn send(
    xml: &str,
    id: &str,
    kind: MessageKind,
    endpoint: &Endpoint,
    relay_state: Option<&str>,
    key: &SigningKey,
    rng: &dyn SecureRandom,
) -> Result<Outgoing, SignError> {
    let to = match kind {
        MessageKind::Response => endpoint
            .response_location
            .as_deref()
            .unwrap_or(&endpoint.location),
        MessageKind::Request => &endpoint.location,
    };
    if endpoint.binding == BINDING_POST {
        let signed = sign_enveloped(xml, id, key, &SignOptions::for_key(key), rng)?;
        return Ok(Outgoing::Post {
            action: to.to_string(),
            field: kind.param(),
            xml: signed,
        });
    }
    encode_redirect(
        to,
        kind,
        xml.as_bytes(),
        relay_state,
        Some((key, key.default_algorithm(), rng)),
    )
    .map(Outgoing::Redirect)
}

/// A LogoutRequest to send.
pub fn logout_request(
    id: &str,
    now: OffsetDateTime,
    issuer: &str,
    destination: &str,
    name_id: &str,
    name_id_format: Option<&str>,
    session_index: Option<&str>,
) -> String {
    LogoutRequest {
        id: id.into(),
        issue_instant: now,
        destination: Some(destination.into()),
        issuer: issuer.into(),
        name_id: name_id.into(),
        name_id_format: name_id_format.map(str::to_string),
        session_indexes: session_index.into_iter().map(str::to_string).collect(),
    }
    .to_xml()
}

/// A LogoutResponse to send.
pub fn logout_response(
    id: &str,
    now: OffsetDateTime,
    issuer: &str,
    destination: &str,
    in_response_to: &str,
    status: &str,
) -> String {
    LogoutResponse {
        id: id.into(),
        issue_instant: now,
        destination: Some(destination.into()),
        issuer: issuer.into(),
        in_response_to: in_response_to.into(),
        status: status.into(),
    }
    .to_xml()
}

/// What a received logout message was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutMessage {
    Request(LogoutRequest),
    Response(LogoutResponse),
}

impl LogoutMessage {
    pub fn issuer(&self) -> &str {
        match self {
            LogoutMessage::Request(r) => &r.issuer,
            LogoutMessage::Response(r) => &r.issuer,
        }
    }
}

/// Why a logout message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoutError {
    #[error("{0}")]
    Message(#[from] MessageError),
    #[error("not a LogoutRequest or LogoutResponse: {0}")]
    NotLogout(String),
    #[error("the logout message is not signed (logout messages must be)")]
    Unsigned,
    #[error("the sender has no signing certificate to check the logout message with")]
    NoKeys,
    #[error("query string signature rejected: {0}")]
    RedirectSignature(#[from] BindingError),
    #[error("XML signature rejected: {0}")]
    XmlSignature(#[from] DsigError),
    #[error("Destination {0:?} is not this endpoint")]
    Destination(String),
    #[error("IssueInstant {0} is outside the allowed clock skew")]
    IssueInstant(String),
}

/// The root element's local name, when it is a SAML protocol element (to route a message to the
/// SSO or the logout handler before any check).
pub fn protocol_root<'a>(doc: &'a Document<'_>) -> Option<&'a str> {
    let root = doc.root_element();
    (root.tag_name().namespace() == Some(ns::SAMLP)).then(|| root.tag_name().name())
}

/// Check a received logout message against the sender's pinned certificates: a signature is
/// required and must verify; the Destination, when present, must be one of `endpoints`; the
/// IssueInstant must be within `skew` (and at most five minutes old beyond it).
pub fn check_logout(
    doc: &Document<'_>,
    arrival: Arrival<'_>,
    certs: &[PinnedCert],
    endpoints: &[&str],
    now: OffsetDateTime,
    skew: Duration,
) -> Result<LogoutMessage, LogoutError> {
    let root = doc.root_element();
    let msg = match protocol_root(doc) {
        Some("LogoutRequest") => LogoutMessage::Request(LogoutRequest::from_document(doc)?),
        Some("LogoutResponse") => LogoutMessage::Response(LogoutResponse::from_document(doc)?),
        other => return Err(LogoutError::NotLogout(other.unwrap_or("").to_string())),
    };
    if certs.is_empty() {
        return Err(LogoutError::NoKeys);
    }
    let mut signed = false;
    if let Arrival::Redirect(m) = &arrival
        && m.verify_signature(certs, false)?.is_some()
    {
        signed = true;
    }
    if symbolon_xml::children_named(root, ns::DSIG, "Signature")
        .next()
        .is_some()
    {
        verify_enveloped(root, certs, &VerifyPolicy { allow_sha1: false })?;
        signed = true;
    }
    if !signed {
        return Err(LogoutError::Unsigned);
    }
    let (destination, issued) = match &msg {
        LogoutMessage::Request(r) => (&r.destination, r.issue_instant),
        LogoutMessage::Response(r) => (&r.destination, r.issue_instant),
    };
    if let Some(d) = destination
        && !endpoints.contains(&d.as_str())
    {
        return Err(LogoutError::Destination(d.clone()));
    }
    if issued > at_most(now, skew) || issued < at_least(now, skew + Duration::minutes(5)) {
        return Err(LogoutError::IssueInstant(format_instant(issued)));
    }
    Ok(msg)
}
