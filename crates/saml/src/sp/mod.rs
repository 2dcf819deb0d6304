//! Service-provider validation of a SAML Response (Web Browser SSO profile, HTTP-POST).
//!
//! Pure function of (document, IdP settings, SP settings, expectation incl. `now`). Identity data
//! is read only through the verified element; the unsigned envelope is only ever compared.

use symbolon_dsig::{
    DsigError, PinnedCert, SignatureAlgorithm, UniqueIds, Verified, VerifiedNode, VerifyPolicy,
    verify_enveloped, verify_enveloped_unique,
};
use symbolon_xml::{Document, Limits, Node, children_named, is_element, ns, text_content};
use time::{Duration, OffsetDateTime};

use crate::replay::ReplayKey;

mod error;
use crate::time::{at_least, at_most, checked_after, format_instant, parse_instant};
pub use error::ValidationError;

pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
pub const CM_BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
/// The default clock skew, and the most that may be configured.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::seconds(120);
pub const MAX_CLOCK_SKEW: Duration = Duration::seconds(300);
/// How long after its IssueInstant an assertion is accepted by default, whatever its
/// NotOnOrAfter says (the clock skew comes on top). Bounds how long a replay-cache entry lives.
pub const DEFAULT_MAX_ASSERTION_LIFETIME: Duration = Duration::minutes(5);
/// The most that may be configured for the assertion lifetime.
pub const MAX_ASSERTION_LIFETIME: Duration = Duration::hours(24);

/// What the SP knows about one IdP (one tenant's configuration of it). Two equal settings
/// validate any response alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpSettings {
    pub entity_id: String,
    /// Pinned signing certificates (several during a rollover).
    pub certs: Vec<PinnedCert>,
    /// Accept RSA-SHA1 / SHA-1 digests (shown as a warning).
    pub allow_sha1: bool,
    /// Accept unsolicited (IdP-initiated) responses.
    pub allow_idp_initiated: bool,
    /// Require an AuthnStatement, as the Web Browser SSO profile does.
    pub require_authn_statement: bool,
    /// Require the Assertion itself to be signed, even inside a signed Response.
    pub require_signed_assertion: bool,
    /// Accept an assertion that was encrypted with AES-CBC (opt-in; AES-GCM otherwise).
    pub allow_cbc: bool,
}

impl IdpSettings {
    pub fn new(entity_id: impl Into<String>, certs: Vec<PinnedCert>) -> Self {
        IdpSettings {
            entity_id: entity_id.into(),
            certs,
            allow_sha1: false,
            allow_idp_initiated: true,
            require_authn_statement: true,
            require_signed_assertion: false,
            allow_cbc: false,
        }
    }
}

/// The SP itself.
#[derive(Debug, Clone)]
pub struct SpSettings {
    pub entity_id: String,
    pub acs_url: String,
}

/// What this particular response is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Expectation<'a> {
    pub now: OffsetDateTime,
    pub clock_skew: Duration,
    /// The ID of the AuthnRequest this browser has outstanding, or `None` for IdP-initiated.
    pub in_response_to: Option<&'a str>,
    /// An assertion is accepted until the earlier of its NotOnOrAfter and its IssueInstant plus
    /// this (plus the clock skew); at most [`MAX_ASSERTION_LIFETIME`].
    pub max_assertion_lifetime: Duration,
}

impl<'a> Expectation<'a> {
    pub fn at(now: OffsetDateTime) -> Self {
        Expectation {
            now,
            clock_skew: DEFAULT_CLOCK_SKEW,
            in_response_to: None,
            max_assertion_lifetime: DEFAULT_MAX_ASSERTION_LIFETIME,
        }
    }
}

/// Which signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {
    Response,
    Assertion,
}

impl std::fmt::Display for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Signed::Response => "Response",
            Signed::Assertion => "Assertion",
        })
    }
}

/// One attribute, values merged across same-named Attribute elements in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub name_format: Option<String>,
    pub friendly_name: Option<String>,
    pub values: Vec<String>,
}

/// An accepted assertion: every field was read from signed data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedAssertion {
    pub issuer: String,
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub name_qualifier: Option<String>,
    pub sp_name_qualifier: Option<String>,
    pub session_index: Option<String>,
    pub session_not_on_or_after: Option<OffsetDateTime>,
    pub authn_instant: Option<OffsetDateTime>,
    pub authn_context_class_ref: Option<String>,
    pub assertion_id: String,
    pub response_id: String,
    pub in_response_to: Option<String>,
    /// The earliest of the Conditions and SubjectConfirmationData NotOnOrAfter and the
    /// assertion's IssueInstant plus the configured maximum lifetime.
    pub not_on_or_after: OffsetDateTime,
    pub one_time_use: bool,
    pub attributes: Vec<Attribute>,
    pub response_signed: bool,
    pub assertion_signed: bool,
    pub algorithm: SignatureAlgorithm,
    /// Index into `IdpSettings::certs` of the key that verified the assertion.
    pub cert_index: usize,
    /// Things an administrator should know (expired pinned certificate, SHA-1...).
    pub warnings: Vec<String>,
    /// Clock skew applied, kept for the replay key.
    clock_skew: Duration,
}

impl ValidatedAssertion {
    /// What the caller's replay cache must remember: until NotOnOrAfter plus the clock skew.
    pub fn replay_key(&self) -> ReplayKey {
        ReplayKey {
            issuer: self.issuer.clone(),
            assertion_id: self.assertion_id.clone(),
            until: at_most(self.not_on_or_after, self.clock_skew),
        }
    }

    /// Values of the attribute with this Name.
    pub fn attribute(&self, name: &str) -> Option<&[String]> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.values.as_slice())
    }
}

/// The Response's Issuer, or failing that the Assertion's: unverified, only to pick which IdP
/// configurations to try.
pub fn issuer_hint(doc: &Document<'_>) -> Option<String> {
    let root = doc.root_element();
    let from = |n: Node<'_, '_>| {
        children_named(n, ns::SAML, "Issuer")
            .next()
            .map(|i| text_content(i).trim().to_string())
    };
    from(root).or_else(|| {
        children_named(root, ns::SAML, "Assertion")
            .next()
            .and_then(from)
    })
}

/// Parse and validate in one call.
pub fn validate_response_xml(
    input: &[u8],
    limits: &Limits,
    idp: &IdpSettings,
    sp: &SpSettings,
    expect: &Expectation<'_>,
) -> Result<ValidatedAssertion, ValidationError> {
    let doc = symbolon_xml::parse_bytes(input, limits)?;
    validate_response(&doc, idp, sp, expect)
}

fn check_not_before(t: OffsetDateTime, e: &Expectation<'_>) -> bool {
    at_most(e.now, e.clock_skew) >= t
}

fn check_not_on_or_after(t: OffsetDateTime, e: &Expectation<'_>) -> bool {
    at_least(e.now, e.clock_skew) < t
}

fn time_attr(
    n: &VerifiedNode<'_, '_>,
    name: &'static str,
) -> Result<Option<OffsetDateTime>, ValidationError> {
    match n.attribute(name) {
        None => Ok(None),
        Some(v) => parse_instant(v)
            .map(Some)
            .ok_or(ValidationError::BadTime(name)),
    }
}

/// Validate a parsed SAML Response against one IdP configuration.
pub fn validate_response(
    doc: &Document<'_>,
    idp: &IdpSettings,
    sp: &SpSettings,
    expect: &Expectation<'_>,
) -> Result<ValidatedAssertion, ValidationError> {
    validate(doc, None, idp, sp, expect)
}

/// Validate a Response whose assertion arrived encrypted: `received` is the document as it
/// came, `decrypted` the same document with its `EncryptedAssertion` replaced by the plaintext
/// (see [`crate::encrypted::decrypt_assertion`]). Every rule of a clear response applies to the
/// decrypted one, and the assertion itself must be signed (encryption proves nothing about who
/// wrote it: anyone can encrypt to our public key). A Response signature is verified on the
/// document as received, where it was made.
pub fn validate_decrypted_response(
    received: &Document<'_>,
    decrypted: &Document<'_>,
    data: symbolon_dsig::enc::DataAlgorithm,
    idp: &IdpSettings,
    sp: &SpSettings,
    expect: &Expectation<'_>,
) -> Result<ValidatedAssertion, ValidationError> {
    if data.is_cbc() && !idp.allow_cbc {
        return Err(symbolon_dsig::enc::EncError::CbcNotAllowed.into());
    }
    validate(decrypted, Some(received), idp, sp, expect)
}

fn validate(
    doc: &Document<'_>,
    received: Option<&Document<'_>>,
    idp: &IdpSettings,
    sp: &SpSettings,
    expect: &Expectation<'_>,
) -> Result<ValidatedAssertion, ValidationError> {
    use ValidationError as E;

    if expect.clock_skew > MAX_CLOCK_SKEW || expect.clock_skew.is_negative() {
        return Err(E::ClockSkewTooLarge(expect.clock_skew.whole_seconds()));
    }
    if expect.max_assertion_lifetime > MAX_ASSERTION_LIFETIME
        || expect.max_assertion_lifetime < Duration::seconds(1)
    {
        return Err(E::LifetimeOutOfRange(
            expect.max_assertion_lifetime.whole_seconds(),
        ));
    }
    if idp.certs.is_empty() {
        return Err(E::NoSigningKeys);
    }
    let root = doc.root_element();
    if !is_element(root, ns::SAMLP, "Response") {
        return Err(E::NotAResponse(root.tag_name().name().to_string()));
    }

    // One pass over the document: assertions, IDs and signatures.
    let mut assertions = 0usize;
    let mut encrypted = false;
    let mut found = None;
    let mut signatures = Vec::new();
    for n in root.descendants().filter(|n| n.is_element()) {
        if is_element(n, ns::SAML, "Assertion") {
            assertions += 1;
            found = Some(n);
        } else if is_element(n, ns::SAML, "EncryptedAssertion") {
            assertions += 1;
            encrypted = true;
        } else if is_element(n, ns::DSIG, "Signature") {
            signatures.push(n);
        }
    }

    // Exactly one assertion in the whole document, as a direct child of the Response.
    match assertions {
        0 => return Err(E::NoAssertion),
        1 if encrypted => return Err(E::EncryptedAssertion),
        1 => {}
        n => return Err(E::MultipleAssertions(n)),
    }
    let assertion = found.ok_or(E::NoAssertion)?;
    if assertion.parent() != Some(root) {
        return Err(E::AssertionMisplaced);
    }

    // IDs unique across the document (proven once, reused by each signature check).
    let unique_ids = UniqueIds::check(doc).map_err(|e| match e {
        DsigError::DuplicateId(v) => E::DuplicateId(v),
        other => E::Signature(Signed::Response, other),
    })?;

    // The Assertion's Issuer is required (and is where its signature must follow).
    if children_named(assertion, ns::SAML, "Issuer")
        .next()
        .is_none()
    {
        return Err(E::AssertionIssuerMissing);
    }

    // Signatures only on the Response and the Assertion, each right after its Issuer.
    for sig in signatures {
        let parent = sig.parent();
        let which = if parent == Some(root) {
            Signed::Response
        } else if parent == Some(assertion) {
            Signed::Assertion
        } else {
            return Err(E::UnexpectedSignature);
        };
        let placed = match sig.prev_sibling_element() {
            Some(p) => is_element(p, ns::SAML, "Issuer"),
            None => which == Signed::Response,
        };
        if !placed {
            return Err(E::SignatureMisplaced(which));
        }
    }

    // Verify every signature present; each must verify.
    let policy = VerifyPolicy {
        allow_sha1: idp.allow_sha1,
    };
    let has_sig = |n: Node<'_, '_>| children_named(n, ns::DSIG, "Signature").next().is_some();
    // A decrypted document's Response signature is checked where it was made: on the document
    // as received. Its verified view is then not used: the assertion must carry its own.
    let mut response_elsewhere = None;
    let response_v: Option<Verified<'_, '_>> = match received {
        Some(r) if has_sig(r.root_element()) => {
            let v = verify_enveloped(r.root_element(), &idp.certs, &policy)
                .map_err(|e| E::Signature(Signed::Response, e))?;
            response_elsewhere = Some((v.algorithm, v.cert_index));
            None
        }
        _ if received.is_none() && has_sig(root) => Some(
            verify_enveloped_unique(root, &idp.certs, &policy, &unique_ids)
                .map_err(|e| E::Signature(Signed::Response, e))?,
        ),
        _ => None,
    };
    let assertion_v: Option<Verified<'_, '_>> = if has_sig(assertion) {
        Some(
            verify_enveloped_unique(assertion, &idp.certs, &policy, &unique_ids)
                .map_err(|e| E::Signature(Signed::Assertion, e))?,
        )
    } else {
        None
    };
    if received.is_some() && assertion_v.is_none() {
        return Err(E::DecryptedAssertionUnsigned);
    }
    if idp.require_signed_assertion && assertion_v.is_none() {
        return Err(E::AssertionNotSigned);
    }
    // The assertion is read through a verified view only.
    let (a, algo, cert_index) = match (&assertion_v, &response_v) {
        (Some(av), _) => (av.element(), av.algorithm, av.cert_index),
        (None, Some(rv)) => {
            let mut inner = rv.element().children_named(ns::SAML, "Assertion");
            let a = inner.next().ok_or(E::NoAssertion)?;
            if a.id() != assertion.id() || inner.next().is_some() {
                return Err(E::AssertionMisplaced);
            }
            (a, rv.algorithm, rv.cert_index)
        }
        (None, None) => return Err(E::Unsigned),
    };

    // A missing AuthnStatement is a standing IdP misconfiguration: report it before anything
    // that depends on this particular exchange.
    if idp.require_authn_statement
        && a.children_named(ns::SAML, "AuthnStatement")
            .next()
            .is_none()
    {
        return Err(E::NoAuthnStatement);
    }

    // Response envelope. When the Response is signed, these nodes are the verified ones.
    let response_signed = response_v.is_some() || response_elsewhere.is_some();
    match root.attribute("Version") {
        Some("2.0") => {}
        v => return Err(E::Version(Signed::Response, v.unwrap_or("").to_string())),
    }
    let response_id = root
        .attribute("ID")
        .filter(|s| !s.is_empty())
        .ok_or(E::MissingId(Signed::Response))?;
    if !symbolon_xml::is_ncname(response_id) {
        return Err(E::BadId(Signed::Response, response_id.to_string()));
    }
    let r_issue = root
        .attribute("IssueInstant")
        .and_then(parse_instant)
        .ok_or(E::BadIssueInstant(Signed::Response))?;
    match root.attribute("Destination") {
        Some(d) if d != sp.acs_url => {
            return Err(E::DestinationMismatch {
                found: d.to_string(),
                expected: sp.acs_url.clone(),
            });
        }
        None if response_signed => return Err(E::DestinationMissing),
        _ => {}
    }
    if let Some(issuer) = children_named(root, ns::SAML, "Issuer").next() {
        let found = text_content(issuer);
        if found.trim() != idp.entity_id {
            return Err(E::IssuerMismatch {
                which: Signed::Response,
                found,
                expected: idp.entity_id.clone(),
            });
        }
    }
    let status = children_named(root, ns::SAMLP, "Status")
        .next()
        .ok_or(E::MissingStatus)?;
    let code = children_named(status, ns::SAMLP, "StatusCode").next();
    let code_value = code.and_then(|c| c.attribute("Value")).unwrap_or("");
    if code_value != STATUS_SUCCESS {
        return Err(E::StatusNotSuccess {
            code: code_value.to_string(),
            sub_code: code
                .and_then(|c| children_named(c, ns::SAMLP, "StatusCode").next())
                .and_then(|s| s.attribute("Value"))
                .map(str::to_string),
            message: children_named(status, ns::SAMLP, "StatusMessage")
                .next()
                .map(|m| text_content(m).trim().to_string()),
        });
    }
    let response_irt = root.attribute("InResponseTo");
    match (expect.in_response_to, response_irt) {
        (Some(expected), found) if found != Some(expected) => {
            return Err(E::InResponseToMismatch {
                found: found.map(str::to_string),
                expected: expected.to_string(),
            });
        }
        (None, Some(found)) => return Err(E::UnexpectedInResponseTo(found.to_string())),
        (None, None) if !idp.allow_idp_initiated => return Err(E::IdpInitiatedDisabled),
        _ => {}
    }

    // Assertion.
    match a.attribute("Version") {
        Some("2.0") => {}
        v => return Err(E::Version(Signed::Assertion, v.unwrap_or("").to_string())),
    }
    let assertion_id = a
        .attribute("ID")
        .filter(|s| !s.is_empty())
        .ok_or(E::MissingId(Signed::Assertion))?;
    if !symbolon_xml::is_ncname(assertion_id) {
        return Err(E::BadId(Signed::Assertion, assertion_id.to_string()));
    }
    let a_issue = a
        .attribute("IssueInstant")
        .and_then(parse_instant)
        .ok_or(E::BadIssueInstant(Signed::Assertion))?;
    let issuer = a
        .children_named(ns::SAML, "Issuer")
        .next()
        .ok_or(E::AssertionIssuerMissing)?
        .text();
    if issuer.trim() != idp.entity_id {
        return Err(E::IssuerMismatch {
            which: Signed::Assertion,
            found: issuer,
            expected: idp.entity_id.clone(),
        });
    }

    // Conditions.
    let mut conds = a.children_named(ns::SAML, "Conditions");
    let conditions = conds.next().ok_or(E::NoConditions)?;
    if conds.next().is_some() {
        return Err(E::MultipleConditions);
    }
    let c_not_before = time_attr(&conditions, "NotBefore")?;
    let c_not_on_or_after = time_attr(&conditions, "NotOnOrAfter")?;
    if let Some(t) = c_not_before
        && !check_not_before(t, expect)
    {
        return Err(E::NotYetValid(format_instant(t)));
    }
    if let Some(t) = c_not_on_or_after
        && !check_not_on_or_after(t, expect)
    {
        return Err(E::Expired(format_instant(t)));
    }
    let mut audience_restrictions = 0;
    let mut one_time_use = false;
    for c in conditions.children() {
        if c.is(ns::SAML, "AudienceRestriction") {
            audience_restrictions += 1;
            let audiences: Vec<String> = c
                .children_named(ns::SAML, "Audience")
                .map(|x| x.text().trim().to_string())
                .collect();
            if !audiences.contains(&sp.entity_id) {
                return Err(E::AudienceMismatch {
                    found: audiences,
                    expected: sp.entity_id.clone(),
                });
            }
        } else if c.is(ns::SAML, "OneTimeUse") {
            one_time_use = true;
        } else if c.is(ns::SAML, "ProxyRestriction") {
        } else {
            return Err(E::UnknownCondition(c.local_name().to_string()));
        }
    }
    if audience_restrictions == 0 {
        return Err(E::NoAudienceRestriction);
    }

    for (which, t) in [(Signed::Response, r_issue), (Signed::Assertion, a_issue)] {
        if !check_not_before(t, expect) {
            return Err(E::IssuedInFuture(which, format_instant(t)));
        }
    }

    // Subject.
    let mut subjects = a.children_named(ns::SAML, "Subject");
    let subject = subjects.next().ok_or(E::NoSubject)?;
    if subjects.next().is_some() {
        return Err(E::NoSubject);
    }
    let mut name_id = None;
    for c in subject.children() {
        if c.is(ns::SAML, "NameID") {
            if name_id.is_some() {
                return Err(E::MultipleNameIds);
            }
            name_id = Some(c);
        } else if c.is(ns::SAML, "EncryptedID") || c.is(ns::SAML, "BaseID") {
            return Err(E::UnsupportedSubjectId(c.local_name().to_string()));
        }
    }
    let name_id_node = name_id.ok_or(E::NoNameId)?;
    let name_id = name_id_node.text();
    if name_id.trim().is_empty() {
        return Err(E::EmptyNameId);
    }
    if let Some(q) = name_id_node.attribute("SPNameQualifier")
        && q != sp.entity_id
    {
        return Err(E::SpNameQualifierMismatch {
            found: q.to_string(),
            expected: sp.entity_id.clone(),
        });
    }

    // Bearer confirmation: at least one must satisfy every check; report the first failure.
    let mut confirmed: Option<OffsetDateTime> = None;
    let mut first_err: Option<ValidationError> = None;
    for sc in subject.children_named(ns::SAML, "SubjectConfirmation") {
        if sc.attribute("Method") != Some(CM_BEARER) {
            continue;
        }
        match check_confirmation(&sc, sp, expect) {
            Ok(t) => {
                confirmed = Some(t);
                break;
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    let scd_not_on_or_after = match (confirmed, first_err) {
        (Some(t), _) => t,
        (None, Some(e)) => return Err(e),
        (None, None) => return Err(E::NoBearerConfirmation),
    };

    // AuthnStatement.
    let mut authn = a.children_named(ns::SAML, "AuthnStatement");
    let authn_statement = authn.next();
    if authn.next().is_some() {
        return Err(E::MultipleAuthnStatements);
    }
    if authn_statement.is_none() && idp.require_authn_statement {
        return Err(E::NoAuthnStatement);
    }
    let mut session_index = None;
    let mut session_not_on_or_after = None;
    let mut authn_instant = None;
    let mut authn_context_class_ref = None;
    if let Some(st) = authn_statement {
        session_index = st.attribute("SessionIndex").map(str::to_string);
        authn_instant = time_attr(&st, "AuthnInstant")?;
        session_not_on_or_after = time_attr(&st, "SessionNotOnOrAfter")?;
        if let Some(t) = session_not_on_or_after
            && !check_not_on_or_after(t, expect)
        {
            return Err(E::SessionExpired(format_instant(t)));
        }
        authn_context_class_ref = st
            .children_named(ns::SAML, "AuthnContext")
            .flat_map(|c| {
                c.children_named(ns::SAML, "AuthnContextClassRef")
                    .collect::<Vec<_>>()
            })
            .next()
            .map(|c| c.text().trim().to_string());
    }

    // Attributes, merged by Name in document order. Advice is never read.
    let mut attributes: Vec<Attribute> = Vec::new();
    for stmt in a.children_named(ns::SAML, "AttributeStatement") {
        for at in stmt.children() {
            if at.is(ns::SAML, "EncryptedAttribute") {
                return Err(E::EncryptedAttribute);
            }
            if !at.is(ns::SAML, "Attribute") {
                continue;
            }
            let name = at
                .attribute("Name")
                .filter(|n| !n.is_empty())
                .ok_or(E::AttributeWithoutName)?;
            let values: Vec<String> = at
                .children_named(ns::SAML, "AttributeValue")
                .map(|v| v.text())
                .collect();
            match attributes.iter_mut().find(|x| x.name == name) {
                Some(existing) => existing.values.extend(values),
                None => attributes.push(Attribute {
                    name: name.to_string(),
                    name_format: at.attribute("NameFormat").map(str::to_string),
                    friendly_name: at.attribute("FriendlyName").map(str::to_string),
                    values,
                }),
            }
        }
    }

    let mut not_on_or_after = match c_not_on_or_after {
        Some(c) if c < scd_not_on_or_after => c,
        _ => scd_not_on_or_after,
    };
    // The accepted lifetime is capped from the IssueInstant (which is not in the future, checked
    // above), so that no replay-cache entry has to outlive it, whatever NotOnOrAfter says.
    let cap = checked_after(a_issue, expect.max_assertion_lifetime)
        .ok_or(E::BadIssueInstant(Signed::Assertion))?;
    if cap < not_on_or_after {
        if !check_not_on_or_after(cap, expect) {
            return Err(E::TooOld {
                issued: format_instant(a_issue),
                max_secs: expect.max_assertion_lifetime.whole_seconds(),
            });
        }
        not_on_or_after = cap;
    }

    let mut warnings = Vec::new();
    if let Some(cert) = idp.certs.get(cert_index) {
        let now = expect.now.unix_timestamp();
        if cert.not_after() < now {
            let at = OffsetDateTime::from_unix_timestamp(cert.not_after())
                .map(format_instant)
                .unwrap_or_default();
            warnings.push(format!(
                "the pinned certificate that verified this response ({}) expired at {at}; ask the identity provider to roll over its signing key",
                cert.subject()
            ));
        } else if cert.not_after() - now < 30 * 86_400 {
            warnings.push(format!(
                "the pinned certificate ({}) expires within 30 days",
                cert.subject()
            ));
        }
    }
    if algo.is_sha1() {
        warnings.push(
            "the response was signed with RSA-SHA1, allowed for this identity provider only".into(),
        );
    }

    Ok(ValidatedAssertion {
        issuer: issuer.trim().to_string(),
        name_id,
        name_id_format: name_id_node.attribute("Format").map(str::to_string),
        name_qualifier: name_id_node.attribute("NameQualifier").map(str::to_string),
        sp_name_qualifier: name_id_node
            .attribute("SPNameQualifier")
            .map(str::to_string),
        session_index,
        session_not_on_or_after,
        authn_instant,
        authn_context_class_ref,
        assertion_id: assertion_id.to_string(),
        response_id: response_id.to_string(),
        in_response_to: response_irt.map(str::to_string),
        not_on_or_after,
        one_time_use,
        attributes,
        response_signed,
        assertion_signed: assertion_v.is_some(),
        algorithm: algo,
        cert_index,
        warnings,
        clock_skew: expect.clock_skew,
    })
}

/// One bearer SubjectConfirmation; returns its NotOnOrAfter when every check holds.
fn check_confirmation(
    sc: &VerifiedNode<'_, '_>,
    sp: &SpSettings,
    expect: &Expectation<'_>,
) -> Result<OffsetDateTime, ValidationError> {
    use ValidationError as E;
    let data = sc
        .children_named(ns::SAML, "SubjectConfirmationData")
        .next()
        .ok_or(E::NoConfirmationData)?;
    let recipient = data.attribute("Recipient");
    if recipient != Some(sp.acs_url.as_str()) {
        return Err(E::RecipientMismatch {
            found: recipient.map(str::to_string),
            expected: sp.acs_url.clone(),
        });
    }
    let not_on_or_after = time_attr(&data, "NotOnOrAfter")?.ok_or(E::ConfirmationNoExpiry)?;
    if !check_not_on_or_after(not_on_or_after, expect) {
        return Err(E::ConfirmationExpired(format_instant(not_on_or_after)));
    }
    if let Some(nb) = time_attr(&data, "NotBefore")?
        && !check_not_before(nb, expect)
    {
        return Err(E::ConfirmationNotYetValid(format_instant(nb)));
    }
    let irt = data.attribute("InResponseTo");
    if irt != expect.in_response_to {
        return Err(E::ConfirmationInResponseToMismatch {
            found: irt.map(str::to_string),
            expected: expect.in_response_to.map(str::to_string),
        });
    }
    Ok(not_on_or_after)
}
