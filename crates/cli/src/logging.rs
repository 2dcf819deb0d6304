//! Logs of the serving commands (`serve`, `idp serve`, `sp serve`, `demo`): to standard error
//! (standard output carries only the "listening on" lines), one access-log line per request
//! (target `symbolon::access`), plain text without colour codes unless standard error is a
//! terminal, or one JSON object per line. `RUST_LOG` filters as usual (default `info`;
//! `RUST_LOG=info,symbolon::access=off` turns the access log off). Besides the log lines: the
//! store's statement latency for `/metrics`, and OpenTelemetry traces when an OTLP endpoint is
//! configured ([`Telemetry`]).

use std::io::IsTerminal;

/// The log format a serving command was asked for: `text` or `json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// `text` or `json`; anything else is an error that names the accepted values.
    pub fn parse(s: &str) -> Result<LogFormat, String> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("log format {other:?} must be \"text\" or \"json\"")),
        }
    }

    /// From `SYMBOLON_SERVER_LOG_FORMAT` (the variable `serve` reads for `server.log_format`),
    /// for the commands that have no configuration file.
    pub fn from_env() -> Result<LogFormat, String> {
        match std::env::var("SYMBOLON_SERVER_LOG_FORMAT") {
            Ok(v) => LogFormat::parse(&v).map_err(|e| format!("SYMBOLON_SERVER_LOG_FORMAT: {e}")),
            Err(_) => Ok(LogFormat::Text),
        }
    }
}

/// OpenTelemetry settings: `[server] otlp_endpoint` and `otlp_sample_ratio`, or for the
/// commands without a configuration file `SYMBOLON_SERVER_OTLP_ENDPOINT` and
/// `SYMBOLON_SERVER_OTLP_SAMPLE_RATIO`.
#[derive(Debug, Clone, PartialEq)]
pub struct Telemetry {
    pub otlp_endpoint: Option<String>,
    pub sample_ratio: f64,
}

impl Telemetry {
    pub fn of(s: &crate::serve_cmd::ServerSection) -> Telemetry {
        Telemetry {
            otlp_endpoint: s.otlp_endpoint.clone().filter(|e| !e.trim().is_empty()),
            sample_ratio: s.otlp_sample_ratio,
        }
    }

    /// No traces.
    pub fn off() -> Telemetry {
        Telemetry {
            otlp_endpoint: None,
            sample_ratio: 1.0,
        }
    }

    pub fn from_env() -> Result<Telemetry, String> {
        let t = Telemetry {
            otlp_endpoint: std::env::var("SYMBOLON_SERVER_OTLP_ENDPOINT")
                .ok()
                .filter(|e| !e.trim().is_empty()),
            sample_ratio: match std::env::var("SYMBOLON_SERVER_OTLP_SAMPLE_RATIO") {
                Ok(v) => v.trim().parse().map_err(|_| {
                    format!("SYMBOLON_SERVER_OTLP_SAMPLE_RATIO {v:?} must be a number from 0 to 1")
                })?,
                Err(_) => 1.0,
            },
        };
        t.check()?;
        Ok(t)
    }

    /// The endpoint is an http(s) URL with a host and no query; the ratio is from 0 to 1.
    pub fn check(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.sample_ratio) {
            return Err(format!(
                "server.otlp_sample_ratio {} must be from 0 to 1",
                self.sample_ratio
            ));
        }
        if let Some(e) = &self.otlp_endpoint {
            let ok = !e.contains('#')
                && e.parse::<axum::http::Uri>().is_ok_and(|u| {
                    matches!(u.scheme_str(), Some("http" | "https"))
                        && u.host().is_some_and(|h| !h.is_empty())
                        && u.query().is_none()
                });
            if !ok {
                return Err(format!(
                    "server.otlp_endpoint {e:?} must be an http(s) URL of an OTLP/HTTP collector, e.g. http://127.0.0.1:4318"
                ));
            }
        }
        Ok(())
    }

    /// Where the spans are posted.
    fn traces_url(&self) -> Option<String> {
        self.otlp_endpoint
            .as_ref()
            .map(|e| format!("{}/v1/traces", e.trim_end_matches('/')))
    }
}

/// `SYMBOLON_SP_ALLOW_PRIVATE_ADDRESSES` (`true`/`false`, default false) for the commands
/// without a configuration file, as `[sp] allow_private_addresses` for `serve`.
pub fn allow_private_from_env() -> Result<bool, String> {
    bool_from_env("SYMBOLON_SP_ALLOW_PRIVATE_ADDRESSES", false)
}

/// `SYMBOLON_SP_ACCOUNTS_FROM_CONSOLE` (`true`/`false`, default true) for `sp serve` and `demo`
/// without a configuration file, as `[sp] accounts_from_console`.
pub fn accounts_from_console_from_env() -> Result<bool, String> {
    bool_from_env("SYMBOLON_SP_ACCOUNTS_FROM_CONSOLE", true)
}

fn bool_from_env(name: &str, default: bool) -> Result<bool, String> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(v) => v
            .trim()
            .parse()
            .map_err(|_| format!("{name} {v:?} must be true or false")),
    }
}

/// What must outlive the servers: the trace exporter, whose remaining spans are sent when this
/// is dropped.
pub struct Traces(Option<opentelemetry_sdk::trace::SdkTracerProvider>);

impl Drop for Traces {
    fn drop(&mut self) {
        if let Some(p) = self.0.take()
            && let Err(e) = p.shutdown()
        {
            eprintln!("traces: {e}");
        }
    }
}

/// Install the process's log subscriber (once; later calls change nothing): the log lines, the
/// store's statement latency (`symbolon_web::telemetry`) and, when an OTLP endpoint is set,
/// the request and job spans for OpenTelemetry. Call it outside the async runtime (the
/// exporter's HTTP client has a runtime of its own).
pub fn init(format: LogFormat, telemetry: &Telemetry) -> Traces {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
    };
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let fmt = match format {
        LogFormat::Json => fmt.json().with_filter(filter()).boxed(),
        LogFormat::Text => fmt.with_filter(filter()).boxed(),
    };
    let timing = symbolon_web::telemetry::StoreQueryTiming
        .with_filter(symbolon_web::telemetry::StoreQueryTiming::targets());
    let (otel, provider) = match otel_layer(telemetry) {
        Ok(Some((layer, provider))) => (Some(layer), Some(provider)),
        Ok(None) => (None, None),
        Err(e) => {
            eprintln!("traces are off: {e}");
            (None, None)
        }
    };
    let mut layers = vec![fmt, timing.boxed()];
    layers.extend(otel);
    let installed = tracing_subscriber::registry()
        .with(layers)
        .try_init()
        .is_ok();
    if installed && provider.is_some() {
        symbolon_web::telemetry::set_exporting();
    }
    Traces(provider.filter(|_| installed))
}

type BoxedLayer = Box<dyn tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync>;

fn otel_layer(
    t: &Telemetry,
) -> Result<Option<(BoxedLayer, opentelemetry_sdk::trace::SdkTracerProvider)>, String> {
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_otlp::WithExportConfig;
    use tracing_subscriber::Layer;
    let Some(url) = t.traces_url() else {
        return Ok(None);
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(url)
        .with_timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let sampler = opentelemetry_sdk::trace::Sampler::ParentBased(Box::new(
        opentelemetry_sdk::trace::Sampler::TraceIdRatioBased(t.sample_ratio),
    ));
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(sampler)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("symbolon")
                .with_attribute(opentelemetry::KeyValue::new(
                    "service.version",
                    env!("CARGO_PKG_VERSION"),
                ))
                .build(),
        )
        .build();
    let tracer = provider.tracer("symbolon");
    // The request and job spans, the statements inside them (as span events), and what is
    // logged at info or above while they run.
    let targets = tracing_subscriber::filter::Targets::new()
        .with_target(symbolon_web::telemetry::TARGET, tracing::Level::TRACE)
        .with_target("sqlx::query", tracing::Level::DEBUG)
        .with_default(tracing::Level::INFO);
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(targets)
        .boxed();
    Ok(Some((layer, provider)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(LogFormat::parse("json"), Ok(LogFormat::Json));
        assert_eq!(LogFormat::parse("text"), Ok(LogFormat::Text));
        assert!(
            Telemetry {
                otlp_endpoint: Some("ftp://collector".into()),
                sample_ratio: 1.0
            }
            .check()
            .unwrap_err()
            .contains("otlp_endpoint")
        );
        assert!(
            Telemetry {
                otlp_endpoint: None,
                sample_ratio: 1.5
            }
            .check()
            .is_err()
        );
        let t = Telemetry {
            otlp_endpoint: Some("http://127.0.0.1:4318/".into()),
            sample_ratio: 0.25,
        };
        assert!(t.check().is_ok());
        assert_eq!(
            t.traces_url().as_deref(),
            Some("http://127.0.0.1:4318/v1/traces")
        );
        assert!(
            LogFormat::parse("JSON")
                .unwrap_err()
                .contains("\"text\" or \"json\"")
        );
    }
}
