//! Clients whose SP metadata comes from a URL: imported from one, then kept up to date by the
//! scheduled refresh `idp:metadata-refresh` (the HTTP crate fetches; the decisions are
//! `symbolon_saml::metadata_refresh`'s). A good new document is re-imported into the client
//! (endpoints and certificates; every setting stays) and the change recorded; a failure keeps
//! the last good metadata, is recorded once, and is retried with backoff.

use crate::clients::{import_client, reimport_client};
use crate::common::{Actor, IdpError, Result, audit};
use symbolon_dsig::PinnedCert;
use symbolon_saml::lint::Finding;
use symbolon_saml::metadata_refresh::{
    FetchOutcome, RefreshPolicy, RefreshReport, SourcePolicy, evaluate, is_due, next_fetch,
    retry_after,
};
use symbolon_store::{Client, IdpStore, MetadataSource};
use time::OffsetDateTime;

/// Who the scheduled refresh acts as in the events.
pub const REFRESH_ACTOR: &str = "metadata-refresh";

/// Where a client's metadata is fetched from and what it must satisfy.
#[derive(Debug, Clone, Default)]
pub struct ClientSource {
    pub url: String,
    pub allow_http: bool,
    /// Every document must be signed by this certificate (DER).
    pub signing_cert: Option<Vec<u8>>,
}

fn pinned(certs: &[Vec<u8>]) -> Result<Option<PinnedCert>> {
    symbolon_saml::metadata_refresh::pinned_signer(certs).map_err(IdpError::Invalid)
}

/// "Import a Client" from a metadata URL; the client remembers it.
#[allow(clippy::too_many_arguments)]
pub async fn import_client_from_url<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    url_name: Option<&str>,
    source: &ClientSource,
    fetched: FetchOutcome,
    policy: &RefreshPolicy,
    now: OffsetDateTime,
) -> Result<(Client, Vec<Finding>)> {
    let (body, etag, last_modified) = fetched
        .into_first_document(&source.url)
        .map_err(IdpError::Invalid)?;
    let certs: Vec<Vec<u8>> = source.signing_cert.iter().cloned().collect();
    let cert = pinned(&certs)?;
    let accepted = evaluate(
        &body,
        &SourcePolicy {
            entity_id: None,
            signing_cert: cert.as_ref(),
            interval: policy.interval,
        },
        now,
    )
    .map_err(|e| IdpError::Invalid(e.to_string()))?;
    let (mut client, findings) = import_client(
        store,
        actor,
        realm,
        accepted.entity_xml.as_bytes(),
        url_name,
        now,
    )
    .await?;
    client.metadata_source = Some(MetadataSource {
        signing_certs: certs,
        etag,
        last_modified,
        checked_at: Some(now),
        next_at: accepted.next_fetch,
        changed_at: Some(now),
        ..MetadataSource::new(&source.url, source.allow_http, now)
    });
    store.update_client(&client).await?;
    audit(
        store,
        realm,
        actor,
        Some(&client.client_id),
        format!(
            "client {} is refreshed from {}",
            client.client_id, source.url
        ),
        now,
    )
    .await?;
    Ok((client, findings))
}

/// Every client, in every realm, whose metadata URL is due.
pub async fn due_clients<S: IdpStore>(
    store: &S,
    policy: &RefreshPolicy,
    now: OffsetDateTime,
) -> Result<Vec<Client>> {
    let mut out = Vec::new();
    for r in store.realms().await? {
        for c in store.clients(&r.name).await? {
            if c.metadata_source
                .as_ref()
                .is_some_and(|s| is_due(s.next_at, s.checked_at, policy.interval, now))
            {
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// Apply what fetching a client's metadata URL brought.
pub async fn refresh_client<S: IdpStore>(
    store: &S,
    client: &Client,
    fetched: FetchOutcome,
    policy: &RefreshPolicy,
    now: OffsetDateTime,
) -> Result<RefreshReport> {
    let Some(source) = client.metadata_source.clone() else {
        return Ok(RefreshReport::Unchanged);
    };
    let cert = pinned(&source.signing_certs)?;
    let check = |doc: &[u8]| {
        evaluate(
            doc,
            &SourcePolicy {
                entity_id: Some(&client.client_id),
                signing_cert: cert.as_ref(),
                interval: policy.interval,
            },
            now,
        )
    };
    let save = |mut s: MetadataSource| async move {
        // Read again: an administrator may have changed the client meanwhile.
        let Some(mut c) = store.client(&client.realm, &client.client_id).await? else {
            return Ok::<_, IdpError>(());
        };
        s.checked_at = Some(now);
        c.metadata_source = Some(s);
        store.update_client(&c).await?;
        Ok(())
    };
    let (body, etag, last_modified) = match fetched {
        FetchOutcome::Document {
            body,
            etag,
            last_modified,
        } => (body, etag, last_modified),
        FetchOutcome::NotModified => {
            let mut s = source.clone();
            s.failures = 0;
            s.last_error = None;
            s.next_at = next_fetch(now, policy.interval, [None, None], [None, None]);
            save(s).await?;
            return Ok(RefreshReport::Unchanged);
        }
        FetchOutcome::Failed(m) => {
            return failed(store, client, &source, m, policy, now, save).await;
        }
    };
    let accepted = match check(&body) {
        Ok(a) => a,
        Err(e) => return failed(store, client, &source, e.to_string(), policy, now, save).await,
    };
    let mut s = source.clone();
    s.failures = 0;
    s.last_error = None;
    s.next_at = accepted.next_fetch;
    s.etag = etag;
    s.last_modified = last_modified;
    let (_, changes, _) = reimport_client(
        store,
        &Actor(REFRESH_ACTOR.into()),
        &client.realm,
        &client.client_id,
        accepted.entity_xml.as_bytes(),
        now,
    )
    .await?;
    if !changes.is_empty() {
        s.changed_at = Some(now);
    }
    save(s).await?;
    if !changes.is_empty() {
        crate::webhooks::notify(
            store,
            &client.realm,
            "metadata.refreshed",
            serde_json::json!({ "client": client.client_id, "url": source.url, "changes": changes }),
            now,
        )
        .await;
    }
    Ok(if changes.is_empty() {
        RefreshReport::Unchanged
    } else {
        RefreshReport::Changed(changes)
    })
}

async fn failed<S, F, Fut>(
    store: &S,
    client: &Client,
    source: &MetadataSource,
    reason: String,
    policy: &RefreshPolicy,
    now: OffsetDateTime,
    save: F,
) -> Result<RefreshReport>
where
    S: IdpStore,
    F: FnOnce(MetadataSource) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut s = source.clone();
    s.failures = s.failures.saturating_add(1);
    s.last_error = Some(reason.clone());
    s.next_at = retry_after(s.failures, policy.interval, now);
    let first = s.failures == 1;
    save(s).await?;
    if first {
        crate::webhooks::notify(
            store,
            &client.realm,
            "metadata.failed",
            serde_json::json!({ "client": client.client_id, "url": source.url, "reason": reason }),
            now,
        )
        .await;
        audit(
            store,
            &client.realm,
            &Actor(REFRESH_ACTOR.into()),
            Some(&client.client_id),
            format!(
                "metadata refresh of client {} from {} failed; the last good metadata stays in use: {reason}",
                client.client_id, source.url
            ),
            now,
        )
        .await?;
    }
    Ok(RefreshReport::Failed(reason))
}
