//! Private keys sealed at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the
//! deployment's `key_encryption_secret`, bound to the row's key ID, so a sealed value cannot be
//! moved to another row. Stored as `sealed:v1:` + base64(nonce || ciphertext || tag). A store
//! with a cipher seals every key it writes and opens sealed keys it reads; plain keys written
//! before the secret was set are still read, and a sealed key without the secret is an error
//! that says what to set.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hkdf;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;

use crate::{Result, StoreError};

const PREFIX: &str = "sealed:v1:";
/// The shortest secret accepted (characters): it is key material, not a password.
pub const MIN_SECRET_LEN: usize = 32;

/// The cipher for private keys at rest.
pub struct KeyCipher {
    key: LessSafeKey,
}

impl std::fmt::Debug for KeyCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyCipher(..)")
    }
}

fn err(msg: &str) -> StoreError {
    StoreError::Backend(msg.into())
}

struct Len32;
impl hkdf::KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

impl KeyCipher {
    /// From the configured secret (at least [`MIN_SECRET_LEN`] characters, e.g. the output of
    /// `openssl rand -base64 32`).
    pub fn from_secret(secret: &str) -> Result<Self> {
        if secret.chars().count() < MIN_SECRET_LEN {
            return Err(err(
                "key_encryption_secret must be at least 32 characters of random data (e.g. openssl rand -base64 32)",
            ));
        }
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"symbolon key encryption v1");
        let prk = salt.extract(secret.as_bytes());
        let okm = prk
            .expand(&[b"private keys at rest"], Len32)
            .map_err(|_| err("key derivation failed"))?;
        let mut bytes = [0u8; 32];
        okm.fill(&mut bytes)
            .map_err(|_| err("key derivation failed"))?;
        let key = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| err("bad key"))?;
        Ok(KeyCipher {
            key: LessSafeKey::new(key),
        })
    }

    /// Seal `plain` for the row whose key ID is `kid`.
    pub fn seal(&self, kid: &str, plain: &str) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| err("no randomness for a nonce"))?;
        let mut buf = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut buf,
            )
            .map_err(|_| err("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        ))
    }

    fn open_sealed(&self, kid: &str, body: &str) -> Result<String> {
        let bad = || {
            err(
                "a sealed private key does not open with this key_encryption_secret (wrong secret, or the value was altered or moved)",
            )
        };
        let raw = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| bad())?;
        let (nonce, sealed) = raw.split_at_checked(NONCE_LEN).ok_or_else(bad)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| bad())?;
        let mut buf = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut buf)
            .map_err(|_| bad())?;
        String::from_utf8(plain.to_vec()).map_err(|_| bad())
    }
}

/// What a store writes for a private key: sealed when it has a cipher.
pub fn seal_for_store(cipher: Option<&KeyCipher>, kid: &str, pem: &str) -> Result<String> {
    match cipher {
        Some(c) => c.seal(kid, pem),
        None => Ok(pem.to_string()),
    }
}

/// What a store returns for a stored private key: opened when sealed.
pub fn open_from_store(cipher: Option<&KeyCipher>, kid: &str, stored: &str) -> Result<String> {
    match (stored.strip_prefix(PREFIX), cipher) {
        (None, _) => Ok(stored.to_string()),
        (Some(body), Some(c)) => c.open_sealed(kid, body),
        (Some(_), None) => Err(err(
            "the private keys in this database are sealed: set server.key_encryption_secret (or SYMBOLON_SERVER_KEY_ENCRYPTION_SECRET)",
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

    #[test]
    fn seals_opens_and_refuses_tampering() {
        let c = KeyCipher::from_secret(SECRET).unwrap();
        let s = c.seal("kid-1", "-----BEGIN PRIVATE KEY-----x").unwrap();
        assert!(s.starts_with(PREFIX) && !s.contains("PRIVATE KEY"));
        assert_ne!(
            s,
            c.seal("kid-1", "-----BEGIN PRIVATE KEY-----x").unwrap(),
            "fresh nonce"
        );
        assert_eq!(
            open_from_store(Some(&c), "kid-1", &s).unwrap(),
            "-----BEGIN PRIVATE KEY-----x"
        );
        assert!(
            open_from_store(Some(&c), "kid-2", &s).is_err(),
            "bound to its row"
        );
        let other = KeyCipher::from_secret(&format!("{SECRET}-other")).unwrap();
        assert!(
            open_from_store(Some(&other), "kid-1", &s).is_err(),
            "wrong secret"
        );
        assert!(
            open_from_store(None, "kid-1", &s)
                .unwrap_err()
                .to_string()
                .contains("key_encryption_secret")
        );
        let mut t = s.clone();
        t.pop();
        t.push(if s.ends_with('A') { 'B' } else { 'A' });
        assert!(open_from_store(Some(&c), "kid-1", &t).is_err(), "tampered");
        assert_eq!(open_from_store(Some(&c), "k", "plain").unwrap(), "plain");
        assert!(KeyCipher::from_secret("short").is_err());
    }
}
