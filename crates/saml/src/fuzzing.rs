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

/// An instant from input through the parser, formatting, every comparison the validators make,
/// and as the unsigned envelope's IssueInstant of `signed_response` (a response whose assertion
/// is validly signed for `idp`), validated at the fixed `now` and at the ends of time. Must never
/// panic.
pub fn timestamp(data: &[u8], signed_response: &str, idp: &IdpSettings) {
    use crate::time::{at_least, at_most, checked_after, checked_before, format_instant};
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(t) = crate::time::parse_instant(s) {
        let again = crate::time::parse_instant(&format_instant(t));
        assert!(
            again == Some(t),
            "an accepted instant formats back to itself"
        );
        for d in [
            time::Duration::ZERO,
            time::Duration::seconds(300),
            time::Duration::hours(24),
            time::Duration::MAX,
            time::Duration::MIN,
        ] {
            let _ = (checked_after(t, d), checked_before(t, d));
            let _ = (at_most(t, d), at_least(t, d));
        }
    }
    if s.contains(['"', '<', '&']) || s.len() > 256 {
        return;
    }
    let Some(start) = signed_response.find("IssueInstant=\"") else {
        return;
    };
    let value_start = start + "IssueInstant=\"".len();
    let Some(len) = signed_response.get(value_start..).and_then(|r| r.find('"')) else {
        return;
    };
    let doc = format!(
        "{}{s}{}",
        signed_response.get(..value_start).unwrap_or_default(),
        signed_response.get(value_start + len..).unwrap_or_default()
    );
    let sp = SpSettings {
        entity_id: "https://sp.example.test/saml/metadata".into(),
        acs_url: "https://sp.example.test/saml/acs".into(),
    };
    let ends = [
        datetime!(2025-01-01 12:00:00 UTC),
        time::OffsetDateTime::new_utc(time::Date::MAX, time::Time::MAX),
        time::OffsetDateTime::new_utc(time::Date::MIN, time::Time::MIDNIGHT),
    ];
    for now in ends {
        if let Ok(v) = validate_response_xml(
            doc.as_bytes(),
            &Limits::default(),
            idp,
            &sp,
            &Expectation::at(now),
        ) {
            let _ = v.replay_key();
        }
    }
}

/// What a metadata refresh does with a fetched document: decode, parse (aggregates too), select
/// each entity by its ID, lint it, take an IdP's trust from it, compare validUntil. Must never
/// panic.
pub fn metadata_refresh(data: &[u8]) {
    let Ok(entities) = crate::metadata::parse_metadata(data) else {
        return;
    };
    let now = datetime!(2025-01-01 12:00:00 UTC);
    let ids: Vec<String> = entities
        .iter()
        .map(|e| e.entity_id.clone())
        .take(16)
        .collect();
    for e in &entities {
        let _ = crate::lint::lint_entity(e, now);
        let _ = crate::metadata::IdpTrust::from_entity(e);
        let _ = e.valid_until.map(|t| t < now);
    }
    for e in &entities {
        if let Some(d) = &e.cache_duration {
            let _ = crate::metadata_refresh::parse_duration(d);
        }
    }
    for id in &ids {
        let _ = crate::metadata::select_entity(entities.clone(), Some(id));
    }
    let _ = crate::metadata::select_entity(entities, None);
    // The refresh's decision, and an entity taken out of an aggregate, for the first two.
    use crate::metadata_refresh::{DEFAULT_INTERVAL, SourcePolicy, entity_xml, evaluate};
    for id in ids.iter().take(2) {
        let policy = SourcePolicy {
            entity_id: Some(id),
            signing_cert: None,
            interval: DEFAULT_INTERVAL,
        };
        let _ = evaluate(data, &policy, now);
        let _ = entity_xml(data, id);
    }
}

/// A Redirect-binding LogoutRequest (or any message) as a query string: decode, inflate with
/// caps, verify the query signature, parse the LogoutRequest. Must never panic.
pub fn logout_redirect(data: &[u8], keys: &[symbolon_dsig::PinnedCert]) {
    let Ok(q) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(m) = crate::binding::decode_redirect(q) else {
        return;
    };
    let _ = m.verify_signature(keys, false);
    if let Ok(doc) = symbolon_xml::parse_bytes(&m.xml, &Limits::default()) {
        let _ = crate::messages::LogoutRequest::from_document(&doc);
        let _ = crate::messages::LogoutResponse::from_document(&doc);
        let _ = crate::logout::check_logout(
            &doc,
            crate::idp::Arrival::Redirect(&m),
            keys,
            &["https://sp.example.test/saml/slo"],
            datetime!(2025-01-01 12:00:00 UTC),
            time::Duration::seconds(120),
        );
    }
}

/// A response that may carry an encrypted assertion: decode, decrypt with a fixed SP key
/// (AES-CBC allowed, to reach its padding path too) and validate against `idp`, at
/// 2025-01-01T12:00:00Z. Must never panic; returns whether the response was accepted.
pub fn encrypted(data: &[u8], idp: &IdpSettings, key: &symbolon_dsig::enc::DecryptionKey) -> bool {
    let Ok(xml) = xml_or_base64(data) else {
        return false;
    };
    let sp = SpSettings {
        entity_id: "https://sp.example.test/saml/metadata".into(),
        acs_url: "https://sp.example.test/saml/acs".into(),
    };
    let mut idp = idp.clone();
    idp.allow_cbc = true;
    let policy = symbolon_dsig::enc::DecryptPolicy { allow_cbc: true };
    let expect = Expectation::at(datetime!(2025-01-01 12:00:00 UTC));
    crate::encrypted::validate_any(
        &xml,
        &Limits::default(),
        Some((key, &policy)),
        &idp,
        &sp,
        &expect,
    )
    .is_ok()
}
