//! Identity providers whose metadata comes from a URL: added from one, then kept up to date by
//! the scheduled refresh (the HTTP crate fetches; the decisions are here and in
//! `symbolon_saml::metadata_refresh`). A refresh that fails keeps the last good metadata, counts
//! the failure, says why on the IdP's page and retries with backoff; one that succeeds applies the
//! new document and records what changed in the account's audit log.

use crate::common::{Actor, Result, SpError, audit};
use crate::idps::{IdpSummary, add_idp, replace_idp_metadata};
use symbolon_dsig::PinnedCert;
use symbolon_saml::metadata_refresh::{SourcePolicy, evaluate, next_fetch, retry_after};
use symbolon_store::MetadataSource;
use symbolon_store::sp::{IdpConfig, SpStore};
use time::OffsetDateTime;

/// Who the scheduled refresh acts as in the audit log.
pub const REFRESH_PRINCIPAL: &str = "urn:symbolon:identity:system/metadata-refresh";

pub use symbolon_saml::metadata_refresh::{FetchOutcome, RefreshPolicy, RefreshReport};

/// Where an IdP's metadata is fetched from and what it must satisfy.
#[derive(Debug, Clone, Default)]
pub struct SourceSettings {
    pub url: String,
    /// Plain http:// for this entry.
    pub allow_http: bool,
    /// The metadata signing certificate (DER) every document must be signed by.
    pub signing_cert: Option<Vec<u8>>,
    /// The entity to take from an aggregate.
    pub entity_id: Option<String>,
}

fn pinned(certs: &[Vec<u8>]) -> Result<Option<PinnedCert>> {
    symbolon_saml::metadata_refresh::pinned_signer(certs).map_err(SpError::Source)
}

/// "Add Identity Provider" from a metadata URL: the fetched document is checked as a refresh
/// would check it, and the URL is kept for the scheduled refresh.
#[allow(clippy::too_many_arguments)]
pub async fn add_idp_from_url<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    name: &str,
    description: Option<&str>,
    settings: &SourceSettings,
    fetched: FetchOutcome,
    policy: &RefreshPolicy,
    now: OffsetDateTime,
) -> Result<IdpSummary> {
    let (body, etag, last_modified) = fetched
        .into_first_document(&settings.url)
        .map_err(SpError::Source)?;
    let certs: Vec<Vec<u8>> = settings.signing_cert.iter().cloned().collect();
    let cert = pinned(&certs)?;
    let accepted = evaluate(
        &body,
        &SourcePolicy {
            entity_id: settings.entity_id.as_deref().filter(|e| !e.is_empty()),
            signing_cert: cert.as_ref(),
            interval: policy.interval,
        },
        now,
    )
    .map_err(|e| SpError::Source(e.to_string()))?;
    let summary = add_idp(
        store,
        actor,
        account_id,
        name,
        description,
        accepted.entity_xml.as_bytes(),
        now,
    )
    .await?;
    let mut c = summary.config.clone();
    c.metadata_source = Some(MetadataSource {
        signing_certs: certs,
        etag,
        last_modified,
        checked_at: Some(now),
        next_at: accepted.next_fetch,
        changed_at: Some(now),
        ..MetadataSource::new(&settings.url, settings.allow_http, now)
    });
    store.update_idp(&c).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!(
            "identity provider {} is refreshed from {}{}",
            c.name,
            settings.url,
            if certs_pinned(&c) {
                " (signed metadata required)"
            } else {
                ""
            }
        ),
        now,
    )
    .await?;
    Ok(IdpSummary {
        config: c,
        ..summary
    })
}

fn certs_pinned(c: &IdpConfig) -> bool {
    c.metadata_source
        .as_ref()
        .is_some_and(|s| !s.signing_certs.is_empty())
}

/// Stop refreshing an IdP's metadata from its URL (what is in use stays).
pub async fn forget_idp_source<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    idp_name: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let mut c = crate::idps::idp_named(store, account_id, idp_name).await?;
    let Some(s) = c.metadata_source.take() else {
        return Ok(());
    };
    store.update_idp(&c).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!(
            "identity provider {} is no longer refreshed from {}",
            c.name, s.url
        ),
        now,
    )
    .await
}

/// The sources due at `now`: their next fetch has come, or this server's interval has passed
/// since the last (a source added from the CLI was scheduled with the default interval).
pub async fn due_sources<S: SpStore>(
    store: &S,
    policy: &RefreshPolicy,
    now: OffsetDateTime,
) -> Result<Vec<IdpConfig>> {
    let due = |s: &MetadataSource| {
        symbolon_saml::metadata_refresh::is_due(s.next_at, s.checked_at, policy.interval, now)
    };
    Ok(store
        .idps_with_source()
        .await?
        .into_iter()
        .filter(|c| c.metadata_source.as_ref().is_some_and(due))
        .collect())
}

/// Apply what fetching an IdP's metadata URL brought.
pub async fn refresh_idp<S: SpStore>(
    store: &S,
    config: &IdpConfig,
    fetched: FetchOutcome,
    policy: &RefreshPolicy,
    now: OffsetDateTime,
) -> Result<RefreshReport> {
    let Some(source) = config.metadata_source.clone() else {
        return Ok(RefreshReport::Unchanged);
    };
    let cert = pinned(&source.signing_certs)?;
    let check = |doc: &[u8]| {
        evaluate(
            doc,
            &SourcePolicy {
                entity_id: Some(&config.entity_id),
                signing_cert: cert.as_ref(),
                interval: policy.interval,
            },
            now,
        )
    };
    let source = &source;
    let failed = |reason: String| async move {
        let mut c = config.clone();
        let mut s = source.clone();
        s.failures = s.failures.saturating_add(1);
        s.last_error = Some(reason.clone());
        s.checked_at = Some(now);
        s.next_at = retry_after(s.failures, policy.interval, now);
        let first = s.failures == 1;
        c.metadata_source = Some(s);
        store.update_idp(&c).await?;
        if first {
            crate::webhooks::notify(
                store,
                &c.account_id,
                "metadata.failed",
                serde_json::json!({ "identityProvider": c.name, "url": source.url, "reason": reason }),
                now,
            )
            .await;
            audit(
                store,
                &c.account_id,
                REFRESH_PRINCIPAL,
                "Admin",
                format!(
                    "metadata refresh of {} from {} failed; the last good metadata stays in use: {reason}",
                    c.name, source.url
                ),
                now,
            )
            .await?;
        }
        Ok::<_, SpError>(RefreshReport::Failed(reason))
    };
    let (body, etag, last_modified) = match fetched {
        FetchOutcome::Failed(m) => return failed(m).await,
        FetchOutcome::NotModified => {
            let mut c = config.clone();
            let mut s = source.clone();
            s.failures = 0;
            s.last_error = None;
            s.checked_at = Some(now);
            // The document in use says when to look again.
            s.next_at = match check(config.metadata_xml.as_bytes()) {
                Ok(a) => a.next_fetch,
                Err(_) => next_fetch(now, policy.interval, [None, None], [None, None]),
            };
            c.metadata_source = Some(s);
            store.update_idp(&c).await?;
            return Ok(RefreshReport::Unchanged);
        }
        FetchOutcome::Document {
            body,
            etag,
            last_modified,
        } => (body, etag, last_modified),
    };
    let accepted = match check(&body) {
        Ok(a) => a,
        Err(e) => return failed(e.to_string()).await,
    };
    let mut s = source.clone();
    s.failures = 0;
    s.last_error = None;
    s.checked_at = Some(now);
    s.next_at = accepted.next_fetch;
    s.etag = etag;
    s.last_modified = last_modified;
    if accepted.entity_xml == config.metadata_xml {
        let mut c = config.clone();
        c.metadata_source = Some(s);
        store.update_idp(&c).await?;
        return Ok(RefreshReport::Unchanged);
    }
    let before = config.clone();
    let summary = replace_idp_metadata(
        store,
        &Actor(REFRESH_PRINCIPAL.into()),
        &config.account_id,
        &config.name,
        accepted.entity_xml.as_bytes(),
        now,
    )
    .await?;
    let mut c = summary.config;
    s.changed_at = Some(now);
    c.metadata_source = Some(s);
    store.update_idp(&c).await?;
    let changes = changes(&before, &c);
    audit(
        store,
        &c.account_id,
        REFRESH_PRINCIPAL,
        "Admin",
        format!(
            "metadata of {} refreshed from {}: {}",
            c.name,
            source.url,
            changes.join("; ")
        ),
        now,
    )
    .await?;
    crate::webhooks::notify(
        store,
        &c.account_id,
        "metadata.refreshed",
        serde_json::json!({ "identityProvider": c.name, "url": source.url, "changes": changes }),
        now,
    )
    .await;
    Ok(RefreshReport::Changed(changes))
}

/// What a new document changed: certificates (by SHA-256 fingerprint) and the SSO endpoint.
fn changes(old: &IdpConfig, new: &IdpConfig) -> Vec<String> {
    let fp = |d: &Vec<u8>| -> String {
        symbolon_dsig::sha256(d)
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let (a, b): (Vec<String>, Vec<String>) = (
        old.certs.iter().map(fp).collect(),
        new.certs.iter().map(fp).collect(),
    );
    let mut out = Vec::new();
    for gone in a.iter().filter(|x| !b.contains(x)) {
        out.push(format!("signing certificate removed: SHA-256 {gone}…"));
    }
    for added in b.iter().filter(|x| !a.contains(x)) {
        out.push(format!("signing certificate added: SHA-256 {added}…"));
    }
    if old.sso_url != new.sso_url {
        out.push(format!(
            "SSO endpoint {:?} -> {:?}",
            old.sso_url.as_deref().unwrap_or(""),
            new.sso_url.as_deref().unwrap_or("")
        ));
    }
    if out.is_empty() {
        out.push("the document changed (no certificate or endpoint did)".into());
    }
    out
}
