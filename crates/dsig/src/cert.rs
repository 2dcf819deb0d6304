//! Certificates pinned from configuration (IdP metadata). Only their public keys are trusted;
//! nothing about a certificate found in a message is.

use std::sync::Arc;

use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};
use x509_parser::oid_registry;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::alg::{SignatureAlgorithm, decode_base64};

/// The kind and size of a pinned public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa { bits: usize },
    EcP256,
    EcP384,
    EcP521,
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyKind::Rsa { bits } => write!(f, "RSA {bits}"),
            KeyKind::EcP256 => f.write_str("EC P-256"),
            KeyKind::EcP384 => f.write_str("EC P-384"),
            KeyKind::EcP521 => f.write_str("EC P-521"),
        }
    }
}

/// Why a certificate cannot be pinned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error("certificate is not valid base64")]
    Base64,
    #[error("certificate does not parse as X.509: {0}")]
    Der(String),
    #[error("certificate key type is not supported (RSA or EC P-256/P-384/P-521 only)")]
    UnsupportedKey,
    #[error("RSA key of {0} bits is too small (at least 2048)")]
    RsaTooSmall(usize),
}

#[derive(Debug)]
struct Inner {
    der: Vec<u8>,
    kind: KeyKind,
    subject: String,
    not_before: i64,
    not_after: i64,
    /// One pre-parsed key per allowed algorithm for this key type.
    keys: Vec<(SignatureAlgorithm, ParsedPublicKey)>,
}

/// A pinned signing certificate. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PinnedCert(Arc<Inner>);

fn rsa_bits(modulus: &[u8]) -> usize {
    let trimmed: &[u8] = match modulus.iter().position(|b| *b != 0) {
        Some(i) => modulus.get(i..).unwrap_or_default(),
        None => &[],
    };
    match trimmed.first() {
        Some(first) => trimmed.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

impl PinnedCert {
    /// From the base64 text of an `X509Certificate` element (whitespace allowed).
    pub fn from_base64(text: &str) -> Result<Self, CertError> {
        let der = decode_base64(text).ok_or(CertError::Base64)?;
        Self::from_der(&der)
    }

    /// From a PEM file's first CERTIFICATE block.
    pub fn from_pem(text: &str) -> Result<Self, CertError> {
        let der = crate::pem::pem_blocks(text)
            .into_iter()
            .find(|(label, _)| label == "CERTIFICATE")
            .map(|(_, der)| der)
            .ok_or(CertError::Base64)?;
        Self::from_der(&der)
    }

    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let (_, cert) =
            X509Certificate::from_der(der).map_err(|e| CertError::Der(e.to_string()))?;
        let spki = cert.public_key();
        let alg_oid = &spki.algorithm.algorithm;
        let (kind, algs): (
            KeyKind,
            &[(SignatureAlgorithm, &'static dyn VerificationAlgorithm)],
        ) = if *alg_oid == oid_registry::OID_PKCS1_RSAENCRYPTION {
            let bits = match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => rsa_bits(rsa.modulus),
                _ => return Err(CertError::UnsupportedKey),
            };
            if bits < 2048 {
                return Err(CertError::RsaTooSmall(bits));
            }
            (
                KeyKind::Rsa { bits },
                &[
                    (
                        SignatureAlgorithm::RsaSha1,
                        &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                    ),
                    (
                        SignatureAlgorithm::RsaSha256,
                        &signature::RSA_PKCS1_2048_8192_SHA256,
                    ),
                    (
                        SignatureAlgorithm::RsaSha384,
                        &signature::RSA_PKCS1_2048_8192_SHA384,
                    ),
                    (
                        SignatureAlgorithm::RsaSha512,
                        &signature::RSA_PKCS1_2048_8192_SHA512,
                    ),
                ],
            )
        } else if *alg_oid == oid_registry::OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            match curve {
                Some(c) if c == oid_registry::OID_EC_P256 => (
                    KeyKind::EcP256,
                    &[(
                        SignatureAlgorithm::EcdsaSha256,
                        &signature::ECDSA_P256_SHA256_FIXED,
                    )],
                ),
                Some(c) if c == oid_registry::OID_NIST_EC_P384 => (
                    KeyKind::EcP384,
                    &[(
                        SignatureAlgorithm::EcdsaSha384,
                        &signature::ECDSA_P384_SHA384_FIXED,
                    )],
                ),
                Some(c) if c == oid_registry::OID_NIST_EC_P521 => (
                    KeyKind::EcP521,
                    &[
                        (
                            SignatureAlgorithm::EcdsaSha256,
                            &signature::ECDSA_P521_SHA256_FIXED,
                        ),
                        (
                            SignatureAlgorithm::EcdsaSha384,
                            &signature::ECDSA_P521_SHA384_FIXED,
                        ),
                        (
                            SignatureAlgorithm::EcdsaSha512,
                            &signature::ECDSA_P521_SHA512_FIXED,
                        ),
                    ],
                ),
                _ => return Err(CertError::UnsupportedKey),
            }
        } else {
            return Err(CertError::UnsupportedKey);
        };
        let mut keys = Vec::with_capacity(algs.len());
        for (sig_alg, vf_alg) in algs {
            let key =
                ParsedPublicKey::new(*vf_alg, spki.raw).map_err(|_| CertError::UnsupportedKey)?;
            keys.push((*sig_alg, key));
        }
        Ok(PinnedCert(Arc::new(Inner {
            der: der.to_vec(),
            kind,
            subject: cert.subject().to_string(),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            keys,
        })))
    }

    pub fn der(&self) -> &[u8] {
        &self.0.der
    }

    pub fn kind(&self) -> KeyKind {
        self.0.kind
    }

    pub fn subject(&self) -> &str {
        &self.0.subject
    }

    /// Not-before, as Unix seconds.
    pub fn not_before(&self) -> i64 {
        self.0.not_before
    }

    /// Not-after, as Unix seconds. A pinned key is trusted past this date; callers warn.
    pub fn not_after(&self) -> i64 {
        self.0.not_after
    }

    /// SHA-256 fingerprint, hex, colon-separated (as administrators compare them).
    pub fn sha256_fingerprint(&self) -> String {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &self.0.der);
        d.as_ref()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// Whether this key can check signatures made with `alg`.
    pub fn supports(&self, alg: SignatureAlgorithm) -> bool {
        self.0.keys.iter().any(|(a, _)| *a == alg)
    }

    /// Verify a detached signature (e.g. the HTTP-Redirect binding's) over `message`.
    pub fn verify_detached(&self, alg: SignatureAlgorithm, message: &[u8], sig: &[u8]) -> bool {
        self.verify(alg, message, sig)
    }

    /// Verify `signature` over `message` with this key and `alg`.
    pub(crate) fn verify(&self, alg: SignatureAlgorithm, message: &[u8], sig: &[u8]) -> bool {
        self.0
            .keys
            .iter()
            .find(|(a, _)| *a == alg)
            .is_some_and(|(_, key)| key.verify_sig(message, sig).is_ok())
    }
}

impl PartialEq for PinnedCert {
    fn eq(&self, other: &Self) -> bool {
        self.0.der == other.0.der
    }
}
impl Eq for PinnedCert {}

/// What an administrator needs to know about a certificate, whether or not it can be pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// `RSA 2048`, `EC P-256`, or the key algorithm's OID when neither.
    pub key: String,
    /// RSA modulus bits, when RSA.
    pub rsa_bits: Option<usize>,
    pub signature_algorithm: String,
    /// SHA-256 of the DER, lower-case hex.
    pub sha256: String,
}

/// Describe a certificate without judging it (weak keys included).
pub fn describe_certificate(der: &[u8]) -> Result<CertInfo, CertError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| CertError::Der(e.to_string()))?;
    let spki = cert.public_key();
    let (key, rsa_bits) = match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
            let bits = rsa_bits(rsa.modulus);
            (format!("RSA {bits}"), Some(bits))
        }
        _ => match PinnedCert::from_der(der) {
            Ok(p) => (p.kind().to_string(), None),
            Err(_) => (spki.algorithm.algorithm.to_id_string(), None),
        },
    };
    let sig_oid = cert.signature_algorithm.algorithm.clone();
    let signature_algorithm = oid_registry::OidRegistry::default()
        .with_all_crypto()
        .get(&sig_oid)
        .map(|e| e.sn().to_string())
        .unwrap_or_else(|| sig_oid.to_id_string());
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: cert.raw_serial_as_string(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        key,
        rsa_bits,
        signature_algorithm,
        sha256: d.as_ref().iter().map(|b| format!("{b:02x}")).collect(),
    })
}
