//! Known answers from OpenSSL (testdata/vectors.txt), round trips with aws-lc-rs for the pairs
//! it has, and every way a key or a ciphertext can be wrong.
use super::*;
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512,
    OaepAlgorithm, OaepPublicEncryptingKey, PrivateDecryptingKey,
};
use base64::Engine;

fn repo_file(path: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(path)).unwrap_or_default()
}

fn der(name: &str) -> Vec<u8> {
    let pem = repo_file(&format!("testdata/keys/{name}.key.pem"));
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap_or_default()
}

fn key(name: &str) -> PrivateKey {
    let Ok(k) = PrivateKey::from_pkcs8_der(&der(name)) else {
        unreachable!("test key {name} parses")
    };
    k
}

fn hex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    (0..s.len())
        .step_by(2)
        .filter_map(|i| s.get(i..i + 2))
        .filter_map(|b| u8::from_str_radix(b, 16).ok())
        .collect()
}

fn hash(s: &str) -> Hash {
    match s {
        "sha1" => Hash::Sha1,
        "sha256" => Hash::Sha256,
        "sha384" => Hash::Sha384,
        _ => Hash::Sha512,
    }
}

struct Vector {
    digest: Hash,
    mgf1: Hash,
    label: Vec<u8>,
    plain: Vec<u8>,
    cipher: Vec<u8>,
}

fn vectors() -> Vec<Vector> {
    repo_file("crates/oaep/testdata/vectors.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            Vector {
                digest: hash(f.first().copied().unwrap_or_default()),
                mgf1: hash(f.get(1).copied().unwrap_or_default()),
                label: hex(f.get(2).copied().unwrap_or_default()),
                plain: hex(f.get(3).copied().unwrap_or_default()),
                cipher: hex(f.get(4).copied().unwrap_or_default()),
            }
        })
        .collect()
}

#[test]
fn openssl_vectors_decrypt_with_every_digest_and_mgf_pair() {
    let k = key("idp-rsa-next");
    let vs = vectors();
    assert_eq!(vs.len(), 7);
    for v in &vs {
        assert_eq!(v.plain.len(), 32);
        assert_eq!(
            k.decrypt(v.digest, v.mgf1, &v.label, &v.cipher),
            Ok(v.plain.clone()),
            "{:?}/{:?}",
            v.digest,
            v.mgf1
        );
    }
    // The mixed pair aws-lc-rs lacks is among them.
    assert!(
        vs.iter()
            .any(|v| v.digest == Hash::Sha256 && v.mgf1 == Hash::Sha1 && v.label.is_empty())
    );
}

#[test]
fn any_other_parameter_fails_alike() {
    let k = key("idp-rsa-next");
    let all = [Hash::Sha1, Hash::Sha256, Hash::Sha384, Hash::Sha512];
    for v in vectors() {
        for d in all {
            for m in all {
                if (d, m) != (v.digest, v.mgf1) {
                    assert_eq!(k.decrypt(d, m, &v.label, &v.cipher), Err(Unspecified));
                }
            }
        }
        // Another label, a missing label, an added one.
        assert_eq!(
            k.decrypt(v.digest, v.mgf1, b"other", &v.cipher),
            Err(Unspecified)
        );
        if !v.label.is_empty() {
            assert_eq!(
                k.decrypt(v.digest, v.mgf1, b"", &v.cipher),
                Err(Unspecified)
            );
        }
        // Every byte flipped in turn (a sample: first, middle, last).
        for i in [0, v.cipher.len() / 2, v.cipher.len() - 1] {
            let mut c = v.cipher.clone();
            if let Some(b) = c.get_mut(i) {
                *b ^= 0x01;
            }
            assert_eq!(k.decrypt(v.digest, v.mgf1, &v.label, &c), Err(Unspecified));
        }
        // Wrong lengths, and another key.
        let short = v.cipher.get(1..).unwrap_or_default();
        assert_eq!(
            k.decrypt(v.digest, v.mgf1, &v.label, short),
            Err(Unspecified)
        );
        let mut long = v.cipher.clone();
        long.push(0);
        assert_eq!(
            k.decrypt(v.digest, v.mgf1, &v.label, &long),
            Err(Unspecified)
        );
        assert_eq!(
            key("idp-rsa").decrypt(v.digest, v.mgf1, &v.label, &v.cipher),
            Err(Unspecified)
        );
    }
    // A label over the limit is refused before any private-key work.
    for v in vectors().iter().take(1) {
        assert_eq!(
            k.decrypt(v.digest, v.mgf1, &[0u8; MAX_LABEL + 1], &v.cipher),
            Err(Unspecified)
        );
    }
}

#[test]
fn matched_pairs_round_trip_with_aws_lc_rs() {
    let d = der("idp-rsa-next");
    let Ok(private) = PrivateDecryptingKey::from_pkcs8(&d) else {
        unreachable!("aws-lc-rs parses the key")
    };
    let Ok(public) = OaepPublicEncryptingKey::new(private.public_key()) else {
        unreachable!("an RSA public key")
    };
    let ours = key("idp-rsa-next");
    let pairs: [(&'static OaepAlgorithm, Hash); 4] = [
        (&OAEP_SHA1_MGF1SHA1, Hash::Sha1),
        (&OAEP_SHA256_MGF1SHA256, Hash::Sha256),
        (&OAEP_SHA384_MGF1SHA384, Hash::Sha384),
        (&OAEP_SHA512_MGF1SHA512, Hash::Sha512),
    ];
    for (alg, h) in pairs {
        for label in [&b""[..], b"label"] {
            let plain = [7u8; 32];
            let mut ct = vec![0u8; public.ciphertext_size()];
            let Ok(c) = public.encrypt(alg, &plain, &mut ct, (!label.is_empty()).then_some(label))
            else {
                unreachable!("aws-lc-rs encrypts")
            };
            assert_eq!(ours.decrypt(h, h, label, c), Ok(plain.to_vec()), "{h:?}");
        }
    }
    assert_eq!(ours.size(), public.ciphertext_size());
}

#[test]
fn keys_that_are_not_usable_rsa_are_refused() {
    // EC keys, a 1024-bit RSA key, trailing bytes, truncation, nothing.
    assert!(PrivateKey::from_pkcs8_der(&der("idp-ec-p256")).is_err());
    assert!(PrivateKey::from_pkcs8_der(&der("weak-rsa1024")).is_err());
    let mut trailing = der("idp-rsa");
    trailing.push(0);
    assert!(PrivateKey::from_pkcs8_der(&trailing).is_err());
    let d = der("idp-rsa");
    assert!(PrivateKey::from_pkcs8_der(d.get(..d.len() - 1).unwrap_or_default()).is_err());
    assert!(PrivateKey::from_pkcs8_der(&[]).is_err());
    assert!(PrivateKey::from_pkcs8_der(&d).is_ok());
    assert_eq!(key("idp-rsa").size(), 256);
}

#[test]
fn a_key_is_shared_between_threads() {
    let k = std::sync::Arc::new(key("idp-rsa-next"));
    let vs = std::sync::Arc::new(vectors());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (k, vs) = (k.clone(), vs.clone());
            std::thread::spawn(move || {
                (0..10).all(|_| {
                    vs.iter().all(|v| {
                        k.decrypt(v.digest, v.mgf1, &v.label, &v.cipher) == Ok(v.plain.clone())
                    })
                })
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().ok(), Some(true));
    }
}
