//! Replays the fuzz seeds and corpora (`fuzz/seeds/saml_*`, `fuzz/corpus/saml_*`) through the
//! fuzz targets' entry points: nothing may panic, and the seeds that are genuine responses are
//! still accepted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

/// Every file of `fuzz/<folder>/<target>`, sorted by name.
fn files(folder: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = common::repo().join("fuzz").join(folder).join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "empty {}", dir.display());
    out
}

fn all(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut v = files("seeds", target);
    // A target's corpus grows from its seeds; a new target may not have one yet.
    let corpus = common::repo().join("fuzz/corpus").join(target);
    if std::fs::read_dir(&corpus).is_ok_and(|mut d| d.next().is_some()) {
        v.extend(files("corpus", target));
    }
    v
}

#[test]
fn replay_saml_validate() {
    let idp = common::idp();
    let accepted: Vec<String> = files("seeds", "saml_validate")
        .into_iter()
        .filter(|(_, data)| symbolon_saml::fuzzing::validate(data, &idp))
        .map(|(name, _)| name)
        .collect();
    // The target's fixed settings accept exactly the fixture seeds (XML and base64).
    assert_eq!(
        accepted,
        [
            "fixture-signed-assertion.b64",
            "fixture-signed-assertion.xml"
        ]
    );
    for (_, data) in files("corpus", "saml_validate") {
        symbolon_saml::fuzzing::validate(&data, &idp);
    }
}

#[test]
fn replay_saml_metadata() {
    for (_, data) in all("saml_metadata") {
        symbolon_saml::fuzzing::metadata(&data);
    }
}

#[test]
fn replay_saml_redirect_and_authn_request() {
    let keys = vec![common::pinned("idp-rsa-next")];
    for (_, data) in all("saml_redirect") {
        symbolon_saml::fuzzing::redirect(&data, &keys);
    }
    for (_, data) in all("saml_authn_request") {
        symbolon_saml::fuzzing::authn_request(&data, &keys);
    }
}

#[test]
fn replay_saml_time() {
    let idp = common::idp();
    let signed = String::from_utf8(
        files("seeds", "saml_validate")
            .into_iter()
            .find(|(n, _)| n == "fixture-signed-assertion.xml")
            .unwrap()
            .1,
    )
    .unwrap();
    for (_, data) in all("saml_time") {
        symbolon_saml::fuzzing::timestamp(&data, &signed, &idp);
    }
}

#[test]
fn replay_saml_metadata_refresh() {
    for (_, data) in all("saml_metadata_refresh") {
        symbolon_saml::fuzzing::metadata_refresh(&data);
    }
}

#[test]
fn replay_saml_logout_redirect() {
    let keys = [common::pinned("idp-rsa")];
    for (_, data) in all("saml_logout_redirect") {
        symbolon_saml::fuzzing::logout_redirect(&data, &keys);
    }
}

#[test]
fn replay_saml_encrypted() {
    let idp = symbolon_saml::IdpSettings::new(
        "https://idp.example.test/realms/acme",
        vec![common::pinned("idp-rsa")],
    );
    let key =
        symbolon_dsig::enc::DecryptionKey::from_pem(&common::key_pem("idp-rsa-next")).unwrap();
    for (name, data) in all("saml_encrypted") {
        let accepted = symbolon_saml::fuzzing::encrypted(&data, &idp, &key);
        // The genuine seeds (from `symbolon saml issue-response --encrypt-to`) are accepted.
        assert_eq!(accepted, name.starts_with("encrypted-"), "{name}");
    }
}
