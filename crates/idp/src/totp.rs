//! Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP): HMAC-SHA1, 30-second steps, six
//! digits, one step of drift either way. Pure functions of (secret, code, time, last used step):
//! no clock, no randomness they did not receive. A code is accepted only for a step after the
//! last one used, so a code cannot be replayed, even inside its own 30 seconds.

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SecureRandom;

/// Seconds per step.
pub const STEP: i64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Steps of clock drift accepted either way.
pub const WINDOW: i64 = 1;
/// Bytes of secret (160 bits, RFC 4226's recommendation for SHA-1).
pub const SECRET_LEN: usize = 20;

/// A new random secret.
pub fn new_secret(rng: &dyn SecureRandom) -> Option<Vec<u8>> {
    let mut s = vec![0u8; SECRET_LEN];
    rng.fill(&mut s).ok()?;
    Some(s)
}

/// The secret as authenticator apps take it (RFC 4648 base32, no padding).
pub fn to_base32(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

/// A base32 secret back to bytes (spaces and case forgiven); `None` when it is not base32.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    data_encoding::BASE32_NOPAD
        .decode(clean.trim_end_matches('=').as_bytes())
        .ok()
        .filter(|s| !s.is_empty())
}

/// The HOTP value for a counter (RFC 4226 section 5.3), as `DIGITS` digits.
pub fn hotp(secret: &[u8], counter: u64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let word = mac
        .get(offset..offset + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(|b| u32::from_be_bytes(b) & 0x7fff_ffff)
        .unwrap_or(0);
    format!("{:0width$}", word % 1_000_000, width = DIGITS)
}

/// The step a Unix time falls in.
pub fn step_at(unix: i64) -> i64 {
    unix.div_euclid(STEP)
}

/// The code for a Unix time.
pub fn code_at(secret: &[u8], unix: i64) -> String {
    hotp(secret, u64::try_from(step_at(unix)).unwrap_or(0))
}

/// The step `code` matches at `unix` (within the drift window), if it is later than
/// `last_used`: the caller stores it as the new last used step. Codes are compared in constant
/// time; anything but six digits is refused.
pub fn verify(secret: &[u8], code: &str, unix: i64, last_used: Option<i64>) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix);
    let mut found = None;
    for step in now - WINDOW..=now + WINDOW {
        let Ok(counter) = u64::try_from(step) else {
            continue;
        };
        let want = hotp(secret, counter);
        let same = want
            .bytes()
            .zip(code.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
        if same && last_used.is_none_or(|l| step > l) {
            found = Some(step);
        }
    }
    found
}

/// The `otpauth://` URI an authenticator app scans (Key Uri Format).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        enc(issuer),
        enc(account),
        to_base32(secret),
        enc(issuer)
    )
}

/// `n` one-time recovery codes, `xxxx-xxxx-xxxx` in lowercase base32 (60 bits each).
pub fn recovery_codes(rng: &dyn SecureRandom, n: usize) -> Option<Vec<String>> {
    (0..n)
        .map(|_| {
            let mut b = [0u8; 8];
            rng.fill(&mut b).ok()?;
            let s = data_encoding::BASE32_NOPAD.encode(&b).to_ascii_lowercase();
            let s: String = s.chars().take(12).collect();
            Some(format!(
                "{}-{}-{}",
                s.get(0..4)?,
                s.get(4..8)?,
                s.get(8..12)?
            ))
        })
        .collect()
}

/// A recovery code as typed, normalised for hashing (case, spaces and dashes forgiven).
pub fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // RFC 4226 appendix D and RFC 6238 appendix B (SHA-1 key "12345678901234567890").
    const SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_test_vectors() {
        let hotps = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (i, want) in hotps.iter().enumerate() {
            assert_eq!(hotp(SECRET, i as u64), *want, "HOTP {i}");
        }
        // RFC 6238 gives 8 digits; the last 6 are ours.
        for (t, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(SECRET, t), eight[2..], "TOTP at {t}");
        }
    }

    #[test]
    fn window_and_replay() {
        let t = 1_700_000_000;
        let now = code_at(SECRET, t);
        let step = step_at(t);
        assert_eq!(verify(SECRET, &now, t, None), Some(step));
        assert_eq!(verify(SECRET, &now, t, Some(step)), None, "used once");
        assert_eq!(
            verify(SECRET, &now, t + STEP, None),
            Some(step),
            "a step late is fine"
        );
        assert_eq!(
            verify(SECRET, &now, t + 2 * STEP, None),
            None,
            "two steps late is not"
        );
        assert_eq!(
            verify(SECRET, &now, t - STEP, None),
            Some(step),
            "a fast clock"
        );
        let previous = code_at(SECRET, t - STEP);
        assert_eq!(
            verify(SECRET, &previous, t, Some(step)),
            None,
            "older than the last used step"
        );
        for bad in ["", "12345", "1234567", "12a456", " "] {
            assert_eq!(verify(SECRET, bad, t, None), None, "{bad:?}");
        }
        assert_eq!(verify(SECRET, &format!(" {now} "), t, None), Some(step));
    }

    #[test]
    fn secrets_uris_and_recovery_codes() {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let s = new_secret(&rng).unwrap();
        assert_eq!(s.len(), SECRET_LEN);
        assert_eq!(from_base32(&to_base32(&s)).unwrap(), s);
        assert_eq!(
            from_base32(&to_base32(&s).to_lowercase()).unwrap(),
            s,
            "case forgiven"
        );
        assert_eq!(from_base32("not base32!"), None);
        let uri = otpauth_uri("Acme Corp", "alice@acme.test", SECRET);
        assert!(uri.starts_with("otpauth://totp/Acme%20Corp:alice%40acme.test?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Corp"));
        let codes = recovery_codes(&rng, 10).unwrap();
        assert_eq!(codes.len(), 10);
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 14 && c.matches('-').count() == 2)
        );
        assert_eq!(normalise_recovery_code(" ABCD-efgh-1234 "), "abcdefgh1234");
    }
}
