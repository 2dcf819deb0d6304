//! Enveloped signing, SAML style: the `ds:Signature` goes right after the element's `Issuer`
//! (or first, without one), referencing the element's `ID`.

use aws_lc_rs::rand::SecureRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use symbolon_xml::{C14nOptions, Limits, canonicalize, ns, writer::push_attr};

use crate::alg::{DigestAlgorithm, ENVELOPED, EXC_C14N, SignatureAlgorithm, encode_base64};

/// Why signing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("document does not parse: {0}")]
    Xml(#[from] symbolon_xml::XmlError),
    #[error("no element with ID {0:?}")]
    NoSuchId(String),
    #[error("ID {0:?} is not unique")]
    DuplicateId(String),
    #[error("element is already signed")]
    AlreadySigned,
    #[error("element has no content to place a signature in")]
    NoPlace,
    #[error("key cannot sign with {0}")]
    AlgorithmMismatch(SignatureAlgorithm),
    #[error("private key is not usable: {0}")]
    BadKey(String),
    #[error("signing failed")]
    Crypto,
}

#[derive(Debug)]
enum KeyMaterial {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair, SignatureAlgorithm),
}

/// A private key and, optionally, its certificate (put into KeyInfo).
#[derive(Debug)]
pub struct SigningKey {
    key: KeyMaterial,
    cert_der: Option<Vec<u8>>,
}

impl SigningKey {
    /// From PEM: a `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY` (SEC1)
    /// block, plus optionally a `CERTIFICATE` block in the same or another text.
    pub fn from_pem(key_pem: &str, cert_pem: Option<&str>) -> Result<Self, SignError> {
        let blocks = crate::pem::pem_blocks(key_pem);
        let (label, der) = blocks
            .iter()
            .find(|(l, _)| l.ends_with("PRIVATE KEY"))
            .ok_or_else(|| SignError::BadKey("no PRIVATE KEY block".into()))?;
        let mut key = match label.as_str() {
            "RSA PRIVATE KEY" => Self::from_rsa_der(der)?,
            _ => Self::from_pkcs8_der(der)?,
        };
        let cert_text = cert_pem.unwrap_or(key_pem);
        key.cert_der = crate::pem::pem_blocks(cert_text)
            .into_iter()
            .find(|(l, _)| l == "CERTIFICATE")
            .map(|(_, d)| d);
        Ok(key)
    }

    fn from_rsa_der(der: &[u8]) -> Result<Self, SignError> {
        let kp = RsaKeyPair::from_der(der).map_err(|e| SignError::BadKey(e.to_string()))?;
        Ok(SigningKey {
            key: KeyMaterial::Rsa(kp),
            cert_der: None,
        })
    }

    /// From PKCS#8 DER (RSA or EC P-256/P-384/P-521).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, SignError> {
        if let Ok(kp) = RsaKeyPair::from_pkcs8(der) {
            return Ok(SigningKey {
                key: KeyMaterial::Rsa(kp),
                cert_der: None,
            });
        }
        let ec = [
            (
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                SignatureAlgorithm::EcdsaSha256,
            ),
            (
                &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                SignatureAlgorithm::EcdsaSha384,
            ),
            (
                &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
                SignatureAlgorithm::EcdsaSha512,
            ),
        ];
        for (alg, sig_alg) in ec {
            if let Ok(kp) = EcdsaKeyPair::from_pkcs8(alg, der)
                .or_else(|_| EcdsaKeyPair::from_private_key_der(alg, der))
            {
                return Ok(SigningKey {
                    key: KeyMaterial::Ec(kp, sig_alg),
                    cert_der: None,
                });
            }
        }
        Err(SignError::BadKey(
            "not an RSA or EC (P-256/P-384/P-521) PKCS#8 key".into(),
        ))
    }

    /// Attach a certificate for KeyInfo.
    pub fn with_certificate(mut self, der: Vec<u8>) -> Self {
        self.cert_der = Some(der);
        self
    }

    pub fn certificate_der(&self) -> Option<&[u8]> {
        self.cert_der.as_deref()
    }

    /// Whether this key is the private half of `cert`'s public key: a probe signed with it
    /// verifies against the certificate (to refuse a key and certificate that do not belong
    /// together before they are stored).
    pub fn pairs_with(&self, cert: &crate::PinnedCert, rng: &dyn SecureRandom) -> bool {
        let alg = self.default_algorithm();
        let probe = b"symbolon key pair probe";
        self.sign_bytes(alg, probe, rng)
            .is_ok_and(|sig| cert.verify_detached(alg, probe, &sig))
    }

    /// The algorithm used when none is asked for: RSA-SHA256, or ECDSA with the curve's hash.
    pub fn default_algorithm(&self) -> SignatureAlgorithm {
        match &self.key {
            KeyMaterial::Rsa(_) => SignatureAlgorithm::RsaSha256,
            KeyMaterial::Ec(_, a) => *a,
        }
    }

    /// The public key bytes (RSAPublicKey for RSA, uncompressed point for EC).
    pub fn public_key(&self) -> Vec<u8> {
        match &self.key {
            KeyMaterial::Rsa(k) => k.public_key().as_ref().to_vec(),
            KeyMaterial::Ec(k, _) => k.public_key().as_ref().to_vec(),
        }
    }

    /// Sign raw bytes.
    pub fn sign_bytes(
        &self,
        alg: SignatureAlgorithm,
        message: &[u8],
        rng: &dyn SecureRandom,
    ) -> Result<Vec<u8>, SignError> {
        match (&self.key, alg) {
            // SHA-1 is never produced.
            (KeyMaterial::Rsa(k), a) if a.is_rsa() && !a.is_sha1() => {
                let padding: &'static dyn signature::RsaEncoding = match a {
                    SignatureAlgorithm::RsaSha384 => &signature::RSA_PKCS1_SHA384,
                    SignatureAlgorithm::RsaSha512 => &signature::RSA_PKCS1_SHA512,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(padding, rng, message, &mut sig)
                    .map_err(|_| SignError::Crypto)?;
                Ok(sig)
            }
            (KeyMaterial::Ec(k, own), a) if *own == a => k
                .sign(rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| SignError::Crypto),
            _ => Err(SignError::AlgorithmMismatch(alg)),
        }
    }
}

/// Options for [`sign_enveloped`].
#[derive(Debug, Clone, Copy)]
pub struct SignOptions {
    pub algorithm: SignatureAlgorithm,
    pub digest: DigestAlgorithm,
}

impl SignOptions {
    pub fn for_key(key: &SigningKey) -> Self {
        let algorithm = key.default_algorithm();
        SignOptions {
            algorithm,
            digest: DigestAlgorithm::matching(algorithm),
        }
    }
}

fn signature_xml(
    id: &str,
    opts: &SignOptions,
    digest_b64: &str,
    sig_b64: &str,
    cert: Option<&[u8]>,
) -> String {
    let mut s = String::with_capacity(2048);
    s.push_str("<ds:Signature xmlns:ds=\"");
    s.push_str(ns::DSIG);
    s.push_str("\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"");
    s.push_str(EXC_C14N);
    s.push_str("\"/><ds:SignatureMethod Algorithm=\"");
    s.push_str(opts.algorithm.uri());
    s.push_str("\"/><ds:Reference URI=\"#");
    push_attr(&mut s, id);
    s.push_str("\"><ds:Transforms><ds:Transform Algorithm=\"");
    s.push_str(ENVELOPED);
    s.push_str("\"/><ds:Transform Algorithm=\"");
    s.push_str(EXC_C14N);
    s.push_str("\"/></ds:Transforms><ds:DigestMethod Algorithm=\"");
    s.push_str(opts.digest.uri());
    s.push_str("\"/><ds:DigestValue>");
    s.push_str(digest_b64);
    s.push_str("</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>");
    s.push_str(sig_b64);
    s.push_str("</ds:SignatureValue>");
    if let Some(der) = cert {
        s.push_str("<ds:KeyInfo><ds:X509Data><ds:X509Certificate>");
        s.push_str(&encode_base64(der));
        s.push_str("</ds:X509Certificate></ds:X509Data></ds:KeyInfo>");
    }
    s.push_str("</ds:Signature>");
    s
}

/// Sign the element whose `ID` is `id` in `xml`, returning the document with the signature
/// inserted right after the element's SAML `Issuer` (or as its first child).
pub fn sign_enveloped(
    xml: &str,
    id: &str,
    key: &SigningKey,
    opts: &SignOptions,
    rng: &dyn SecureRandom,
) -> Result<String, SignError> {
    let doc = symbolon_xml::parse(xml, &Limits::default())?;
    let mut matches = doc
        .descendants()
        .filter(|n| n.is_element() && n.attribute("ID") == Some(id));
    let element = matches
        .next()
        .ok_or_else(|| SignError::NoSuchId(id.to_string()))?;
    if matches.next().is_some() {
        return Err(SignError::DuplicateId(id.to_string()));
    }
    if symbolon_xml::children_named(element, ns::DSIG, "Signature")
        .next()
        .is_some()
    {
        return Err(SignError::AlreadySigned);
    }
    let insert_at = match symbolon_xml::children_named(element, ns::SAML, "Issuer").next() {
        Some(issuer) => issuer.range().end,
        None => element
            .first_child()
            .map(|c| c.range().start)
            .ok_or(SignError::NoPlace)?,
    };

    let mut content = Vec::with_capacity(xml.len());
    canonicalize(element, &C14nOptions::default(), &mut content);
    let digest_b64 = encode_base64(opts.digest.digest(&content).as_ref());

    // Canonicalise SignedInfo exactly as a verifier will see it.
    let unsigned = signature_xml(id, opts, &digest_b64, "", None);
    let sig_doc = symbolon_xml::parse(&unsigned, &Limits::default())?;
    let signed_info = sig_doc
        .root_element()
        .first_element_child()
        .ok_or(SignError::Crypto)?;
    let mut si_bytes = Vec::with_capacity(1024);
    canonicalize(signed_info, &C14nOptions::default(), &mut si_bytes);
    let sig = key.sign_bytes(opts.algorithm, &si_bytes, rng)?;
    let signature = signature_xml(
        id,
        opts,
        &digest_b64,
        &encode_base64(&sig),
        key.cert_der.as_deref(),
    );

    let mut out = String::with_capacity(xml.len() + signature.len());
    out.push_str(xml.get(..insert_at).ok_or(SignError::NoPlace)?);
    out.push_str(&signature);
    out.push_str(xml.get(insert_at..).ok_or(SignError::NoPlace)?);
    Ok(out)
}
