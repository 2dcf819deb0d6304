//! Replays the fuzz corpora (`fuzz/corpus/saml_*`) through the fuzz targets' entry points: nothing
//! may panic, and the seeds that are genuine responses are still accepted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

fn corpus(name: &str) -> Vec<(String, Vec<u8>)> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(name);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "empty corpus at {}", dir.display());
    out
}

#[test]
fn replay_saml_validate_corpus() {
    let idp = common::idp();
    let mut accepted = Vec::new();
    for (name, data) in corpus("saml_validate") {
        if symbolon_saml::fuzzing::validate(&data, &idp) {
            accepted.push(name);
        }
    }
    // The fuzz target's fixed settings accept exactly the fixture seeds (XML and base64).
    assert!(
        accepted.contains(&"fixture-signed-assertion.xml".to_string()),
        "{accepted:?}"
    );
    assert!(
        accepted.contains(&"fixture-signed-assertion.b64".to_string()),
        "{accepted:?}"
    );
}

#[test]
fn replay_saml_metadata_corpus() {
    for (_, data) in corpus("saml_metadata") {
        symbolon_saml::fuzzing::metadata(&data);
    }
}

#[test]
fn replay_saml_redirect_and_authn_request_corpora() {
    let keys = vec![common::pinned("idp-rsa-next")];
    for (_, data) in corpus("saml_redirect") {
        symbolon_saml::fuzzing::redirect(&data, &keys);
    }
    for (_, data) in corpus("saml_authn_request") {
        symbolon_saml::fuzzing::authn_request(&data, &keys);
    }
}
