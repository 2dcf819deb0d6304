//! Prometheus metrics. One recorder per process (the IdP and the SP share it when one process
//! serves both; every series they record carries `server="idp"` or `server="sp"`), rendered in
//! the Prometheus text format at `/metrics`.
//!
//! Who may read them: on a server's own listener, only a client whose address (after trusted
//! proxies) is a loopback address, so that a public deployment does not publish its counts; on
//! the optional `metrics_listen` address, whoever can reach it (bind it to a private network).
//!
//! Names (all prefixed `symbolon_`): `http_requests_total` and `http_request_duration_seconds`
//! (by server, route pattern, method, status), `job_runs_total` and `job_duration_seconds`,
//! `store_query_duration_seconds` (recorded by [`crate::telemetry::StoreQueryTiming`]),
//! and the domain series each server records through [`counter`]/[`gauge`] (sign-ins,
//! AuthnRequests, responses, metadata refreshes, certificate expiry).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use metrics_util::MetricKindMask;
use symbolon_store::expiry::Watched;

use crate::front::{ErrorPageFn, Peer, TrustedProxies};

/// A value read when `/metrics` is scraped (from the store), by name.
type Collector = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync + 'static>;

static COLLECTORS: Mutex<Vec<(&'static str, Collector)>> = Mutex::new(Vec::new());

/// Run `collect` at each scrape, before the text is rendered (at most 2 s of it); it sets its
/// gauges itself. A later registration under the same `name` replaces the earlier one.
pub fn on_scrape<F, Fut>(name: &'static str, collect: F)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let c: Collector = Arc::new(move || Box::pin(collect()));
    let mut list = COLLECTORS.lock().unwrap_or_else(|e| e.into_inner());
    list.retain(|(n, _)| *n != name);
    list.push((name, c));
}

async fn collect() {
    let list: Vec<Collector> = COLLECTORS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(_, c)| c.clone())
        .collect();
    for c in list {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), c()).await;
    }
}

/// Report the store's connection pool at each scrape: `symbolon_store_pool_connections` by
/// `state` (`idle`, `busy`) and `symbolon_store_pool_max_connections`, labelled with the server.
pub fn watch_pool<S>(server: &'static str, store: S)
where
    S: symbolon_store::PoolStore + Clone + Send + Sync + 'static,
{
    let name = if server == "idp" {
        "idp:pool"
    } else {
        "sp:pool"
    };
    on_scrape(name, move || {
        let p = store.pool_stats();
        async move {
            let busy = p.size.saturating_sub(p.idle);
            metrics::gauge!("symbolon_store_pool_connections", "server" => server, "state" => "idle")
                .set(f64::from(p.idle));
            metrics::gauge!("symbolon_store_pool_connections", "server" => server, "state" => "busy")
                .set(f64::from(busy));
            metrics::gauge!("symbolon_store_pool_max_connections", "server" => server)
                .set(f64::from(p.max));
        }
    });
}

/// Histogram buckets for durations, in seconds (1 ms .. 10 s).
const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// How often each instance sets the certificate gauges (no lease: every instance shows them).
pub const CERTIFICATE_PERIOD: std::time::Duration = std::time::Duration::from_secs(600);

/// Install the process's recorder (once; later calls return the same handle). `None` when
/// another recorder was installed first (then nothing is recorded here and `/metrics` is 404).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("duration_seconds".into()),
                    DURATION_BUCKETS,
                )
                .ok()?
                // Gauges (certificates left) are set every CERTIFICATE_PERIOD; one not set for
                // six periods belongs to a certificate that is gone, and leaves the output.
                .idle_timeout(MetricKindMask::GAUGE, Some(CERTIFICATE_PERIOD * 6))
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

/// The text of every series, or `None` when no recorder of ours is installed.
pub fn render() -> Option<String> {
    handle().map(|h| {
        // Upkeep drops the gauges past their idle timeout (certificates that are gone).
        h.run_upkeep();
        h.render()
    })
}

fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE.get().and_then(Option::as_ref)
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "symbolon_http_requests_total",
        "HTTP requests answered, by server, route pattern, method and status"
    );
    describe_histogram!(
        "symbolon_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by server and route pattern"
    );
    describe_counter!(
        "symbolon_job_runs_total",
        "Runs of scheduled jobs on this instance, by job and outcome (ok, failed)"
    );
    describe_histogram!(
        "symbolon_job_duration_seconds",
        Unit::Seconds,
        "Time a scheduled job run took, by job"
    );
    describe_counter!(
        "symbolon_sp_sign_ins_total",
        "SAML responses posted to the SP's ACS, by outcome (accepted, refused) and reason code"
    );
    describe_counter!(
        "symbolon_idp_authn_requests_total",
        "AuthnRequests received by the IdP, by outcome (accepted, refused)"
    );
    describe_counter!(
        "symbolon_idp_responses_total",
        "SAML responses the IdP issued, by outcome (success, refused)"
    );
    describe_counter!(
        "symbolon_idp_password_checks_total",
        "Password sign-in attempts at the IdP, by outcome (ok, failed, locked)"
    );
    describe_counter!(
        "symbolon_metadata_refresh_total",
        "Metadata fetched by URL, by server and outcome (changed, unchanged, failed)"
    );
    describe_histogram!(
        "symbolon_store_query_duration_seconds",
        Unit::Seconds,
        "Time a database statement took, by server, statement verb and first table named"
    );
    describe_gauge!(
        "symbolon_store_pool_connections",
        "Database connections of the store's pool, by server and state (idle, busy), at the scrape"
    );
    describe_gauge!(
        "symbolon_store_pool_max_connections",
        "The most connections the store's pool opens, by server"
    );
    describe_gauge!(
        "symbolon_sp_replay_cache_entries",
        "Assertion IDs the SP's replay cache remembers now (read from the store at each scrape)"
    );
    describe_gauge!(
        "symbolon_certificate_expiry_seconds",
        Unit::Seconds,
        "Seconds until a watched certificate expires (negative once expired), by server, kind and owner"
    );
}

/// State of the `/metrics` route on a server's own listener.
#[derive(Clone)]
pub struct MetricsRoute {
    pub trusted: TrustedProxies,
    pub page: ErrorPageFn,
}

impl std::fmt::Debug for MetricsRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsRoute").finish_non_exhaustive()
    }
}

/// One scrape: the collectors, then the text.
async fn scrape() -> Response {
    collect().await;
    exposition()
}

fn exposition() -> Response {
    match render() {
        Some(text) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            text,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /metrics` on a server's own listener: for loopback clients only; anyone else gets the
/// product's 404 page, as for any unknown path.
pub async fn local_metrics(
    State(route): State<MetricsRoute>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    headers: HeaderMap,
) -> Response {
    let client = route.trusted.client_addr(peer.0.ip(), &headers);
    if client.is_loopback() && handle().is_some() {
        scrape().await
    } else {
        (route.page)(StatusCode::NOT_FOUND, None)
    }
}

/// A router that answers `GET /metrics` to anyone (for the `metrics_listen` address).
pub fn metrics_only_router() -> axum::Router {
    axum::Router::new().route("/metrics", axum::routing::get(scrape))
}

/// Serve [`metrics_only_router`] on `listener` until shutdown.
pub async fn serve_metrics(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, metrics_only_router())
        .with_graceful_shutdown(crate::shutdown::shutdown_signal())
        .await
}

/// Count a metadata-refresh run's outcomes for `server`.
pub fn metadata_refreshed(server: &'static str, changed: usize, unchanged: usize, failed: usize) {
    for (outcome, n) in [
        ("changed", changed),
        ("unchanged", unchanged),
        ("failed", failed),
    ] {
        metrics::counter!("symbolon_metadata_refresh_total", "server" => server, "outcome" => outcome)
            .increment(n as u64);
    }
}

/// Set `symbolon_certificate_expiry_seconds` for every watched certificate of `server`, now and
/// every [`CERTIFICATE_PERIOD`], on this instance; `list` reads them from the store.
pub async fn watch_certificates<F, Fut, E>(server: &'static str, list: F)
where
    F: Fn(time::OffsetDateTime) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<Watched>, E>>,
    E: std::fmt::Display,
{
    let mut tick = tokio::time::interval(CERTIFICATE_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match list(time::OffsetDateTime::now_utc()).await {
            Ok(certs) => {
                for c in certs {
                    metrics::gauge!(
                        "symbolon_certificate_expiry_seconds",
                        "server" => server,
                        "kind" => c.kind,
                        "owner" => c.owner
                    )
                    .set(c.seconds_left as f64);
                }
            }
            Err(e) => tracing::warn!(server, "certificate gauges: {e}"),
        }
    }
}

/// Count one at `name` with `labels`.
pub fn count(name: &'static str, labels: &[(&'static str, String)]) {
    metrics::counter!(name, labels).increment(1);
}

/// Set the gauge `name` with `labels` to `value`.
pub fn gauge(name: &'static str, labels: &[(&'static str, String)], value: f64) {
    metrics::gauge!(name, labels).set(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_render_with_types_and_labels() {
        assert!(install().is_some());
        assert!(install().is_some(), "a second install is the same recorder");
        count(
            "symbolon_sp_sign_ins_total",
            &[("outcome", "accepted".into()), ("reason", "".into())],
        );
        gauge(
            "symbolon_certificate_expiry_seconds",
            &[
                ("server", "idp".into()),
                ("kind", "realm-key".into()),
                ("owner", "mpas".into()),
            ],
            -5.0,
        );
        metrics::histogram!("symbolon_http_request_duration_seconds", "server" => "sp", "route" => "/saml/acs")
            .record(0.003);
        let text = render().unwrap_or_default();
        assert!(
            text.contains("# TYPE symbolon_sp_sign_ins_total counter"),
            "{text}"
        );
        assert!(
            text.contains("symbolon_sp_sign_ins_total{outcome=\"accepted\",reason=\"\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE symbolon_certificate_expiry_seconds gauge"),
            "{text}"
        );
        assert!(text.contains("symbolon_certificate_expiry_seconds{server=\"idp\",kind=\"realm-key\",owner=\"mpas\"} -5"), "{text}");
        assert!(
            text.contains("# TYPE symbolon_http_request_duration_seconds histogram"),
            "{text}"
        );
        assert!(text.contains("symbolon_http_request_duration_seconds_bucket{server=\"sp\",route=\"/saml/acs\",le=\"0.005\"} 1"), "{text}");
    }
}
