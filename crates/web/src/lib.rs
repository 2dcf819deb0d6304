//! Web plumbing both servers share and that knows no domain.
//!
//! - [`page`]: HTML responses with the security headers every page carries (CSP, no caching,
//!   `nosniff`, `same-origin` referrers), the shared stylesheets.
//! - [`request`]: cookies, the `Set-Cookie` builder, the Origin check, CSRF comparison.
//! - [`error`]: the kinds of failure both domains report, mapped to HTTP statuses once.
//! - [`front`]: trusted proxies, the access log, product pages for statuses answered outside a
//!   handler, panics caught.
//! - [`jobs`]: the leased scheduler each server registers its own jobs with.
//! - [`metrics`]: the Prometheus recorder, `/metrics`, and the series both servers record.
//! - [`openapi`]: what both REST APIs' OpenAPI documents share, and the one JSON error shape.
//! - [`dns`]: TXT lookups (the record that proves an email domain).
//! - [`fetch`]: metadata fetched from a URL (HTTPS, size and time limits, conditional GET).
//! - [`portable`]: the import form, its report and the export download both consoles share.
//! - [`i18n`]: the English and Japanese catalogues, the request's language and the switcher.
//! - [`reference`]: one reference per request for its error page, events and log lines.
//! - [`conn`]: the product's page in place of hyper's own empty 400, 414 and 431 answers.
//! - [`telemetry`]: request and job spans (OpenTelemetry), the store's statement latency.
//! - [`shutdown`] and [`serve`]: listen, serve with the access log, stop gracefully on SIGTERM.
//!
//! Invariants: no page leaves without its CSP; public URLs come from configuration, never from
//! request headers; nothing here names a realm, an account or any other domain object.

pub mod conn;
pub mod dns;
pub mod error;
pub mod fetch;
pub mod flash;
pub mod front;
pub mod i18n;
pub mod jobs;
pub mod metrics;
pub mod once;
pub mod openapi;
pub mod page;
pub mod paging;
pub mod portable;
pub mod reference;
pub mod request;
pub mod scim_client;
pub mod shutdown;
pub mod soap_client;
pub mod telemetry;
pub mod webhooks;

pub use symbolon_secret::{random_hex, secret_eq};

/// Serve `app` of `server` ("idp", "sp") on a listener (plain TCP, or TLS from the caller) with
/// the access log and `/metrics` for loopback clients ([`metrics`]), until SIGTERM or Ctrl-C;
/// requests in flight are finished. `page` renders the product's error page, also for the
/// answers hyper gives before the router sees a request ([`conn`]).
pub async fn serve<L>(
    server: &'static str,
    app: axum::Router,
    page: front::ErrorPageFn,
    trusted: front::TrustedProxies,
    listener: L,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = std::net::SocketAddr>,
{
    metrics::install();
    let route = metrics::MetricsRoute {
        trusted: trusted.clone(),
        page: page.clone(),
    };
    let app = app.route(
        "/metrics",
        axum::routing::get(metrics::local_metrics).with_state(route),
    );
    let app = front::with_access_log(app, trusted, server);
    let pages = conn::ParseErrorPages::render(&page).await;
    axum::serve(
        front::PeerListener::new(listener, pages),
        app.into_make_service_with_connect_info::<front::Peer>(),
    )
    .with_graceful_shutdown(shutdown::shutdown_signal())
    .await
}
