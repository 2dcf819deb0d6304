//! Home-realm discovery: an account claims the email domains of its people, proves each with a
//! DNS TXT record (or the operator vouches for it), and the sign-in page sends a person whose
//! address is at a verified domain to that account's identity provider instead of asking for a
//! password. The DNS lookup is IO and lives in the HTTP crate and the CLI; what a record proves
//! is decided here.

use crate::common::{Actor, Result, SpError, audit};
use symbolon_store::StoreError;
use symbolon_store::domains::AccountDomain;
use symbolon_store::sp::{IdpConfig, SpStore};
use time::OffsetDateTime;

/// What the TXT record carries before the claim's token.
pub const TXT_PREFIX: &str = "symbolon-domain-verification=";

/// The longest domain name DNS allows (RFC 1035), without the trailing dot.
const MAX_DOMAIN: usize = 253;

/// A domain as it is stored: trimmed, lower-case, without a trailing dot; ASCII labels of 1 to
/// 63 letters, digits or hyphens (not at either end), at least two labels. An international
/// domain is given in its `xn--` form.
pub fn normalize_domain(input: &str) -> Result<String> {
    let d = input.trim().trim_end_matches('.').to_ascii_lowercase();
    let bad = || {
        SpError::Invalid(format!(
            "{:?} is not a domain name (such as example.com; an international name in its xn-- form)",
            input.trim()
        ))
    };
    if d.is_empty() || d.len() > MAX_DOMAIN || !d.contains('.') {
        return Err(bad());
    }
    for label in d.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(bad());
        }
    }
    Ok(d)
}

/// The TXT record that proves the claim, as the administrator publishes it at the domain.
pub fn txt_record(token: &str) -> String {
    format!("{TXT_PREFIX}{token}")
}

/// Whether one of the domain's TXT records (each the concatenation of its strings) proves the
/// claim with `token`.
pub fn txt_proves(records: &[String], token: &str) -> bool {
    let want = txt_record(token);
    !token.is_empty() && records.iter().any(|r| r.trim() == want)
}

/// The domain of an email address (after its last `@`), normalized; `None` for anything else.
pub fn email_domain(email: &str) -> Option<String> {
    let (local, domain) = email.trim().rsplit_once('@')?;
    if local.is_empty() {
        return None;
    }
    normalize_domain(domain).ok()
}

/// How a claim is proved.
#[derive(Debug, Clone)]
pub enum Proof {
    /// The TXT records found at the domain.
    Txt(Vec<String>),
    /// The operator vouches (the CLI's `--without-dns`): for tests, and for a domain whose DNS
    /// the operator checked by other means.
    Operator,
}

/// The account's claim of `domain` (normalized), or `NotFound`.
pub async fn claim_of<S: SpStore>(
    store: &S,
    account_id: &str,
    domain: &str,
) -> Result<AccountDomain> {
    store
        .account_domains(account_id)
        .await?
        .into_iter()
        .find(|d| d.domain == domain)
        .ok_or_else(|| SpError::NotFound(format!("the account has not claimed {domain}")))
}

/// Claim `domain` for the account, its people to be sent to the identity provider `idp_name`
/// (which must be able to start a sign-in: it has a single sign-on URL). Claiming again points
/// the claim at another identity provider and keeps its token and verification.
pub async fn claim_domain<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    domain: &str,
    idp_name: &str,
    now: OffsetDateTime,
) -> Result<AccountDomain> {
    let domain = normalize_domain(domain)?;
    let idp = crate::idps::idp_named(store, account_id, idp_name).await?;
    if idp.sso_url.is_none() {
        return Err(SpError::Invalid(format!(
            "{} publishes no single sign-on URL, so a sign-in cannot start there",
            idp.name
        )));
    }
    let existing = store
        .account_domains(account_id)
        .await?
        .into_iter()
        .find(|d| d.domain == domain);
    let token = match &existing {
        Some(d) => d.token.clone(),
        None => {
            symbolon_secret::random_hex().ok_or_else(|| SpError::Crypto("no randomness".into()))?
        }
    };
    let claim = AccountDomain {
        account_id: account_id.into(),
        domain: domain.clone(),
        idp_id: idp.id.clone(),
        token,
        verified_at: existing.as_ref().and_then(|d| d.verified_at),
        created_at: existing
            .as_ref()
            .map_or(crate::common::second(now), |d| d.created_at),
    };
    if existing.as_ref() == Some(&claim) {
        return Ok(claim);
    }
    store.put_domain(&claim).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("claimed domain {domain} for {}", idp.name),
        now,
    )
    .await?;
    Ok(claim)
}

/// Verify the account's claim of `domain` with `proof`. A domain is verified for one account
/// only: `Conflict` when another account's claim is verified.
pub async fn verify_domain<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    domain: &str,
    proof: &Proof,
    now: OffsetDateTime,
) -> Result<AccountDomain> {
    let domain = normalize_domain(domain)?;
    let mut claim = claim_of(store, account_id, &domain).await?;
    if claim.verified_at.is_some() {
        return Ok(claim);
    }
    let how = match proof {
        Proof::Txt(records) if txt_proves(records, &claim.token) => "its DNS TXT record",
        Proof::Txt(_) => {
            return Err(SpError::Invalid(format!(
                "no TXT record at {domain} says {}",
                txt_record(&claim.token)
            )));
        }
        Proof::Operator => "the operator",
    };
    claim.verified_at = Some(crate::common::second(now));
    store.put_domain(&claim).await.map_err(|e| match e {
        StoreError::Conflict(_) => {
            SpError::Conflict(format!("{domain} is verified for another account"))
        }
        other => other.into(),
    })?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("verified domain {domain} by {how}"),
        now,
    )
    .await?;
    Ok(claim)
}

/// Remove the account's claim of `domain`.
pub async fn remove_domain<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    domain: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let domain = normalize_domain(domain)?;
    if !store.delete_domain(account_id, &domain).await? {
        return Err(SpError::NotFound(format!(
            "the account has not claimed {domain}"
        )));
    }
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("removed domain {domain}"),
        now,
    )
    .await
}

/// Where a person who types `email` signs in: the identity provider of the account that
/// verified the address's domain, if it can start a sign-in; `None` sends them to the password
/// form.
pub async fn discover<S: SpStore>(store: &S, email: &str) -> Result<Option<IdpConfig>> {
    let Some(domain) = email_domain(email) else {
        return Ok(None);
    };
    let Some(claim) = store.verified_domain(&domain).await? else {
        return Ok(None);
    };
    Ok(store
        .idp_by_id(&claim.idp_id)
        .await?
        .filter(|i| i.account_id == claim.account_id && i.sso_url.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalized_or_refused() {
        assert_eq!(
            normalize_domain(" Corp.Example.COM. ").ok().as_deref(),
            Some("corp.example.com")
        );
        assert_eq!(
            normalize_domain("xn--r8jz45g.jp").ok().as_deref(),
            Some("xn--r8jz45g.jp")
        );
        for bad in [
            "",
            "localhost",
            "a..b",
            "-a.com",
            "a-.com",
            "exa mple.com",
            "例え.jp",
            "a@b.com",
            ".",
            "a.com/x",
        ] {
            assert!(normalize_domain(bad).is_err(), "{bad:?}");
        }
        assert!(normalize_domain(&format!("{}.com", "a".repeat(64))).is_err());
        let long = vec!["a".repeat(63); 5].join(".");
        assert!(normalize_domain(&long).is_err(), "over 253 characters");
    }

    #[test]
    fn only_the_exact_record_proves_a_claim() {
        let rec = |s: &str| vec![s.to_string()];
        assert!(txt_proves(&rec("symbolon-domain-verification=abc"), "abc"));
        assert!(txt_proves(
            &[
                "v=spf1 -all".into(),
                " symbolon-domain-verification=abc ".into()
            ],
            "abc"
        ));
        assert!(!txt_proves(
            &rec("symbolon-domain-verification=abcd"),
            "abc"
        ));
        assert!(!txt_proves(&rec("symbolon-domain-verification="), ""));
        assert!(!txt_proves(
            &rec("x symbolon-domain-verification=abc"),
            "abc"
        ));
        assert!(!txt_proves(&[], "abc"));
    }

    #[test]
    fn the_domain_of_an_address_is_after_its_last_at() {
        assert_eq!(
            email_domain("Alice@Corp.Test").as_deref(),
            Some("corp.test")
        );
        assert_eq!(
            email_domain("\"a@b\"@corp.test").as_deref(),
            Some("corp.test")
        );
        assert_eq!(email_domain("@corp.test"), None);
        assert_eq!(email_domain("alice"), None);
        assert_eq!(email_domain("alice@localhost"), None);
    }
}
