//! `testdata/corpus/metadata`: every IdP and SP metadata file (real ones and fixtures of our own
//! in the same shapes, see its README) parses to exactly the values in its expected.json, lint
//! findings appear where the notes call for them, nothing panics.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use serde_json::Value;
use symbolon_saml::lint::{Severity, lint_entity};
use symbolon_saml::metadata::{
    Endpoint, EntityDescriptor, KeyDescriptor, KeyUse, parse_metadata_document,
};
use time::macros::datetime;

/// The metadata corpus lives in the repository (`testdata/corpus/metadata`, see its README).
fn corpus() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus/metadata");
    assert!(
        dir.is_dir(),
        "the metadata corpus is missing at {}: it is part of the repository (git checkout testdata)",
        dir.display()
    );
    dir
}

fn opt_bool(v: &Value) -> Option<bool> {
    v.as_str().map(|s| s == "true" || s == "1")
}

fn endpoints(eps: &[Endpoint]) -> Vec<Value> {
    eps.iter()
        .map(|e| {
            let mut m = serde_json::Map::new();
            m.insert("Binding".into(), Value::from(e.binding.clone()));
            m.insert("Location".into(), Value::from(e.location.clone()));
            if let Some(r) = &e.response_location {
                m.insert("ResponseLocation".into(), Value::from(r.clone()));
            }
            Value::Object(m)
        })
        .collect()
}

fn expected_endpoints(v: &Value) -> Vec<Value> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let mut m = serde_json::Map::new();
            for k in ["Binding", "Location", "ResponseLocation"] {
                if let Some(x) = e.get(k).filter(|x| !x.is_null()) {
                    m.insert(k.into(), x.clone());
                }
            }
            Value::Object(m)
        })
        .collect()
}

fn uses(keys: &[KeyDescriptor]) -> Vec<Value> {
    keys.iter()
        .map(|k| match k.key_use {
            KeyUse::Signing => Value::from("signing"),
            KeyUse::Encryption => Value::from("encryption"),
            KeyUse::Unspecified => Value::Null,
        })
        .collect()
}

fn fingerprints<'a>(ders: impl Iterator<Item = &'a [u8]>) -> Vec<String> {
    ders.map(|d| symbolon_dsig::describe_certificate(d).unwrap().sha256)
        .collect()
}

fn check_entity(label: &str, e: &EntityDescriptor, x: &Value) {
    assert_eq!(
        e.entity_id,
        x["entityID"].as_str().unwrap(),
        "{label}: entityID verbatim"
    );
    assert_eq!(
        e.valid_until_raw.as_deref(),
        x["validUntil"].as_str(),
        "{label}: validUntil"
    );
    assert_eq!(
        e.cache_duration.as_deref(),
        x["cacheDuration"].as_str(),
        "{label}: cacheDuration"
    );
    assert_eq!(
        e.has_signature,
        x["has_Signature"].as_bool().unwrap(),
        "{label}: has_Signature"
    );
    let roles: Vec<&str> = x["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(e.roles, roles, "{label}: roles");
    {
        if let Some(xi) = x.get("idp").filter(|v| !v.is_null()) {
            let idp = e
                .idp
                .as_ref()
                .unwrap_or_else(|| panic!("{label}: no IdP role"));
            assert_eq!(
                idp.want_authn_requests_signed,
                opt_bool(&xi["WantAuthnRequestsSigned"]),
                "{label}"
            );
            assert_eq!(
                idp.protocol_support.join(" "),
                xi["protocolSupportEnumeration"]
                    .as_str()
                    .unwrap()
                    .split_ascii_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
                "{label}"
            );
            assert_eq!(
                endpoints(&idp.single_sign_on),
                expected_endpoints(&xi["SingleSignOnService"]),
                "{label}: SSO"
            );
            assert_eq!(
                endpoints(&idp.single_logout),
                expected_endpoints(&xi["SingleLogoutService"]),
                "{label}: SLO"
            );
            let nif: Vec<&str> = xi["NameIDFormat"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(idp.name_id_formats, nif, "{label}: NameIDFormat");
            assert_eq!(
                uses(&idp.keys),
                *xi["KeyDescriptor_use"].as_array().unwrap(),
                "{label}: KeyDescriptor use"
            );
            assert_eq!(
                idp.signing_certificates().count() as u64,
                xi["signing_certificate_count"].as_u64().unwrap(),
                "{label}"
            );
            let want: Vec<&str> = xi["signing_certificates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["sha256_fingerprint"].as_str().unwrap())
                .collect();
            assert_eq!(
                fingerprints(idp.signing_certificates()),
                want,
                "{label}: same DER"
            );
        }
    }
    if let Some(xs) = x.get("sp").filter(|v| !v.is_null()) {
        let sp =
            e.sp.as_ref()
                .unwrap_or_else(|| panic!("{label}: no SP role"));
        assert_eq!(
            sp.authn_requests_signed,
            opt_bool(&xs["AuthnRequestsSigned"]),
            "{label}"
        );
        assert_eq!(
            sp.want_assertions_signed,
            opt_bool(&xs["WantAssertionsSigned"]),
            "{label}"
        );
        let acs = xs["AssertionConsumerService"].as_array().unwrap();
        assert_eq!(sp.assertion_consumer.len(), acs.len(), "{label}: ACS count");
        for (a, w) in sp.assertion_consumer.iter().zip(acs) {
            assert_eq!(a.binding, w["Binding"].as_str().unwrap(), "{label}");
            assert_eq!(a.location, w["Location"].as_str().unwrap(), "{label}");
            assert_eq!(
                a.index.map(|i| i.to_string()),
                w["index"].as_str().map(str::to_string),
                "{label}: index"
            );
            assert_eq!(
                a.is_default,
                opt_bool(&w["isDefault"]),
                "{label}: isDefault"
            );
        }
        assert_eq!(
            endpoints(&sp.single_logout),
            expected_endpoints(&xs["SingleLogoutService"]),
            "{label}: SLO"
        );
        let nif: Vec<&str> = xs["NameIDFormat"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(sp.name_id_formats, nif, "{label}: NameIDFormat");
        assert_eq!(
            uses(&sp.keys),
            *xs["KeyDescriptor_use"].as_array().unwrap(),
            "{label}: KeyDescriptor use"
        );
        assert_eq!(
            sp.keys.iter().filter(|k| k.for_signing()).count() as u64,
            xs["signing_key_count"].as_u64().unwrap(),
            "{label}"
        );
        assert_eq!(
            sp.keys.iter().filter(|k| k.for_encryption()).count() as u64,
            xs["encryption_key_count"].as_u64().unwrap(),
            "{label}"
        );
        let want: Vec<&str> = xs["signing_certificates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["sha256_fingerprint"].as_str().unwrap())
            .collect();
        assert_eq!(
            fingerprints(sp.signing_certificates()),
            want,
            "{label}: same DER"
        );
        let names: Vec<&str> = xs["RequestedAttribute_names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            sp.requested_attributes
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>(),
            names,
            "{label}"
        );
    }
}

#[test]
fn every_metadata_file_parses_to_its_expected_values() {
    let now = datetime!(2026-11-22 00:00 UTC);
    let mut files = 0;
    for role in ["idp", "sp"] {
        for entry in std::fs::read_dir(corpus().join(role)).unwrap() {
            let dir = entry.unwrap().path();
            let label = format!("{role}/{}", dir.file_name().unwrap().to_string_lossy());
            let bytes = std::fs::read(dir.join("metadata.xml")).unwrap();
            let x: Value =
                serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
            let md = parse_metadata_document(&bytes).unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(
                md.root_element,
                x["root_element"].as_str().unwrap(),
                "{label}"
            );
            assert_eq!(
                md.entities.len() as u64,
                x["entity_count"].as_u64().unwrap(),
                "{label}"
            );
            if md.root_element == "EntitiesDescriptor" {
                assert_eq!(md.name.as_deref(), x["root_Name"].as_str(), "{label}");
                assert_eq!(
                    md.has_signature,
                    x["root_has_Signature"].as_bool().unwrap(),
                    "{label}"
                );
                let idps: Vec<&str> = md.saml2_idps().map(|e| e.entity_id.as_str()).collect();
                let want: Vec<&str> = x["saml2_idp_entities"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                assert_eq!(idps, want, "{label}: SAML 2.0 IdPs");
                let sps: Vec<&str> = md.saml2_sps().map(|e| e.entity_id.as_str()).collect();
                let want: Vec<&str> = x["saml2_sp_entities"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                assert_eq!(sps, want, "{label}: SAML 2.0 SPs");
                for (e, xe) in md.entities.iter().zip(x["entities"].as_array().unwrap()) {
                    check_entity(&format!("{label} {}", e.entity_id), e, xe);
                    let _ = lint_entity(e, now);
                }
            } else {
                let e = &md.entities[0];
                check_entity(&label, e, &x);
                let findings = lint_entity(e, now);
                let codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
                // Lint where the notes call for it.
                let notes = x["notes"].to_string();
                if notes.contains("expired certificate") || notes.contains("cert expired") {
                    assert!(codes.contains(&"cert-expired"), "{label}: {codes:?}");
                }
                if notes.contains("validUntil in the past")
                    || notes.contains("validUntil 20") && e.valid_until.is_some_and(|t| t < now)
                {
                    assert!(codes.contains(&"valid-until-past"), "{label}: {codes:?}");
                }
                if e.entity_id == "IdP Entity ID" {
                    assert!(codes.contains(&"entity-id-not-uri"), "{label}: {codes:?}");
                }
                let has_http = e
                    .idp
                    .iter()
                    .flat_map(|i| i.single_sign_on.iter())
                    .chain(e.sp.iter().flat_map(|s| s.assertion_consumer.iter()))
                    .any(|p| p.location.starts_with("http://"));
                assert_eq!(
                    codes.contains(&"http-endpoint"),
                    has_http,
                    "{label}: {codes:?}"
                );
                // An IdP import must be possible: a usable signing key, unless the file has none.
                if role == "idp" {
                    let usable = symbolon_saml::IdpTrust::from_entity(e).is_ok();
                    assert_eq!(
                        usable,
                        !codes.contains(&"no-signing-key"),
                        "{label}: {findings:?}"
                    );
                    assert!(
                        findings
                            .iter()
                            .all(|f| f.severity != Severity::Error || f.code == "no-signing-key"),
                        "{label}: {findings:?}"
                    );
                }
            }
            files += 1;
        }
    }
    assert_eq!(files, 26);
}
