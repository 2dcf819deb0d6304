//! The attack families of security.md, each asserting its typed reason. Wrapping attacks are also
//! checked one layer down: the element a vulnerable library would read does not verify.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use symbolon_dsig::{DsigError, VerifyPolicy, verify_enveloped};
use symbolon_saml::{Expectation, IdpSettings, Signed, ValidationError as E};
use symbolon_xml::{Limits, XmlError};

/// The NameID's text as it appears in the fixture (the email attribute holds the same value).
const NAME_ID: &str = r#"emailAddress">alice@example.test</saml:NameID>"#;

fn signature_of(xml: &str) -> String {
    slice(xml, "<ds:Signature ", "</ds:Signature>").to_string()
}

fn assertion_of(xml: &str) -> String {
    slice(xml, "<saml:Assertion ", "</saml:Assertion>").to_string()
}

/// The evil twin: another subject, another ID.
fn evil(assertion_without_sig: &str, id: &str) -> String {
    assertion_without_sig
        .replace("alice@example.test", "admin@example.test")
        .replace(r#"ID="_assertion-1""#, &format!(r#"ID="{id}""#))
}

/// What a wrapping-vulnerable library would check: the signature found on `element_id`.
fn dsig_verdict(xml: &str, element_id: &str) -> DsigError {
    let doc = symbolon_xml::parse(xml, &Limits::default()).unwrap();
    let node = doc
        .descendants()
        .find(|n| n.attribute("ID") == Some(element_id))
        .unwrap();
    verify_enveloped(node, &[pinned("idp-rsa")], &VerifyPolicy::default()).unwrap_err()
}

// ---- XSW 1-8 (Somorovsky et al. 2012) ----

#[test]
fn xsw1_original_response_inside_the_copied_signature() {
    let orig = Fixture::default().signed_response();
    let sig = signature_of(&orig);
    let orig_unsigned = orig.replace(&sig, "");
    let evil_resp = evil(&orig_unsigned, "_evil-assertion")
        .replace(r#"ID="_response-1""#, r#"ID="_evil-response""#);
    let wrapped_sig = sig.replace(
        "</ds:Signature>",
        &format!("{orig_unsigned}</ds:Signature>"),
    );
    let xml = replace_once(
        &evil_resp,
        &format!("<saml:Issuer>{IDP}</saml:Issuer>\n"),
        &format!("<saml:Issuer>{IDP}</saml:Issuer>{wrapped_sig}\n"),
    );
    assert_eq!(check(&xml).unwrap_err(), E::MultipleAssertions(2));
    // The copied signature now holds a foreign element: refused before the reference is followed.
    assert!(matches!(
        dsig_verdict(&xml, "_evil-response"),
        DsigError::Malformed(_)
    ));
}

#[test]
fn xsw2_original_response_detached_before_the_signature() {
    let orig = Fixture::default().signed_response();
    let sig = signature_of(&orig);
    let orig_unsigned = orig.replace(&sig, "");
    let evil_resp = evil(&orig_unsigned, "_evil-assertion")
        .replace(r#"ID="_response-1""#, r#"ID="_evil-response""#);
    let xml = replace_once(
        &evil_resp,
        &format!("<saml:Issuer>{IDP}</saml:Issuer>\n"),
        &format!("<saml:Issuer>{IDP}</saml:Issuer>{orig_unsigned}{sig}\n"),
    );
    assert_eq!(check(&xml).unwrap_err(), E::MultipleAssertions(2));
    assert!(matches!(
        dsig_verdict(&xml, "_evil-response"),
        DsigError::ReferenceMismatch { .. }
    ));
}

#[test]
fn xsw3_evil_assertion_before_the_signed_one() {
    let orig = Fixture::default().signed_assertion();
    let signed_a = assertion_of(&orig);
    let evil_a = evil(
        &signed_a.replace(&signature_of(&orig), ""),
        "_evil-assertion",
    );
    let xml = replace_once(&orig, &signed_a, &format!("{evil_a}{signed_a}"));
    assert_eq!(check(&xml).unwrap_err(), E::MultipleAssertions(2));
    assert_eq!(
        dsig_verdict(&xml, "_evil-assertion"),
        DsigError::NoSignature
    );
}

#[test]
fn xsw4_signed_assertion_inside_the_evil_one() {
    let orig = Fixture::default().signed_assertion();
    let signed_a = assertion_of(&orig);
    let evil_a = evil(
        &signed_a.replace(&signature_of(&orig), ""),
        "_evil-assertion",
    );
    let nested = evil_a.replace(
        "</saml:AttributeStatement></saml:Assertion>",
        &format!("</saml:AttributeStatement>{signed_a}</saml:Assertion>"),
    );
    let xml = replace_once(&orig, &signed_a, &nested);
    assert_eq!(check(&xml).unwrap_err(), E::MultipleAssertions(2));
    assert_eq!(
        dsig_verdict(&xml, "_evil-assertion"),
        DsigError::NoSignature
    );
}

#[test]
fn xsw5_evil_assertion_carries_the_signature_original_appended() {
    let orig = Fixture::default().signed_assertion();
    let sig = signature_of(&orig);
    let signed_a = assertion_of(&orig);
    let unsigned_a = signed_a.replace(&sig, "");
    // Same ID as the original: what a wrapping attack needs for the reference to resolve.
    let evil_a = evil(&signed_a, "_assertion-1");
    let xml = replace_once(&orig, &signed_a, &evil_a).replace(
        "</samlp:Response>",
        &format!("{unsigned_a}</samlp:Response>"),
    );
    assert_eq!(check(&xml).unwrap_err(), E::MultipleAssertions(2));
    let doc = symbolon_xml::parse(&xml, &Limits::default()).unwrap();
    let first = doc
        .descendants()
        .find(|n| n.attribute("ID") == Some("_assertion-1"))
        .unwrap();
    assert_eq!(
        verify_enveloped(first, &[pinned("idp-rsa")], &VerifyPolicy::default()).unwrap_err(),
        DsigError::DuplicateId("_assertion-1".into())
    );
}

#[test]
fn xsw6_original_assertion_inside_the_signature_of_the_evil_one() {
    let orig = Fixture::default().signed_assertion();
    let sig = signature_of(&orig);
    let signed_a = assertion_of(&orig);
    let unsigned_a = signed_a
        .replace(&sig, "")
        .replace(r#"ID="_assertion-1""#, r#"ID="_orig""#);
    let wrapped_sig = sig.replace("</ds:Signature>", &format!("{unsigned_a}</ds:Signature>"));
    let evil_a = evil(&signed_a, "_assertion-1").replace(&sig, &wrapped_sig);
    let xml = replace_once(&orig, &signed_a, &evil_a);
    assert_eq!(check(&xml).unwrap_err(), E::MultipleAssertions(2));
    assert!(matches!(
        dsig_verdict(&xml, "_assertion-1"),
        DsigError::Malformed(_)
    ));
}

#[test]
fn xsw7_signed_assertion_hidden_in_extensions() {
    let orig = Fixture::default().signed_assertion();
    let signed_a = assertion_of(&orig);
    let evil_a = evil(
        &signed_a.replace(&signature_of(&orig), ""),
        "_evil-assertion",
    );
    let xml = replace_once(
        &orig,
        &signed_a,
        &format!("<samlp:Extensions>{signed_a}</samlp:Extensions>{evil_a}"),
    );
    assert_eq!(check(&xml).unwrap_err(), E::MultipleAssertions(2));
    assert_eq!(
        dsig_verdict(&xml, "_evil-assertion"),
        DsigError::NoSignature
    );
}

#[test]
fn xsw8_original_assertion_in_a_signature_object() {
    let orig = Fixture::default().signed_assertion();
    let sig = signature_of(&orig);
    let signed_a = assertion_of(&orig);
    let unsigned_a = signed_a.replace(&sig, "");
    let obj_sig = sig.replace(
        "</ds:Signature>",
        &format!("<ds:Object>{unsigned_a}</ds:Object></ds:Signature>"),
    );
    let evil_a = evil(&signed_a, "_evil-assertion").replace(&sig, &obj_sig);
    let xml = replace_once(&orig, &signed_a, &evil_a);
    assert_eq!(check(&xml).unwrap_err(), E::MultipleAssertions(2));
    assert!(matches!(
        dsig_verdict(&xml, "_evil-assertion"),
        DsigError::DuplicateId(_) | DsigError::ReferenceMismatch { .. } | DsigError::Malformed(_)
    ));
}

#[test]
fn content_added_inside_a_signed_response_breaks_its_digest() {
    let orig = Fixture::default().signed_response();
    let xml = replace_once(
        &orig,
        "</saml:AttributeStatement>",
        r#"<saml:Attribute Name="role"><saml:AttributeValue>admin</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>"#,
    );
    assert_eq!(
        check(&xml).unwrap_err(),
        E::Signature(Signed::Response, DsigError::DigestMismatch)
    );
}

// ---- Comment and processing-instruction injection (Duo 2018) ----

#[test]
fn comment_in_a_signed_name_id_never_truncates_it() {
    let f = Fixture {
        name_id: "admin@example.test<!---->.evil.test".into(),
        ..Fixture::default()
    };
    assert_eq!(
        check(&f.signed_assertion()).unwrap().name_id,
        "admin@example.test.evil.test"
    );
}

#[test]
fn comment_injected_after_signing_changes_nothing_read() {
    let xml = replace_once(
        &Fixture::default().signed_assertion(),
        NAME_ID,
        r#"emailAddress"><!--x-->alice@<!---->example.test<!--y--></saml:NameID>"#,
    );
    // Comments are outside the digest, and the value is read in full.
    assert_eq!(check(&xml).unwrap().name_id, "alice@example.test");
}

#[test]
fn processing_instruction_injection() {
    let f = Fixture {
        name_id: "admin@example.test<?pi x?>.evil.test".into(),
        ..Fixture::default()
    };
    assert_eq!(
        check(&f.signed_assertion()).unwrap().name_id,
        "admin@example.test.evil.test"
    );
    // Added after signing: PIs are inside the canonical form, so the digest breaks.
    let xml = replace_once(
        &Fixture::default().signed_assertion(),
        NAME_ID,
        r#"emailAddress">alice@<?pi x?>example.test</saml:NameID>"#,
    );
    assert_eq!(
        check(&xml).unwrap_err(),
        E::Signature(Signed::Assertion, DsigError::DigestMismatch)
    );
}

// ---- Structure ----

#[test]
fn duplicate_ids_are_rejected() {
    let orig = Fixture::default().signed_assertion();
    let xml = replace_once(
        &orig,
        "<samlp:Status>",
        r#"<samlp:Extensions><x:y xmlns:x="urn:x" ID="_assertion-1"/></samlp:Extensions><samlp:Status>"#,
    );
    assert_eq!(
        check(&xml).unwrap_err(),
        E::DuplicateId("_assertion-1".into())
    );
    let xml = replace_once(&orig, r#"ID="_response-1""#, r#"ID="_assertion-1""#);
    assert_eq!(
        check(&xml).unwrap_err(),
        E::DuplicateId("_assertion-1".into())
    );
}

#[test]
fn two_assertions_are_rejected_even_if_both_are_signed() {
    let orig = Fixture::default().signed_assertion();
    let a = assertion_of(&orig);
    let other = sign(
        &Fixture {
            name_id: "bob@example.test".into(),
            ..Fixture::default()
        }
        .xml()
        .replace("_assertion-1", "_assertion-2"),
        "_assertion-2",
        "idp-rsa",
    );
    let xml = replace_once(&orig, &a, &format!("{a}{}", assertion_of(&other)));
    assert_eq!(check(&xml).unwrap_err(), E::MultipleAssertions(2));
}

#[test]
fn advice_is_never_consumed_and_may_not_smuggle_an_assertion() {
    // A signed Advice with a statement: accepted, and nothing in it is read.
    let advice = r#"<saml:Advice><saml:AttributeStatement><saml:Attribute Name="role"><saml:AttributeValue>admin</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Advice>"#;
    let xml = replace_once(
        &Fixture::default().xml(),
        "</saml:Conditions>",
        &format!("</saml:Conditions>{advice}"),
    );
    let v = check(&sign(&xml, "_assertion-1", "idp-rsa")).unwrap();
    assert!(v.attribute("role").is_none());
    // An assertion nested in Advice counts as a second assertion.
    let nested = evil(
        &assertion_of(&Fixture::default().xml()),
        "_advice-assertion",
    );
    let xml = replace_once(
        &Fixture::default().xml(),
        "</saml:Conditions>",
        &format!("</saml:Conditions><saml:Advice>{nested}</saml:Advice>"),
    );
    assert_eq!(
        check(&sign(&xml, "_assertion-1", "idp-rsa")).unwrap_err(),
        E::MultipleAssertions(2)
    );
}

#[test]
fn elements_match_by_namespace_not_prefix() {
    // A look-alike "saml:Assertion" in another namespace is not an assertion and is never read.
    let fake = r#"<saml:Assertion xmlns:saml="urn:evil" ID="_fake"><saml:Subject><saml:NameID>admin@example.test</saml:NameID></saml:Subject></saml:Assertion>"#;
    let orig = Fixture::default().signed_assertion();
    let xml = replace_once(&orig, "<samlp:Status>", &format!("{fake}<samlp:Status>"));
    assert_eq!(check(&xml).unwrap().name_id, "alice@example.test");
    // The real thing under another prefix is fine.
    let renamed = Fixture::default()
        .xml()
        .replace("saml:", "a2:")
        .replace("xmlns:saml=", "xmlns:a2=");
    let v = check(&sign(&renamed, "_assertion-1", "idp-rsa")).unwrap();
    assert_eq!(v.name_id, "alice@example.test");
}

#[test]
fn signature_anywhere_else_is_rejected() {
    let orig = Fixture::default().signed_assertion();
    let sig = signature_of(&orig);
    let xml = replace_once(
        &orig,
        "<samlp:Status>",
        &format!("<samlp:Extensions>{sig}</samlp:Extensions><samlp:Status>"),
    );
    assert_eq!(check(&xml).unwrap_err(), E::UnexpectedSignature);
}

#[test]
fn stray_digest_value() {
    let orig = Fixture::default().signed_assertion();
    // A second DigestValue inside the Reference: the structure is refused.
    let xml = replace_once(
        &orig,
        "<ds:DigestValue>",
        "<ds:DigestValue>AAAA</ds:DigestValue><ds:DigestValue>",
    );
    assert!(matches!(
        check(&xml),
        Err(E::Signature(Signed::Assertion, DsigError::Malformed(_)))
    ));
    // Content altered, with the altered content's digest left in KeyInfo: still a mismatch.
    let altered = replace_once(
        &orig,
        NAME_ID,
        r#"emailAddress">admin@example.test</saml:NameID>"#,
    );
    let xml = replace_once(
        &altered,
        "<ds:X509Data>",
        "<ds:DigestValue>bm90IHRoZSByZWFsIG9uZQ==</ds:DigestValue><ds:X509Data>",
    );
    assert_eq!(
        check(&xml).unwrap_err(),
        E::Signature(Signed::Assertion, DsigError::DigestMismatch)
    );
}

#[test]
fn two_signed_infos_or_references() {
    let orig = Fixture::default().signed_assertion();
    let si = slice(&orig, "<ds:SignedInfo>", "</ds:SignedInfo>").to_string();
    let xml = replace_once(&orig, &si, &format!("{si}{si}"));
    assert_eq!(
        check(&xml).unwrap_err(),
        E::Signature(Signed::Assertion, DsigError::SignedInfoCount)
    );
    let r = slice(&orig, "<ds:Reference ", "</ds:Reference>").to_string();
    let xml = replace_once(
        &orig,
        &r,
        &format!("{r}{}", r.replace("#_assertion-1", "#_response-1")),
    );
    assert_eq!(
        check(&xml).unwrap_err(),
        E::Signature(Signed::Assertion, DsigError::ReferenceCount)
    );
}

#[test]
fn reference_must_point_at_the_signed_element() {
    let orig = Fixture::default().signed_assertion();
    for uri in [
        "#_response-1",
        "",
        "http://evil.test/doc.xml#_assertion-1",
        "#xpointer(/)",
    ] {
        let xml = replace_once(
            &orig,
            r##"URI="#_assertion-1""##,
            &format!(r#"URI="{uri}""#),
        );
        assert!(
            matches!(
                check(&xml),
                Err(E::Signature(
                    Signed::Assertion,
                    DsigError::ReferenceMismatch { .. }
                ))
            ),
            "{uri}"
        );
    }
}

#[test]
fn void_canonicalisation_and_transforms() {
    let orig = Fixture::default().signed_assertion();
    let c14n =
        r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#;
    for alg in [
        "",
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
        "http://www.w3.org/2006/12/xml-c14n11",
        "urn:void",
    ] {
        let xml = replace_once(
            &orig,
            c14n,
            &format!(r#"<ds:CanonicalizationMethod Algorithm="{alg}"/>"#),
        );
        assert_eq!(
            check(&xml).unwrap_err(),
            E::Signature(
                Signed::Assertion,
                DsigError::UnsupportedCanonicalization(alg.into())
            )
        );
    }
    let transforms = slice(&orig, "<ds:Transforms>", "</ds:Transforms>").to_string();
    let env =
        r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#;
    let exc = r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#;
    let xpath = r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::*)</ds:XPath></ds:Transform>"#;
    for bad in [
        format!("<ds:Transforms>{env}</ds:Transforms>"),
        format!("<ds:Transforms>{exc}{env}</ds:Transforms>"),
        format!("<ds:Transforms>{env}{xpath}</ds:Transforms>"),
        format!("<ds:Transforms>{env}{exc}{exc}</ds:Transforms>"),
        "<ds:Transforms></ds:Transforms>".to_string(),
    ] {
        let xml = replace_once(&orig, &transforms, &bad);
        assert!(
            matches!(
                check(&xml),
                Err(E::Signature(
                    Signed::Assertion,
                    DsigError::UnsupportedTransforms(_)
                ))
            ),
            "{bad}"
        );
    }
}

// ---- Algorithms and keys ----

#[test]
fn hmac_confusion_is_refused() {
    let orig = Fixture::default().signed_assertion();
    for alg in [
        "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
    ] {
        let xml = replace_once(
            &orig,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            alg,
        );
        assert_eq!(
            check(&xml).unwrap_err(),
            E::Signature(Signed::Assertion, DsigError::HmacRefused(alg.into()))
        );
    }
}

#[test]
fn sha1_and_dsa_are_refused_by_default() {
    let orig = Fixture::default().signed_assertion();
    let xml = replace_once(
        &orig,
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    );
    assert!(matches!(
        check(&xml),
        Err(E::Signature(
            Signed::Assertion,
            DsigError::Sha1NotAllowed(_)
        ))
    ));
    let xml = replace_once(
        &orig,
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://www.w3.org/2000/09/xmldsig#sha1",
    );
    assert!(matches!(
        check(&xml),
        Err(E::Signature(
            Signed::Assertion,
            DsigError::Sha1NotAllowed(_)
        ))
    ));
    let xml = replace_once(
        &orig,
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
    );
    assert!(matches!(
        check(&xml),
        Err(E::Signature(
            Signed::Assertion,
            DsigError::UnsupportedSignatureAlgorithm(_)
        ))
    ));
}

/// A response xmlsec1 signed with RSA-SHA1 (testdata/sha1/README.md says how it was made).
#[test]
fn sha1_is_accepted_only_when_allowed_and_then_warned() {
    let xml = std::fs::read_to_string(repo().join("testdata/sha1/response-rsa-sha1.xml")).unwrap();
    assert!(matches!(
        check(&xml),
        Err(E::Signature(
            Signed::Assertion,
            DsigError::Sha1NotAllowed(_)
        ))
    ));
    let mut allow = idp();
    allow.allow_sha1 = true;
    let v = check_with(&xml, &allow, &Expectation::at(NOW)).unwrap();
    assert!(
        v.warnings.iter().any(|w| w.contains("SHA1")),
        "{:?}",
        v.warnings
    );
}

#[test]
fn attacker_key_and_certificate_in_key_info_are_not_trusted() {
    // Signed by the attacker, with the attacker's certificate in KeyInfo.
    let xml = sign(
        &Fixture {
            name_id: "admin@example.test".into(),
            ..Fixture::default()
        }
        .xml(),
        "_assertion-1",
        "attacker-rsa",
    );
    assert_eq!(
        check(&xml).unwrap_err(),
        E::Signature(Signed::Assertion, DsigError::SignatureInvalid)
    );
    // Signed by the attacker, with the pinned certificate copied into KeyInfo.
    let pinned_b64 = symbolon_dsig::encode_base64(pinned("idp-rsa").der());
    let attacker_b64 = symbolon_dsig::encode_base64(pinned("attacker-rsa").der());
    let xml = replace_once(&xml, &attacker_b64, &pinned_b64);
    assert_eq!(
        check(&xml).unwrap_err(),
        E::Signature(Signed::Assertion, DsigError::SignatureInvalid)
    );
    // No KeyInfo at all: the pinned key still verifies a genuine response.
    let orig = Fixture::default().signed_assertion();
    let ki = slice(&orig, "<ds:KeyInfo>", "</ds:KeyInfo>").to_string();
    assert!(check(&replace_once(&orig, &ki, "")).is_ok());
}

#[test]
fn wrong_key_type_for_the_algorithm() {
    // An ECDSA SignatureMethod with only an RSA key pinned.
    let orig = Fixture::default().signed_assertion();
    let xml = replace_once(
        &orig,
        "xmldsig-more#rsa-sha256",
        "xmldsig-more#ecdsa-sha256",
    );
    assert!(matches!(
        check(&xml),
        Err(E::Signature(
            Signed::Assertion,
            DsigError::NoKeyForAlgorithm(_)
        ))
    ));
}

#[test]
fn weak_rsa_keys_cannot_be_pinned() {
    let err = symbolon_dsig::PinnedCert::from_pem(&cert_pem("weak-rsa1024")).unwrap_err();
    assert_eq!(err, symbolon_dsig::CertError::RsaTooSmall(1024));
}

#[test]
fn garbage_signature_and_digest_values() {
    let orig = Fixture::default().signed_assertion();
    let sv = slice(&orig, "<ds:SignatureValue>", "</ds:SignatureValue>").to_string();
    let xml = replace_once(
        &orig,
        &sv,
        "<ds:SignatureValue>not base64!</ds:SignatureValue>",
    );
    assert_eq!(
        check(&xml).unwrap_err(),
        E::Signature(Signed::Assertion, DsigError::BadBase64("SignatureValue"))
    );
    let xml = replace_once(&orig, &sv, "<ds:SignatureValue>AAAA</ds:SignatureValue>");
    assert_eq!(
        check(&xml).unwrap_err(),
        E::Signature(Signed::Assertion, DsigError::SignatureInvalid)
    );
    let dv = slice(&orig, "<ds:DigestValue>", "</ds:DigestValue>").to_string();
    // DigestValue is inside SignedInfo: changing it breaks the signature itself.
    let xml = replace_once(&orig, &dv, "<ds:DigestValue>AAA=</ds:DigestValue>");
    assert_eq!(
        check(&xml).unwrap_err(),
        E::Signature(Signed::Assertion, DsigError::SignatureInvalid)
    );
}

// ---- Parser attacks and bad input (rule 1) ----

#[test]
fn doctype_xxe_and_billion_laughs() {
    let orig = Fixture::default().signed_assertion();
    let attacks = [
        "<!DOCTYPE samlp:Response>",
        r#"<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>"#,
        r#"<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>"#,
        r#"<!DOCTYPE r SYSTEM "http://evil.test/x.dtd">"#,
    ];
    for dt in attacks {
        assert_eq!(
            check(&format!("{dt}{orig}")).unwrap_err(),
            E::Xml(XmlError::Doctype),
            "{dt}"
        );
        assert_eq!(
            check(&format!("<?xml version=\"1.0\"?>\n{dt}\n{orig}")).unwrap_err(),
            E::Xml(XmlError::Doctype),
            "{dt}"
        );
    }
    // An entity reference without a DTD is simply malformed.
    let xml = replace_once(&orig, NAME_ID, r#"emailAddress">&xxe;</saml:NameID>"#);
    assert!(matches!(check(&xml), Err(E::Xml(XmlError::Malformed(_)))));
}

#[test]
fn oversize_deep_and_wide_input() {
    let big = format!(
        "{}<!--{}-->",
        Fixture::default().signed_assertion(),
        "x".repeat(2 * 1024 * 1024)
    );
    assert!(matches!(
        check(&big),
        Err(E::Xml(XmlError::TooLarge { .. }))
    ));

    let deep = format!("{}{}", "<a>".repeat(200), "</a>".repeat(200));
    let xml = replace_once(
        &Fixture::default().xml(),
        "</saml:AttributeStatement>",
        &format!(
            "<saml:Attribute Name=\"d\"><saml:AttributeValue>{deep}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>"
        ),
    );
    assert_eq!(
        check(&xml).unwrap_err(),
        E::Xml(XmlError::TooDeep { limit: 128 })
    );

    let attrs: String = (0..300).map(|i| format!(" a{i}=\"v\"")).collect();
    let xml = replace_once(
        &Fixture::default().xml(),
        "<saml:Subject>",
        &format!("<saml:Subject{attrs}>"),
    );
    assert_eq!(
        check(&xml).unwrap_err(),
        E::Xml(XmlError::TooManyAttributes { limit: 256 })
    );

    let nss: String = (0..70)
        .map(|i| format!(" xmlns:n{i}=\"urn:n{i}\""))
        .collect();
    let xml = replace_once(
        &Fixture::default().xml(),
        "<saml:Subject>",
        &format!("<saml:Subject{nss}>"),
    );
    assert_eq!(
        check(&xml).unwrap_err(),
        E::Xml(XmlError::TooManyNamespaces { limit: 64 })
    );
}

#[test]
fn malformed_input_is_a_clear_rejection() {
    let orig = Fixture::default().signed_assertion();
    let cases: Vec<Vec<u8>> = vec![
        orig.as_bytes()[..orig.len() / 2].to_vec(),
        b"".to_vec(),
        b"   ".to_vec(),
        b"\x00\n".to_vec(),
        b"\xff\xfe<\x00".to_vec(),
        orig.replace("<saml:Subject>", "<saml:Subject a=\"1\" a=\"2\">")
            .into_bytes(),
        orig.replace("<saml:Subject>", "<undeclared:Subject>")
            .into_bytes(),
        orig.replacen(
            "<samlp:Response",
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><samlp:Response",
            1,
        )
        .into_bytes(),
        b"<x/>".to_vec(),
    ];
    for c in cases {
        let r = symbolon_saml::validate_response_xml(
            &c,
            &Limits::default(),
            &idp(),
            &sp(),
            &Expectation::at(NOW),
        );
        assert!(r.is_err(), "{:?}", String::from_utf8_lossy(&c));
    }
    assert_eq!(
        symbolon_saml::validate_response_xml(
            b"<x/>",
            &Limits::default(),
            &idp(),
            &sp(),
            &Expectation::at(NOW)
        )
        .unwrap_err(),
        E::NotAResponse("x".into())
    );
}

#[test]
fn an_untrusted_idp_configuration_never_accepts() {
    let other = IdpSettings::new(IDP, vec![pinned("attacker-rsa")]);
    assert!(
        check_with(
            &Fixture::default().signed_both(),
            &other,
            &Expectation::at(NOW)
        )
        .is_err()
    );
}

// ---- Review findings (issue 14) ----

/// xs:ID values only: an ID the verifier relies on that is not an NCName is refused, signed or
/// not, on the Assertion and on the Response.
#[test]
fn ids_that_are_not_ncnames_are_refused() {
    let bad = "_x' or '1'='1";
    let xml = Fixture::default()
        .xml()
        .replace(r#"ID="_assertion-1""#, &format!(r#"ID="{bad}""#));
    // Signed over the odd ID (our signer does not care; the verifier must).
    let signed = sign(&xml, bad, "idp-rsa");
    assert!(matches!(
        check(&signed),
        Err(E::Signature(Signed::Assertion, DsigError::BadId(id))) if id == bad
    ));
    for id in ["1", "1abc", "a:b", "a b"] {
        let xml = Fixture::default()
            .xml()
            .replace(r#"ID="_response-1""#, &format!(r#"ID="{id}""#));
        let signed = sign(&xml, "_assertion-1", "idp-rsa");
        assert_eq!(
            check(&signed).unwrap_err(),
            E::BadId(Signed::Response, id.to_string()),
            "{id}"
        );
    }
}

fn with_prefix_list(list: &str) -> String {
    let signed = Fixture::default().signed_assertion();
    let marker = r#"Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#;
    assert!(signed.contains(marker));
    signed.replacen(
        marker,
        &format!(
            r#"Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="{list}"/></ds:CanonicalizationMethod>"#
        ),
        1,
    )
}

/// An InclusiveNamespaces PrefixList is bounded before any canonicalisation: more than 32
/// distinct prefixes, more than 128 tokens, or a token that is no prefix is malformed.
#[test]
fn prefix_lists_are_bounded_before_any_work() {
    let many: Vec<String> = (0..33).map(|i| format!("p{i}")).collect();
    let repeated = vec!["xs"; 129].join(" ");
    for list in [many.join(" "), repeated, "a:b".into(), "#other".into()] {
        let xml = with_prefix_list(&list);
        assert!(
            matches!(
                check(&xml),
                Err(E::Signature(Signed::Assertion, DsigError::Malformed(m))) if m.contains("PrefixList")
            ),
            "{list}: {:?}",
            check(&xml)
        );
    }
    // A normal list still reaches the signature check (and fails it: SignedInfo changed).
    let xml = with_prefix_list("xs #default");
    assert!(matches!(
        check(&xml),
        Err(E::Signature(Signed::Assertion, DsigError::SignatureInvalid))
    ));
}
