//! The dsig layer on its own: round trips, what the verified view exposes, key pinning.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use symbolon_dsig::{
    CertError, DsigError, KeyKind, PinnedCert, SignOptions, SignatureAlgorithm, SigningKey,
    SystemRandom, VerifyPolicy, sign_enveloped, verify_enveloped,
};
use symbolon_xml::{Limits, parse};

fn keys(name: &str) -> (SigningKey, PinnedCert) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/keys");
    let key = std::fs::read_to_string(dir.join(format!("{name}.key.pem"))).unwrap();
    let cert = std::fs::read_to_string(dir.join(format!("{name}.crt.pem"))).unwrap();
    (
        SigningKey::from_pem(&key, Some(&cert)).unwrap(),
        PinnedCert::from_pem(&cert).unwrap(),
    )
}

const DOC: &str = r#"<r xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Thing ID="_t1"><saml:Issuer>me</saml:Issuer><v>value<!-- c --> tail</v><w a="1"/></saml:Thing></r>"#;

fn signed(name: &str, alg: Option<SignatureAlgorithm>) -> (String, PinnedCert) {
    let (key, cert) = keys(name);
    let mut opts = SignOptions::for_key(&key);
    if let Some(a) = alg {
        opts = SignOptions {
            algorithm: a,
            digest: symbolon_dsig::DigestAlgorithm::matching(a),
        };
    }
    (
        sign_enveloped(DOC, "_t1", &key, &opts, &SystemRandom::new()).unwrap(),
        cert,
    )
}

#[test]
fn round_trip_every_algorithm_and_the_verified_view() {
    for (name, alg) in [
        ("idp-rsa", SignatureAlgorithm::RsaSha256),
        ("idp-rsa", SignatureAlgorithm::RsaSha384),
        ("idp-rsa", SignatureAlgorithm::RsaSha512),
        ("idp-ec-p256", SignatureAlgorithm::EcdsaSha256),
        ("idp-ec-p384", SignatureAlgorithm::EcdsaSha384),
    ] {
        let (xml, cert) = signed(name, Some(alg));
        // Placed right after Issuer.
        assert!(xml.contains("</saml:Issuer><ds:Signature"), "{xml}");
        let doc = parse(&xml, &Limits::default()).unwrap();
        let thing = doc
            .descendants()
            .find(|n| n.attribute("ID") == Some("_t1"))
            .unwrap();
        let v = verify_enveloped(thing, &[cert], &VerifyPolicy::default()).unwrap();
        assert_eq!(v.algorithm, alg);
        let el = v.element();
        // The enveloped signature is not reachable: it is not covered by the digest.
        let names: Vec<&str> = el.children().map(|c| c.local_name()).collect();
        assert_eq!(names, ["Issuer", "v", "w"]);
        assert!(
            !el.text().contains("SignatureValue") && !el.text().contains('='),
            "{}",
            el.text()
        );
        // Full text content, comments skipped.
        let v_text = el
            .children()
            .find(|c| c.local_name() == "v")
            .unwrap()
            .text();
        assert_eq!(v_text, "value tail");
    }
}

#[test]
fn only_the_pinned_keys_verify() {
    let (xml, _) = signed("idp-rsa", None);
    let doc = parse(&xml, &Limits::default()).unwrap();
    let thing = doc
        .descendants()
        .find(|n| n.attribute("ID") == Some("_t1"))
        .unwrap();
    let (_, other) = keys("attacker-rsa");
    assert_eq!(
        verify_enveloped(
            thing,
            std::slice::from_ref(&other),
            &VerifyPolicy::default()
        )
        .unwrap_err(),
        DsigError::SignatureInvalid
    );
    assert_eq!(
        verify_enveloped(thing, &[], &VerifyPolicy::default()).unwrap_err(),
        DsigError::NoPinnedKeys
    );
    // Several pinned keys: the right one is found whatever the order.
    let (_, right) = keys("idp-rsa");
    let v = verify_enveloped(thing, &[other, right], &VerifyPolicy::default()).unwrap();
    assert_eq!(v.cert_index, 1);
}

#[test]
fn unsigned_or_idless_elements() {
    let doc = parse(DOC, &Limits::default()).unwrap();
    let thing = doc
        .descendants()
        .find(|n| n.attribute("ID") == Some("_t1"))
        .unwrap();
    let (_, cert) = keys("idp-rsa");
    assert_eq!(
        verify_enveloped(thing, std::slice::from_ref(&cert), &VerifyPolicy::default()).unwrap_err(),
        DsigError::NoSignature
    );
    assert_eq!(
        verify_enveloped(doc.root_element(), &[cert], &VerifyPolicy::default()).unwrap_err(),
        DsigError::MissingId
    );
}

#[test]
fn certificates() {
    let (_, rsa) = keys("idp-rsa");
    assert_eq!(rsa.kind(), KeyKind::Rsa { bits: 2048 });
    assert!(rsa.subject().contains("symbolon test idp-rsa"));
    assert_eq!(rsa.sha256_fingerprint().len(), 32 * 3 - 1);
    let (_, ec) = keys("idp-ec-p384");
    assert_eq!(ec.kind(), KeyKind::EcP384);
    assert!(
        ec.supports(SignatureAlgorithm::EcdsaSha384) && !ec.supports(SignatureAlgorithm::RsaSha256)
    );
    let (_, next) = keys("idp-rsa-next");
    assert_eq!(next.kind(), KeyKind::Rsa { bits: 3072 });
    assert_eq!(
        PinnedCert::from_base64("not base64!").unwrap_err(),
        CertError::Base64
    );
    assert!(matches!(
        PinnedCert::from_base64("AAAA").unwrap_err(),
        CertError::Der(_)
    ));
}

#[test]
fn signing_errors() {
    let (key, _) = keys("idp-rsa");
    let opts = SignOptions::for_key(&key);
    let rng = SystemRandom::new();
    assert!(matches!(
        sign_enveloped(DOC, "_nope", &key, &opts, &rng),
        Err(symbolon_dsig::SignError::NoSuchId(_))
    ));
    let (xml, _) = signed("idp-rsa", None);
    assert_eq!(
        sign_enveloped(&xml, "_t1", &key, &opts, &rng).unwrap_err(),
        symbolon_dsig::SignError::AlreadySigned
    );
    let sha1 = SignOptions {
        algorithm: SignatureAlgorithm::RsaSha1,
        digest: symbolon_dsig::DigestAlgorithm::Sha1,
    };
    assert!(
        sign_enveloped(DOC, "_t1", &key, &sha1, &rng).is_err(),
        "SHA-1 is never produced"
    );
    let ec_alg = SignOptions {
        algorithm: SignatureAlgorithm::EcdsaSha256,
        digest: symbolon_dsig::DigestAlgorithm::Sha256,
    };
    assert!(
        sign_enveloped(DOC, "_t1", &key, &ec_alg, &rng).is_err(),
        "an RSA key cannot make ECDSA signatures"
    );
}

#[test]
fn id_uniqueness_proofs_only_vouch_for_their_own_document() {
    use symbolon_dsig::{UniqueIds, verify_enveloped_unique};
    let (xml, cert) = signed("idp-rsa", None);
    let dup = xml.replace("<v>value", r#"<x ID="_t1"/><v>value"#);
    let good = parse(&xml, &Limits::default()).unwrap();
    let bad = parse(&dup, &Limits::default()).unwrap();
    let proof = UniqueIds::check(&good).unwrap();
    assert_eq!(
        UniqueIds::check(&bad).unwrap_err(),
        DsigError::DuplicateId("_t1".into())
    );
    let thing = bad
        .descendants()
        .find(|n| n.tag_name().name() == "Thing")
        .unwrap();
    // The proof for the good document does not cover the bad one: it is checked again.
    assert_eq!(
        verify_enveloped_unique(
            thing,
            std::slice::from_ref(&cert),
            &VerifyPolicy::default(),
            &proof
        )
        .unwrap_err(),
        DsigError::DuplicateId("_t1".into())
    );
    let good_thing = good
        .descendants()
        .find(|n| n.tag_name().name() == "Thing")
        .unwrap();
    assert!(verify_enveloped_unique(good_thing, &[cert], &VerifyPolicy::default(), &proof).is_ok());
}

#[test]
fn a_key_pairs_only_with_its_own_certificate() {
    let rng = symbolon_dsig::SystemRandom::new();
    let (rsa, rsa_cert) = keys("idp-rsa");
    let (ec, ec_cert) = keys("idp-ec-p256");
    let (attacker, _) = keys("attacker-rsa");
    assert!(rsa.pairs_with(&rsa_cert, &rng));
    assert!(ec.pairs_with(&ec_cert, &rng));
    assert!(!attacker.pairs_with(&rsa_cert, &rng));
    assert!(!rsa.pairs_with(&ec_cert, &rng));
    assert!(!ec.pairs_with(&rsa_cert, &rng));
}
