//! Entry points shared by the fuzz targets (`fuzz/`) and the corpus replay tests.

use symbolon_xml::Limits;
use time::macros::datetime;

use crate::binding::xml_or_base64;
use crate::sp::{Expectation, IdpSettings, SpSettings, validate_response_xml};

/// Decode (XML or POST base64), parse and validate against `idp` as the SP
/// `https://sp.example.test/saml/metadata` at 2025-01-01T12:00:00Z. Must never panic; returns
/// whether the response was accepted.
pub fn validate(data: &[u8], idp: &IdpSettings) -> bool {
    let Ok(xml) = xml_or_base64(data) else {
        return false;
    };
    let sp = SpSettings {
        entity_id: "https://sp.example.test/saml/metadata".into(),
        acs_url: "https://sp.example.test/saml/acs".into(),
    };
    let expect = Expectation::at(datetime!(2025-01-01 12:00:00 UTC));
    validate_response_xml(&xml, &Limits::default(), idp, &sp, &expect).is_ok()
}

/// Parse metadata and take an IdP's trust from it. Must never panic.
pub fn metadata(data: &[u8]) {
    if let Ok(entities) = crate::metadata::parse_metadata(data) {
        for e in &entities {
            let _ = crate::metadata::IdpTrust::from_entity(e);
        }
    }
}

/// Decode a Redirect query string and verify its signature against a fixed key. Must never panic.
pub fn redirect(data: &[u8], keys: &[symbolon_dsig::PinnedCert]) {
    let Ok(q) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(m) = crate::binding::decode_redirect(q) {
        let _ = m.verify_signature(keys, false);
    }
}

/// Parse an AuthnRequest and run the IdP-side checks for a fixed client, as POST (XML) input.
/// Must never panic.
pub fn authn_request(data: &[u8], keys: &[symbolon_dsig::PinnedCert]) {
    use crate::idp::{Arrival, SpRegistration, check_authn_request};
    use crate::metadata::{BINDING_POST, Endpoint};
    let Ok(doc) = symbolon_xml::parse_bytes(data, &Limits::default()) else {
        return;
    };
    let sp = SpRegistration {
        entity_id: "https://sp.example.test/saml/metadata".into(),
        acs: vec![Endpoint {
            binding: BINDING_POST.into(),
            location: "https://sp.example.test/saml/acs".into(),
            response_location: None,
            index: Some(0),
            is_default: Some(true),
        }],
        signing_certs: keys.to_vec(),
        require_signed_requests: false,
        allow_sha1: false,
    };
    let _ = check_authn_request(
        &doc,
        Arrival::Post,
        &sp,
        &["https://idp.example.test/sso"],
        datetime!(2025-01-01 12:00:00 UTC),
        time::Duration::seconds(120),
    );
}
