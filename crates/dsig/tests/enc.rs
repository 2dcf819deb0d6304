//! XML Encryption key transport with the OAEP digest and MGF1 hash named apart: keys wrapped by
//! OpenSSL (`crates/oaep/testdata/vectors.txt`, made with Python's `cryptography`) unwrap
//! through `decrypt_element`, whichever of aws-lc-rs and symbolon-oaep does the work.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use base64::Engine;
use std::path::PathBuf;
use symbolon_dsig::enc::{DataAlgorithm, DecryptPolicy, DecryptionKey, EncError, decrypt_element};
use symbolon_xml::{Limits, parse};

fn repo(path: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(path)).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

const DIGESTS: [(&str, &str); 4] = [
    ("sha1", "http://www.w3.org/2000/09/xmldsig#sha1"),
    ("sha256", "http://www.w3.org/2001/04/xmlenc#sha256"),
    ("sha384", "http://www.w3.org/2001/04/xmldsig-more#sha384"),
    ("sha512", "http://www.w3.org/2001/04/xmlenc#sha512"),
];

fn uri(name: &str) -> &'static str {
    DIGESTS.iter().find(|(n, _)| *n == name).unwrap().1
}

/// An `EncryptedData` of `secret` under the vector's 32-byte key, the key wrapped as the vector
/// says, the MGF written as `mgf` (`None`: no MGF element, the default MGF1-SHA1).
fn encrypted_data(line: &str, mgf: Option<&str>, method: &str) -> String {
    let f: Vec<&str> = line.split(' ').collect();
    let (digest, label, cek, wrapped) = (f[0], hex(f[2]), hex(f[3]), hex(f[4]));
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).unwrap());
    let iv = [9u8; 12];
    let mut body = b"<secret>attack at dawn</secret>".to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut body)
        .unwrap();
    let mut data = iv.to_vec();
    data.extend_from_slice(&body);
    let mgf = mgf
        .map(|m| {
            format!(
                "<xenc11:MGF xmlns:xenc11=\"http://www.w3.org/2009/xmlenc11#\" Algorithm=\"http://www.w3.org/2009/xmlenc11#mgf1{m}\"/>"
            )
        })
        .unwrap_or_default();
    let params = if label.is_empty() {
        String::new()
    } else {
        format!("<xenc:OAEPparams>{}</xenc:OAEPparams>", b64(&label))
    };
    format!(
        "<xenc:EncryptedData xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" Type=\"http://www.w3.org/2001/04/xmlenc#Element\"><xenc:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#aes256-gcm\"/><ds:KeyInfo><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm=\"{method}\"><ds:DigestMethod Algorithm=\"{}\"/>{mgf}{params}</xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>",
        uri(digest),
        b64(&wrapped),
        b64(&data)
    )
}

const RSA_OAEP: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
const MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";

fn decrypt(xml: &str) -> Result<Vec<u8>, EncError> {
    let doc = parse(xml, &Limits::default()).unwrap();
    let key = DecryptionKey::from_pem(&repo("testdata/keys/idp-rsa-next.key.pem")).unwrap();
    decrypt_element(doc.root_element(), &[], &key, &DecryptPolicy::default()).map(|(plain, alg)| {
        assert_eq!(alg, DataAlgorithm::Aes256Gcm);
        plain
    })
}

fn vectors() -> Vec<String> {
    repo("crates/oaep/testdata/vectors.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_digest_and_mgf_pairing_from_openssl_decrypts() {
    let mut mixed = 0;
    for line in vectors() {
        let f: Vec<&str> = line.split(' ').collect();
        let xml = encrypted_data(&line, Some(f[1]), RSA_OAEP);
        assert_eq!(
            decrypt(&xml).as_deref(),
            Ok(&b"<secret>attack at dawn</secret>"[..]),
            "{line}"
        );
        if f[0] != f[1] {
            mixed += 1;
        }
    }
    assert!(mixed >= 4);
}

#[test]
fn no_mgf_element_means_mgf1_sha1() {
    // XML Encryption 1.1 5.5.2: what Keycloak and OpenSAML send for RSA-OAEP with SHA-256.
    let sha256_sha1 = vectors()
        .into_iter()
        .find(|l| l.starts_with("sha256 sha1 - "))
        .unwrap();
    assert!(decrypt(&encrypted_data(&sha256_sha1, None, RSA_OAEP)).is_ok());
    // rsa-oaep-mgf1p is MGF1-SHA1 by name, with the digest its DigestMethod says.
    assert!(decrypt(&encrypted_data(&sha256_sha1, None, MGF1P)).is_ok());
    // ...and it may not name an MGF.
    assert!(matches!(
        decrypt(&encrypted_data(&sha256_sha1, Some("sha1"), MGF1P)),
        Err(EncError::Malformed(_))
    ));
    // Named as MGF1-SHA256 when it was SHA-1: the one undecryptable error, as for a wrong key.
    assert_eq!(
        decrypt(&encrypted_data(&sha256_sha1, Some("sha256"), RSA_OAEP)),
        Err(EncError::Undecryptable)
    );
}

#[test]
fn labels_and_unknown_hashes() {
    let labelled = vectors()
        .into_iter()
        .find(|l| l.split(' ').nth(2) != Some("-"))
        .unwrap();
    let mgf = labelled.split(' ').nth(1).unwrap().to_string();
    let good = encrypted_data(&labelled, Some(&mgf), RSA_OAEP);
    assert!(decrypt(&good).is_ok());
    // The label changed or dropped: undecryptable, alike.
    let start = good.find("<xenc:OAEPparams>").unwrap();
    let end = good.find("</xenc:OAEPparams>").unwrap() + "</xenc:OAEPparams>".len();
    let dropped = format!("{}{}", &good[..start], &good[end..]);
    assert_eq!(decrypt(&dropped), Err(EncError::Undecryptable));
    let other = good.replacen(
        &good[start..end],
        "<xenc:OAEPparams>b3RoZXI=</xenc:OAEPparams>",
        1,
    );
    assert_eq!(decrypt(&other), Err(EncError::Undecryptable));
    // A label that is not base64, or longer than 1 KiB: malformed, before any key work.
    let junk = good.replacen(
        &good[start..end],
        "<xenc:OAEPparams>!!</xenc:OAEPparams>",
        1,
    );
    assert!(matches!(decrypt(&junk), Err(EncError::Malformed(_))));
    let long = good.replacen(
        &good[start..end],
        &format!("<xenc:OAEPparams>{}</xenc:OAEPparams>", b64(&[0u8; 1025])),
        1,
    );
    assert!(matches!(decrypt(&long), Err(EncError::Malformed(_))));
    // Hashes outside SHA-1/256/384/512 are refused by name.
    for (from, to) in [
        ("#mgf1", "#mgf1sha224\" x=\""),
        (
            "http://www.w3.org/2001/04/xmlenc#sha256",
            "http://www.w3.org/2001/04/xmldsig-more#md5",
        ),
    ] {
        let line = vectors()
            .into_iter()
            .find(|l| l.starts_with("sha256 sha1 - "))
            .unwrap();
        let xml = encrypted_data(&line, Some("sha1"), RSA_OAEP).replacen(from, to, 1);
        assert!(
            matches!(decrypt(&xml), Err(EncError::UnsupportedKeyTransport(ref m)) if m.contains("md5") || m.contains("sha224")),
            "{:?}",
            decrypt(&xml)
        );
    }
}
