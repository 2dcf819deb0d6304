//! Test fixture: a realistic Response built from a template, signed with the committed test keys.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use symbolon_dsig::{
    PinnedCert, SignOptions, SignatureAlgorithm, SigningKey, SystemRandom, sign_enveloped,
};
use symbolon_saml::{Expectation, IdpSettings, SpSettings, ValidatedAssertion, ValidationError};
use symbolon_xml::Limits;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

pub const NOW: OffsetDateTime = datetime!(2025-01-01 12:00:00 UTC);
pub const IDP: &str = "https://idp.example.test/realms/acme";
pub const SP: &str = "https://sp.example.test/saml/metadata";
pub const ACS: &str = "https://sp.example.test/saml/acs";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn key_pem(name: &str) -> String {
    std::fs::read_to_string(repo().join(format!("testdata/keys/{name}.key.pem"))).unwrap()
}

pub fn cert_pem(name: &str) -> String {
    std::fs::read_to_string(repo().join(format!("testdata/keys/{name}.crt.pem"))).unwrap()
}

pub fn signing_key(name: &str) -> SigningKey {
    SigningKey::from_pem(&key_pem(name), Some(&cert_pem(name))).unwrap()
}

pub fn pinned(name: &str) -> PinnedCert {
    PinnedCert::from_pem(&cert_pem(name)).unwrap()
}

pub fn t(offset_secs: i64) -> String {
    symbolon_saml::time::format_instant(NOW + Duration::seconds(offset_secs))
}

/// The parts of a Response a test may change.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub issuer: String,
    pub assertion_issuer: String,
    pub destination: Option<String>,
    pub in_response_to: Option<String>,
    pub scd_in_response_to: Option<String>,
    pub name_id: String,
    pub recipient: String,
    pub audience: String,
    pub issue_instant: String,
    pub not_before: String,
    pub not_on_or_after: String,
    pub scd_not_on_or_after: String,
    pub status: String,
    pub attributes: String,
    pub extra_conditions: String,
    pub authn_statement: bool,
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture {
            issuer: IDP.into(),
            assertion_issuer: IDP.into(),
            destination: Some(ACS.into()),
            in_response_to: None,
            scd_in_response_to: None,
            name_id: "alice@example.test".into(),
            recipient: ACS.into(),
            audience: SP.into(),
            issue_instant: t(0),
            not_before: t(-300),
            not_on_or_after: t(300),
            scd_not_on_or_after: t(300),
            status: "urn:oasis:names:tc:SAML:2.0:status:Success".into(),
            attributes: concat!(
                r#"<saml:Attribute Name="email"><saml:AttributeValue>alice@example.test</saml:AttributeValue></saml:Attribute>"#,
                r#"<saml:Attribute Name="groups"><saml:AttributeValue>/eng</saml:AttributeValue><saml:AttributeValue>/ops</saml:AttributeValue></saml:Attribute>"#,
                r#"<saml:Attribute Name="groups"><saml:AttributeValue>/admins</saml:AttributeValue></saml:Attribute>"#
            )
            .into(),
            extra_conditions: String::new(),
            authn_statement: true,
        }
    }
}

impl Fixture {
    pub fn xml(&self) -> String {
        let dest = self
            .destination
            .as_ref()
            .map(|d| format!(r#" Destination="{d}""#))
            .unwrap_or_default();
        let irt = self
            .in_response_to
            .as_ref()
            .map(|d| format!(r#" InResponseTo="{d}""#))
            .unwrap_or_default();
        let scd_irt = self
            .scd_in_response_to
            .as_ref()
            .map(|d| format!(r#" InResponseTo="{d}""#))
            .unwrap_or_default();
        let authn = if self.authn_statement {
            format!(
                r#"<saml:AuthnStatement AuthnInstant="{}" SessionIndex="_session-1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"#,
                self.issue_instant
            )
        } else {
            String::new()
        };
        format!(
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_response-1" Version="2.0" IssueInstant="{ii}"{dest}{irt}>
  <saml:Issuer>{issuer}</saml:Issuer>
  <samlp:Status><samlp:StatusCode Value="{status}"/></samlp:Status>
  <saml:Assertion ID="_assertion-1" Version="2.0" IssueInstant="{ii}"><saml:Issuer>{aissuer}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{name_id}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{scd_noa}" Recipient="{recipient}"{scd_irt}/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{nb}" NotOnOrAfter="{noa}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>{extra}</saml:Conditions>{authn}<saml:AttributeStatement>{attrs}</saml:AttributeStatement></saml:Assertion>
</samlp:Response>"#,
            ii = self.issue_instant,
            issuer = self.issuer,
            status = self.status,
            aissuer = self.assertion_issuer,
            name_id = self.name_id,
            scd_noa = self.scd_not_on_or_after,
            recipient = self.recipient,
            nb = self.not_before,
            noa = self.not_on_or_after,
            audience = self.audience,
            extra = self.extra_conditions,
            attrs = self.attributes,
        )
    }

    pub fn signed_assertion(&self) -> String {
        sign(&self.xml(), "_assertion-1", "idp-rsa")
    }

    pub fn signed_response(&self) -> String {
        sign(&self.xml(), "_response-1", "idp-rsa")
    }

    pub fn signed_both(&self) -> String {
        sign(
            &sign(&self.xml(), "_assertion-1", "idp-rsa"),
            "_response-1",
            "idp-rsa",
        )
    }
}

pub fn sign(xml: &str, id: &str, key: &str) -> String {
    let k = signing_key(key);
    sign_enveloped(xml, id, &k, &SignOptions::for_key(&k), &SystemRandom::new()).unwrap()
}

pub fn sign_alg(xml: &str, id: &str, key: &str, alg: SignatureAlgorithm) -> String {
    let k = signing_key(key);
    let opts = SignOptions {
        algorithm: alg,
        digest: symbolon_dsig::DigestAlgorithm::matching(alg),
    };
    sign_enveloped(xml, id, &k, &opts, &SystemRandom::new()).unwrap()
}

pub fn idp() -> IdpSettings {
    IdpSettings::new(IDP, vec![pinned("idp-rsa")])
}

pub fn sp() -> SpSettings {
    SpSettings {
        entity_id: SP.into(),
        acs_url: ACS.into(),
    }
}

pub fn check(xml: &str) -> Result<ValidatedAssertion, ValidationError> {
    check_with(xml, &idp(), &Expectation::at(NOW))
}

pub fn check_with(
    xml: &str,
    idp: &IdpSettings,
    e: &Expectation<'_>,
) -> Result<ValidatedAssertion, ValidationError> {
    symbolon_saml::validate_response_xml(xml.as_bytes(), &Limits::default(), idp, &sp(), e)
}

/// Replace exactly one occurrence (the test is wrong otherwise).
pub fn replace_once(s: &str, from: &str, to: &str) -> String {
    assert_eq!(s.matches(from).count(), 1, "expected exactly one {from:?}");
    s.replacen(from, to, 1)
}

/// The substring from the first `start` through the end of the first `end` after it.
pub fn slice<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let a = s.find(start).expect("start");
    let b = s[a..].find(end).expect("end") + a + end.len();
    &s[a..b]
}
