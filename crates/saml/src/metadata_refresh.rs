//! Metadata fetched from a URL, decided sans-IO: whether a fetched document may replace the one
//! in use, when to fetch again, and how to back off after a failure. The fetching itself (HTTP,
//! size and time limits, redirects) is the caller's.
//!
//! Invariants:
//! - A document is accepted only when it parses, names the expected entity, is not past any
//!   `validUntil`, carries no lint error, and (when a metadata signing certificate is pinned)
//!   its root signature verifies against that certificate.
//! - Every time computed from document values is checked arithmetic and clamped to
//!   [`MIN_INTERVAL`, `MAX_INTERVAL`]: a hostile `cacheDuration` cannot make us fetch in a
//!   tight loop or never again.

use symbolon_dsig::{PinnedCert, VerifyPolicy, verify_enveloped};
use time::{Duration, OffsetDateTime};

use crate::lint::{Severity, lint_entity};
use crate::metadata::{EntityDescriptor, metadata_limits, parse_metadata_document, select_entity};

/// Fetch again after this long when the document says nothing.
pub const DEFAULT_INTERVAL: Duration = Duration::hours(6);
/// Never sooner than this after a fetch...
pub const MIN_INTERVAL: Duration = Duration::minutes(5);
/// ...and never later.
pub const MAX_INTERVAL: Duration = Duration::days(7);
/// The first retry after a failure; doubled each time, at most the regular interval.
pub const FIRST_RETRY: Duration = Duration::minutes(5);

/// What fetching a metadata URL brought (the HTTP client's result, in the terms of this module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    NotModified,
    Document {
        body: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    Failed(String),
}

/// How often to refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    pub interval: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            interval: DEFAULT_INTERVAL,
        }
    }
}

/// A fetched document with its HTTP validators (ETag, Last-Modified).
pub type FetchedDocument = (Vec<u8>, Option<String>, Option<String>);

impl FetchOutcome {
    /// A first fetch (adding from a URL): the document and its validators, or why there is
    /// none.
    pub fn into_first_document(self, url: &str) -> Result<FetchedDocument, String> {
        match self {
            FetchOutcome::Document {
                body,
                etag,
                last_modified,
            } => Ok((body, etag, last_modified)),
            FetchOutcome::NotModified => {
                Err("the metadata URL answered 304 Not Modified to a first request".into())
            }
            FetchOutcome::Failed(m) => {
                Err(format!("the metadata could not be fetched from {url}: {m}"))
            }
        }
    }
}

/// The pinned metadata signer of a source (its first certificate), if it has one.
pub fn pinned_signer(certs: &[Vec<u8>]) -> Result<Option<PinnedCert>, String> {
    certs
        .first()
        .map(|der| {
            PinnedCert::from_der(der)
                .map_err(|e| format!("the metadata signing certificate is not usable: {e}"))
        })
        .transpose()
}

/// What one refresh did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshReport {
    Unchanged,
    /// The new document is in use; one line per change.
    Changed(Vec<String>),
    /// The last good document stays; the reason.
    Failed(String),
}

/// Whether a source is due at `now`: its next fetch has come, or `interval` has passed since
/// the last one (a source scheduled elsewhere with a longer interval).
pub fn is_due(
    next_at: OffsetDateTime,
    checked_at: Option<OffsetDateTime>,
    interval: Duration,
    now: OffsetDateTime,
) -> bool {
    next_at <= now || checked_at.is_none_or(|c| c.checked_add(interval).is_none_or(|t| t <= now))
}

/// What a fetched document must satisfy.
#[derive(Debug, Clone)]
pub struct SourcePolicy<'a> {
    /// The entity to take: required for an aggregate; `None` takes the only one.
    pub entity_id: Option<&'a str>,
    /// When set, the document's root must carry a signature by this certificate.
    pub signing_cert: Option<&'a PinnedCert>,
    /// The regular interval (bounded by [`MIN_INTERVAL`] and [`MAX_INTERVAL`]).
    pub interval: Duration,
}

/// Why a fetched document was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    #[error("not usable metadata: {0}")]
    Metadata(#[from] crate::metadata::MetadataError),
    #[error("not acceptable XML: {0}")]
    Xml(#[from] symbolon_xml::XmlError),
    #[error("the document is not signed, and a metadata signing certificate is pinned")]
    Unsigned,
    #[error("the document's signature does not verify with the pinned certificate: {0}")]
    Signature(symbolon_dsig::DsigError),
    #[error("the document expired (validUntil {0})")]
    Expired(String),
    #[error("the metadata has errors: {0}")]
    Lint(String),
}

/// A document that may replace the one in use.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub entity: EntityDescriptor,
    /// The entity's own `EntityDescriptor`, standalone (taken out of an aggregate with the
    /// namespaces it uses): what is kept.
    pub entity_xml: String,
    /// When to fetch again.
    pub next_fetch: OffsetDateTime,
}

/// Decide on a fetched document.
pub fn evaluate(
    document: &[u8],
    policy: &SourcePolicy<'_>,
    now: OffsetDateTime,
) -> Result<Accepted, RefreshError> {
    let limits = metadata_limits();
    if let Some(cert) = policy.signing_cert {
        let text = symbolon_xml::decode_document(document, &limits)?;
        let doc = symbolon_xml::parse(&text, &limits)?;
        let root = doc.root_element();
        if symbolon_xml::children_named(root, symbolon_xml::ns::DSIG, "Signature")
            .next()
            .is_none()
        {
            return Err(RefreshError::Unsigned);
        }
        verify_enveloped(
            root,
            std::slice::from_ref(cert),
            &VerifyPolicy { allow_sha1: false },
        )
        .map_err(RefreshError::Signature)?;
    }
    let md = parse_metadata_document(document)?;
    if let Some(raw) = &md.valid_until_raw {
        match crate::time::parse_instant(raw) {
            Some(t) if t > now => {}
            _ => return Err(RefreshError::Expired(raw.clone())),
        }
    }
    let root_cache = md.cache_duration.clone();
    let root_valid_until = md
        .valid_until_raw
        .as_deref()
        .and_then(crate::time::parse_instant);
    let entity = select_entity(md.entities, policy.entity_id)?;
    if let Some(raw) = &entity.valid_until_raw
        && entity.valid_until.is_none_or(|t| t <= now)
    {
        return Err(RefreshError::Expired(raw.clone()));
    }
    let errors: Vec<String> = lint_entity(&entity, now)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.message)
        .collect();
    if !errors.is_empty() {
        return Err(RefreshError::Lint(errors.join("; ")));
    }
    let next_fetch = next_fetch(
        now,
        policy.interval,
        [root_cache.as_deref(), entity.cache_duration.as_deref()],
        [root_valid_until, entity.valid_until],
    );
    let entity_xml = if md.root_element == "EntityDescriptor" {
        symbolon_xml::decode_document(document, &limits)?.into_owned()
    } else {
        entity_xml(document, &entity.entity_id)?
    };
    Ok(Accepted {
        entity,
        entity_xml,
        next_fetch,
    })
}

/// The `EntityDescriptor` of `entity_id` out of an aggregate, as a document of its own: its text,
/// with the namespaces in scope declared on it.
pub fn entity_xml(document: &[u8], entity_id: &str) -> Result<String, RefreshError> {
    let limits = metadata_limits();
    let text = symbolon_xml::decode_document(document, &limits)?;
    let doc = symbolon_xml::parse(&text, &limits)?;
    let node = doc
        .descendants()
        .find(|n| {
            symbolon_xml::is_element(*n, symbolon_xml::ns::MD, "EntityDescriptor")
                && n.attribute("entityID") == Some(entity_id)
        })
        .ok_or_else(|| crate::metadata::MetadataError::EntityNotFound(entity_id.to_string()))?;
    let own = text.get(node.range()).unwrap_or_default();
    // Declarations the element itself carries stay; those inherited are added.
    let start_tag_end = own.find(['>', '/']).unwrap_or(own.len());
    let name_end = own
        .get(1..start_tag_end)
        .and_then(|t| t.find(|c: char| c.is_whitespace()))
        .map_or(start_tag_end, |i| i + 1);
    let head = own.get(..name_end).unwrap_or_default();
    let tail = own.get(name_end..).unwrap_or_default();
    let mut decls = String::new();
    for ns in node.namespaces() {
        let (attr, uri) = match ns.name() {
            Some(p) => (format!("xmlns:{p}"), ns.uri()),
            None => ("xmlns".to_string(), ns.uri()),
        };
        if declared_on(own, head.len(), &attr) || attr == "xmlns:xml" {
            continue;
        }
        decls.push(' ');
        decls.push_str(&attr);
        decls.push_str("=\"");
        decls.push_str(
            &uri.replace('&', "&amp;")
                .replace('"', "&quot;")
                .replace('<', "&lt;"),
        );
        decls.push('"');
    }
    Ok(format!("{head}{decls}{tail}"))
}

/// Whether the start tag (which begins `own`) already declares `attr`.
fn declared_on(own: &str, from: usize, attr: &str) -> bool {
    let end = own.find('>').unwrap_or(own.len());
    own.get(from..end).is_some_and(|tag| {
        tag.split_whitespace()
            .any(|a| a.starts_with(&format!("{attr}=")))
    })
}

/// When to fetch again: the earliest of the regular interval, every `cacheDuration` and every
/// `validUntil` (a little before it), bounded to [`MIN_INTERVAL`, `MAX_INTERVAL`] from now.
pub fn next_fetch(
    now: OffsetDateTime,
    interval: Duration,
    cache_durations: [Option<&str>; 2],
    valid_until: [Option<OffsetDateTime>; 2],
) -> OffsetDateTime {
    // A configured interval shorter than MIN_INTERVAL (tests, a lab) lowers the floor with it.
    let floor = interval.clamp(Duration::SECOND, MIN_INTERVAL);
    let mut wait = interval.clamp(floor, MAX_INTERVAL);
    for d in cache_durations.into_iter().flatten() {
        if let Some(d) = parse_duration(d) {
            wait = wait.min(d);
        }
    }
    for t in valid_until.into_iter().flatten() {
        // Half-way to validUntil, so that a renewed document is in hand before it lapses.
        let left = t - now;
        wait = wait.min(left / 2);
    }
    let wait = wait.clamp(floor, MAX_INTERVAL);
    now.checked_add(wait).unwrap_or(now)
}

/// When to try again after `failures` failed attempts in a row (1 for the first): 5 minutes,
/// doubled each time, at most the regular interval.
pub fn retry_after(failures: u32, interval: Duration, now: OffsetDateTime) -> OffsetDateTime {
    let cap = interval.clamp(Duration::SECOND, MAX_INTERVAL);
    let factor = 1i32
        .checked_shl(failures.saturating_sub(1).min(16))
        .unwrap_or(i32::MAX);
    let wait = FIRST_RETRY.checked_mul(factor).unwrap_or(cap).min(cap);
    now.checked_add(wait).unwrap_or(now)
}

/// An `xs:duration` (`P1DT2H`, `PT30M`, `PT1.5S`...) as a positive [`Duration`]; `None` when it
/// does not parse, is negative, or is out of range. Years count 365 days and months 30.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let rest = s.trim().strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    if date.is_empty() && time.is_none_or(str::is_empty) {
        return None;
    }
    let mut total: i64 = 0;
    let mut add = |n: i64, unit: i64| -> Option<()> {
        total = total.checked_add(n.checked_mul(unit)?)?;
        Some(())
    };
    let mut num = String::new();
    for c in date.chars() {
        match c {
            '0'..='9' => num.push(c),
            'Y' | 'M' | 'W' | 'D' => {
                let n: i64 = num.parse().ok()?;
                num.clear();
                add(
                    n,
                    match c {
                        'Y' => 365 * 86_400,
                        'M' => 30 * 86_400,
                        'W' => 7 * 86_400,
                        _ => 86_400,
                    },
                )?;
            }
            _ => return None,
        }
    }
    if !num.is_empty() {
        return None;
    }
    let mut millis: i64 = 0;
    if let Some(t) = time {
        if t.is_empty() {
            return None;
        }
        for c in t.chars() {
            match c {
                '0'..='9' | '.' => num.push(c),
                'H' | 'M' => {
                    let n: i64 = num.parse().ok()?;
                    num.clear();
                    add(n, if c == 'H' { 3600 } else { 60 })?;
                }
                'S' => {
                    let (whole, frac) = num.split_once('.').unwrap_or((&num, ""));
                    let n: i64 = whole.parse().ok()?;
                    add(n, 1)?;
                    if !frac.is_empty() {
                        let f3: String = frac.chars().chain("000".chars()).take(3).collect();
                        millis = f3.parse().ok()?;
                    }
                    num.clear();
                }
                _ => return None,
            }
        }
        if !num.is_empty() {
            return None;
        }
    }
    let d = Duration::seconds(total).checked_add(Duration::milliseconds(millis))?;
    (d > Duration::ZERO).then_some(d)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2025-01-01 12:00:00 UTC);

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT6H"), Some(Duration::hours(6)));
        assert_eq!(parse_duration("P1DT30M"), Some(Duration::minutes(1470)));
        assert_eq!(parse_duration("PT1.5S"), Some(Duration::milliseconds(1500)));
        assert_eq!(parse_duration("P1W"), Some(Duration::days(7)));
        for bad in [
            "",
            "P",
            "PT",
            "6H",
            "-PT1H",
            "PT1X",
            "P1H",
            "PT0S",
            "P99999999999999999Y",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_next_fetch_is_bounded_whatever_the_document_says() {
        let at = |c: Option<&str>, v: Option<OffsetDateTime>| {
            next_fetch(NOW, DEFAULT_INTERVAL, [c, None], [v, None]) - NOW
        };
        assert_eq!(at(None, None), DEFAULT_INTERVAL);
        assert_eq!(at(Some("PT1H"), None), Duration::hours(1));
        assert_eq!(at(Some("PT1S"), None), MIN_INTERVAL, "no tight loop");
        assert_eq!(at(Some("P3650D"), None), DEFAULT_INTERVAL);
        assert_eq!(at(None, Some(NOW + Duration::hours(2))), Duration::hours(1));
        assert_eq!(at(None, Some(NOW - Duration::hours(2))), MIN_INTERVAL);
        assert_eq!(
            next_fetch(NOW, Duration::days(365), [None, None], [None, None]) - NOW,
            MAX_INTERVAL
        );
    }

    #[test]
    fn retries_back_off_up_to_the_interval() {
        let w = |n| retry_after(n, DEFAULT_INTERVAL, NOW) - NOW;
        assert_eq!(w(1), Duration::minutes(5));
        assert_eq!(w(2), Duration::minutes(10));
        assert_eq!(w(4), Duration::minutes(40));
        assert_eq!(w(10), DEFAULT_INTERVAL);
        assert_eq!(w(u32::MAX), DEFAULT_INTERVAL);
    }
}
