//! Metadata from a URL, decided sans-IO with a pinned `now`: what replaces the document in use
//! and what is refused (expired, unsigned or wrongly signed when a signer is pinned, another
//! entity, lint errors), an entity taken out of an aggregate, and when to fetch again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use symbolon_dsig::{SignOptions, SystemRandom};
use symbolon_saml::metadata::{BINDING_REDIRECT, Endpoint};
use symbolon_saml::metadata_gen::{IdpMetadataParams, PublishedKey, idp_metadata, sign_metadata};
use symbolon_saml::metadata_refresh::{RefreshError, SourcePolicy, evaluate};
use time::{Duration, OffsetDateTime};

fn der(name: &str) -> Vec<u8> {
    symbolon_dsig::pem_blocks(&cert_pem(name)).remove(0).1
}

fn document(
    entity: &str,
    cert: &str,
    valid_until: Option<OffsetDateTime>,
    id: Option<&str>,
) -> String {
    idp_metadata(&IdpMetadataParams {
        entity_id: entity.into(),
        id: id.map(str::to_string),
        valid_until,
        keys: vec![PublishedKey {
            der: der(cert),
            key_use: Some("signing"),
        }],
        single_sign_on: vec![Endpoint {
            binding: BINDING_REDIRECT.into(),
            location: format!("{entity}/sso"),
            response_location: None,
            index: None,
            is_default: None,
        }],
        ..IdpMetadataParams::default()
    })
    .unwrap()
}

fn signed(xml: &str, id: &str, key: &str) -> String {
    let k = signing_key(key);
    sign_metadata(xml, id, &k, &SignOptions::for_key(&k), &SystemRandom::new()).unwrap()
}

fn policy<'a>(
    entity: Option<&'a str>,
    signer: Option<&'a symbolon_dsig::PinnedCert>,
) -> SourcePolicy<'a> {
    SourcePolicy {
        entity_id: entity,
        signing_cert: signer,
        interval: Duration::hours(6),
    }
}

#[test]
fn a_good_document_is_taken_and_the_next_fetch_follows_valid_until() {
    let doc = document(IDP, "idp-rsa", Some(NOW + Duration::hours(4)), None);
    let a = evaluate(doc.as_bytes(), &policy(Some(IDP), None), NOW).unwrap();
    assert_eq!(a.entity.entity_id, IDP);
    assert_eq!(
        a.next_fetch - NOW,
        Duration::hours(2),
        "half-way to validUntil"
    );
    assert_eq!(a.entity_xml, doc);
}

#[test]
fn expired_other_entity_and_lint_errors_are_refused() {
    let expired = document(IDP, "idp-rsa", Some(NOW - Duration::seconds(1)), None);
    assert!(matches!(
        evaluate(expired.as_bytes(), &policy(Some(IDP), None), NOW),
        Err(RefreshError::Expired(_))
    ));
    let other = document("https://other.test", "idp-rsa", None, None);
    assert!(matches!(
        evaluate(other.as_bytes(), &policy(Some(IDP), None), NOW),
        Err(RefreshError::Metadata(_))
    ));
    // An IdP whose only key is a 1024-bit RSA key cannot be trusted: a lint error.
    let weak = document(IDP, "weak-rsa1024", None, None);
    assert!(matches!(
        evaluate(weak.as_bytes(), &policy(Some(IDP), None), NOW),
        Err(RefreshError::Lint(_))
    ));
}

#[test]
fn a_pinned_signer_requires_its_signature() {
    let signer = pinned("idp-ec-p256");
    let doc = document(IDP, "idp-rsa", None, Some("_md1"));
    let good = signed(&doc, "_md1", "idp-ec-p256");
    assert!(evaluate(good.as_bytes(), &policy(Some(IDP), Some(&signer)), NOW).is_ok());
    assert_eq!(
        evaluate(doc.as_bytes(), &policy(Some(IDP), Some(&signer)), NOW).unwrap_err(),
        RefreshError::Unsigned
    );
    let by_other = signed(&doc, "_md1", "attacker-rsa");
    assert!(matches!(
        evaluate(by_other.as_bytes(), &policy(Some(IDP), Some(&signer)), NOW),
        Err(RefreshError::Signature(_))
    ));
    // Another certificate swapped in after signing.
    let b64 = |n: &str| -> String {
        cert_pem(n)
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect()
    };
    let swapped = replace_once(&good, &b64("idp-rsa"), &b64("attacker-rsa"));
    assert!(matches!(
        evaluate(swapped.as_bytes(), &policy(Some(IDP), Some(&signer)), NOW),
        Err(RefreshError::Signature(_))
    ));
}

#[test]
fn an_entity_is_taken_out_of_a_signed_aggregate_with_its_namespaces() {
    let strip = |x: &str| {
        x.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
            .replace(" xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"", "")
    };
    let one = strip(&document(IDP, "idp-rsa", None, None));
    let two = strip(&document("https://other.test", "idp-rsa-next", None, None));
    let aggregate = format!(
        "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" ID=\"_fed\" Name=\"fed\" cacheDuration=\"PT1H\">{one}{two}</md:EntitiesDescriptor>"
    );
    let signer = pinned("idp-ec-p256");
    let aggregate = signed(&aggregate, "_fed", "idp-ec-p256");
    // Without an entity ID it is ambiguous.
    assert!(evaluate(aggregate.as_bytes(), &policy(None, Some(&signer)), NOW).is_err());
    let a = evaluate(aggregate.as_bytes(), &policy(Some(IDP), Some(&signer)), NOW).unwrap();
    assert_eq!(
        a.next_fetch - NOW,
        Duration::hours(1),
        "the aggregate's cacheDuration"
    );
    assert!(
        a.entity_xml
            .starts_with("<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"")
    );
    // The extracted entity stands on its own, and is the right one.
    let again = evaluate(a.entity_xml.as_bytes(), &policy(None, None), NOW).unwrap();
    assert_eq!(again.entity.entity_id, IDP);
    assert_eq!(
        again
            .entity
            .idp
            .unwrap()
            .signing_certificates()
            .next()
            .unwrap(),
        der("idp-rsa").as_slice()
    );
}
