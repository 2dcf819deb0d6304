//! security.md rule 14: every time from input is parsed and combined with checked arithmetic.
//! A property test over the whole `xs:dateTime` range (years 0000-9999, every offset, leap
//! seconds, fractions, malformed fields) through every parser and every comparison: nothing
//! panics, and what is accepted is a UTC instant that formats back to itself.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use symbolon_saml::time::{at_least, at_most, checked_after, format_instant, parse_instant};
use symbolon_saml::{Expectation, ValidationError as E};
use time::{Duration, OffsetDateTime, UtcOffset};

/// A small deterministic generator (xorshift64*), so that failures reproduce.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len() as u64) as usize]
    }
}

/// An xs:dateTime-shaped string: mostly valid, with extremes, odd offsets and leap seconds.
fn instant(g: &mut Gen) -> String {
    let year = match g.below(6) {
        0 => 9999,
        1 => 0,
        2 => 1970,
        3 => 10_000 + g.below(90_000),
        _ => g.below(10_000),
    };
    let month = if g.below(10) == 0 {
        g.below(14)
    } else {
        1 + g.below(12)
    };
    let day = if g.below(10) == 0 {
        g.below(33)
    } else {
        1 + g.below(28)
    };
    let (hour, minute, second) = match g.below(8) {
        0 => (23, 59, 60),
        1 => (23, 59, 59),
        2 => (0, 0, 0),
        3 => (g.below(26), g.below(62), g.below(62)),
        _ => (g.below(24), g.below(60), g.below(60)),
    };
    let frac = g.pick(&["", ".5", ".999999999", ".0000000001", ".123"]);
    let zone = match g.below(5) {
        0 => "Z".to_string(),
        1 => g
            .pick(&[
                "+23:59", "-23:59", "+24:00", "-00:00", "+14:00", "-12:00", "+05:45",
            ])
            .to_string(),
        _ => {
            let sign = if g.below(2) == 0 { '+' } else { '-' };
            format!("{sign}{:02}:{:02}", g.below(24), g.below(60))
        }
    };
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{frac}{zone}")
}

#[test]
fn the_extremes_named_in_the_review() {
    // Valid xs:dateTime, but past year 9999 once in UTC: refused, never a panic.
    assert_eq!(parse_instant("9999-12-31T23:59:59-01:00"), None);
    // Representable: accepted, and arithmetic on it is checked.
    let max = parse_instant("9999-12-31T23:59:59Z").unwrap();
    assert_eq!(checked_after(max, Duration::seconds(120)), None);
    assert!(at_most(max, Duration::seconds(120)) >= max);
    assert!(
        at_least(
            parse_instant("0000-01-01T00:00:00Z").unwrap(),
            Duration::DAY
        ) <= max
    );
}

#[test]
fn property_every_parser_and_comparison_over_the_whole_range() {
    let mut g = Gen(0x5eed_1234_abcd_ef01);
    let durations = [
        Duration::ZERO,
        Duration::seconds(120),
        Duration::seconds(300),
        Duration::hours(24),
        Duration::days(400),
        Duration::MAX,
        Duration::MIN,
    ];
    let mut accepted = 0;
    for _ in 0..200_000 {
        let s = instant(&mut g);
        let Some(t) = parse_instant(&s) else { continue };
        accepted += 1;
        assert_eq!(t.offset(), UtcOffset::UTC, "{s}");
        assert_eq!(parse_instant(&format_instant(t)), Some(t), "{s}");
        for d in durations {
            let _ = checked_after(t, d);
            let up = at_most(t, d);
            let down = at_least(t, d);
            if !d.is_negative() {
                assert!(up >= t && down <= t, "{s} {d}");
            }
        }
    }
    assert!(
        accepted > 50_000,
        "the generator must mostly produce valid values: {accepted}"
    );
}

/// Every time attribute of a signed Response, and the validator's `now`, at extreme values:
/// a clear rejection or an acceptance, never a panic; the replay key never overflows.
#[test]
fn validation_with_extreme_times_never_panics() {
    let mut g = Gen(42);
    let extremes = [
        "9999-12-31T23:59:59Z".to_string(),
        "9999-12-31T23:59:59-01:00".to_string(),
        "9999-12-31T23:59:59.999999999Z".to_string(),
        "0000-01-01T00:00:00Z".to_string(),
        "0000-01-01T00:00:00+23:59".to_string(),
        "2016-12-31T23:59:60Z".to_string(),
        "2025-01-01T12:00:00+23:59".to_string(),
    ];
    let mut values: Vec<String> = extremes.to_vec();
    for _ in 0..12 {
        values.push(instant(&mut g));
    }
    let nows = [
        NOW,
        OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT),
        OffsetDateTime::new_utc(time::Date::MIN, time::Time::MIDNIGHT),
    ];
    for v in &values {
        let cases = [
            Fixture {
                issue_instant: v.clone(),
                ..Fixture::default()
            },
            Fixture {
                not_before: v.clone(),
                ..Fixture::default()
            },
            Fixture {
                not_on_or_after: v.clone(),
                ..Fixture::default()
            },
            Fixture {
                scd_not_on_or_after: v.clone(),
                ..Fixture::default()
            },
            Fixture {
                issue_instant: v.clone(),
                not_before: v.clone(),
                not_on_or_after: v.clone(),
                scd_not_on_or_after: v.clone(),
                ..Fixture::default()
            },
        ];
        for f in cases {
            let xml = f.signed_assertion();
            for now in nows {
                if let Ok(ok) = check_with(&xml, &idp(), &Expectation::at(now)) {
                    // Accepted: the replay entry ends soon after now, never years later.
                    let k = ok.replay_key();
                    assert!(
                        k.until <= at_most(now, Duration::minutes(10)),
                        "{v}: {}",
                        k.until
                    );
                }
            }
        }
    }
}

/// The replay key's end is NotOnOrAfter plus the skew; with NotOnOrAfter at the end of year
/// 9999 it used to overflow. Now the accepted lifetime is capped from the IssueInstant.
#[test]
fn not_on_or_after_at_the_end_of_time_is_capped_by_the_lifetime() {
    let far = "9999-12-31T23:59:59Z".to_string();
    let xml = Fixture {
        not_on_or_after: far.clone(),
        scd_not_on_or_after: far,
        ..Fixture::default()
    }
    .signed_assertion();
    let v = check(&xml).unwrap();
    assert_eq!(v.not_on_or_after, NOW + Duration::minutes(5));
    assert_eq!(v.replay_key().until, NOW + Duration::minutes(7));
    // Past the cap (plus skew), the same assertion is too old, whatever NotOnOrAfter says.
    let later = NOW + Duration::minutes(7);
    assert!(matches!(
        check_with(&xml, &idp(), &Expectation::at(later)),
        Err(E::TooOld { max_secs: 300, .. })
    ));
    // The cap is configurable, within 1 s..24 h.
    let long = Expectation {
        max_assertion_lifetime: Duration::hours(1),
        ..Expectation::at(later)
    };
    assert!(check_with(&xml, &idp(), &long).is_ok());
    let silly = Expectation {
        max_assertion_lifetime: Duration::days(365),
        ..Expectation::at(NOW)
    };
    assert_eq!(
        check_with(&xml, &idp(), &silly).unwrap_err(),
        E::LifetimeOutOfRange(365 * 86_400)
    );
}

/// AuthnRequest IssueInstant and metadata validUntil at the extremes: refused or accepted,
/// never a panic.
#[test]
fn requests_and_metadata_with_extreme_times() {
    use symbolon_saml::idp::{Arrival, SpRegistration, check_authn_request};
    use symbolon_saml::metadata::{BINDING_POST, Endpoint};
    let sp = SpRegistration {
        entity_id: SP.into(),
        acs: vec![Endpoint {
            binding: BINDING_POST.into(),
            location: ACS.into(),
            response_location: None,
            index: Some(0),
            is_default: Some(true),
        }],
        signing_certs: vec![],
        require_signed_requests: false,
        allow_sha1: false,
    };
    for v in [
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:59:59Z",
        "0000-01-01T00:00:00+01:00",
        "2016-12-31T23:59:60Z",
    ] {
        let req = format!(
            r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="{v}"><saml:Issuer>{SP}</saml:Issuer></samlp:AuthnRequest>"#
        );
        let doc = symbolon_xml::parse(&req, &symbolon_xml::Limits::default()).unwrap();
        for now in [
            NOW,
            OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT),
        ] {
            let r = check_authn_request(&doc, Arrival::Post, &sp, &[], now, Duration::seconds(120));
            assert!(r.is_err() || v.starts_with("2016"), "{v}: {r:?}");
        }
        let md = format!(
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.test" validUntil="{v}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#
        );
        if let Ok(entities) = symbolon_saml::metadata::parse_metadata(md.as_bytes()) {
            for e in &entities {
                let _ = symbolon_saml::lint::lint_entity(e, NOW);
            }
        }
    }
}
