//! One RSA-OAEP unwrap of a 32-byte key (3072-bit key: testdata idp-rsa-next), aws-lc-rs against this crate for the
//! same matched pair, and this crate for the mixed pair aws-lc-rs lacks. They make the same
//! AWS-LC calls, so they should cost the same. `cargo bench -p symbolon-oaep --bench oaep`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use aws_lc_rs::rsa::{
    OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
};
use base64::Engine;
use criterion::{Criterion, criterion_group, criterion_main};
use symbolon_oaep::{Hash, PrivateKey};

fn der() -> Vec<u8> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let pem = std::fs::read_to_string(root.join("testdata/keys/idp-rsa-next.key.pem")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

fn vector(digest: &str, mgf: &str) -> Vec<u8> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("testdata/vectors.txt")).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{digest} {mgf} - ")))
        .unwrap();
    let hex = line.split(' ').nth(4).unwrap();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn bench(c: &mut Criterion) {
    let der = der();
    let ours = PrivateKey::from_pkcs8_der(&der).unwrap();
    let private = PrivateDecryptingKey::from_pkcs8(&der).unwrap();
    let public = OaepPublicEncryptingKey::new(private.public_key()).unwrap();
    let theirs = OaepPrivateDecryptingKey::new(private).unwrap();
    let mut matched = vec![0u8; public.ciphertext_size()];
    let matched = public
        .encrypt(&OAEP_SHA256_MGF1SHA256, &[7u8; 32], &mut matched, None)
        .unwrap()
        .to_vec();
    let mixed = vector("sha256", "sha1");
    let mut g = c.benchmark_group("oaep_unwrap_3072");
    // Interleaved by criterion's order: the two implementations of one pair side by side.
    g.bench_function("aws-lc-rs_sha256_mgf1sha256", |b| {
        let mut out = vec![0u8; theirs.min_output_size()];
        b.iter(|| {
            theirs
                .decrypt(&OAEP_SHA256_MGF1SHA256, &matched, &mut out, None)
                .unwrap()
                .len()
        })
    });
    g.bench_function("symbolon-oaep_sha256_mgf1sha256", |b| {
        b.iter(|| {
            ours.decrypt(Hash::Sha256, Hash::Sha256, b"", &matched)
                .unwrap()
        })
    });
    g.bench_function("symbolon-oaep_sha256_mgf1sha1", |b| {
        b.iter(|| ours.decrypt(Hash::Sha256, Hash::Sha1, b"", &mixed).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
