//! Secrets without HTTP, shared by both servers' domains and their web layers: Argon2id password
//! hashing (and its bounded worker pool, [`hashing`]), random tokens, constant-time comparison,
//! SHA-256 hex digests, and key-pair plus self-signed certificate generation.
//!
//! Invariants:
//! - Passwords are only ever hashed with Argon2id (OWASP parameters); a stored hash that asks for
//!   more than 64 MiB is refused, never allocated.
//! - Secret comparisons take a time independent of the secret; an empty value never matches.
//! - No function panics; a system without randomness yields an error or `None`.

pub mod hashing;
pub mod webhook;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use time::OffsetDateTime;

/// Why a secret could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The password is shorter than the minimum (8 characters).
    #[error("the password must have at least 8 characters")]
    PasswordTooShort,
    /// Randomness, hashing or key generation failed.
    #[error("{0}")]
    Crypto(String),
}

/// The fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Argon2id parameters for new hashes: 12 MiB, 3 passes, 1 lane. One of the configurations the
/// OWASP Password Storage Cheat Sheet lists as equal in strength (19 MiB/2 passes, 12 MiB/3,
/// 9 MiB/4, ...; they trade memory for passes), chosen because each concurrent hash holds its
/// memory: two hashing workers then stay within a 64 MiB server. Hashes made with other
/// parameters (the former 19 MiB/2) keep verifying: a PHC string names its own.
pub const ARGON2_M_KIB: u32 = 12 * 1024;
pub const ARGON2_T: u32 = 3;

/// A well-formed hash with the current parameters and a password nobody has: checked against
/// when there is no user, so that an unknown name costs what a known one does.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=12288,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// Whether a stored hash was made with other parameters than new ones get (an older setting, or
/// not Argon2id): after a successful check, store a new hash of the same password.
pub fn needs_rehash(phc: &str) -> bool {
    use argon2::password_hash::PasswordHash;
    let Ok(h) = PasswordHash::new(phc) else {
        return false;
    };
    let current = argon2_hasher();
    let params = argon2::Params::try_from(&h);
    h.algorithm != argon2::Algorithm::Argon2id.ident()
        || h.version != Some(argon2::Version::V0x13.into())
        || params.map_or(true, |p| {
            p.m_cost() != current.params().m_cost()
                || p.t_cost() != current.params().t_cost()
                || p.p_cost() != current.params().p_cost()
        })
}

/// The Argon2id hasher for new hashes.
pub fn argon2_hasher() -> argon2::Argon2<'static> {
    let params = argon2::Params::new(ARGON2_M_KIB, ARGON2_T, 1, None)
        .unwrap_or_else(|_| argon2::Params::default());
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// Argon2id ([`ARGON2_M_KIB`], [`ARGON2_T`]) with a salt from the system RNG.
pub fn hash_password(password: &str) -> Result<String, SecretError> {
    let mut memory = vec![argon2::Block::default(); ARGON2_M_KIB as usize];
    hash_password_with(password, &mut memory)
}

/// [`hash_password`] in the caller's Argon2 memory (at least [`ARGON2_M_KIB`] blocks).
pub fn hash_password_with(
    password: &str,
    memory: &mut [argon2::Block],
) -> Result<String, SecretError> {
    use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
    let crypto = |e: argon2::password_hash::Error| SecretError::Crypto(e.to_string());
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(SecretError::PasswordTooShort);
    }
    let mut salt = [0u8; 16];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| SecretError::Crypto("no randomness".into()))?;
    let hasher = argon2_hasher();
    let memory = memory
        .get_mut(..ARGON2_M_KIB as usize)
        .ok_or_else(|| SecretError::Crypto("Argon2 memory too small".into()))?;
    let mut out = [0u8; 32];
    hasher
        .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, memory)
        .map_err(|e| SecretError::Crypto(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(crypto)?;
    let phc = PasswordHash {
        algorithm: argon2::Algorithm::Argon2id.ident(),
        version: Some(argon2::Version::V0x13.into()),
        params: ParamsString::try_from(hasher.params()).map_err(crypto)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(crypto)?),
    };
    Ok(phc.to_string())
}

/// Whether `phc` is an Argon2 PHC string this product can check (what a file brought in may
/// carry instead of a password), within the memory bound `verify_password` keeps.
pub fn is_usable_hash(phc: &str) -> bool {
    use argon2::password_hash::PasswordHash;
    phc.len() <= 512
        && PasswordHash::new(phc).is_ok_and(|h| {
            argon2::Algorithm::new(h.algorithm.as_str()).is_ok()
                && argon2::Params::try_from(&h).is_ok_and(|p| p.block_count() <= 64 * 1024)
        })
}

/// Check a password against a stored PHC string (constant time in the password).
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).is_ok_and(|h| {
        // Never allocate what a stored hash asks for beyond 64 MiB (the library would abort).
        if argon2::Params::try_from(&h).map_or(true, |p| p.block_count() > 64 * 1024) {
            return false;
        }
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// 256 random bits as hex (session IDs, CSRF tokens, admin tokens, registration links), or
/// `None` when the system has no randomness to give.
pub fn random_hex() -> Option<String> {
    let mut b = [0u8; 32];
    SystemRandom::new().fill(&mut b).ok()?;
    Some(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// SHA-256 of a text, as lowercase hex (how recovery codes, admin tokens, API keys and
/// registration links are stored).
pub fn hex_sha256(text: &str) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a presented secret (CSRF token, state) equals the expected one: compared through
/// SHA-256, so the time taken says nothing about the secret. An empty value never matches.
pub fn secret_eq(presented: &str, expected: &str) -> bool {
    let digest = |s: &str| aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, s.as_bytes());
    !presented.is_empty()
        && aws_lc_rs::constant_time::verify_slices_are_equal(
            digest(presented).as_ref(),
            digest(expected).as_ref(),
        )
        .is_ok()
}

/// Key algorithms a signing key can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    Rsa2048,
    Rsa3072,
    EcP256,
}

impl KeyAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 => "rsa2048",
            KeyAlgorithm::Rsa3072 => "rsa3072",
            KeyAlgorithm::EcP256 => "ec-p256",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "rsa2048" => Some(KeyAlgorithm::Rsa2048),
            "rsa3072" => Some(KeyAlgorithm::Rsa3072),
            "ec-p256" => Some(KeyAlgorithm::EcP256),
            _ => None,
        }
    }
}

/// A fresh key pair (PKCS#8 PEM) and its self-signed certificate (DER), valid from five minutes
/// before `now` for three years.
pub fn generate_key(
    alg: KeyAlgorithm,
    common_name: &str,
    now: OffsetDateTime,
) -> Result<(String, Vec<u8>), SecretError> {
    let crypto = |e: rcgen::Error| SecretError::Crypto(e.to_string());
    let key = match alg {
        KeyAlgorithm::Rsa2048 => {
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        }
        KeyAlgorithm::Rsa3072 => {
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_3072)
        }
        KeyAlgorithm::EcP256 => rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
    }
    .map_err(crypto)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(crypto)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params.not_before = now - time::Duration::minutes(5);
    params.not_after = now + time::Duration::days(3 * 365);
    let cert = params.self_signed(&key).map_err(crypto)?;
    Ok((key.serialize_pem(), cert.der().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_value_and_empty_never_matches() {
        assert!(secret_eq("abc", "abc"));
        assert!(!secret_eq("abc", "abd"));
        assert!(!secret_eq("", ""));
        assert_eq!(
            hex_sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(random_hex().map(|h| h.len()), Some(64));
    }

    #[test]
    fn short_passwords_are_refused_before_hashing() {
        assert_eq!(hash_password("1234567"), Err(SecretError::PasswordTooShort));
        assert!(is_usable_hash(DUMMY_HASH));
        assert!(!is_usable_hash("$pbkdf2-sha256$i=27500$c2FsdA$aGFzaA"));
        assert!(!is_usable_hash("not a hash"));
    }
}
