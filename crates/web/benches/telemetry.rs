//! What the telemetry of `symbolon_web::telemetry` adds to a request: one request span, and per
//! database statement the event sqlx emits and `StoreQueryTiming` turns into a histogram
//! sample. Each is measured against the same work with the layer not installed (the event
//! disabled, as a subscriber with only the log lines at `info` leaves it), in one run.
//! `cargo bench -p symbolon-web --bench telemetry`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use symbolon_web::telemetry::{StoreQueryTiming, request_span};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;

const SQL: &str = "INSERT INTO sp_consumed_assertions (issuer, assertion_id, until) VALUES (?, ?, ?) ON CONFLICT (issuer, assertion_id) DO UPDATE SET until = excluded.until WHERE sp_consumed_assertions.until <= ?";

/// What sqlx's logger does when the event is enabled: the summary, the statement, the event.
fn statement() {
    if tracing::enabled!(target: "sqlx::query", tracing::Level::DEBUG) {
        let mut summary: String = SQL.split_whitespace().take(4).collect::<Vec<_>>().join(" ");
        summary.push_str(" …");
        let sql = format!("\n\n{SQL}\n");
        tracing::debug!(target: "sqlx::query", summary, db.statement = sql, rows_affected = 1u64, rows_returned = 0u64, elapsed_secs = 0.0001f64);
    }
}

fn bench(c: &mut Criterion) {
    let _ = symbolon_web::metrics::install();
    let headers = axum::http::HeaderMap::new();
    let info_only = || {
        tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::sink)
                .with_filter(tracing_subscriber::filter::LevelFilter::INFO),
        )
    };
    let with_timing =
        || info_only().with(StoreQueryTiming.with_filter(StoreQueryTiming::targets()));
    let mut g = c.benchmark_group("telemetry");
    // Interleaved: each pair runs one after the other.
    tracing::subscriber::with_default(info_only(), || {
        g.bench_function("statement, layer absent", |b| {
            let span = request_span("sp", "POST", "/saml/acs", &headers);
            let _e = span.enter();
            b.iter(statement)
        });
    });
    tracing::subscriber::with_default(with_timing(), || {
        g.bench_function("statement, timed", |b| {
            let span = request_span("sp", "POST", "/saml/acs", &headers);
            let _e = span.enter();
            b.iter(statement)
        });
    });
    tracing::subscriber::with_default(info_only(), || {
        g.bench_function("request span, layer absent", |b| {
            b.iter(|| drop(request_span("sp", "POST", "/saml/acs", &headers)))
        });
    });
    tracing::subscriber::with_default(with_timing(), || {
        g.bench_function("request span, recorded", |b| {
            b.iter(|| drop(request_span("sp", "POST", "/saml/acs", &headers)))
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
