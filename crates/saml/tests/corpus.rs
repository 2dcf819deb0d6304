//! `testdata/corpus/real-idps`: five real IdPs accepted with the recorded values; every bad case and
//! the Keycloak policy case rejected for the reason its README gives.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use serde_json::Value;
use symbolon_dsig::DsigError;
use symbolon_saml::binding::xml_or_base64;
use symbolon_saml::{
    Expectation, IdpSettings, IdpTrust, Signed, SpSettings, ValidatedAssertion,
    ValidationError as E,
};
use symbolon_xml::Limits;

/// The recordings live in the repository (`testdata/corpus/real-idps`, MIT, see its README).
fn corpus() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus/real-idps");
    assert!(
        dir.is_dir(),
        "the real-IdP corpus is missing at {}: it is part of the repository (git checkout testdata)",
        dir.display()
    );
    dir
}

fn run(case: &str) -> Result<ValidatedAssertion, E> {
    let dir = corpus().join(case);
    let params: Value =
        serde_json::from_slice(&std::fs::read(dir.join("params.json")).unwrap()).unwrap();
    let input = std::fs::read(dir.join("assertion.xml")).unwrap();
    let metadata = std::fs::read(dir.join("metadata.xml")).unwrap();
    let trust = IdpTrust::from_metadata(&metadata, None).unwrap();
    let idp = IdpSettings::new(trust.entity_id, trust.certs);
    let xml = xml_or_base64(&input).map_err(|_| E::NotBase64)?;
    // The ACS URL to expect is the response's own Destination (README).
    let text = String::from_utf8_lossy(&xml).to_string();
    let acs = text
        .split("Destination=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("http://localhost:8080")
        .to_string();
    let sp = SpSettings {
        entity_id: params["sp_entity_id"].as_str().unwrap().into(),
        acs_url: acs,
    };
    let now = symbolon_saml::time::parse_instant(params["now"].as_str().unwrap()).unwrap();
    symbolon_saml::validate_response_xml(&xml, &Limits::default(), &idp, &sp, &Expectation::at(now))
}

#[test]
fn real_idps_are_accepted_with_the_recorded_values() {
    for idp in ["adfs", "google", "jumpcloud", "okta", "ping"] {
        let v = run(&format!("assertions/{idp}")).unwrap_or_else(|e| panic!("{idp}: {e}"));
        let expected: Value = serde_json::from_slice(
            &std::fs::read(corpus().join(format!("assertions/{idp}/expected.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(v.issuer, expected["issuer"].as_str().unwrap(), "{idp}");
        assert_eq!(v.name_id, expected["name_id"].as_str().unwrap(), "{idp}");
        assert_eq!(
            v.assertion_id,
            expected["assertion_id"].as_str().unwrap(),
            "{idp}"
        );
        let attrs = expected["attributes"].as_object().unwrap();
        let names: Vec<&str> = v.attributes.iter().map(|a| a.name.as_str()).collect();
        let expected_names: Vec<&str> = attrs.keys().map(String::as_str).collect();
        assert_eq!(names, expected_names, "{idp}: attribute order");
        for a in &v.attributes {
            let want: Vec<&str> = attrs[&a.name]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect();
            assert_eq!(a.values, want, "{idp}: {}", a.name);
        }
    }
}

#[test]
fn bad_variants_are_rejected_for_their_reason() {
    type Reason = fn(&E) -> bool;
    let cases: Vec<(&str, Reason)> = vec![
        ("bad-assertions/bad-assertion-expired-early", |e| {
            matches!(e, E::NotYetValid(_))
        }),
        ("bad-assertions/bad-assertion-expired-late", |e| {
            matches!(e, E::Expired(_))
        }),
        ("bad-assertions/bad-assertion-utf8", |e| {
            matches!(e, E::NotBase64)
        }),
        ("bad-assertions/bad-certificate", |e| {
            *e == E::Signature(Signed::Assertion, DsigError::SignatureInvalid)
        }),
        ("bad-assertions/bad-digest-algorithm", |e| {
            *e == E::Signature(
                Signed::Assertion,
                DsigError::UnsupportedDigestAlgorithm("BAD_DIGEST_ALGORITHM".into()),
            )
        }),
        ("bad-assertions/bad-signature-algorithm", |e| {
            *e == E::Signature(
                Signed::Assertion,
                DsigError::UnsupportedSignatureAlgorithm("BAD_SIGNATURE_ALGORITHM".into()),
            )
        }),
        ("bad-assertions/bad-idp-entity-id", |e| {
            matches!(e, E::IssuerMismatch { .. })
        }),
        ("bad-assertions/bad-sp-entity-id", |e| {
            matches!(e, E::AudienceMismatch { .. })
        }),
        ("bad-assertions/no-certificate", |e| {
            matches!(e, E::Signature(Signed::Response, _))
        }),
        ("bad-assertions/okta-response-signature-broken", |e| {
            *e == E::Signature(Signed::Response, DsigError::DigestMismatch)
        }),
        ("bad-assertions/unsigned-assertion", |e| *e == E::Unsigned),
        ("policy-rejects/keycloak-no-authn-statement", |e| {
            *e == E::NoAuthnStatement
        }),
    ];
    let mut covered: Vec<String> = ["adfs", "google", "jumpcloud", "okta", "ping"]
        .iter()
        .map(|i| format!("assertions/{i}"))
        .collect();
    for (case, ok) in cases {
        match run(case) {
            Ok(v) => panic!("{case}: accepted as {}", v.name_id),
            Err(e) => assert!(ok(&e), "{case}: rejected for the wrong reason: {e}"),
        }
        covered.push(case.to_string());
    }
    // Every folder of the corpus is covered: a new recording cannot go untested.
    for group in ["assertions", "bad-assertions", "policy-rejects"] {
        for entry in std::fs::read_dir(corpus().join(group)).unwrap() {
            let name = format!(
                "{group}/{}",
                entry.unwrap().file_name().into_string().unwrap()
            );
            assert!(
                covered.contains(&name),
                "corpus case {name} has no expectation here"
            );
        }
    }
}

#[test]
fn keycloak_can_be_relaxed_per_idp() {
    let dir = corpus().join("policy-rejects/keycloak-no-authn-statement");
    let trust =
        IdpTrust::from_metadata(&std::fs::read(dir.join("metadata.xml")).unwrap(), None).unwrap();
    let mut idp = IdpSettings::new(trust.entity_id, trust.certs);
    idp.require_authn_statement = false;
    let params: Value =
        serde_json::from_slice(&std::fs::read(dir.join("params.json")).unwrap()).unwrap();
    let xml = std::fs::read(dir.join("assertion.xml")).unwrap();
    let text = String::from_utf8_lossy(&xml).to_string();
    let acs = text
        .split("Destination=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let irt = text
        .split("InResponseTo=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let sp = SpSettings {
        entity_id: params["sp_entity_id"].as_str().unwrap().into(),
        acs_url: acs,
    };
    let now = symbolon_saml::time::parse_instant(params["now"].as_str().unwrap()).unwrap();
    let e = Expectation {
        in_response_to: Some(&irt),
        ..Expectation::at(now)
    };
    let v = symbolon_saml::validate_response_xml(&xml, &Limits::default(), &idp, &sp, &e).unwrap();
    assert!(v.session_index.is_none());
}
