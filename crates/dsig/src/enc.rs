//! XML Encryption 1.1, the narrow part SAML uses: one element encrypted with a fresh AES key
//! (GCM, or CBC only when the caller opts in), the key transported with RSA-OAEP to the
//! recipient's certificate. Built on aws-lc-rs primitives; nothing else is read from the
//! `EncryptedData` (no `RetrievalMethod`, no `KeyName` lookups, no `AgreementMethod`).
//!
//! Decryption is uniform on purpose: a wrong key, a tampered key, a tampered ciphertext or tag,
//! bad CBC padding or a key of the wrong size all give the one [`EncError::Undecryptable`] from
//! the same path, so that nothing outside can tell them apart (no padding or OAEP oracle).
//! What is refused for its *algorithm* (RSA 1.5, CBC when not allowed) is refused before any
//! private-key operation, from the cleartext algorithm URIs.

use crate::alg::{decode_base64, encode_base64};
use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{AES_128, AES_256, PaddedBlockDecryptingKey, UnboundCipherKey};
use aws_lc_rs::rand::SecureRandom;
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512,
    OaepAlgorithm, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
    PublicEncryptingKey,
};
use symbolon_oaep::Hash;
use symbolon_xml::{Node, children_named, text_content};

/// `http://www.w3.org/2001/04/xmlenc#`
pub const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
/// `http://www.w3.org/2009/xmlenc11#`
pub const XENC11: &str = "http://www.w3.org/2009/xmlenc11#";
pub const AES128_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes128-gcm";
pub const AES256_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
pub const AES128_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
pub const AES256_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
/// RSA-OAEP with MGF1-SHA1; the digest defaults to SHA-1, a `DigestMethod` may say otherwise.
pub const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
/// RSA-OAEP with the digest and the MGF named inside (SHA-1 and MGF1-SHA1 by default).
pub const RSA_OAEP: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
pub const RSA_1_5: &str = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";
const TYPE_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";
const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#sha384";
const SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
const MGF1_SHA1: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha1";
const MGF1_SHA256: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha256";
const MGF1_SHA384: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha384";
const MGF1_SHA512: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha512";
/// The hashes OAEP may use, with their names as a digest and as an MGF1 function.
const OAEP_HASHES: [(Hash, &str, &str); 4] = [
    (Hash::Sha1, SHA1, MGF1_SHA1),
    (Hash::Sha256, SHA256, MGF1_SHA256),
    (Hash::Sha384, SHA384, MGF1_SHA384),
    (Hash::Sha512, SHA512, MGF1_SHA512),
];

/// The most `EncryptedKey`s tried for one `EncryptedData`: each is a private-key operation done
/// before any signature is checked.
pub const MAX_ENCRYPTED_KEYS: usize = 2;

/// The bulk cipher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataAlgorithm {
    Aes128Gcm,
    Aes256Gcm,
    /// Legacy, for IdPs that cannot do GCM: only with [`DecryptPolicy::allow_cbc`].
    Aes128Cbc,
    Aes256Cbc,
}

impl DataAlgorithm {
    pub fn uri(self) -> &'static str {
        match self {
            DataAlgorithm::Aes128Gcm => AES128_GCM,
            DataAlgorithm::Aes256Gcm => AES256_GCM,
            DataAlgorithm::Aes128Cbc => AES128_CBC,
            DataAlgorithm::Aes256Cbc => AES256_CBC,
        }
    }

    pub fn from_uri(uri: &str) -> Option<Self> {
        [
            DataAlgorithm::Aes128Gcm,
            DataAlgorithm::Aes256Gcm,
            DataAlgorithm::Aes128Cbc,
            DataAlgorithm::Aes256Cbc,
        ]
        .into_iter()
        .find(|a| a.uri() == uri)
    }

    pub fn is_cbc(self) -> bool {
        matches!(self, DataAlgorithm::Aes128Cbc | DataAlgorithm::Aes256Cbc)
    }

    fn key_len(self) -> usize {
        match self {
            DataAlgorithm::Aes128Gcm | DataAlgorithm::Aes128Cbc => 16,
            DataAlgorithm::Aes256Gcm | DataAlgorithm::Aes256Cbc => 32,
        }
    }
}

/// The key transport: RSA-OAEP with its digest and mask generation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTransport {
    /// `xmlenc#rsa-oaep-mgf1p`, SHA-1 digest, MGF1-SHA1: what most SAML peers send and expect.
    RsaOaepMgf1pSha1,
    /// `xmlenc11#rsa-oaep` with SHA-256 digest and MGF1-SHA256.
    RsaOaepSha256,
}

impl KeyTransport {
    fn oaep(self) -> &'static OaepAlgorithm {
        match self {
            KeyTransport::RsaOaepMgf1pSha1 => &OAEP_SHA1_MGF1SHA1,
            KeyTransport::RsaOaepSha256 => &OAEP_SHA256_MGF1SHA256,
        }
    }

    /// The `EncryptionMethod` element for it.
    fn method_xml(self) -> String {
        match self {
            KeyTransport::RsaOaepMgf1pSha1 => format!(
                "<xenc:EncryptionMethod Algorithm=\"{RSA_OAEP_MGF1P}\"><ds:DigestMethod xmlns:ds=\"{}\" Algorithm=\"{SHA1}\"/></xenc:EncryptionMethod>",
                symbolon_xml::ns::DSIG
            ),
            KeyTransport::RsaOaepSha256 => format!(
                "<xenc:EncryptionMethod Algorithm=\"{RSA_OAEP}\"><ds:DigestMethod xmlns:ds=\"{}\" Algorithm=\"{SHA256}\"/><xenc11:MGF xmlns:xenc11=\"{XENC11}\" Algorithm=\"{MGF1_SHA256}\"/></xenc:EncryptionMethod>",
                symbolon_xml::ns::DSIG
            ),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            KeyTransport::RsaOaepMgf1pSha1 => "rsa-oaep-mgf1p",
            KeyTransport::RsaOaepSha256 => "rsa-oaep-sha256",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        [KeyTransport::RsaOaepMgf1pSha1, KeyTransport::RsaOaepSha256]
            .into_iter()
            .find(|k| k.name() == s)
    }
}

/// Why an `EncryptedData` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncError {
    #[error("the EncryptedData is malformed: {0}")]
    Malformed(&'static str),
    #[error("data encryption algorithm {0:?} is not supported (AES-GCM; AES-CBC when allowed)")]
    UnsupportedData(String),
    #[error("AES-CBC is not allowed for this identity provider (AES-GCM only unless opted in)")]
    CbcNotAllowed,
    #[error("key transport RSA 1.5 is refused (RSA-OAEP only)")]
    Rsa15Refused,
    #[error("key transport {0:?} is not supported")]
    UnsupportedKeyTransport(String),
    #[error("more than {MAX_ENCRYPTED_KEYS} EncryptedKey elements")]
    TooManyKeys,
    /// Every failure of the secret-dependent part, alike.
    #[error("the encrypted assertion could not be decrypted with this service provider's key")]
    Undecryptable,
    #[error("the recipient's certificate holds no usable RSA public key")]
    BadRecipient,
    #[error("the decryption key is not a usable RSA PKCS#8 key")]
    BadKey,
    #[error("no randomness")]
    Random,
}

/// The private key encrypted keys are addressed to, parsed twice: by aws-lc-rs for the OAEP
/// parameter sets it offers (matched digest and MGF1 hashes), and by `symbolon-oaep` for the
/// others (a SHA-256 digest with MGF1-SHA1 is XML Encryption 1.1's default).
pub struct DecryptionKey {
    matched: OaepPrivateDecryptingKey,
    any: symbolon_oaep::PrivateKey,
}

impl std::fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DecryptionKey(..)")
    }
}

impl DecryptionKey {
    /// From PKCS#8 DER (RSA).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, EncError> {
        let k = PrivateDecryptingKey::from_pkcs8(der).map_err(|_| EncError::BadKey)?;
        let matched = OaepPrivateDecryptingKey::new(k).map_err(|_| EncError::BadKey)?;
        let any = symbolon_oaep::PrivateKey::from_pkcs8_der(der).map_err(|_| EncError::BadKey)?;
        Ok(DecryptionKey { matched, any })
    }

    /// From a PEM `PRIVATE KEY` block.
    pub fn from_pem(pem: &str) -> Result<Self, EncError> {
        let blocks = crate::pem::pem_blocks(pem);
        let (_, der) = blocks
            .iter()
            .find(|(l, _)| l == "PRIVATE KEY")
            .ok_or(EncError::BadKey)?;
        Self::from_pkcs8_der(der)
    }
}

/// The recipient of an encryption: the RSA public key of its certificate.
pub struct EncryptionCert(OaepPublicEncryptingKey);

impl std::fmt::Debug for EncryptionCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionCert(..)")
    }
}

impl EncryptionCert {
    /// From an X.509 certificate (DER) with an RSA key.
    pub fn from_der(cert_der: &[u8]) -> Result<Self, EncError> {
        let (_, cert) =
            x509_parser::parse_x509_certificate(cert_der).map_err(|_| EncError::BadRecipient)?;
        let spki = cert.public_key().raw;
        let k = PublicEncryptingKey::from_der(spki).map_err(|_| EncError::BadRecipient)?;
        OaepPublicEncryptingKey::new(k)
            .map(EncryptionCert)
            .map_err(|_| EncError::BadRecipient)
    }
}

/// How to encrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptOptions {
    pub data: DataAlgorithm,
    pub transport: KeyTransport,
}

impl Default for EncryptOptions {
    fn default() -> Self {
        // OAEP with SHA-1 is sound (its security does not rest on collision resistance) and
        // is what xmlsec1 1.2 reads; XML Encryption 1.1 `rsa-oaep` is one option away.
        EncryptOptions {
            data: DataAlgorithm::Aes256Gcm,
            transport: KeyTransport::RsaOaepMgf1pSha1,
        }
    }
}

/// Encrypt `plaintext` (one serialized element) to `to`, returning the `xenc:EncryptedData`
/// element (with its `EncryptedKey` inside `ds:KeyInfo`). Encryption is GCM or, for a peer
/// that can do nothing else, CBC with random ISO 10126 padding.
pub fn encrypt_element(
    plaintext: &[u8],
    to: &EncryptionCert,
    opts: &EncryptOptions,
    rng: &dyn SecureRandom,
) -> Result<String, EncError> {
    let mut key = vec![0u8; opts.data.key_len()];
    rng.fill(&mut key).map_err(|_| EncError::Random)?;
    let cipher = match opts.data {
        DataAlgorithm::Aes128Gcm | DataAlgorithm::Aes256Gcm => {
            let alg = if opts.data == DataAlgorithm::Aes128Gcm {
                &AES_128_GCM
            } else {
                &AES_256_GCM
            };
            let k = LessSafeKey::new(UnboundKey::new(alg, &key).map_err(|_| EncError::Random)?);
            let mut iv = [0u8; 12];
            rng.fill(&mut iv).map_err(|_| EncError::Random)?;
            let mut body = plaintext.to_vec();
            let tag = k
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(iv),
                    Aad::empty(),
                    &mut body,
                )
                .map_err(|_| EncError::Random)?;
            let mut out = Vec::with_capacity(12 + body.len() + 16);
            out.extend_from_slice(&iv);
            out.extend_from_slice(&body);
            out.extend_from_slice(tag.as_ref());
            out
        }
        DataAlgorithm::Aes128Cbc | DataAlgorithm::Aes256Cbc => {
            let alg = if opts.data == DataAlgorithm::Aes128Cbc {
                &AES_128
            } else {
                &AES_256
            };
            let mut iv = [0u8; 16];
            rng.fill(&mut iv).map_err(|_| EncError::Random)?;
            let k = aws_lc_rs::cipher::EncryptingKey::cbc(
                UnboundCipherKey::new(alg, &key).map_err(|_| EncError::Random)?,
            )
            .map_err(|_| EncError::Random)?;
            let pad = 16 - plaintext.len() % 16;
            let mut body = plaintext.to_vec();
            let mut filler = vec![0u8; pad - 1];
            rng.fill(&mut filler).map_err(|_| EncError::Random)?;
            body.extend_from_slice(&filler);
            body.push(pad as u8);
            k.less_safe_encrypt(
                &mut body,
                aws_lc_rs::cipher::EncryptionContext::Iv128(iv.into()),
            )
            .map_err(|_| EncError::Random)?;
            let mut out = Vec::with_capacity(16 + body.len());
            out.extend_from_slice(&iv);
            out.extend_from_slice(&body);
            out
        }
    };
    let mut wrapped = vec![0u8; to.0.ciphertext_size()];
    let wrapped_len =
        to.0.encrypt(opts.transport.oaep(), &key, &mut wrapped, None)
            .map_err(|_| EncError::BadRecipient)?
            .len();
    wrapped.truncate(wrapped_len);
    Ok(format!(
        "<xenc:EncryptedData xmlns:xenc=\"{XENC}\" Type=\"{TYPE_ELEMENT}\"><xenc:EncryptionMethod Algorithm=\"{}\"/><ds:KeyInfo xmlns:ds=\"{}\"><xenc:EncryptedKey>{}<xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>",
        opts.data.uri(),
        symbolon_xml::ns::DSIG,
        opts.transport.method_xml(),
        encode_base64(&wrapped),
        encode_base64(&cipher),
    ))
}

/// What decryption may accept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecryptPolicy {
    /// Accept AES-CBC data (an explicit opt-in for an IdP that cannot do GCM).
    pub allow_cbc: bool,
}

/// The algorithms of an `EncryptedData`, read from its cleartext: enough to refuse it before
/// any private-key work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Algorithms {
    pub data: DataAlgorithm,
}

fn algorithm_attr<'a>(n: Node<'a, '_>) -> Option<&'a str> {
    children_named(n, XENC, "EncryptionMethod")
        .next()
        .and_then(|m| m.attribute("Algorithm"))
}

/// Read the data algorithm of `encrypted_data` and check it against the policy.
pub fn data_algorithm(
    encrypted_data: Node<'_, '_>,
    policy: &DecryptPolicy,
) -> Result<Algorithms, EncError> {
    if !symbolon_xml::is_element(encrypted_data, XENC, "EncryptedData") {
        return Err(EncError::Malformed("expected xenc:EncryptedData"));
    }
    let uri = algorithm_attr(encrypted_data)
        .ok_or(EncError::Malformed("EncryptedData has no EncryptionMethod"))?;
    let data = DataAlgorithm::from_uri(uri).ok_or_else(|| EncError::UnsupportedData(uri.into()))?;
    if data.is_cbc() && !policy.allow_cbc {
        return Err(EncError::CbcNotAllowed);
    }
    Ok(Algorithms { data })
}

/// The OAEP parameters of one `EncryptedKey`: digest, MGF1 hash and label (`OAEPparams`).
#[derive(Debug)]
struct Oaep {
    digest: Hash,
    mgf1: Hash,
    label: Vec<u8>,
}

impl Oaep {
    /// aws-lc-rs's parameter set for it, when it has one (matched hashes).
    fn matched(&self) -> Option<&'static OaepAlgorithm> {
        match (self.digest, self.mgf1) {
            (Hash::Sha1, Hash::Sha1) => Some(&OAEP_SHA1_MGF1SHA1),
            (Hash::Sha256, Hash::Sha256) => Some(&OAEP_SHA256_MGF1SHA256),
            (Hash::Sha384, Hash::Sha384) => Some(&OAEP_SHA384_MGF1SHA384),
            (Hash::Sha512, Hash::Sha512) => Some(&OAEP_SHA512_MGF1SHA512),
            _ => None,
        }
    }

    /// Decrypt one wrapped key; every failure alike.
    fn decrypt(&self, key: &DecryptionKey, wrapped: &[u8]) -> Option<Vec<u8>> {
        match self.matched() {
            Some(alg) => {
                let mut buf = vec![0u8; key.matched.min_output_size()];
                let label = (!self.label.is_empty()).then_some(self.label.as_slice());
                let n = key
                    .matched
                    .decrypt(alg, wrapped, &mut buf, label)
                    .ok()?
                    .len();
                buf.truncate(n);
                Some(buf)
            }
            None => key
                .any
                .decrypt(self.digest, self.mgf1, &self.label, wrapped)
                .ok(),
        }
    }
}

/// The OAEP parameters an `EncryptedKey` names, if this implementation can do them: a digest
/// and an MGF1 hash each of SHA-1, SHA-256, SHA-384 and SHA-512, in any pairing, and a label of
/// at most 1 KiB.
fn key_transport(encrypted_key: Node<'_, '_>) -> Result<Oaep, EncError> {
    let method = children_named(encrypted_key, XENC, "EncryptionMethod")
        .next()
        .ok_or(EncError::Malformed("EncryptedKey has no EncryptionMethod"))?;
    let uri = method.attribute("Algorithm").unwrap_or("");
    let digest = children_named(method, symbolon_xml::ns::DSIG, "DigestMethod")
        .next()
        .and_then(|d| d.attribute("Algorithm"))
        .unwrap_or(SHA1);
    let mgf = children_named(method, XENC11, "MGF")
        .next()
        .and_then(|d| d.attribute("Algorithm"));
    let mgf = match uri {
        RSA_1_5 => return Err(EncError::Rsa15Refused),
        RSA_OAEP_MGF1P => {
            if mgf.is_some() {
                return Err(EncError::Malformed("rsa-oaep-mgf1p names no MGF"));
            }
            MGF1_SHA1
        }
        // XML Encryption 1.1 section 5.5.2: MGF1 with SHA-1 unless an MGF element says otherwise.
        RSA_OAEP => mgf.unwrap_or(MGF1_SHA1),
        other => return Err(EncError::UnsupportedKeyTransport(other.into())),
    };
    let unsupported = |what: &str| {
        EncError::UnsupportedKeyTransport(format!(
            "{uri} with {what} (SHA-1, SHA-256, SHA-384 or SHA-512)"
        ))
    };
    let digest = OAEP_HASHES
        .iter()
        .find(|(_, d, _)| *d == digest)
        .map(|(h, _, _)| *h)
        .ok_or_else(|| unsupported(&format!("digest {digest}")))?;
    let mgf1 = OAEP_HASHES
        .iter()
        .find(|(_, _, m)| *m == mgf)
        .map(|(h, _, _)| *h)
        .ok_or_else(|| unsupported(&format!("mask generation {mgf}")))?;
    let label = match children_named(method, XENC, "OAEPparams").next() {
        None => Vec::new(),
        Some(p) => {
            let text = text_content(p);
            if text.len() > 2 * symbolon_oaep::MAX_LABEL {
                return Err(EncError::Malformed("OAEPparams is too long"));
            }
            let label =
                decode_base64(&text).ok_or(EncError::Malformed("OAEPparams is not base64"))?;
            if label.len() > symbolon_oaep::MAX_LABEL {
                return Err(EncError::Malformed("OAEPparams is too long"));
            }
            label
        }
    };
    Ok(Oaep {
        digest,
        mgf1,
        label,
    })
}

/// Decrypt an `xenc:EncryptedData` whose key is in its `ds:KeyInfo` or among `sibling_keys`
/// (the `EncryptedKey` elements beside it, as some IdPs place them). Returns the plaintext (the
/// serialized element) and the data algorithm used.
pub fn decrypt_element(
    encrypted_data: Node<'_, '_>,
    sibling_keys: &[Node<'_, '_>],
    key: &DecryptionKey,
    policy: &DecryptPolicy,
) -> Result<(Vec<u8>, DataAlgorithm), EncError> {
    let Algorithms { data } = data_algorithm(encrypted_data, policy)?;
    if let Some(t) = encrypted_data.attribute("Type")
        && t != TYPE_ELEMENT
    {
        return Err(EncError::Malformed("only Type=\"#Element\" is decrypted"));
    }
    let mut keys: Vec<Node<'_, '_>> =
        children_named(encrypted_data, symbolon_xml::ns::DSIG, "KeyInfo")
            .flat_map(|ki| children_named(ki, XENC, "EncryptedKey"))
            .collect();
    keys.extend_from_slice(sibling_keys);
    if keys.is_empty() {
        return Err(EncError::Malformed("no EncryptedKey"));
    }
    if keys.len() > MAX_ENCRYPTED_KEYS {
        return Err(EncError::TooManyKeys);
    }
    // Every algorithm is checked before any private-key operation.
    let mut wrapped = Vec::with_capacity(keys.len());
    for k in &keys {
        let oaep = key_transport(*k)?;
        let value = cipher_value(*k)?;
        wrapped.push((oaep, value));
    }
    let body = cipher_value(encrypted_data)?;

    // The secret-dependent part: one error for everything from here.
    let mut content_key = None;
    for (oaep, value) in &wrapped {
        if let Some(k) = oaep.decrypt(key, value)
            && k.len() == data.key_len()
        {
            content_key = Some(k);
            break;
        }
    }
    let content_key = content_key.ok_or(EncError::Undecryptable)?;
    let plain = match data {
        DataAlgorithm::Aes128Gcm | DataAlgorithm::Aes256Gcm => {
            let alg = if data == DataAlgorithm::Aes128Gcm {
                &AES_128_GCM
            } else {
                &AES_256_GCM
            };
            if body.len() < 12 + 16 {
                return Err(EncError::Undecryptable);
            }
            let (iv, rest) = body.split_at(12);
            let nonce =
                Nonce::try_assume_unique_for_key(iv).map_err(|_| EncError::Undecryptable)?;
            let k = LessSafeKey::new(
                UnboundKey::new(alg, &content_key).map_err(|_| EncError::Undecryptable)?,
            );
            let mut in_out = rest.to_vec();
            let n = k
                .open_in_place(nonce, Aad::empty(), &mut in_out)
                .map_err(|_| EncError::Undecryptable)?
                .len();
            in_out.truncate(n);
            in_out
        }
        DataAlgorithm::Aes128Cbc | DataAlgorithm::Aes256Cbc => {
            let alg = if data == DataAlgorithm::Aes128Cbc {
                &AES_128
            } else {
                &AES_256
            };
            if body.len() < 32 || body.len() % 16 != 0 {
                return Err(EncError::Undecryptable);
            }
            let (iv, rest) = body.split_at(16);
            let iv: [u8; 16] = iv.try_into().map_err(|_| EncError::Undecryptable)?;
            let k = PaddedBlockDecryptingKey::cbc_iso10126(
                UnboundCipherKey::new(alg, &content_key).map_err(|_| EncError::Undecryptable)?,
            )
            .map_err(|_| EncError::Undecryptable)?;
            let mut in_out = rest.to_vec();
            let n = k
                .decrypt(
                    &mut in_out,
                    aws_lc_rs::cipher::DecryptionContext::Iv128(iv.into()),
                )
                .map_err(|_| EncError::Undecryptable)?
                .len();
            in_out.truncate(n);
            in_out
        }
    };
    Ok((plain, data))
}

fn cipher_value(n: Node<'_, '_>) -> Result<Vec<u8>, EncError> {
    let cd = children_named(n, XENC, "CipherData")
        .next()
        .ok_or(EncError::Malformed("no CipherData"))?;
    if children_named(cd, XENC, "CipherReference").next().is_some() {
        return Err(EncError::Malformed("CipherReference is not followed"));
    }
    let cv = children_named(cd, XENC, "CipherValue")
        .next()
        .ok_or(EncError::Malformed("no CipherValue"))?;
    decode_base64(&text_content(cv)).ok_or(EncError::Malformed("CipherValue is not base64"))
}
