//! Encrypted assertions, end to end in the core: what the IdP encrypts the SP decrypts and
//! validates like a clear assertion; every tampering, wrong key and refused algorithm is a clear
//! error, the secret-dependent ones all the same error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use symbolon_dsig::enc::{
    DataAlgorithm, DecryptPolicy, DecryptionKey, EncError, EncryptOptions, EncryptionCert,
    KeyTransport, decrypt_element,
};
use symbolon_dsig::{SignOptions, SystemRandom, decode_base64, encode_base64};
use symbolon_saml::encrypted::{decrypt_assertion, encrypt_assertion, has_encrypted_assertion};
use symbolon_saml::idp::{
    OutAttribute, ResponseParams, SignParts, build_response_for, response_xml,
};
use symbolon_saml::sp::{validate_decrypted_response, validate_response};
use symbolon_saml::{Expectation, ValidatedAssertion, ValidationError};
use symbolon_xml::Limits;
use time::Duration;

/// The SP's key pair in these tests.
const SP_KEY: &str = "idp-rsa-next";

fn params() -> ResponseParams {
    ResponseParams {
        response_id: "_r1".into(),
        assertion_id: "_a1".into(),
        now: NOW,
        idp_entity_id: IDP.into(),
        destination: ACS.into(),
        in_response_to: None,
        audience: SP.into(),
        name_id: "alice@example.test".into(),
        name_id_format: Some(symbolon_saml::messages::NAMEID_EMAIL.into()),
        sp_name_qualifier: None,
        lifespan: Duration::minutes(5),
        not_before_slack: Duration::seconds(30),
        session_index: Some("_s1".into()),
        session_not_on_or_after: None,
        authn_instant: NOW - Duration::seconds(10),
        authn_context_class_ref: symbolon_saml::idp::AC_PASSWORD_PROTECTED.into(),
        attributes: vec![OutAttribute {
            name: "groups".into(),
            name_format: None,
            friendly_name: None,
            values: vec!["/eng".into(), "<b>&amp;</b>".into()],
        }],
    }
}

fn recipient(name: &str) -> EncryptionCert {
    let pem = cert_pem(name);
    let der = symbolon_dsig::pem_blocks(&pem).remove(0).1;
    EncryptionCert::from_der(&der).unwrap()
}

fn sp_key(name: &str) -> DecryptionKey {
    DecryptionKey::from_pem(&key_pem(name)).unwrap()
}

/// A Response (and Assertion) signed by the IdP with its assertion encrypted to the SP.
fn encrypted(opts: EncryptOptions, parts: SignParts) -> String {
    let k = signing_key("idp-rsa");
    build_response_for(
        &params(),
        parts,
        Some((&recipient(SP_KEY), &opts)),
        &k,
        &SignOptions::for_key(&k),
        &SystemRandom::new(),
    )
    .unwrap()
}

fn both() -> SignParts {
    SignParts {
        response: true,
        assertion: true,
    }
}

fn receive_with(
    xml: &str,
    key: &DecryptionKey,
    policy: &DecryptPolicy,
) -> Result<ValidatedAssertion, ValidationError> {
    let doc = symbolon_xml::parse(xml, &Limits::default()).unwrap();
    let d = decrypt_assertion(&doc, key, policy)?;
    let ddoc = d.parse(&Limits::default())?;
    let mut idp = idp();
    idp.allow_cbc = policy.allow_cbc;
    validate_decrypted_response(&doc, &ddoc, d.data, &idp, &sp(), &Expectation::at(NOW))
}

fn receive(xml: &str) -> Result<ValidatedAssertion, ValidationError> {
    receive_with(xml, &sp_key(SP_KEY), &DecryptPolicy::default())
}

fn undecryptable() -> ValidationError {
    ValidationError::Decryption(EncError::Undecryptable)
}

#[test]
fn every_algorithm_pair_round_trips_and_validates_like_a_clear_assertion() {
    for data in [DataAlgorithm::Aes256Gcm, DataAlgorithm::Aes128Gcm] {
        for transport in [KeyTransport::RsaOaepSha256, KeyTransport::RsaOaepMgf1pSha1] {
            for parts in [
                both(),
                SignParts {
                    response: false,
                    assertion: true,
                },
                // "Response only" still signs the assertion before encrypting it.
                SignParts {
                    response: true,
                    assertion: false,
                },
            ] {
                let xml = encrypted(EncryptOptions { data, transport }, parts);
                assert!(xml.contains("<saml:EncryptedAssertion"));
                assert!(
                    !xml.contains("alice@example.test"),
                    "the plaintext does not show"
                );
                let v = receive(&xml).unwrap_or_else(|e| panic!("{data:?} {transport:?}: {e}"));
                assert_eq!(v.name_id, "alice@example.test");
                assert!(v.assertion_signed);
                assert_eq!(v.response_signed, parts.response);
                assert_eq!(
                    v.attribute("groups").unwrap(),
                    ["/eng".to_string(), "<b>&amp;</b>".to_string()]
                );
            }
        }
    }
}

#[test]
fn without_a_decryption_key_the_plain_validator_says_why() {
    let xml = encrypted(EncryptOptions::default(), both());
    let doc = symbolon_xml::parse(&xml, &Limits::default()).unwrap();
    assert!(has_encrypted_assertion(&doc));
    assert_eq!(
        validate_response(&doc, &idp(), &sp(), &Expectation::at(NOW)).unwrap_err(),
        ValidationError::EncryptedAssertion
    );
}

/// The base64 text of the n-th CipherValue (0: the wrapped key, 1: the data).
fn cipher_value(xml: &str, n: usize) -> String {
    xml.split("<xenc:CipherValue>")
        .nth(n + 1)
        .unwrap()
        .split("</xenc:CipherValue>")
        .next()
        .unwrap()
        .to_string()
}

fn flip(xml: &str, n: usize, at: impl Fn(usize) -> usize) -> String {
    let b64 = cipher_value(xml, n);
    let mut bytes = decode_base64(&b64).unwrap();
    let i = at(bytes.len());
    bytes[i] ^= 0x01;
    replace_once(xml, &b64, &encode_base64(&bytes))
}

#[test]
fn wrong_key_and_every_tampering_are_one_error() {
    let xml = encrypted(
        EncryptOptions::default(),
        SignParts {
            response: false,
            assertion: true,
        },
    );
    assert!(receive(&xml).is_ok());
    let cases = [
        (
            "wrong key",
            receive_with(&xml, &sp_key("attacker-rsa"), &DecryptPolicy::default()),
        ),
        ("wrapped key", receive(&flip(&xml, 0, |l| l / 2))),
        ("IV", receive(&flip(&xml, 1, |_| 3))),
        ("ciphertext", receive(&flip(&xml, 1, |l| l / 2))),
        ("tag", receive(&flip(&xml, 1, |l| l - 1))),
        (
            "truncated",
            receive(&replace_once(
                &xml,
                &cipher_value(&xml, 1),
                &encode_base64(&[0u8; 20]),
            )),
        ),
    ];
    for (what, r) in cases {
        assert_eq!(r.unwrap_err(), undecryptable(), "{what}");
    }
}

#[test]
fn cbc_only_when_opted_in_and_its_failures_look_like_any_other() {
    let xml = encrypted(
        EncryptOptions {
            data: DataAlgorithm::Aes256Cbc,
            transport: KeyTransport::RsaOaepMgf1pSha1,
        },
        both(),
    );
    assert_eq!(
        receive(&xml).unwrap_err(),
        ValidationError::Decryption(EncError::CbcNotAllowed)
    );
    let cbc = DecryptPolicy { allow_cbc: true };
    let key = sp_key(SP_KEY);
    assert_eq!(
        receive_with(&xml, &key, &cbc).unwrap().name_id,
        "alice@example.test"
    );
    // Padding (last block), a middle block (garbage that no longer parses), the wrapped key:
    // the same error each time.
    for (what, bad) in [
        ("last byte", flip(&xml, 1, |l| l - 1)),
        ("middle", flip(&xml, 1, |l| l / 2)),
        ("first block", flip(&xml, 1, |_| 20)),
        ("wrapped key", flip(&xml, 0, |_| 7)),
    ] {
        assert_eq!(
            receive_with(&bad, &key, &cbc).unwrap_err(),
            undecryptable(),
            "{what}"
        );
    }
}

#[test]
fn an_unsigned_decrypted_assertion_is_refused_even_in_a_signed_response() {
    // Anyone can encrypt to the SP's public key: encryption vouches for nothing.
    let mut xml = response_xml(&params()).unwrap();
    xml = encrypt_assertion(
        &xml,
        "_a1",
        &recipient(SP_KEY),
        &EncryptOptions::default(),
        &SystemRandom::new(),
    )
    .unwrap();
    xml = sign(&xml, "_r1", "idp-rsa");
    assert_eq!(
        receive(&xml).unwrap_err(),
        ValidationError::DecryptedAssertionUnsigned
    );
    assert!(!ValidationError::DecryptedAssertionUnsigned.authenticated());
}

#[test]
fn an_assertion_signed_by_another_key_fails_its_signature_after_decryption() {
    let xml = sign(&response_xml(&params()).unwrap(), "_a1", "attacker-rsa");
    let xml = encrypt_assertion(
        &xml,
        "_a1",
        &recipient(SP_KEY),
        &EncryptOptions::default(),
        &SystemRandom::new(),
    )
    .unwrap();
    assert!(matches!(
        receive(&xml).unwrap_err(),
        ValidationError::Signature(symbolon_saml::Signed::Assertion, _)
    ));
}

#[test]
fn the_response_signature_is_checked_on_the_document_as_received() {
    let xml = encrypted(EncryptOptions::default(), both());
    let moved = replace_once(&xml, "Destination=\"", "Destination=\"x");
    assert!(matches!(
        receive(&moved).unwrap_err(),
        ValidationError::Signature(symbolon_saml::Signed::Response, _)
    ));
    // Swapping in another EncryptedAssertion (a valid one, to the same SP) breaks it too.
    let other = encrypted(EncryptOptions::default(), both());
    let slice_of =
        |x: &str| slice(x, "<saml:EncryptedAssertion", "</saml:EncryptedAssertion>").to_string();
    let swapped = replace_once(&xml, &slice_of(&xml), &slice_of(&other));
    assert!(matches!(
        receive(&swapped).unwrap_err(),
        ValidationError::Signature(symbolon_saml::Signed::Response, _)
    ));
}

#[test]
fn structure_and_algorithms_are_refused_before_any_decryption() {
    let xml = encrypted(
        EncryptOptions {
            data: DataAlgorithm::Aes256Gcm,
            transport: KeyTransport::RsaOaepSha256,
        },
        SignParts {
            response: false,
            assertion: true,
        },
    );
    let key = sp_key(SP_KEY);
    let policy = DecryptPolicy::default();
    let refuse = |x: &str| {
        let doc = symbolon_xml::parse(x, &Limits::default()).unwrap();
        decrypt_assertion(&doc, &key, &policy).unwrap_err()
    };
    // A clear assertion beside the encrypted one.
    let clear = sign(&response_xml(&params()).unwrap(), "_a1", "idp-rsa");
    let clear_assertion = slice(&clear, "<saml:Assertion", "</saml:Assertion>");
    let beside = replace_once(
        &xml,
        "</samlp:Response>",
        &format!("{clear_assertion}</samlp:Response>"),
    );
    assert_eq!(refuse(&beside), ValidationError::EncryptedBesideClear);
    // Two encrypted assertions.
    let ea = slice(
        &xml,
        "<saml:EncryptedAssertion",
        "</saml:EncryptedAssertion>",
    );
    let two = replace_once(&xml, "</samlp:Response>", &format!("{ea}</samlp:Response>"));
    assert_eq!(refuse(&two), ValidationError::MultipleAssertions(2));
    // RSA 1.5 key transport.
    let rsa15 = replace_once(
        &xml,
        symbolon_dsig::enc::RSA_OAEP,
        symbolon_dsig::enc::RSA_1_5,
    );
    assert_eq!(
        refuse(&rsa15),
        ValidationError::Decryption(EncError::Rsa15Refused)
    );
    // An unknown data algorithm; CBC without the opt-in.
    let tripledes = replace_once(
        &xml,
        symbolon_dsig::enc::AES256_GCM,
        "http://www.w3.org/2001/04/xmlenc#tripledes-cbc",
    );
    assert!(matches!(
        refuse(&tripledes),
        ValidationError::Decryption(EncError::UnsupportedData(_))
    ));
    let cbc = replace_once(
        &xml,
        symbolon_dsig::enc::AES256_GCM,
        symbolon_dsig::enc::AES256_CBC,
    );
    assert_eq!(
        refuse(&cbc),
        ValidationError::Decryption(EncError::CbcNotAllowed)
    );
    // More EncryptedKeys than are tried.
    let ek = slice(&xml, "<xenc:EncryptedKey>", "</xenc:EncryptedKey>");
    let many = replace_once(&xml, "</ds:KeyInfo>", &format!("{ek}{ek}</ds:KeyInfo>"));
    assert_eq!(
        refuse(&many),
        ValidationError::Decryption(EncError::TooManyKeys)
    );
    // A CipherReference is never followed.
    let reference = replace_once(
        &xml,
        &format!(
            "<xenc:CipherValue>{}</xenc:CipherValue>",
            cipher_value(&xml, 1)
        ),
        "<xenc:CipherReference URI=\"https://attacker.test/x\"/>",
    );
    assert!(matches!(
        refuse(&reference),
        ValidationError::Decryption(EncError::Malformed(_))
    ));
    // The MGF named as MGF1-SHA1 when the key was wrapped with MGF1-SHA256: a pairing we do
    // (crates/oaep), so it is tried and fails as any wrong key does.
    let mixed = replace_once(
        &xml,
        "http://www.w3.org/2009/xmlenc11#mgf1sha256",
        "http://www.w3.org/2009/xmlenc11#mgf1sha1",
    );
    assert_eq!(
        refuse(&mixed),
        ValidationError::Decryption(EncError::Undecryptable)
    );
    // An MGF hash outside SHA-1/256/384/512: refused by name, before any private-key work.
    let sha224 = replace_once(
        &xml,
        "http://www.w3.org/2009/xmlenc11#mgf1sha256",
        "http://www.w3.org/2009/xmlenc11#mgf1sha224",
    );
    assert!(matches!(
        refuse(&sha224),
        ValidationError::Decryption(EncError::UnsupportedKeyTransport(_))
    ));
}

#[test]
fn an_encrypted_key_beside_the_data_is_found() {
    // Some IdPs put the EncryptedKey beside the EncryptedData (with a RetrievalMethod).
    let xml = encrypted(
        EncryptOptions::default(),
        SignParts {
            response: false,
            assertion: true,
        },
    );
    let ek = slice(&xml, "<xenc:EncryptedKey>", "</xenc:EncryptedKey>").to_string();
    let ki = slice(&xml, "<ds:KeyInfo", "</ds:KeyInfo>").to_string();
    let moved = replace_once(&xml, &ki, "");
    let moved = replace_once(
        &moved,
        "</xenc:EncryptedData>",
        &format!(
            "</xenc:EncryptedData>{}",
            ek.replace(
                "<xenc:EncryptedKey>",
                &format!(
                    "<xenc:EncryptedKey xmlns:xenc=\"{}\">",
                    symbolon_dsig::enc::XENC
                )
            )
        ),
    );
    assert_eq!(receive(&moved).unwrap().name_id, "alice@example.test");
}

#[test]
fn decrypt_element_reports_the_algorithm() {
    let xml = encrypted(
        EncryptOptions {
            data: DataAlgorithm::Aes128Gcm,
            transport: KeyTransport::RsaOaepMgf1pSha1,
        },
        both(),
    );
    let doc = symbolon_xml::parse(&xml, &Limits::default()).unwrap();
    let ed = doc
        .descendants()
        .find(|n| n.has_tag_name((symbolon_dsig::enc::XENC, "EncryptedData")))
        .unwrap();
    let (plain, alg) =
        decrypt_element(ed, &[], &sp_key(SP_KEY), &DecryptPolicy::default()).unwrap();
    assert_eq!(alg, DataAlgorithm::Aes128Gcm);
    assert!(
        String::from_utf8(plain)
            .unwrap()
            .starts_with("<saml:Assertion")
    );
}

#[test]
fn cbc_decrypted_for_one_configuration_is_refused_by_another_that_did_not_opt_in() {
    let xml = encrypted(
        EncryptOptions {
            data: DataAlgorithm::Aes128Cbc,
            transport: KeyTransport::RsaOaepMgf1pSha1,
        },
        both(),
    );
    let doc = symbolon_xml::parse(&xml, &Limits::default()).unwrap();
    let d = decrypt_assertion(&doc, &sp_key(SP_KEY), &DecryptPolicy { allow_cbc: true }).unwrap();
    let ddoc = d.parse(&Limits::default()).unwrap();
    let expect = Expectation::at(NOW);
    assert_eq!(
        validate_decrypted_response(&doc, &ddoc, d.data, &idp(), &sp(), &expect).unwrap_err(),
        ValidationError::Decryption(EncError::CbcNotAllowed)
    );
    let mut opted_in = idp();
    opted_in.allow_cbc = true;
    assert!(validate_decrypted_response(&doc, &ddoc, d.data, &opted_in, &sp(), &expect).is_ok());
}
