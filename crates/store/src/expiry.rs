//! Certificate-expiry notices, backend-neutral: 30, 14, 7 and 1 days before a certificate's
//! notAfter (and once it has expired) a notice is due, once per certificate and threshold. What a
//! notice says, and where it is recorded, is each server's; that it is said once is here (the
//! state store remembers it, on every instance).

use crate::{Result, StateStore};
use time::OffsetDateTime;

/// Days before expiry at which a notice is due.
pub const THRESHOLDS: [i64; 4] = [30, 14, 7, 1];
/// State kind of the notices already given.
pub const NOTICE_KIND: &str = "cert-expiry-notice";

/// Whole days from `now` to the certificate's notAfter (negative once expired); `None` when the
/// certificate cannot be read.
pub fn days_left(der: &[u8], now: OffsetDateTime) -> Option<i64> {
    let c = symbolon_dsig::describe_certificate(der).ok()?;
    Some(
        c.not_after
            .saturating_sub(now.unix_timestamp())
            .div_euclid(86_400),
    )
}

/// The threshold `days` falls under: the smallest of [`THRESHOLDS`] not below it, 0 once
/// expired, `None` when more than 30 days are left.
pub fn threshold(days: i64) -> Option<i64> {
    if days < 0 {
        return Some(0);
    }
    THRESHOLDS.iter().rev().copied().find(|t| days <= *t)
}

/// If a notice is due for this certificate now (and not given before on any instance), record
/// that it is given and return (days left, threshold).
pub async fn notice_due<S: StateStore>(
    store: &S,
    der: &[u8],
    now: OffsetDateTime,
) -> Result<Option<(i64, i64)>> {
    let Some(days) = days_left(der, now) else {
        return Ok(None);
    };
    let Some(t) = threshold(days) else {
        return Ok(None);
    };
    let fp: String = symbolon_dsig::sha256(der)
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect();
    let key = format!("{fp}:{t}");
    if store.state(NOTICE_KIND, &key, now).await?.is_some() {
        return Ok(None);
    }
    store
        .put_state(NOTICE_KIND, &key, "given", now + time::Duration::days(60))
        .await?;
    Ok(Some((days, t)))
}

/// A certificate a server watches, and how long it has left: what the `certificate_expiry_seconds`
/// metric shows. `kind` is one of a few fixed words per server; `owner` names where the
/// certificate is used (a realm and key or client, an account and identity provider).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    pub kind: &'static str,
    pub owner: String,
    /// Seconds from `now` to notAfter, negative once expired.
    pub seconds_left: i64,
}

impl Watched {
    /// `None` when the certificate cannot be read.
    pub fn of(kind: &'static str, owner: String, der: &[u8], now: OffsetDateTime) -> Option<Self> {
        let c = symbolon_dsig::describe_certificate(der).ok()?;
        Some(Watched {
            kind,
            owner,
            seconds_left: c.not_after.saturating_sub(now.unix_timestamp()),
        })
    }
}

/// How a notice reads: "expires in 12 days (2026-12-18)" or "expired 3 days ago".
pub fn phrase(days: i64, der: &[u8]) -> String {
    let when = symbolon_dsig::describe_certificate(der)
        .ok()
        .and_then(|c| OffsetDateTime::from_unix_timestamp(c.not_after).ok())
        .map(|t| t.date().to_string())
        .unwrap_or_default();
    match days {
        d if d < 0 => format!("expired {} days ago ({when})", -d),
        0 => format!("expires today ({when})"),
        1 => format!("expires tomorrow ({when})"),
        d => format!("expires in {d} days ({when})"),
    }
}

#[cfg(test)]
mod tests {
    use super::threshold;

    #[test]
    fn thresholds() {
        assert_eq!(threshold(45), None);
        assert_eq!(threshold(30), Some(30));
        assert_eq!(threshold(15), Some(30));
        assert_eq!(threshold(14), Some(14));
        assert_eq!(threshold(8), Some(14));
        assert_eq!(threshold(7), Some(7));
        assert_eq!(threshold(2), Some(7));
        assert_eq!(threshold(1), Some(1));
        assert_eq!(threshold(0), Some(1));
        assert_eq!(threshold(-1), Some(0));
    }
}
