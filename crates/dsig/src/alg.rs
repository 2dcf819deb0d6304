//! The algorithm allow-list. Anything not named here is refused.

use std::fmt;

pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const EXC_C14N_WITH_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";

/// Signature algorithms we can verify (SHA-1 only when a policy allows it) and produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    RsaSha1,
    RsaSha256,
    RsaSha384,
    RsaSha512,
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
}

/// Digest algorithms for references.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

/// What a SignatureMethod URI means to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureMethod {
    Allowed(SignatureAlgorithm),
    Hmac,
    Unknown,
}

impl SignatureAlgorithm {
    pub const ALL: [SignatureAlgorithm; 7] = [
        Self::RsaSha1,
        Self::RsaSha256,
        Self::RsaSha384,
        Self::RsaSha512,
        Self::EcdsaSha256,
        Self::EcdsaSha384,
        Self::EcdsaSha512,
    ];

    pub fn uri(self) -> &'static str {
        match self {
            Self::RsaSha1 => "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            Self::RsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            Self::RsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
            Self::RsaSha512 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
            Self::EcdsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
            Self::EcdsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
            Self::EcdsaSha512 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
        }
    }

    pub fn from_uri(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.uri() == uri)
    }

    pub(crate) fn classify(uri: &str) -> SignatureMethod {
        if let Some(a) = Self::from_uri(uri) {
            return SignatureMethod::Allowed(a);
        }
        if uri.to_ascii_lowercase().contains("hmac") {
            return SignatureMethod::Hmac;
        }
        SignatureMethod::Unknown
    }

    pub fn is_sha1(self) -> bool {
        matches!(self, Self::RsaSha1)
    }

    pub fn is_rsa(self) -> bool {
        matches!(
            self,
            Self::RsaSha1 | Self::RsaSha256 | Self::RsaSha384 | Self::RsaSha512
        )
    }

    /// Short name used on the command line and in settings: `rsa-sha256`, `ecdsa-sha384`...
    pub fn name(self) -> &'static str {
        match self {
            Self::RsaSha1 => "rsa-sha1",
            Self::RsaSha256 => "rsa-sha256",
            Self::RsaSha384 => "rsa-sha384",
            Self::RsaSha512 => "rsa-sha512",
            Self::EcdsaSha256 => "ecdsa-sha256",
            Self::EcdsaSha384 => "ecdsa-sha384",
            Self::EcdsaSha512 => "ecdsa-sha512",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl DigestAlgorithm {
    pub const ALL: [DigestAlgorithm; 4] = [Self::Sha1, Self::Sha256, Self::Sha384, Self::Sha512];

    pub fn uri(self) -> &'static str {
        match self {
            Self::Sha1 => "http://www.w3.org/2000/09/xmldsig#sha1",
            Self::Sha256 => "http://www.w3.org/2001/04/xmlenc#sha256",
            Self::Sha384 => "http://www.w3.org/2001/04/xmldsig-more#sha384",
            Self::Sha512 => "http://www.w3.org/2001/04/xmlenc#sha512",
        }
    }

    pub fn from_uri(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.uri() == uri)
    }

    pub(crate) fn digest(self, data: &[u8]) -> aws_lc_rs::digest::Digest {
        let alg = match self {
            Self::Sha1 => &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => &aws_lc_rs::digest::SHA256,
            Self::Sha384 => &aws_lc_rs::digest::SHA384,
            Self::Sha512 => &aws_lc_rs::digest::SHA512,
        };
        aws_lc_rs::digest::digest(alg, data)
    }

    /// The digest that goes with a signature algorithm by default.
    pub fn matching(sig: SignatureAlgorithm) -> Self {
        match sig {
            SignatureAlgorithm::RsaSha1 => Self::Sha1,
            SignatureAlgorithm::RsaSha256 | SignatureAlgorithm::EcdsaSha256 => Self::Sha256,
            SignatureAlgorithm::RsaSha384 | SignatureAlgorithm::EcdsaSha384 => Self::Sha384,
            SignatureAlgorithm::RsaSha512 | SignatureAlgorithm::EcdsaSha512 => Self::Sha512,
        }
    }
}

/// Base64 as XML-DSig and SAML carry it: the standard alphabet with padding; ASCII whitespace
/// anywhere is ignored; nothing else is tolerated.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    if !s.as_bytes().iter().any(is_ws) {
        return base64::engine::general_purpose::STANDARD.decode(s).ok();
    }
    let compact: Vec<u8> = s.bytes().filter(|b| !is_ws(b)).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

pub fn encode_base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}
