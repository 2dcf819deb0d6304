//! The scheduled metadata refresh: fetch every identity provider's metadata URL that is due and
//! let the domain decide (`symbolon_sp::refresh_idp`). Runs in the leased scheduler, one instance
//! at a time; each run's summary is in `symbolon jobs`.

use symbolon_sp::{RefreshPolicy, RefreshReport};
use symbolon_store::sp::{IdpConfig, SpStore};
use symbolon_web::fetch::Fetcher;
use time::OffsetDateTime;

/// Refresh one configuration from its URL now.
pub(crate) async fn refresh_one<S: SpStore>(
    store: &S,
    fetcher: &Fetcher,
    c: &IdpConfig,
    policy: &RefreshPolicy,
    now: OffsetDateTime,
) -> Result<RefreshReport, String> {
    let Some(s) = &c.metadata_source else {
        return Ok(RefreshReport::Unchanged);
    };
    let outcome = fetcher
        .outcome(
            &s.url,
            s.allow_http,
            s.etag.as_deref(),
            s.last_modified.as_deref(),
        )
        .await;
    symbolon_sp::refresh_idp(store, c, outcome, policy, now)
        .await
        .map_err(|e| e.to_string())
}

/// One run of the job: every due source, one after another.
pub(crate) async fn run<S: SpStore>(
    store: S,
    fetcher: Fetcher,
    policy: RefreshPolicy,
    now: OffsetDateTime,
) -> Result<String, String> {
    let due = symbolon_sp::due_sources(&store, &policy, now)
        .await
        .map_err(|e| e.to_string())?;
    let (mut changed, mut unchanged, mut failed) = (0usize, 0usize, 0usize);
    for c in &due {
        match refresh_one(&store, &fetcher, c, &policy, now).await? {
            RefreshReport::Unchanged => unchanged += 1,
            RefreshReport::Changed(_) => changed += 1,
            RefreshReport::Failed(why) => {
                tracing::warn!(idp = %c.name, account = %c.account_id, "metadata refresh failed: {why}");
                failed += 1;
            }
        }
    }
    symbolon_web::metrics::metadata_refreshed("sp", changed, unchanged, failed);
    let summary = format!(
        "{} metadata URLs due: {changed} changed, {unchanged} unchanged, {failed} failed",
        due.len()
    );
    if failed > 0 {
        Err(summary)
    } else {
        Ok(summary)
    }
}
