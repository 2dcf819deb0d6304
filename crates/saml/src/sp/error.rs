//! Why a response was rejected: one variant per check, each with a stable code, and whether a
//! pinned key had vouched for the document when the check failed.

use super::Signed;
use symbolon_dsig::DsigError;

/// The precise reason a response was rejected. Shown to administrators; users get a short message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("not acceptable XML: {0}")]
    Xml(#[from] symbolon_xml::XmlError),
    #[error("SAMLResponse is not valid base64")]
    NotBase64,
    #[error("document root is {0}, not a SAML 2.0 protocol Response")]
    NotAResponse(String),
    #[error("clock skew {0} s is over the maximum of 300 s")]
    ClockSkewTooLarge(i64),
    #[error("maximum assertion lifetime {0} s is not between 1 s and 24 h")]
    LifetimeOutOfRange(i64),
    #[error(
        "the identity provider configuration has no signing certificate; nothing can be accepted"
    )]
    NoSigningKeys,
    #[error("the response contains no assertion")]
    NoAssertion,
    #[error("the response contains {0} assertions; exactly one is accepted")]
    MultipleAssertions(usize),
    #[error("the assertion is encrypted and no decryption key is configured")]
    EncryptedAssertion,
    #[error("encrypted assertion: {0}")]
    Decryption(#[from] symbolon_dsig::enc::EncError),
    #[error("the response carries an encrypted assertion beside a clear one")]
    EncryptedBesideClear,
    #[error("the decrypted assertion is not signed (an encrypted assertion must be signed inside)")]
    DecryptedAssertionUnsigned,
    #[error("the assertion is not a direct child of the Response")]
    AssertionMisplaced,
    #[error("ID {0:?} appears more than once in the document")]
    DuplicateId(String),
    #[error(
        "a ds:Signature appears where none is allowed (only Response and Assertion may be signed)"
    )]
    UnexpectedSignature,
    #[error("the {0}'s ds:Signature is not the element right after its Issuer")]
    SignatureMisplaced(Signed),
    #[error("neither the Response nor the Assertion is signed")]
    Unsigned,
    #[error(
        "the Assertion is not signed, and signed assertions are required (the service provider's metadata says WantAssertionsSigned): at the identity provider, switch on assertion signing for this service provider"
    )]
    AssertionNotSigned,
    #[error("{0} signature rejected: {1}")]
    Signature(Signed, DsigError),
    #[error("{0} Version is {1:?}, not 2.0")]
    Version(Signed, String),
    #[error("{0} has no ID")]
    MissingId(Signed),
    #[error("{0} ID {1:?} is not an NCName (xs:ID)")]
    BadId(Signed, String),
    #[error("{0} IssueInstant is missing or not a valid dateTime")]
    BadIssueInstant(Signed),
    #[error("{0} was issued in the future ({1})")]
    IssuedInFuture(Signed, String),
    #[error("Response has no Status")]
    MissingStatus,
    #[error("identity provider returned status {code}{}{}", sub_code.as_ref().map(|s| format!(" / {s}")).unwrap_or_default(), message.as_ref().map(|s| format!(": {s}")).unwrap_or_default())]
    StatusNotSuccess {
        code: String,
        sub_code: Option<String>,
        message: Option<String>,
    },
    #[error("signed Response has no Destination")]
    DestinationMissing,
    #[error("Response Destination {found:?} is not our ACS URL {expected:?}")]
    DestinationMismatch { found: String, expected: String },
    #[error("{which} Issuer {found:?} is not the identity provider's entity ID {expected:?}")]
    IssuerMismatch {
        which: Signed,
        found: String,
        expected: String,
    },
    #[error("Assertion has no Issuer")]
    AssertionIssuerMissing,
    #[error("Response InResponseTo {found:?} does not match the outstanding request {expected:?}")]
    InResponseToMismatch {
        found: Option<String>,
        expected: String,
    },
    #[error("response answers request {0:?}, but no request is outstanding")]
    UnexpectedInResponseTo(String),
    #[error("unsolicited (IdP-initiated) responses are not enabled for this identity provider")]
    IdpInitiatedDisabled,
    #[error("Assertion has no Subject")]
    NoSubject,
    #[error("Subject has no NameID")]
    NoNameId,
    #[error("Subject identifier {0} is not supported (NameID only)")]
    UnsupportedSubjectId(String),
    #[error("Subject has more than one identifier")]
    MultipleNameIds,
    #[error("NameID is empty")]
    EmptyNameId,
    #[error("NameID SPNameQualifier {found:?} is not our entity ID {expected:?}")]
    SpNameQualifierMismatch { found: String, expected: String },
    #[error("Subject has no bearer SubjectConfirmation")]
    NoBearerConfirmation,
    #[error("bearer SubjectConfirmation has no SubjectConfirmationData")]
    NoConfirmationData,
    #[error("SubjectConfirmationData Recipient {found:?} is not our ACS URL {expected:?}")]
    RecipientMismatch {
        found: Option<String>,
        expected: String,
    },
    #[error("SubjectConfirmationData has no NotOnOrAfter")]
    ConfirmationNoExpiry,
    #[error("SubjectConfirmationData expired at {0}")]
    ConfirmationExpired(String),
    #[error("SubjectConfirmationData is not valid before {0}")]
    ConfirmationNotYetValid(String),
    #[error(
        "SubjectConfirmationData InResponseTo {found:?} does not match the outstanding request {expected:?}"
    )]
    ConfirmationInResponseToMismatch {
        found: Option<String>,
        expected: Option<String>,
    },
    #[error("Assertion has no Conditions")]
    NoConditions,
    #[error("Assertion has more than one Conditions element")]
    MultipleConditions,
    #[error("a time attribute ({0}) is not a valid dateTime")]
    BadTime(&'static str),
    #[error("Assertion is not valid before {0}")]
    NotYetValid(String),
    #[error("Assertion expired at {0}")]
    Expired(String),
    #[error(
        "Assertion was issued at {issued}, more than {max_secs} s ago (the most this service provider accepts, whatever NotOnOrAfter says)"
    )]
    TooOld { issued: String, max_secs: i64 },
    #[error("Conditions have no AudienceRestriction")]
    NoAudienceRestriction,
    #[error("AudienceRestriction {found:?} does not include our entity ID {expected:?}")]
    AudienceMismatch {
        found: Vec<String>,
        expected: String,
    },
    #[error("unsupported condition {0}: rejected, as unknown conditions must be")]
    UnknownCondition(String),
    #[error(
        "the assertion has no AuthnStatement; the SAML Web Browser SSO profile requires one (at the identity provider, switch on \"Include AuthnStatement\" for this client)"
    )]
    NoAuthnStatement,
    #[error("the assertion has more than one AuthnStatement")]
    MultipleAuthnStatements,
    #[error("the IdP session ended at {0} (SessionNotOnOrAfter)")]
    SessionExpired(String),
    #[error("encrypted attributes are not supported")]
    EncryptedAttribute,
    #[error("an Attribute has no Name")]
    AttributeWithoutName,
}

impl ValidationError {
    /// Whether a signature made with a pinned key had verified when this check failed: the
    /// document then comes from the identity provider (or a party holding its key) and failed a
    /// protocol check. `false` for everything refused before or by signature verification, where
    /// the document may come from anyone (callers keep only a bounded excerpt of those).
    pub fn authenticated(&self) -> bool {
        use ValidationError::*;
        !matches!(
            self,
            Xml(_)
                | NotBase64
                | NotAResponse(_)
                | ClockSkewTooLarge(_)
                | LifetimeOutOfRange(_)
                | NoSigningKeys
                | NoAssertion
                | MultipleAssertions(_)
                | EncryptedAssertion
                | Decryption(_)
                | EncryptedBesideClear
                | DecryptedAssertionUnsigned
                | AssertionMisplaced
                | DuplicateId(_)
                | UnexpectedSignature
                | SignatureMisplaced(_)
                | Unsigned
                | Signature(..)
                | AssertionIssuerMissing
        )
    }

    /// A stable short code, for logs, traces and tests.
    pub fn code(&self) -> &'static str {
        use ValidationError::*;
        match self {
            Xml(_) => "xml",
            NotBase64 => "not_base64",
            NotAResponse(_) => "not_a_response",
            ClockSkewTooLarge(_) => "clock_skew_too_large",
            LifetimeOutOfRange(_) => "lifetime_out_of_range",
            NoSigningKeys => "no_signing_keys",
            NoAssertion => "no_assertion",
            MultipleAssertions(_) => "multiple_assertions",
            EncryptedAssertion => "encrypted_assertion",
            Decryption(_) => "decryption",
            EncryptedBesideClear => "encrypted_beside_clear",
            DecryptedAssertionUnsigned => "decrypted_assertion_unsigned",
            AssertionMisplaced => "assertion_misplaced",
            DuplicateId(_) => "duplicate_id",
            UnexpectedSignature => "unexpected_signature",
            SignatureMisplaced(_) => "signature_misplaced",
            Unsigned => "unsigned",
            AssertionNotSigned => "assertion_not_signed",
            Signature(..) => "signature",
            Version(..) => "version",
            MissingId(_) => "missing_id",
            BadId(..) => "bad_id",
            BadIssueInstant(_) => "bad_issue_instant",
            IssuedInFuture(..) => "issued_in_future",
            MissingStatus => "missing_status",
            StatusNotSuccess { .. } => "status_not_success",
            DestinationMissing => "destination_missing",
            DestinationMismatch { .. } => "destination_mismatch",
            IssuerMismatch { .. } => "issuer_mismatch",
            AssertionIssuerMissing => "assertion_issuer_missing",
            InResponseToMismatch { .. } => "in_response_to_mismatch",
            UnexpectedInResponseTo(_) => "unexpected_in_response_to",
            IdpInitiatedDisabled => "idp_initiated_disabled",
            NoSubject => "no_subject",
            NoNameId => "no_name_id",
            UnsupportedSubjectId(_) => "unsupported_subject_id",
            MultipleNameIds => "multiple_name_ids",
            EmptyNameId => "empty_name_id",
            SpNameQualifierMismatch { .. } => "sp_name_qualifier_mismatch",
            NoBearerConfirmation => "no_bearer_confirmation",
            NoConfirmationData => "no_confirmation_data",
            RecipientMismatch { .. } => "recipient_mismatch",
            ConfirmationNoExpiry => "confirmation_no_expiry",
            ConfirmationExpired(_) => "confirmation_expired",
            ConfirmationNotYetValid(_) => "confirmation_not_yet_valid",
            ConfirmationInResponseToMismatch { .. } => "confirmation_in_response_to_mismatch",
            NoConditions => "no_conditions",
            MultipleConditions => "multiple_conditions",
            BadTime(_) => "bad_time",
            NotYetValid(_) => "not_yet_valid",
            Expired(_) => "expired",
            TooOld { .. } => "too_old",
            NoAudienceRestriction => "no_audience_restriction",
            AudienceMismatch { .. } => "audience_mismatch",
            UnknownCondition(_) => "unknown_condition",
            NoAuthnStatement => "no_authn_statement",
            MultipleAuthnStatements => "multiple_authn_statements",
            SessionExpired(_) => "session_expired",
            EncryptedAttribute => "encrypted_attribute",
            AttributeWithoutName => "attribute_without_name",
        }
    }
}
