//! xs:dateTime as SAML uses it (UTC), and RFC 3339 output.
//!
//! Every instant read from a message goes through [`parse_instant`], which refuses what cannot be
//! represented in UTC (a valid `xs:dateTime` such as `9999-12-31T23:59:59-01:00` lies past year
//! 9999 once converted). Arithmetic on instants and durations from input is checked
//! ([`checked_after`], [`checked_before`]) or saturating where only a comparison follows
//! ([`at_least`], [`at_most`]): nothing here can panic or wrap, whatever the input says.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

/// Parse an xs:dateTime with a zone designator (`Z` or an offset), as SAML requires, and convert
/// it to UTC. `None` when the text is not such a value or its UTC value lies outside the years
/// 0000-9999 (what RFC 3339, and so [`format_instant`], can write).
pub fn parse_instant(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    // RFC 3339 values are short; anything long is not one (and is never worth scanning).
    if s.len() > 64 {
        return None;
    }
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()?
        .checked_to_offset(UtcOffset::UTC)
        .filter(|t| (0..=9999).contains(&t.year()))
}

/// RFC 3339, UTC, ending in `Z`.
pub fn format_instant(t: OffsetDateTime) -> String {
    match t.checked_to_offset(UtcOffset::UTC) {
        Some(utc) => utc
            .format(&Rfc3339)
            .unwrap_or_else(|_| utc.unix_timestamp().to_string()),
        None => t.unix_timestamp().to_string(),
    }
}

/// `t + d`, or `None` when it leaves the representable range.
pub fn checked_after(t: OffsetDateTime, d: Duration) -> Option<OffsetDateTime> {
    t.checked_add(d)
}

/// `t - d`, or `None` when it leaves the representable range.
pub fn checked_before(t: OffsetDateTime, d: Duration) -> Option<OffsetDateTime> {
    t.checked_sub(d)
}

/// `t + d`, saturating at the largest instant: for comparisons only ("is x at most now + skew?").
pub fn at_most(t: OffsetDateTime, d: Duration) -> OffsetDateTime {
    t.saturating_add(d)
}

/// `t - d`, saturating at the smallest instant: for comparisons only.
pub fn at_least(t: OffsetDateTime, d: Duration) -> OffsetDateTime {
    t.saturating_sub(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_year_9999_in_utc_is_refused_not_a_panic() {
        assert_eq!(parse_instant("9999-12-31T23:59:59-01:00"), None);
        assert_eq!(parse_instant("0000-01-01T00:00:00+01:00"), None);
        let max = parse_instant("9999-12-31T23:59:59Z").unwrap();
        assert_eq!(checked_after(max, Duration::seconds(1)), None);
        assert!(at_most(max, Duration::seconds(120)) >= max);
        let min = parse_instant("0000-01-01T00:00:00Z").unwrap();
        assert!(checked_before(min, Duration::seconds(1)).is_some());
        assert!(at_least(min, Duration::seconds(300)) <= min);
    }

    #[test]
    fn offsets_convert_to_utc() {
        let a = parse_instant("2024-01-01T09:00:00+09:00").unwrap();
        let b = parse_instant("2024-01-01T00:00:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(format_instant(a), "2024-01-01T00:00:00Z");
        assert_eq!(parse_instant(&"1".repeat(100)), None);
    }
}
