//! RSA-OAEP decryption with the digest and the MGF1 hash chosen separately, on AWS-LC's EVP API.
//!
//! Why this crate exists: XML Encryption 1.1 names the OAEP digest (`ds:DigestMethod`) and the
//! mask generation function (`xenc11:MGF`) independently, and its default MGF is MGF1-SHA1 whatever
//! the digest. So `xmlenc11#rsa-oaep` with a SHA-256 digest and no `MGF` element (what Keycloak,
//! xmlsec1 1.3 and OpenSAML send) is SHA-256 / MGF1-SHA1. aws-lc-rs offers only matched pairs
//! (`OAEP_SHA256_MGF1SHA256`, ...), and the `rsa` crate's private-key operation is not constant
//! time (RUSTSEC-2023-0071), which rules it out for decrypting attacker-chosen ciphertext. AWS-LC
//! itself does every pair, in constant time, behind the same EVP calls aws-lc-rs makes; this crate
//! makes them with the MGF1 hash set on its own.
//!
//! The unsafe surface is this file: a parsed key (`EVP_PKEY`, owned, freed once) and one
//! decryption function. Each unsafe block is one call with its SAFETY argument. Every failure of
//! the decryption itself is the one [`Unspecified`]: callers must not be able to tell a wrong
//! key from bad padding (no OAEP oracle), and this crate gives them nothing to tell apart.

use aws_lc_sys::{
    CBS, CBS_init, CBS_len, ERR_clear_error, EVP_MD, EVP_PKEY, EVP_PKEY_CTX, EVP_PKEY_CTX_free,
    EVP_PKEY_CTX_new, EVP_PKEY_CTX_set_rsa_mgf1_md, EVP_PKEY_CTX_set_rsa_oaep_md,
    EVP_PKEY_CTX_set_rsa_padding, EVP_PKEY_CTX_set0_rsa_oaep_label, EVP_PKEY_RSA, EVP_PKEY_bits,
    EVP_PKEY_decrypt, EVP_PKEY_decrypt_init, EVP_PKEY_free, EVP_PKEY_id, EVP_PKEY_size,
    EVP_parse_private_key, EVP_sha1, EVP_sha256, EVP_sha384, EVP_sha512, OPENSSL_free,
    OPENSSL_malloc, RSA_PKCS1_OAEP_PADDING,
};
use std::ptr::{NonNull, null_mut};

/// The smallest and largest RSA keys taken, in bits (as aws-lc-rs's decrypting keys).
pub const MIN_BITS: u32 = 2048;
pub const MAX_BITS: u32 = 8192;
/// The longest OAEP label (XML Encryption `OAEPparams`) taken.
pub const MAX_LABEL: usize = 1024;

/// A hash for the OAEP digest or for MGF1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn md(self) -> *const EVP_MD {
        // Each EVP_shaN takes no argument and returns a pointer to a static, immutable EVP_MD.
        match self {
            // SAFETY: as above.
            Hash::Sha1 => unsafe { EVP_sha1() },
            // SAFETY: as above.
            Hash::Sha256 => unsafe { EVP_sha256() },
            // SAFETY: as above.
            Hash::Sha384 => unsafe { EVP_sha384() },
            // SAFETY: as above.
            Hash::Sha512 => unsafe { EVP_sha512() },
        }
    }
}

/// The one error: a key that is not a usable RSA key, or a ciphertext that does not decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unspecified;

impl std::fmt::Display for Unspecified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RSA-OAEP operation failed")
    }
}

impl std::error::Error for Unspecified {}

/// Leave AWS-LC's thread-local error queue empty after a failure, as aws-lc-rs callers expect.
fn failed<T>() -> Result<T, Unspecified> {
    // SAFETY: clears this thread's error queue; no pointer involved.
    unsafe { ERR_clear_error() };
    Err(Unspecified)
}

/// An RSA private key, parsed once by AWS-LC.
pub struct PrivateKey {
    /// Owned: created by `EVP_parse_private_key`, freed once in `Drop`, never handed out.
    pkey: NonNull<EVP_PKEY>,
}

// SAFETY: the EVP_PKEY is never mutated after parsing (each decryption makes its own
// EVP_PKEY_CTX, which takes a reference); AWS-LC's RSA private operations lock what they share
// (blinding), so the key may move between and be used from several threads, as aws-lc-rs's own
// key types (which wrap the same pointer) are.
unsafe impl Send for PrivateKey {}
// SAFETY: as above.
unsafe impl Sync for PrivateKey {}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(..)")
    }
}

impl Drop for PrivateKey {
    fn drop(&mut self) {
        // SAFETY: `pkey` is owned by this value and freed exactly once, here.
        unsafe { EVP_PKEY_free(self.pkey.as_ptr()) };
    }
}

/// An owned EVP_PKEY_CTX, freed on every path.
struct Ctx(NonNull<EVP_PKEY_CTX>);

impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: the context is owned by this value and freed exactly once, here.
        unsafe { EVP_PKEY_CTX_free(self.0.as_ptr()) };
    }
}

impl PrivateKey {
    /// From PKCS#8 DER holding an RSA key of [`MIN_BITS`] to [`MAX_BITS`] bits; the whole input
    /// must be the key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, Unspecified> {
        let mut cbs = CBS {
            data: null_mut::<u8>().cast_const(),
            len: 0,
        };
        // SAFETY: `der` is a live slice for the whole call; CBS_init only records its pointer
        // and length in `cbs`, which lives on this stack frame.
        unsafe { CBS_init(&mut cbs, der.as_ptr(), der.len()) };
        // SAFETY: `cbs` reads only within `der`, still borrowed; the result is a new EVP_PKEY
        // owned by the caller, or null.
        let raw = unsafe { EVP_parse_private_key(&mut cbs) };
        let Some(pkey) = NonNull::new(raw) else {
            return failed();
        };
        // From here `key` owns the pointer and frees it on every return.
        let key = PrivateKey { pkey };
        // SAFETY: `cbs` still points into `der`.
        let rest = unsafe { CBS_len(&cbs) };
        // SAFETY: `key.pkey` is a valid EVP_PKEY for the life of `key`.
        let id = unsafe { EVP_PKEY_id(key.pkey.as_ptr()) };
        // SAFETY: as above.
        let bits = unsafe { EVP_PKEY_bits(key.pkey.as_ptr()) };
        let bits = u32::try_from(bits).map_err(|_| Unspecified)?;
        if rest != 0 || id != EVP_PKEY_RSA || !(MIN_BITS..=MAX_BITS).contains(&bits) {
            return failed();
        }
        Ok(key)
    }

    /// The modulus size in bytes: the size of every ciphertext, and an upper bound on every
    /// plaintext.
    pub fn size(&self) -> usize {
        // SAFETY: `self.pkey` is a valid EVP_PKEY for the life of `self`.
        let n = unsafe { EVP_PKEY_size(self.pkey.as_ptr()) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Decrypt one RSA-OAEP `ciphertext` (exactly [`Self::size`] bytes) with `digest` for the
    /// label hash and `mgf1` for the mask, and `label` (empty for none; at most [`MAX_LABEL`]
    /// bytes). Any failure is [`Unspecified`].
    pub fn decrypt(
        &self,
        digest: Hash,
        mgf1: Hash,
        label: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, Unspecified> {
        let size = self.size();
        if size == 0 || ciphertext.len() != size || label.len() > MAX_LABEL {
            return failed();
        }
        // SAFETY: `self.pkey` is valid; the new context takes its own reference to it (freed
        // with the context), or is null.
        let raw = unsafe { EVP_PKEY_CTX_new(self.pkey.as_ptr(), null_mut()) };
        let Some(ctx) = NonNull::new(raw).map(Ctx) else {
            return failed();
        };
        let c = ctx.0.as_ptr();
        // SAFETY: `c` is a valid context owned by `ctx`, alive until this function returns.
        if unsafe { EVP_PKEY_decrypt_init(c) } != 1 {
            return failed();
        }
        // SAFETY: as above; the padding is a constant AWS-LC defines.
        if unsafe { EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) } != 1 {
            return failed();
        }
        // SAFETY: as above; the EVP_MD is static.
        if unsafe { EVP_PKEY_CTX_set_rsa_oaep_md(c, digest.md()) } != 1 {
            return failed();
        }
        // SAFETY: as above; the EVP_MD is static.
        if unsafe { EVP_PKEY_CTX_set_rsa_mgf1_md(c, mgf1.md()) } != 1 {
            return failed();
        }
        if !label.is_empty() {
            // The context takes ownership of the label, so it must be AWS-LC's own allocation.
            // SAFETY: allocates `label.len()` (> 0) bytes, or returns null.
            let raw = unsafe { OPENSSL_malloc(label.len()) }.cast::<u8>();
            let Some(buf) = NonNull::new(raw) else {
                return failed();
            };
            // SAFETY: `buf` holds `label.len()` writable bytes just allocated, which cannot
            // overlap `label`.
            unsafe { std::ptr::copy_nonoverlapping(label.as_ptr(), buf.as_ptr(), label.len()) };
            // SAFETY: on success the context owns `buf` and frees it with itself.
            if unsafe { EVP_PKEY_CTX_set0_rsa_oaep_label(c, buf.as_ptr(), label.len()) } != 1 {
                // SAFETY: not taken by the context: still ours, freed once.
                unsafe { OPENSSL_free(buf.as_ptr().cast()) };
                return failed();
            }
        }
        let mut out = vec![0u8; size];
        let mut out_len = out.len();
        // SAFETY: `out` has `out_len` writable bytes, the most EVP_PKEY_decrypt writes for an
        // RSA key of `size` bytes; `ciphertext` is a live slice of its length; `out_len` is
        // updated to the plaintext's length.
        let ok = unsafe {
            EVP_PKEY_decrypt(
                c,
                out.as_mut_ptr(),
                &mut out_len,
                ciphertext.as_ptr(),
                ciphertext.len(),
            )
        };
        drop(ctx);
        if ok != 1 || out_len > out.len() {
            return failed();
        }
        out.truncate(out_len);
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
