//! xs:dateTime as SAML uses it (UTC), and RFC 3339 output.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Parse an xs:dateTime with a zone designator (`Z` or an offset), as SAML requires.
pub fn parse_instant(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s.trim(), &Rfc3339)
        .ok()
        .map(|t| t.to_offset(time::UtcOffset::UTC))
}

/// RFC 3339, UTC, ending in `Z`.
pub fn format_instant(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}
