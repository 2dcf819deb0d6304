//! The exact contract of `symbolon saml verify-response`, run as a process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use serde_json::Value;

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

struct Case {
    metadata: PathBuf,
    assertion: PathBuf,
    sp: String,
    acs: String,
    now: String,
}

fn case(name: &str) -> Case {
    let dir = corpus().join(name);
    let params: Value =
        serde_json::from_slice(&std::fs::read(dir.join("params.json")).unwrap()).unwrap();
    let text =
        String::from_utf8_lossy(&std::fs::read(dir.join("assertion.xml")).unwrap()).to_string();
    let acs = text
        .split("Destination=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("http://localhost:8080")
        .to_string();
    Case {
        metadata: dir.join("metadata.xml"),
        assertion: dir.join("assertion.xml"),
        sp: params["sp_entity_id"].as_str().unwrap().into(),
        acs,
        now: params["now"].as_str().unwrap().into(),
    }
}

fn verify(c: &Case, input: &str, extra: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_symbolon"));
    cmd.args(["saml", "verify-response", "--idp-metadata"])
        .arg(&c.metadata)
        .args([
            "--sp-entity-id",
            &c.sp,
            "--acs-url",
            &c.acs,
            "--now",
            &c.now,
        ])
        .args(extra)
        .arg(input)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(data) = stdin {
        child.stdin.take().unwrap().write_all(data).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn rejected(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout={} stderr={}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "nothing on stdout when rejected");
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line on stderr: {err:?}"
    );
    err
}

#[test]
fn accepted_corpus_prints_exactly_one_json_object() {
    for idp in ["adfs", "google", "jumpcloud", "okta", "ping"] {
        let c = case(&format!("assertions/{idp}"));
        let out = verify(&c, path(&c.assertion), &[], None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{idp}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.trim_end().lines().count(), 1);
        let v: Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "issuer",
                "name_id",
                "name_id_format",
                "session_index",
                "assertion_id",
                "not_on_or_after",
                "attributes"
            ]
        );
        let expected: Value = serde_json::from_slice(
            &std::fs::read(corpus().join(format!("assertions/{idp}/expected.json"))).unwrap(),
        )
        .unwrap();
        for k in ["issuer", "name_id", "assertion_id", "attributes"] {
            assert_eq!(v[k], expected[k], "{idp}: {k}");
        }
        assert!(v["not_on_or_after"].as_str().unwrap().ends_with('Z'));
        assert!(v["name_id_format"].is_string() || v["name_id_format"].is_null());
    }
}

#[test]
fn okta_values_in_full() {
    let c = case("assertions/okta");
    let out = verify(&c, path(&c.assertion), &[], None);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["name_id_format"],
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    );
    assert_eq!(v["session_index"], "id1714077115304.328863927");
    assert_eq!(v["not_on_or_after"], "2024-04-25T20:36:55.494Z");
}

#[test]
fn every_bad_case_is_exit_1_with_one_line() {
    for name in std::fs::read_dir(corpus().join("bad-assertions")).unwrap() {
        let name = format!(
            "bad-assertions/{}",
            name.unwrap().file_name().into_string().unwrap()
        );
        let c = case(&name);
        rejected(&verify(&c, path(&c.assertion), &[], None));
    }
    let c = case("policy-rejects/keycloak-no-authn-statement");
    let err = rejected(&verify(&c, path(&c.assertion), &[], None));
    assert!(err.contains("AuthnStatement"), "{err}");
}

#[test]
fn base64_input_as_a_browser_posts_it() {
    let c = case("assertions/okta");
    let xml = std::fs::read(&c.assertion).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&xml);
    let dir = tempfile::tempdir().unwrap();
    // Wrapped at 76 columns with CRLF, surrounded by whitespace: accepted.
    let wrapped: String = b64
        .as_bytes()
        .chunks(76)
        .map(|l| format!("{}\r\n", std::str::from_utf8(l).unwrap()))
        .collect();
    let f = dir.path().join("b64.txt");
    std::fs::write(&f, format!("\n  {wrapped}\n")).unwrap();
    assert_eq!(verify(&c, path(&f), &[], None).status.code(), Some(0));
    // From standard input.
    assert_eq!(
        verify(&c, "-", &[], Some(b64.as_bytes())).status.code(),
        Some(0)
    );
    // XML with a BOM and leading whitespace, from standard input.
    let mut bom = b"\xEF\xBB\xBF\n ".to_vec();
    bom.extend_from_slice(&xml);
    assert_eq!(verify(&c, "-", &[], Some(&bom)).status.code(), Some(0));
    // Padding missing, URL-encoded, URL-safe alphabet, trailing garbage: exit 1.
    assert!(b64.ends_with('='), "the okta response's base64 is padded");
    for bad in [
        b64.trim_end_matches('=').to_string(),
        b64.replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D"),
        b64.replace('+', "-").replace('/', "_"),
        format!("{b64}&RelayState=x"),
        format!("{b64}AAAA"),
    ] {
        rejected(&verify(&c, "-", &[], Some(bad.as_bytes())));
    }
}

#[test]
fn in_response_to_contract() {
    let c = case("assertions/okta");
    // Okta's response is unsolicited: asking for a request ID rejects it.
    rejected(&verify(
        &c,
        path(&c.assertion),
        &["--in-response-to", "_req-1"],
        None,
    ));
}

#[test]
fn exit_2_only_for_flags_and_unopenable_paths() {
    let c = case("assertions/okta");
    assert_eq!(
        verify(&c, "/nonexistent/response.xml", &[], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        verify(&c, path(&c.assertion), &["--now", "yesterday"], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        verify(&c, path(&c.assertion), &["--bogus-flag"], None)
            .status
            .code(),
        Some(2)
    );
    let missing = Command::new(env!("CARGO_BIN_EXE_symbolon"))
        .args([
            "saml",
            "verify-response",
            "--idp-metadata",
            path(&c.metadata),
            path(&c.assertion),
        ])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let no_meta = Case {
        metadata: PathBuf::from("/nonexistent/idp.xml"),
        ..case("assertions/okta")
    };
    assert_eq!(
        verify(&no_meta, path(&c.assertion), &[], None)
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn bad_metadata_content_is_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let c = case("assertions/okta");
    let okta_meta = std::fs::read_to_string(&c.metadata).unwrap();
    for (name, content) in [
        ("garbage.xml", "not xml at all".to_string()),
        (
            "nokey.xml",
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/exkdoocxa1VmjpXmX697"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>"#.to_string(),
        ),
        ("dtd.xml", format!("<!DOCTYPE x>{}", okta_meta.replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", ""))),
        ("empty.xml", String::new()),
    ] {
        let f = dir.path().join(name);
        std::fs::write(&f, content).unwrap();
        let bad = Case { metadata: f, ..case("assertions/okta") };
        rejected(&verify(&bad, path(&c.assertion), &[], None));
    }
}

#[test]
fn aggregate_metadata_picks_the_issuer_entity() {
    let c = case("assertions/okta");
    let okta = std::fs::read_to_string(&c.metadata)
        .unwrap()
        .replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "");
    let other = std::fs::read_to_string(case("assertions/google").metadata).unwrap();
    let other = match other.split_once("?>") {
        Some((_, rest)) if other.starts_with("<?xml") => rest.to_string(),
        _ => other,
    };
    let agg = format!(
        r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" Name="fed">{other}{okta}</md:EntitiesDescriptor>"#
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("agg.xml");
    std::fs::write(&f, agg).unwrap();
    let with_agg = Case {
        metadata: f.clone(),
        ..case("assertions/okta")
    };
    let out = verify(&with_agg, path(&c.assertion), &[], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The Google response against the same aggregate picks Google's entity.
    let g = case("assertions/google");
    let with_agg = Case {
        metadata: f,
        ..case("assertions/google")
    };
    assert_eq!(
        verify(&with_agg, path(&g.assertion), &[], None)
            .status
            .code(),
        Some(0)
    );
}

/// Issue 14: on the review's inputs (instants past year 9999 in UTC in the envelope, in
/// NotOnOrAfter, in `--now`, in metadata validUntil; non-NCName IDs; bounded PrefixLists) the
/// tool exits 0, 1 or 2, never 101 (a panic).
#[test]
fn extreme_inputs_exit_0_1_or_2() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::temp_dir().join(format!("symbolon-extreme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let md = |valid_until: &str| {
        let pem = std::fs::read_to_string(root.join("testdata/keys/idp-rsa.crt.pem")).unwrap();
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let p = dir.join(format!("md-{}.xml", valid_until.len()));
        std::fs::write(
            &p,
            format!(
                r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.test/realms/acme"{valid_until}><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#
            ),
        )
        .unwrap();
        p
    };
    let metadata = [md(""), md(r#" validUntil="9999-12-31T23:59:59-01:00""#)];
    let mut inputs: Vec<PathBuf> = ["saml_validate", "sp_acs"]
        .iter()
        .flat_map(|t| std::fs::read_dir(root.join("fuzz/seeds").join(t)).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    inputs.sort();
    for m in &metadata {
        for input in &inputs {
            for now in [
                "2025-01-01T12:00:00Z",
                "9999-12-31T23:59:59Z",
                "9999-12-31T23:59:59-01:00",
            ] {
                let out = Command::new(env!("CARGO_BIN_EXE_symbolon"))
                    .args(["saml", "verify-response", "--idp-metadata"])
                    .arg(m)
                    .args([
                        "--sp-entity-id",
                        "https://sp.example.test/saml/metadata",
                        "--acs-url",
                        "https://sp.example.test/saml/acs",
                        "--now",
                        now,
                    ])
                    .arg(input)
                    .output()
                    .unwrap();
                let code = out.status.code();
                assert!(
                    matches!(code, Some(0..=2)),
                    "{} at {now}: {code:?} {}",
                    input.display(),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
