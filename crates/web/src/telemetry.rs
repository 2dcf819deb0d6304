//! Telemetry beyond the access log and the counters of [`crate::metrics`]:
//!
//! - a span per request and per job run (target [`TARGET`], level DEBUG: nothing is recorded
//!   for it unless a layer asks), carrying the server it is for; with OpenTelemetry on (see
//!   [`set_exporting`]) it is exported as the trace's server span, named by the route pattern,
//!   and continues the caller's trace when the request carries a W3C `traceparent` header;
//! - [`StoreQueryTiming`]: the store's statement latency as
//!   `symbolon_store_query_duration_seconds{server, op, table}`, from the event sqlx emits after
//!   every statement (both backends; SQLite's worker thread runs in the caller's span, so the
//!   server is known there too).
//!
//! Invariant: labels come from a closed set (the servers, SQL verbs, and table names of our own
//! static statements, at most [`MAX_TABLES`] of them), never from request data.

use std::collections::BTreeMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::HeaderMap;
use tracing::Span;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// The target of the request and job spans.
pub const TARGET: &str = "symbolon::trace";

/// The most table names the statement histogram distinguishes; others are `other`.
pub const MAX_TABLES: usize = 128;

static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Say that spans are exported (OpenTelemetry on): spans then get their trace names and
/// continue a caller's `traceparent`.
pub fn set_exporting() {
    EXPORTING.store(true, Ordering::Relaxed);
}

fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// The span of one request of `server`, matched to `route` (the pattern, never the path).
pub fn request_span(server: &'static str, method: &str, route: &str, headers: &HeaderMap) -> Span {
    let span = tracing::debug_span!(
        target: TARGET,
        "request",
        server,
        http.request.method = method,
        http.route = route,
        http.response.status_code = tracing::field::Empty,
        otel.name = tracing::field::Empty,
        otel.kind = "server",
    );
    if exporting() && !span.is_disabled() {
        span.record("otel.name", format!("{method} {route}"));
        continue_trace(&span, headers);
    }
    span
}

/// The span of one run of the scheduled job `name` (`idp:...`, `sp:...`).
pub fn job_span(name: &'static str) -> Span {
    let server = match name.split_once(':') {
        Some(("idp", _)) => "idp",
        Some(("sp", _)) => "sp",
        _ => "other",
    };
    let span = tracing::debug_span!(
        target: TARGET,
        "job",
        server,
        job = name,
        otel.name = tracing::field::Empty,
        otel.kind = "internal",
    );
    if exporting() && !span.is_disabled() {
        span.record("otel.name", format!("job {name}"));
    }
    span
}

/// Make `span` a child of the caller's trace when `headers` carry a valid `traceparent`.
fn continue_trace(span: &Span, headers: &HeaderMap) {
    use opentelemetry::propagation::TextMapPropagator;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    struct Headers<'a>(&'a HeaderMap);
    impl opentelemetry::propagation::Extractor for Headers<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|v| v.to_str().ok())
        }
        fn keys(&self) -> Vec<&str> {
            self.0.keys().map(axum::http::HeaderName::as_str).collect()
        }
    }
    if !headers.contains_key("traceparent") {
        return;
    }
    let propagator = opentelemetry_sdk::propagation::TraceContextPropagator::new();
    let cx = propagator.extract(&Headers(headers));
    let _ = span.set_parent(cx);
}

/// The server a span (or its nearest ancestor that says) is for.
struct ServerOf(&'static str);

/// Records `symbolon_store_query_duration_seconds` for every statement sqlx reports. Give it a
/// filter that lets through target `sqlx::query` (every level) and [`TARGET`]: see
/// [`StoreQueryTiming::targets`].
#[derive(Debug, Clone, Copy)]
pub struct StoreQueryTiming;

impl StoreQueryTiming {
    /// What the layer must see.
    pub fn targets() -> tracing_subscriber::filter::Targets {
        tracing_subscriber::filter::Targets::new()
            .with_target("sqlx::query", tracing::Level::TRACE)
            .with_target(TARGET, tracing::Level::TRACE)
    }
}

#[derive(Default)]
struct ServerField(Option<&'static str>);

impl Visit for ServerField {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "server" {
            self.0 = Some(match value {
                "idp" => "idp",
                "sp" => "sp",
                _ => "other",
            });
        }
    }
    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

/// What sqlx's statement event says that matters here: the statement classified as it is read
/// (no copy of its text), and the time it took. The full statement wins over the summary, which
/// is all there is when the statement is short.
#[derive(Default)]
struct QueryFields {
    from_summary: Option<(&'static str, &'static str)>,
    from_statement: Option<(&'static str, &'static str)>,
    elapsed: Option<f64>,
}

impl Visit for QueryFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.from_summary = Some(classify(value)),
            "db.statement" if !value.trim().is_empty() => {
                self.from_statement = Some(classify(value));
            }
            _ => {}
        }
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.elapsed = Some(value);
        }
    }
    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl<S> tracing_subscriber::Layer<S> for StoreQueryTiming
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        if attrs.metadata().target() != TARGET {
            return;
        }
        let mut v = ServerField::default();
        attrs.record(&mut v);
        if let (Some(server), Some(span)) = (v.0, ctx.span(id)) {
            span.extensions_mut().insert(ServerOf(server));
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut q = QueryFields::default();
        event.record(&mut q);
        let Some(secs) = q.elapsed.filter(|s| s.is_finite() && *s >= 0.0) else {
            return;
        };
        let server = ctx
            .event_scope(event)
            .and_then(|scope| {
                scope
                    .into_iter()
                    .find_map(|s| s.extensions().get::<ServerOf>().map(|o| o.0))
            })
            .unwrap_or("other");
        let (op, table) = q
            .from_statement
            .or(q.from_summary)
            .unwrap_or(("other", "none"));
        metrics::histogram!(
            "symbolon_store_query_duration_seconds",
            "server" => server,
            "op" => op,
            "table" => table
        )
        .record(secs);
    }
}

/// The statement's verb and the table it names first (after FROM, INTO or UPDATE).
pub fn classify(sql: &str) -> (&'static str, &'static str) {
    let mut words = sql
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';'))
        .filter(|w| !w.is_empty());
    let first = words.next().unwrap_or("");
    let op = [
        "select", "insert", "update", "delete", "with", "begin", "commit", "rollback", "pragma",
        "create", "alter", "drop",
    ]
    .into_iter()
    .find(|v| first.eq_ignore_ascii_case(v))
    .unwrap_or("other");
    let table = if op == "update" {
        words.next()
    } else {
        words
            .skip_while(|w| !w.eq_ignore_ascii_case("from") && !w.eq_ignore_ascii_case("into"))
            .nth(1)
    }
    .map(|t| t.trim_matches(|c| c == '"' || c == '`' || c == '['))
    .filter(|t| {
        !t.is_empty()
            && !t.eq_ignore_ascii_case("select")
            && t.len() <= 64
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    });
    (op, table.map_or("none", intern))
}

static TABLES: RwLock<BTreeMap<String, &'static str>> = RwLock::new(BTreeMap::new());

/// `name` (lower-cased) as a label that lives as long as the process: at most [`MAX_TABLES`]
/// names are kept, the rest are `other`.
fn intern(name: &str) -> &'static str {
    let lower;
    let key = if name.bytes().any(|b| b.is_ascii_uppercase()) {
        lower = name.to_ascii_lowercase();
        lower.as_str()
    } else {
        name
    };
    if let Ok(t) = TABLES.read()
        && let Some(s) = t.get(key)
    {
        return s;
    }
    let Ok(mut t) = TABLES.write() else {
        return "other";
    };
    if let Some(s) = t.get(key) {
        return s;
    }
    if t.len() >= MAX_TABLES {
        return "other";
    }
    let s: &'static str = Box::leak(key.to_string().into_boxed_str());
    t.insert(key.to_string(), s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_classified() {
        assert_eq!(
            classify("SELECT id, name FROM realms WHERE id = ?1"),
            ("select", "realms")
        );
        assert_eq!(
            classify("insert into \"sp_sessions\" (id) values ($1)"),
            ("insert", "sp_sessions")
        );
        assert_eq!(classify("UPDATE users SET x = 1"), ("update", "users"));
        assert_eq!(
            classify("DELETE FROM consumed_assertions WHERE until < ?"),
            ("delete", "consumed_assertions")
        );
        assert_eq!(classify("BEGIN"), ("begin", "none"));
        assert_eq!(classify("SELECT 1"), ("select", "none"));
        assert_eq!(classify(""), ("other", "none"));
        assert_eq!(
            classify("SELECT * FROM (SELECT 1)"),
            ("select", "none"),
            "a subquery names no table"
        );
        assert_eq!(classify("select * from x'; drop"), ("select", "none"));
    }

    #[test]
    fn table_labels_are_bounded() {
        for i in 0..(MAX_TABLES + 20) {
            let (_, t) = classify(&format!("SELECT 1 FROM t{i}"));
            assert!(t == format!("t{i}") || t == "other");
        }
        assert_eq!(classify("SELECT 1 FROM a_new_table_name").1, "other");
        assert!(TABLES.read().map(|t| t.len()).unwrap_or(0) <= MAX_TABLES);
    }

    #[test]
    fn spans_tell_the_server_and_statements_are_timed() {
        use tracing_subscriber::layer::SubscriberExt;
        let recorder = metrics_util::debugging::DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::Layer::with_filter(StoreQueryTiming, StoreQueryTiming::targets()),
        );
        metrics::with_local_recorder(&recorder, || {
            tracing::subscriber::with_default(subscriber, || {
                let span = request_span("sp", "POST", "/saml/acs", &HeaderMap::new());
                let _g = span.enter();
                let summary = "SELECT id FROM sp_sessions".to_string();
                tracing::debug!(target: "sqlx::query", summary, db.statement = "", elapsed_secs = 0.002_f64);
            });
        });
        let snap = snapshotter.snapshot().into_vec();
        let found = snap.iter().any(|(k, _, _, _)| {
            let key = k.key();
            key.name() == "symbolon_store_query_duration_seconds"
                && key
                    .labels()
                    .any(|l| l.key() == "server" && l.value() == "sp")
                && key
                    .labels()
                    .any(|l| l.key() == "table" && l.value() == "sp_sessions")
        });
        assert!(found, "{snap:?}");
    }
}
