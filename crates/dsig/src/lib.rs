//! The narrow XML-DSig layer of Symbolon: enveloped signatures over SAML elements, verified
//! against pinned keys only, and produced the same way; and in [`enc`] the narrow part of XML
//! Encryption SAML uses (AES-GCM, opt-in AES-CBC, RSA-OAEP key transport).
//!
//! Invariants:
//! - Verification never uses a key carried in the message; KeyInfo only orders pinned keys.
//! - Verification returns the verified element ([`Verified`]), whose [`VerifiedNode`] view reaches
//!   only the covered subtree: there is no way to read an unverified node through it.
//! - Every structural surprise, unknown algorithm, decoding or crypto error is a rejection.
//! - Sans-IO: signing takes its randomness from the caller.
//! - Decryption failures that depend on secret data are one error from one path.

mod alg;
mod cert;
pub mod enc;
mod pem;
mod sign;
mod verify;

pub use alg::{
    DigestAlgorithm, ENVELOPED, EXC_C14N, EXC_C14N_WITH_COMMENTS, SignatureAlgorithm,
    decode_base64, encode_base64,
};
pub use aws_lc_rs::rand::{SecureRandom, SystemRandom};
pub use cert::{CertError, CertInfo, KeyKind, PinnedCert, describe_certificate};
pub use pem::pem_blocks;
pub use sign::{SignError, SignOptions, SigningKey, sign_enveloped};
pub use verify::{
    DsigError, UniqueIds, Verified, VerifiedNode, VerifyPolicy, verify_enveloped,
    verify_enveloped_unique,
};

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .to_vec()
}
