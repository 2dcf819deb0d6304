//! `symbolon saml keygen | inspect | metadata ... | issue-response | check-request`, as processes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_symbolon"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = bin(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn keys(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/keys")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

/// A file of the repository's corpora (`testdata/corpus`).
fn corpus(p: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus");
    assert!(
        dir.is_dir(),
        "the corpora are missing at {}: they are part of the repository (git checkout testdata)",
        dir.display()
    );
    dir.join(p).to_str().unwrap().to_string()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn keygen_makes_usable_keys_and_refuses_to_overwrite() {
    for alg in ["rsa2048", "ec-p256"] {
        let dir = tempfile::tempdir().unwrap();
        let out = ok(&[
            "saml",
            "keygen",
            "--alg",
            alg,
            "--cn",
            "Acme IdP",
            "--days",
            "30",
            "--out",
            p(dir.path()),
        ]);
        assert!(out.contains("SHA-256 fingerprint"));
        let key = dir.path().join("key.pem");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let cert_pem = std::fs::read_to_string(dir.path().join("cert.pem")).unwrap();
        let cert = symbolon_dsig::PinnedCert::from_pem(&cert_pem).unwrap();
        assert!(cert.subject().contains("Acme IdP"));
        // The key signs, and the certificate verifies what it signs.
        let doc = r#"<r xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_x"><saml:Issuer>i</saml:Issuer><v>1</v></r>"#;
        let f = dir.path().join("doc.xml");
        std::fs::write(&f, doc).unwrap();
        let signed = ok(&[
            "saml",
            "sign",
            "--key",
            p(&key),
            "--cert",
            p(&dir.path().join("cert.pem")),
            "--id",
            "_x",
            p(&f),
        ]);
        let parsed = symbolon_xml::parse(&signed, &Default::default()).unwrap();
        symbolon_dsig::verify_enveloped(parsed.root_element(), &[cert], &Default::default())
            .unwrap();
        // Existing files are kept.
        let again = bin(&[
            "saml",
            "keygen",
            "--alg",
            alg,
            "--cn",
            "x",
            "--out",
            p(dir.path()),
        ]);
        assert_eq!(again.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    }
    assert_eq!(
        bin(&[
            "saml", "keygen", "--alg", "dsa", "--cn", "x", "--out", "/tmp/x"
        ])
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn metadata_lint_show_and_generate() {
    // Findings print; exit 0 when none is an error.
    let out = ok(&[
        "saml",
        "metadata",
        "lint",
        "--now",
        "2026-11-22T00:00:00Z",
        &corpus("metadata/idp/onelogin/metadata.xml"),
    ]);
    assert!(out.contains("cert-expired"), "{out}");
    // An IdP without a usable signing key is an error finding: exit 1.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("nokey.xml");
    std::fs::write(&f, r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://x.test"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://x.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#).unwrap();
    let out = bin(&["saml", "metadata", "lint", p(&f)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no-signing-key"));
    // Unparseable metadata: exit 1; unopenable: exit 2.
    std::fs::write(&f, "garbage").unwrap();
    assert_eq!(
        bin(&["saml", "metadata", "lint", p(&f)]).status.code(),
        Some(1)
    );
    assert_eq!(
        bin(&["saml", "metadata", "lint", "/nonexistent.xml"])
            .status
            .code(),
        Some(2)
    );

    // Generated IdP metadata (signed) shows the same values back and lints clean.
    let idp = ok(&[
        "saml",
        "metadata",
        "idp",
        "--entity-id",
        "https://idp.test/realms/r",
        "--sso-url",
        "https://idp.test/realms/r/protocol/saml",
        "--cert",
        &keys("idp-rsa.crt.pem"),
        "--cert",
        &keys("idp-rsa-next.crt.pem"),
        "--sign-key",
        &keys("idp-rsa.key.pem"),
    ]);
    let f = dir.path().join("idp.xml");
    std::fs::write(&f, &idp).unwrap();
    let shown: Value = serde_json::from_str(&ok(&["saml", "metadata", "show", p(&f)])).unwrap();
    let e = &shown["entities"][0];
    assert_eq!(e["entity_id"], "https://idp.test/realms/r");
    assert_eq!(
        e["idp"]["signing_certificates"].as_array().unwrap().len(),
        2
    );
    assert_eq!(e["idp"]["single_sign_on"].as_array().unwrap().len(), 2);
    let lint = ok(&["saml", "metadata", "lint", p(&f)]);
    assert!(!lint.contains("error"), "{lint}");

    let sp = ok(&[
        "saml",
        "metadata",
        "sp",
        "--entity-id",
        "https://sp.test",
        "--acs-url",
        "https://sp.test/acs",
        "--acs-url",
        "https://sp.test/acs2",
    ]);
    let f = dir.path().join("sp.xml");
    std::fs::write(&f, &sp).unwrap();
    let shown: Value = serde_json::from_str(&ok(&["saml", "metadata", "show", p(&f)])).unwrap();
    let acs = shown["entities"][0]["sp"]["assertion_consumer"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(acs[0]["is_default"], true);
    assert_eq!(acs[1]["location"], "https://sp.test/acs2");
}

#[test]
fn issue_check_inspect_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let sp = ok(&[
        "saml",
        "metadata",
        "sp",
        "--entity-id",
        "https://sp.test",
        "--acs-url",
        "https://sp.test/acs",
        "--cert",
        &keys("idp-rsa-next.crt.pem"),
    ]);
    let sp_md = dir.path().join("sp.xml");
    std::fs::write(&sp_md, sp).unwrap();
    let idp = ok(&[
        "saml",
        "metadata",
        "idp",
        "--entity-id",
        "https://idp.test",
        "--sso-url",
        "https://idp.test/sso",
        "--cert",
        &keys("idp-rsa.crt.pem"),
    ]);
    let idp_md = dir.path().join("idp.xml");
    std::fs::write(&idp_md, idp).unwrap();

    // The test IdP's response passes the SP validator.
    let b64 = ok(&[
        "saml",
        "issue-response",
        "--key",
        &keys("idp-rsa.key.pem"),
        "--cert",
        &keys("idp-rsa.crt.pem"),
        "--idp-entity-id",
        "https://idp.test",
        "--sp-metadata",
        p(&sp_md),
        "--name-id",
        "carol@example.test",
        "--attr",
        "groups=/a",
        "--attr",
        "groups=/b",
        "--base64",
    ]);
    let resp = dir.path().join("resp.b64");
    std::fs::write(&resp, b64.trim()).unwrap();
    let v: Value = serde_json::from_str(&ok(&[
        "saml",
        "verify-response",
        "--idp-metadata",
        p(&idp_md),
        "--sp-entity-id",
        "https://sp.test",
        "--acs-url",
        "https://sp.test/acs",
        p(&resp),
    ]))
    .unwrap();
    assert_eq!(v["name_id"], "carol@example.test");
    assert_eq!(v["attributes"]["groups"], serde_json::json!(["/a", "/b"]));

    // Inspect it as base64 and as a POST body, with a signature check.
    for input in [
        b64.trim().to_string(),
        format!(
            "SAMLResponse={}&RelayState=%2Fhome",
            b64.trim()
                .replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D")
        ),
    ] {
        let f = dir.path().join("in.txt");
        std::fs::write(&f, &input).unwrap();
        let out = ok(&[
            "saml",
            "inspect",
            "--summary",
            "--idp-metadata",
            p(&idp_md),
            p(&f),
        ]);
        assert!(out.contains("message:  Response"), "{out}");
        assert!(out.contains("name id:  carol@example.test"), "{out}");
        assert!(out.contains("signature on Assertion: verifies"), "{out}");
        assert!(out.contains("signature on Response: verifies"), "{out}");
    }
}

#[test]
fn inspect_redirect_url_and_check_request() {
    use symbolon_saml::binding::{MessageKind, encode_redirect};
    use symbolon_saml::messages::AuthnRequest;
    let dir = tempfile::tempdir().unwrap();
    let sp = ok(&[
        "saml",
        "metadata",
        "sp",
        "--entity-id",
        "https://sp.test",
        "--acs-url",
        "https://sp.test/acs",
        "--cert",
        &keys("idp-rsa-next.crt.pem"),
        "--authn-requests-signed",
    ]);
    let sp_md = dir.path().join("sp.xml");
    std::fs::write(&sp_md, sp).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let req = AuthnRequest::new(
        "_req9".into(),
        now,
        "https://sp.test",
        "https://idp.test/sso",
        "https://sp.test/acs",
    );
    let key = symbolon_dsig::SigningKey::from_pem(
        &std::fs::read_to_string(keys("idp-rsa-next.key.pem")).unwrap(),
        None,
    )
    .unwrap();
    let rng = symbolon_dsig::SystemRandom::new();
    let url = encode_redirect(
        "https://idp.test/sso",
        MessageKind::Request,
        req.to_xml().as_bytes(),
        Some("/after"),
        Some((&key, symbolon_dsig::SignatureAlgorithm::RsaSha256, &rng)),
    )
    .unwrap();

    let out = ok(&["saml", "inspect", "--sp-metadata", p(&sp_md), &url]);
    assert!(
        out.contains("message:  AuthnRequest (HTTP-Redirect (deflated))"),
        "{out}"
    );
    assert!(out.contains("relay:    /after"));
    assert!(
        out.contains("Redirect query signature: verifies (rsa-sha256)"),
        "{out}"
    );
    assert!(out.contains("<AuthnRequest"), "pretty-printed XML follows");

    let accepted: Value = serde_json::from_str(&ok(&[
        "saml",
        "check-request",
        "--sp-metadata",
        p(&sp_md),
        "--sso-url",
        "https://idp.test/sso",
        &url,
    ]))
    .unwrap();
    assert_eq!(accepted["id"], "_req9");
    assert_eq!(accepted["signed"], true);
    assert_eq!(accepted["acs_url"], "https://sp.test/acs");
    // The SP metadata says AuthnRequestsSigned: an unsigned request is refused.
    let unsigned = encode_redirect(
        "https://idp.test/sso",
        MessageKind::Request,
        req.to_xml().as_bytes(),
        None,
        None,
    )
    .unwrap();
    let out = bin(&[
        "saml",
        "check-request",
        "--sp-metadata",
        p(&sp_md),
        "--sso-url",
        "https://idp.test/sso",
        &unsigned,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not signed"));
}
