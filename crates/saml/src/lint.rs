//! Metadata lint: findings for administrators, as data. Findings never block an import; the
//! caller decides what to show and what to refuse.

use symbolon_dsig::{CertError, PinnedCert, describe_certificate};
use time::OffsetDateTime;

use crate::metadata::{Endpoint, EntityDescriptor, KeyDescriptor};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    /// The entity cannot work as imported (e.g. an IdP with no usable signing key).
    Error,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// Stable identifier: `http-endpoint`, `cert-expired`, ...
    pub code: &'static str,
    pub message: String,
}

fn push(out: &mut Vec<Finding>, severity: Severity, code: &'static str, message: String) {
    out.push(Finding {
        severity,
        code,
        message,
    });
}

fn fmt_time(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .map(crate::time::format_instant)
        .unwrap_or_else(|_| unix.to_string())
}

fn lint_keys(
    out: &mut Vec<Finding>,
    role: &str,
    keys: &[KeyDescriptor],
    now: OffsetDateTime,
) -> usize {
    let mut usable_signing = 0;
    for kd in keys {
        if kd.certificates.is_empty() {
            push(
                out,
                Severity::Warning,
                "key-without-certificate",
                format!("{role} KeyDescriptor has no X509Certificate"),
            );
        }
        for der in &kd.certificates {
            let info = match describe_certificate(der) {
                Ok(i) => i,
                Err(e) => {
                    push(
                        out,
                        Severity::Warning,
                        "cert-unusable",
                        format!("{role} certificate cannot be read: {e}"),
                    );
                    continue;
                }
            };
            let n = now.unix_timestamp();
            if info.not_after < n {
                push(
                    out,
                    Severity::Warning,
                    "cert-expired",
                    format!(
                        "{role} certificate {} expired at {}",
                        info.subject,
                        fmt_time(info.not_after)
                    ),
                );
            } else if info.not_after - n < 30 * 86_400 {
                push(
                    out,
                    Severity::Warning,
                    "cert-expires-soon",
                    format!(
                        "{role} certificate {} expires at {} (within 30 days)",
                        info.subject,
                        fmt_time(info.not_after)
                    ),
                );
            }
            if info.not_before > n {
                push(
                    out,
                    Severity::Warning,
                    "cert-not-yet-valid",
                    format!(
                        "{role} certificate {} is not valid before {}",
                        info.subject,
                        fmt_time(info.not_before)
                    ),
                );
            }
            match PinnedCert::from_der(der) {
                Ok(_) if kd.for_signing() => usable_signing += 1,
                Ok(_) => {}
                Err(CertError::RsaTooSmall(bits)) => push(
                    out,
                    Severity::Warning,
                    "cert-weak-key",
                    format!(
                        "{role} certificate {} has an RSA key of {bits} bits (at least 2048 are required); it cannot be used",
                        info.subject
                    ),
                ),
                Err(e) => push(
                    out,
                    Severity::Warning,
                    "cert-unusable",
                    format!("{role} certificate {} cannot be used: {e}", info.subject),
                ),
            }
        }
    }
    usable_signing
}

fn lint_endpoints(out: &mut Vec<Finding>, what: &str, eps: &[Endpoint]) {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for e in eps {
        if e.location.starts_with("http://") {
            push(
                out,
                Severity::Warning,
                "http-endpoint",
                format!("{what} {} uses plain http", e.location),
            );
        }
        if !e.is_saml2() {
            push(
                out,
                Severity::Info,
                "unsupported-binding",
                format!(
                    "{what} binding {} is not a SAML 2.0 binding Symbolon uses; ignored",
                    e.binding
                ),
            );
        }
        if seen.contains(&(e.binding.as_str(), e.location.as_str())) {
            push(
                out,
                Severity::Info,
                "duplicate-endpoint",
                format!("{what} {} {} is listed twice", e.binding, e.location),
            );
        }
        seen.push((e.binding.as_str(), e.location.as_str()));
    }
}

/// Lint one entity as of `now`.
pub fn lint_entity(e: &EntityDescriptor, now: OffsetDateTime) -> Vec<Finding> {
    let mut out = Vec::new();
    if !e.entity_id.contains(':') || e.entity_id.chars().any(char::is_whitespace) {
        push(
            &mut out,
            Severity::Warning,
            "entity-id-not-uri",
            format!(
                "entityID {:?} is not a URI; it is used verbatim",
                e.entity_id
            ),
        );
    }
    if e.entity_id.starts_with("http://") {
        push(
            &mut out,
            Severity::Info,
            "entity-id-http",
            format!(
                "entityID {} uses http:// (a name, never fetched)",
                e.entity_id
            ),
        );
    }
    match (&e.valid_until_raw, e.valid_until) {
        (Some(raw), None) => push(
            &mut out,
            Severity::Warning,
            "valid-until-invalid",
            format!("validUntil {raw:?} is not a valid dateTime"),
        ),
        (Some(raw), Some(t)) if t < now => push(
            &mut out,
            Severity::Warning,
            "valid-until-past",
            format!("validUntil {raw} is in the past; the metadata should be refreshed"),
        ),
        _ => {}
    }
    if e.has_signature {
        push(&mut out, Severity::Info, "metadata-signed", "the metadata carries a signature (not verified on import; trust comes from the administrator's upload)".into());
    }
    if e.idp.is_none() && e.sp.is_none() {
        push(
            &mut out,
            Severity::Error,
            "no-saml2-role",
            "the entity has neither an IDPSSODescriptor nor an SPSSODescriptor".into(),
        );
    }
    if let Some(idp) = &e.idp {
        if !idp.is_saml2() {
            push(
                &mut out,
                Severity::Error,
                "idp-not-saml2",
                "the IdP role announces no SAML 2.0 protocol or has no SAML 2.0 SSO endpoint"
                    .into(),
            );
        }
        if lint_keys(&mut out, "IdP", &idp.keys, now) == 0 {
            push(&mut out, Severity::Error, "no-signing-key", "the IdP has no usable signing certificate: no response from it could ever be accepted".into());
        }
        lint_endpoints(&mut out, "SSO", &idp.single_sign_on);
        lint_endpoints(&mut out, "SLO", &idp.single_logout);
    }
    if let Some(sp) = &e.sp {
        let signing = lint_keys(&mut out, "SP", &sp.keys, now);
        if signing == 0 && sp.authn_requests_signed == Some(true) {
            push(
                &mut out,
                Severity::Error,
                "no-signing-key",
                "AuthnRequestsSigned is true but the SP has no usable signing certificate".into(),
            );
        }
        lint_endpoints(&mut out, "ACS", &sp.assertion_consumer);
        lint_endpoints(&mut out, "SLO", &sp.single_logout);
        let mut indexes: Vec<u16> = sp
            .assertion_consumer
            .iter()
            .filter_map(|a| a.index)
            .collect();
        indexes.sort_unstable();
        if indexes.windows(2).any(|w| w.first() == w.get(1)) {
            push(
                &mut out,
                Severity::Warning,
                "duplicate-acs-index",
                "two AssertionConsumerService entries share an index".into(),
            );
        }
        let defaults = sp
            .assertion_consumer
            .iter()
            .filter(|a| a.is_default == Some(true))
            .count();
        if defaults > 1 {
            push(
                &mut out,
                Severity::Warning,
                "several-default-acs",
                "more than one AssertionConsumerService is marked isDefault".into(),
            );
        } else if defaults == 0 && sp.assertion_consumer.len() > 1 {
            push(
                &mut out,
                Severity::Info,
                "no-default-acs",
                "no AssertionConsumerService is marked isDefault; the first HTTP-POST one is used"
                    .into(),
            );
        }
        if sp.default_acs().is_none() {
            push(
                &mut out,
                Severity::Error,
                "no-post-acs",
                "the SP has no HTTP-POST AssertionConsumerService".into(),
            );
        }
    }
    out
}
