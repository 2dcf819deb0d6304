//! Validation and signing throughput. `cargo bench -p symbolon-saml --bench saml`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use symbolon_dsig::{SignOptions, SystemRandom, VerifyPolicy, sign_enveloped, verify_enveloped};
use symbolon_saml::{Expectation, IdpTrust, SpSettings};
use symbolon_xml::{C14nOptions, Limits};

/// A typical ~5 KB response: the fixture with a realistic attribute set, Assertion signed (RSA-2048).
fn typical() -> String {
    let attrs: String = [
        ("email", "alice@example.test"),
        ("firstName", "Alice"),
        ("lastName", "Liddell"),
        ("displayName", "Alice Liddell"),
        ("locale", "en-GB"),
        ("timezone", "Europe/London"),
        ("department", "Engineering"),
        ("employeeNumber", "000142"),
    ]
    .iter()
    .map(|(n, v)| format!(r#"<saml:Attribute Name="{n}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue>{v}</saml:AttributeValue></saml:Attribute>"#))
    .chain((0..2).map(|i| format!(r#"<saml:Attribute Name="groups" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue>/org/eng/team-{i}</saml:AttributeValue></saml:Attribute>"#)))
    .collect();
    Fixture {
        attributes: attrs,
        ..Fixture::default()
    }
    .signed_assertion()
}

fn bench(c: &mut Criterion) {
    let xml = typical();
    let idp = idp();
    let sp = sp();
    let expect = Expectation::at(NOW);
    let limits = Limits::default();

    let mut g = c.benchmark_group("validate");
    g.throughput(Throughput::Elements(1));
    g.bench_function(format!("typical_response_{}_bytes", xml.len()), |b| {
        b.iter(|| {
            symbolon_saml::validate_response_xml(xml.as_bytes(), &limits, &idp, &sp, &expect)
                .unwrap()
        })
    });

    // The same response with its assertion encrypted to the SP (AES-256-GCM, RSA-OAEP to a
    // 2048-bit key): one RSA private-key operation more per response.
    {
        use symbolon_dsig::enc::{DecryptPolicy, DecryptionKey, EncryptOptions, EncryptionCert};
        let cert = symbolon_dsig::pem_blocks(&cert_pem("idp-rsa-next"))
            .remove(0)
            .1;
        let to = EncryptionCert::from_der(&cert).unwrap();
        let assertion_id = xml
            .split("<saml:Assertion ")
            .nth(1)
            .and_then(|s| s.split("ID=\"").nth(1))
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_string();
        let encrypted = symbolon_saml::encrypted::encrypt_assertion(
            &xml,
            &assertion_id,
            &to,
            &EncryptOptions::default(),
            &SystemRandom::new(),
        )
        .unwrap();
        let key = DecryptionKey::from_pem(&key_pem("idp-rsa-next")).unwrap();
        let policy = DecryptPolicy::default();
        g.bench_function(
            format!("typical_encrypted_{}_bytes", encrypted.len()),
            |b| {
                b.iter(|| {
                    symbolon_saml::encrypted::validate_any(
                        encrypted.as_bytes(),
                        &limits,
                        Some((&key, &policy)),
                        &idp,
                        &sp,
                        &expect,
                    )
                    .unwrap()
                })
            },
        );
    }

    // The real recordings from the repository's corpus (each at its recorded instant).
    let corpus = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/corpus/real-idps/assertions");
    for name in ["adfs", "google", "jumpcloud", "okta", "ping"] {
        let dir = corpus.join(name);
        let (Ok(resp), Ok(meta), Ok(params)) = (
            std::fs::read(dir.join("assertion.xml")),
            std::fs::read(dir.join("metadata.xml")),
            std::fs::read_to_string(dir.join("params.json")),
        ) else {
            continue;
        };
        let field = |k: &str| {
            params
                .split(&format!("\"{k}\": \""))
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap()
                .to_string()
        };
        let text = String::from_utf8_lossy(&resp).to_string();
        let acs = text
            .split("Destination=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_string();
        let trust = IdpTrust::from_metadata(&meta, None).unwrap();
        let rec_idp = symbolon_saml::IdpSettings::new(trust.entity_id, trust.certs);
        let rec_sp = SpSettings {
            entity_id: field("sp_entity_id"),
            acs_url: acs,
        };
        let now = symbolon_saml::time::parse_instant(&field("now")).unwrap();
        symbolon_saml::validate_response_xml(
            &resp,
            &limits,
            &rec_idp,
            &rec_sp,
            &Expectation::at(now),
        )
        .unwrap();
        g.bench_function(format!("{name}_recording_{}_bytes", resp.len()), |b| {
            b.iter(|| {
                symbolon_saml::validate_response_xml(
                    &resp,
                    &limits,
                    &rec_idp,
                    &rec_sp,
                    &Expectation::at(now),
                )
                .unwrap()
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("parts");
    g.bench_function("parse", |b| {
        b.iter(|| symbolon_xml::parse(&xml, &limits).unwrap())
    });
    let doc = symbolon_xml::parse(&xml, &limits).unwrap();
    let assertion = doc
        .descendants()
        .find(|n| n.attribute("ID") == Some("_assertion-1"))
        .unwrap();
    g.bench_function("exc_c14n_assertion", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(xml.len());
            symbolon_xml::canonicalize(assertion, &C14nOptions::default(), &mut out);
            out
        })
    });
    let keys = idp.certs.clone();
    g.bench_function("verify_signature", |b| {
        b.iter(|| verify_enveloped(assertion, &keys, &VerifyPolicy::default()).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("sign");
    let unsigned = Fixture::default().xml();
    let key = signing_key("idp-rsa");
    let opts = SignOptions::for_key(&key);
    let rng = SystemRandom::new();
    g.throughput(Throughput::Elements(1));
    g.bench_function("sign_assertion_rsa2048", |b| {
        b.iter(|| sign_enveloped(&unsigned, "_assertion-1", &key, &opts, &rng).unwrap())
    });
    let ec = signing_key("idp-ec-p256");
    let ec_opts = SignOptions::for_key(&ec);
    g.bench_function("sign_assertion_ecdsa_p256", |b| {
        b.iter(|| sign_enveloped(&unsigned, "_assertion-1", &ec, &ec_opts, &rng).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
