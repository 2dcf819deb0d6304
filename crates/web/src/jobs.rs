//! The servers' own scheduler (each server registers its own jobs and names them): periodic jobs (purging expired state, pruning SAML users) that
//! run on exactly one instance at a time, the holder of the job's lease in the store. Each run
//! leaves its outcome in the store (`job_status`) for administrators to see.

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use symbolon_store::StateStore;
use time::OffsetDateTime;

const STATUS: &str = "job-status";

/// What the last run of a job did, and how many runs there were.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct JobStatus {
    pub name: String,
    /// The instance that ran it (random per process).
    pub holder: String,
    #[serde(with = "time::serde::timestamp")]
    pub last_run: OffsetDateTime,
    pub outcome: String,
    pub ok: bool,
    pub runs: u64,
}

/// The status of job `name`, if it ever ran.
pub async fn job_status<S: StateStore>(
    store: &S,
    name: &str,
) -> Result<Option<JobStatus>, symbolon_store::StoreError> {
    Ok(store
        .state(STATUS, name, OffsetDateTime::now_utc())
        .await?
        .and_then(|v| serde_json::from_str(&v).ok()))
}

/// A random name for this process among the instances.
pub fn instance_id() -> String {
    symbolon_secret::random_hex()
        .map(|h| h.chars().take(16).collect())
        .unwrap_or_else(|| format!("pid-{}", std::process::id()))
}

/// Run `job` every `period`, on this instance only while it holds the job's lease (taken for a
/// little longer than a period and renewed at each run, so that while the holder lives no other
/// instance runs the job, and when it dies another takes over within about a period).
pub async fn every<S, F, Fut>(
    store: S,
    holder: String,
    name: &'static str,
    period: Duration,
    job: F,
) where
    S: StateStore + Clone + Send + Sync + 'static,
    F: Fn(S, OffsetDateTime) -> Fut + Send,
    Fut: Future<Output = Result<String, String>> + Send,
{
    let lease = time::Duration::try_from(period + period / 10).unwrap_or(time::Duration::HOUR);
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = OffsetDateTime::now_utc();
        match store.acquire_lease(name, &holder, now, now + lease).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(job = name, "lease: {e}");
                continue;
            }
        }
        let started = std::time::Instant::now();
        let outcome = tracing::Instrument::instrument(
            job(store.clone(), now),
            crate::telemetry::job_span(name),
        )
        .await;
        metrics::counter!(
            "symbolon_job_runs_total",
            "job" => name,
            "outcome" => if outcome.is_ok() { "ok" } else { "failed" }
        )
        .increment(1);
        metrics::histogram!("symbolon_job_duration_seconds", "job" => name)
            .record(started.elapsed().as_secs_f64());
        let runs = job_status(&store, name)
            .await
            .ok()
            .flatten()
            .map_or(0, |s| s.runs);
        let status = JobStatus {
            name: name.into(),
            holder: holder.clone(),
            last_run: now,
            ok: outcome.is_ok(),
            outcome: match &outcome {
                Ok(s) | Err(s) => s.clone(),
            },
            runs: runs + 1,
        };
        match &outcome {
            Ok(o) => tracing::info!(job = name, "{o}"),
            Err(e) => tracing::warn!(job = name, "failed: {e}"),
        }
        if let Ok(v) = serde_json::to_string(&status)
            && let Err(e) = store
                .put_state(STATUS, name, &v, now + time::Duration::days(400))
                .await
        {
            tracing::warn!(job = name, "recording the status: {e}");
        }
    }
}

/// After a graceful shutdown: give up this instance's job leases, so that another instance (or
/// this one, restarted) runs the jobs at its next tick rather than when the leases would have
/// expired (a day and more for the daily jobs).
pub async fn release<S: StateStore>(store: &S, holder: &str) {
    match store.release_leases(holder).await {
        Ok(n) => tracing::info!(holder, "released {n} job leases"),
        Err(e) => tracing::warn!(holder, "releasing the job leases: {e}"),
    }
}

/// The job every server runs: drop expired sessions, flows, counters and leases.
pub async fn purge_state<S: StateStore>(store: S, now: OffsetDateTime) -> Result<String, String> {
    store
        .purge_state(now)
        .await
        .map(|n| format!("purged {n} expired entries"))
        .map_err(|e| e.to_string())
}
