//! The identity provider's side: build signed Responses, and check AuthnRequests against what the
//! service provider registered.

use symbolon_dsig::enc::{EncryptOptions, EncryptionCert};
use symbolon_dsig::{
    DsigError, PinnedCert, SecureRandom, SignError, SignOptions, SigningKey, VerifyPolicy,
    sign_enveloped, verify_enveloped,
};
use symbolon_xml::writer::XmlWriter;
use symbolon_xml::{Document, ns};
use time::{Duration, OffsetDateTime};

use crate::binding::{BindingError, RedirectMessage};
use crate::messages::{AuthnRequest, Comparison, MessageError, RequestedAuthnContext};
use crate::metadata::{BINDING_POST, Endpoint, default_post_acs};
use crate::sp::{CM_BEARER, STATUS_SUCCESS};
use crate::time::{at_least, at_most, format_instant};

pub const AC_PASSWORD_PROTECTED: &str =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
/// REFEDS multi-factor authentication (password + second factor, or a user-verified passkey).
pub const AC_REFEDS_MFA: &str = "https://refeds.org/profile/mfa";
/// A FIDO authenticator (a passkey alone satisfies it).
pub const AC_FIDO: &str = "urn:rsa:names:tc:SAML:2.0:ac:classes:FIDO";
pub const AC_PASSWORD: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password";
pub const STATUS_REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
pub const STATUS_RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
pub const STATUS_NO_AUTHN_CONTEXT: &str = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext";
pub const STATUS_REQUEST_DENIED: &str = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied";
pub const STATUS_NO_PASSIVE: &str = "urn:oasis:names:tc:SAML:2.0:status:NoPassive";
pub const STATUS_INVALID_NAMEID_POLICY: &str =
    "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy";

/// The NameID formats this identity provider can issue.
pub const ISSUABLE_NAMEID_FORMATS: [&str; 4] = [
    crate::messages::NAMEID_EMAIL,
    crate::messages::NAMEID_PERSISTENT,
    crate::messages::NAMEID_TRANSIENT,
    crate::messages::NAMEID_UNSPECIFIED,
];

/// The NameID format to issue for an AuthnRequest's NameIDPolicy (SAML Core 3.4.1.1): the
/// client's own format when the request names none or `unspecified`, else exactly the format
/// requested. `Err` (with the reason for the administrator) when the requested format is not
/// one this identity provider issues, or when SPNameQualifier names another entity than the
/// requester (no affiliations here): the answer is then the status `InvalidNameIDPolicy`,
/// never another format than the one asked for.
pub fn name_id_format_for(request: &AuthnRequest, client_format: &str) -> Result<String, String> {
    if let Some(q) = &request.sp_name_qualifier
        && *q != request.issuer
    {
        return Err(format!(
            "NameIDPolicy SPNameQualifier {q:?} is not the requester; affiliations are not supported"
        ));
    }
    match request.name_id_format.as_deref() {
        None | Some(crate::messages::NAMEID_UNSPECIFIED) => Ok(client_format.to_string()),
        Some(f) if ISSUABLE_NAMEID_FORMATS.contains(&f) => Ok(f.to_string()),
        Some(f) => Err(format!(
            "NameIDPolicy Format {f:?} cannot be issued (email, persistent, transient or unspecified)"
        )),
    }
}
pub const ATTRNAME_BASIC: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";
pub const ATTRNAME_URI: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";

/// An attribute to assert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutAttribute {
    pub name: String,
    pub name_format: Option<String>,
    pub friendly_name: Option<String>,
    pub values: Vec<String>,
}

/// Everything a Response says. IDs and times come from the caller.
#[derive(Debug, Clone)]
pub struct ResponseParams {
    pub response_id: String,
    pub assertion_id: String,
    pub now: OffsetDateTime,
    pub idp_entity_id: String,
    /// The ACS URL: Destination and Recipient.
    pub destination: String,
    pub in_response_to: Option<String>,
    /// The SP's entity ID: the Audience.
    pub audience: String,
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub sp_name_qualifier: Option<String>,
    /// How long the assertion is valid (Conditions NotOnOrAfter and the bearer confirmation).
    pub lifespan: Duration,
    /// Conditions NotBefore = now - this (a little slack for the SP's clock).
    pub not_before_slack: Duration,
    pub session_index: Option<String>,
    pub session_not_on_or_after: Option<OffsetDateTime>,
    pub authn_instant: OffsetDateTime,
    pub authn_context_class_ref: String,
    pub attributes: Vec<OutAttribute>,
}

/// Which parts to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignParts {
    pub response: bool,
    pub assertion: bool,
}

fn status(w: &mut XmlWriter, code: &str, sub: Option<&str>, message: Option<&str>) {
    w.start("samlp:Status")
        .start("samlp:StatusCode")
        .attr("Value", code);
    if let Some(s) = sub {
        w.start("samlp:StatusCode").attr("Value", s).end();
    }
    w.end();
    if let Some(m) = message {
        w.leaf("samlp:StatusMessage", m);
    }
    w.end();
}

/// The unsigned Response XML.
pub fn response_xml(p: &ResponseParams) -> Option<String> {
    let now = format_instant(p.now);
    let not_on_or_after = format_instant(at_most(p.now, p.lifespan));
    let mut w = XmlWriter::new();
    w.start("samlp:Response")
        .attr("xmlns:samlp", ns::SAMLP)
        .attr("xmlns:saml", ns::SAML)
        .attr("ID", &p.response_id)
        .attr("Version", "2.0")
        .attr("IssueInstant", &now)
        .attr("Destination", &p.destination)
        .opt_attr("InResponseTo", p.in_response_to.as_deref())
        .leaf("saml:Issuer", &p.idp_entity_id);
    status(&mut w, STATUS_SUCCESS, None, None);
    w.start("saml:Assertion")
        .attr("xmlns:saml", ns::SAML)
        .attr("xmlns:xs", "http://www.w3.org/2001/XMLSchema")
        .attr("xmlns:xsi", ns::XSI)
        .attr("ID", &p.assertion_id)
        .attr("Version", "2.0")
        .attr("IssueInstant", &now)
        .leaf("saml:Issuer", &p.idp_entity_id)
        .start("saml:Subject")
        .start("saml:NameID")
        .opt_attr("Format", p.name_id_format.as_deref())
        .opt_attr("SPNameQualifier", p.sp_name_qualifier.as_deref())
        .text(&p.name_id)
        .end()
        .start("saml:SubjectConfirmation")
        .attr("Method", CM_BEARER)
        .start("saml:SubjectConfirmationData")
        .opt_attr("InResponseTo", p.in_response_to.as_deref())
        .attr("NotOnOrAfter", &not_on_or_after)
        .attr("Recipient", &p.destination)
        .end()
        .end()
        .end()
        .start("saml:Conditions")
        .attr(
            "NotBefore",
            &format_instant(at_least(p.now, p.not_before_slack)),
        )
        .attr("NotOnOrAfter", &not_on_or_after)
        .start("saml:AudienceRestriction")
        .leaf("saml:Audience", &p.audience)
        .end()
        .end()
        .start("saml:AuthnStatement")
        .attr("AuthnInstant", &format_instant(p.authn_instant))
        .opt_attr("SessionIndex", p.session_index.as_deref())
        .opt_attr(
            "SessionNotOnOrAfter",
            p.session_not_on_or_after.map(format_instant).as_deref(),
        )
        .start("saml:AuthnContext")
        .leaf("saml:AuthnContextClassRef", &p.authn_context_class_ref)
        .end()
        .end();
    if !p.attributes.is_empty() {
        w.start("saml:AttributeStatement");
        for a in &p.attributes {
            w.start("saml:Attribute")
                .attr("Name", &a.name)
                .opt_attr("NameFormat", a.name_format.as_deref())
                .opt_attr("FriendlyName", a.friendly_name.as_deref());
            for v in &a.values {
                w.start("saml:AttributeValue")
                    .attr("xsi:type", "xs:string")
                    .text(v)
                    .end();
            }
            w.end();
        }
        w.end();
    }
    w.end().end();
    w.finish()
}

/// Build and sign a Response. The assertion is signed first, so a signed Response covers the
/// assertion's signature too.
pub fn build_response(
    p: &ResponseParams,
    parts: SignParts,
    key: &SigningKey,
    opts: &SignOptions,
    rng: &dyn SecureRandom,
) -> Result<String, SignError> {
    build_response_for(p, parts, None, key, opts, rng)
}

/// Build and sign a Response, encrypting the assertion to `encrypt_to` when given: the
/// assertion is then always signed (before it is encrypted), and a Response signature, when
/// asked for, is made last so that it covers the `EncryptedAssertion`.
pub fn build_response_for(
    p: &ResponseParams,
    parts: SignParts,
    encrypt_to: Option<(&EncryptionCert, &EncryptOptions)>,
    key: &SigningKey,
    opts: &SignOptions,
    rng: &dyn SecureRandom,
) -> Result<String, SignError> {
    let mut xml = response_xml(p).ok_or(SignError::NoPlace)?;
    if parts.assertion || encrypt_to.is_some() {
        xml = sign_enveloped(&xml, &p.assertion_id, key, opts, rng)?;
    }
    if let Some((to, eo)) = encrypt_to {
        xml = crate::encrypted::encrypt_assertion(&xml, &p.assertion_id, to, eo, rng)
            .map_err(|_| SignError::Crypto)?;
    }
    if parts.response || !(parts.assertion || encrypt_to.is_some()) {
        xml = sign_enveloped(&xml, &p.response_id, key, opts, rng)?;
    }
    Ok(xml)
}

/// How strong an authentication context class is, for `minimum`, `better` and `maximum`
/// comparisons: password < multi-factor (REFEDS MFA) < FIDO (a phishing-resistant passkey, which
/// is also multi-factor). FIDO ranks above MFA so that a password and a one-time code never meet
/// a request for `minimum` FIDO. Classes this IdP does not rank have no strength and only ever
/// match themselves (`exact`).
pub fn class_strength(class: &str) -> Option<u8> {
    match class {
        AC_PASSWORD | AC_PASSWORD_PROTECTED => Some(1),
        AC_REFEDS_MFA => Some(2),
        AC_FIDO => Some(3),
        _ => None,
    }
}

/// The classes a sign-in may truthfully claim, the one to say by default first: a password gives
/// PasswordProtectedTransport; a password and a second factor give REFEDS MFA (and were a
/// password); a user-verified passkey gives REFEDS MFA and FIDO.
pub fn claimable_classes(method: SignInMethod) -> &'static [&'static str] {
    match method {
        SignInMethod::Password => &[AC_PASSWORD_PROTECTED],
        SignInMethod::PasswordAndSecondFactor => &[AC_REFEDS_MFA, AC_PASSWORD_PROTECTED],
        SignInMethod::Passkey => &[AC_REFEDS_MFA, AC_FIDO],
    }
}

/// How a user signed in, as far as the authentication context goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    Password,
    PasswordAndSecondFactor,
    /// A passkey with user verification.
    Passkey,
}

/// The AuthnContextClassRef an assertion carries for a sign-in by `method`: with no request,
/// the method's own class; with one, the first class the method may claim that meets it, or
/// `None` (then the sign-in does not meet the request: step up, or NoAuthnContext).
pub fn choose_class(
    method: SignInMethod,
    requested: Option<&RequestedAuthnContext>,
) -> Option<&'static str> {
    let classes = claimable_classes(method);
    match requested {
        None => classes.first().copied(),
        Some(req) => classes.iter().copied().find(|c| satisfies(req, c)),
    }
}

/// Whether a sign-in whose context is `achieved` meets the SP's RequestedAuthnContext (SAML
/// core 3.3.2.2.1). Fails closed: an unknown class never meets a ranked comparison, so a request
/// the IdP cannot judge is answered NoAuthnContext, never with a silent downgrade.
pub fn satisfies(requested: &RequestedAuthnContext, achieved: &str) -> bool {
    let have = class_strength(achieved);
    requested
        .class_refs
        .iter()
        .any(|want| match requested.comparison {
            Comparison::Exact => want == achieved,
            Comparison::Minimum => {
                want == achieved
                    || matches!((have, class_strength(want)), (Some(h), Some(w)) if h >= w)
            }
            Comparison::Better => {
                matches!((have, class_strength(want)), (Some(h), Some(w)) if h > w)
            }
            Comparison::Maximum => {
                want == achieved
                    || matches!((have, class_strength(want)), (Some(h), Some(w)) if h <= w)
            }
        })
}

/// A Response that carries an error status and no assertion (signed, so the SP can trust the
/// status). `sub_code` is e.g. [`STATUS_NO_AUTHN_CONTEXT`].
#[allow(clippy::too_many_arguments)]
pub fn build_error_response(
    response_id: &str,
    now: OffsetDateTime,
    idp_entity_id: &str,
    destination: &str,
    in_response_to: Option<&str>,
    code: &str,
    sub_code: Option<&str>,
    message: Option<&str>,
    key: &SigningKey,
    opts: &SignOptions,
    rng: &dyn SecureRandom,
) -> Result<String, SignError> {
    let mut w = XmlWriter::new();
    w.start("samlp:Response")
        .attr("xmlns:samlp", ns::SAMLP)
        .attr("xmlns:saml", ns::SAML)
        .attr("ID", response_id)
        .attr("Version", "2.0")
        .attr("IssueInstant", &format_instant(now))
        .attr("Destination", destination)
        .opt_attr("InResponseTo", in_response_to)
        .leaf("saml:Issuer", idp_entity_id);
    status(&mut w, code, sub_code, message);
    w.end();
    let xml = w.finish().ok_or(SignError::NoPlace)?;
    sign_enveloped(&xml, response_id, key, opts, rng)
}

/// What the IdP knows about the SP (a client): from its metadata and the administrator's settings.
#[derive(Debug, Clone)]
pub struct SpRegistration {
    pub entity_id: String,
    pub acs: Vec<Endpoint>,
    /// Pinned certificates the SP signs requests with.
    pub signing_certs: Vec<PinnedCert>,
    /// Requests must be signed (SP metadata AuthnRequestsSigned, or the client setting).
    pub require_signed_requests: bool,
    pub allow_sha1: bool,
}

/// How the AuthnRequest arrived.
#[derive(Debug)]
pub enum Arrival<'a> {
    /// HTTP-Redirect: the decoded message with its (unverified) query signature.
    Redirect(&'a RedirectMessage),
    /// HTTP-POST: the XML may carry an enveloped signature.
    Post,
}

/// Why an AuthnRequest was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("{0}")]
    Message(#[from] MessageError),
    #[error("Issuer {found:?} is not the registered client {expected:?}")]
    IssuerMismatch { found: String, expected: String },
    #[error("Destination {found:?} is not this IdP's SSO endpoint {expected:?}")]
    DestinationMismatch { found: String, expected: String },
    #[error("IssueInstant {0} is outside the allowed clock skew")]
    IssueInstantOutOfRange(String),
    #[error("AssertionConsumerServiceURL {0:?} is not one of the client's registered endpoints")]
    UnknownAcsUrl(String),
    #[error("AssertionConsumerServiceIndex {0} is not one of the client's registered endpoints")]
    UnknownAcsIndex(u16),
    #[error("the client has no HTTP-POST AssertionConsumerService")]
    NoAcs,
    #[error("ProtocolBinding {0:?} is not supported (HTTP-POST only)")]
    UnsupportedBinding(String),
    #[error("the request is not signed, and this client requires signed requests")]
    SignatureRequired,
    #[error("query string signature rejected: {0}")]
    RedirectSignature(#[from] BindingError),
    #[error("XML signature rejected: {0}")]
    XmlSignature(#[from] DsigError),
}

/// An accepted request: where to send the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedRequest {
    pub request: AuthnRequest,
    pub acs_url: String,
    pub signed: bool,
}

/// Check an AuthnRequest for a registered client. `sso_url` is the endpoint it was received on.
pub fn check_authn_request(
    doc: &Document<'_>,
    arrival: Arrival<'_>,
    sp: &SpRegistration,
    sso_urls: &[&str],
    now: OffsetDateTime,
    clock_skew: Duration,
) -> Result<AcceptedRequest, RequestError> {
    let req = AuthnRequest::from_document(doc)?;
    if req.issuer != sp.entity_id {
        return Err(RequestError::IssuerMismatch {
            found: req.issuer,
            expected: sp.entity_id.clone(),
        });
    }

    // Signatures: every one present must verify; one is required when the client says so.
    let mut signed = false;
    if let Arrival::Redirect(m) = &arrival
        && m.verify_signature(&sp.signing_certs, sp.allow_sha1)?
            .is_some()
    {
        signed = true;
    }
    if req.has_signature {
        verify_enveloped(
            doc.root_element(),
            &sp.signing_certs,
            &VerifyPolicy {
                allow_sha1: sp.allow_sha1,
            },
        )?;
        signed = true;
    }
    if sp.require_signed_requests && !signed {
        return Err(RequestError::SignatureRequired);
    }

    if let Some(d) = &req.destination
        && !sso_urls.contains(&d.as_str())
    {
        return Err(RequestError::DestinationMismatch {
            found: d.clone(),
            expected: sso_urls.first().copied().unwrap_or_default().to_string(),
        });
    }
    if req.issue_instant > at_most(now, clock_skew)
        || req.issue_instant < at_least(now, clock_skew + Duration::minutes(5))
    {
        return Err(RequestError::IssueInstantOutOfRange(format_instant(
            req.issue_instant,
        )));
    }
    if let Some(b) = &req.protocol_binding
        && b != BINDING_POST
    {
        return Err(RequestError::UnsupportedBinding(b.clone()));
    }

    let posts = || sp.acs.iter().filter(|e| e.binding == BINDING_POST);
    let acs_url = match (&req.acs_url, req.acs_index) {
        (Some(url), _) => {
            if !posts().any(|e| e.location == *url) {
                return Err(RequestError::UnknownAcsUrl(url.clone()));
            }
            url.clone()
        }
        (None, Some(i)) => posts()
            .find(|e| e.index == Some(i))
            .ok_or(RequestError::UnknownAcsIndex(i))?
            .location
            .clone(),
        (None, None) => default_post_acs(&sp.acs)
            .ok_or(RequestError::NoAcs)?
            .location
            .clone(),
    };
    Ok(AcceptedRequest {
        request: req,
        acs_url,
        signed,
    })
}
