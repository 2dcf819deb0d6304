//! The SP's router and `serve`, which runs it with the SP's jobs.

use crate::acs::{acs, metadata, sp_initiated};
use crate::native::{login, login_form};
use crate::page::{css, error_page};
use crate::pick::{home, logout, pick, pick_page};
use crate::state::AppState;
pub use crate::state::SpConfig;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;
use symbolon_store::sp::SpStore;

/// The router.
pub fn router<S: SpStore>(store: S, cfg: SpConfig) -> Router {
    let fetcher = fetcher(&cfg);
    let st = AppState {
        store,
        cfg: Arc::new(cfg),
        acs_cache: Arc::default(),
        keys: Arc::default(),
        fetcher,
    };
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz::<S>))
        .route("/resources/symbolon.css", get(css))
        .route("/resources/favicon.svg", get(symbolon_web::page::favicon))
        .route("/saml/metadata", get(metadata::<S>))
        .route("/saml/acs", post(acs::<S>))
        .route("/saml/login", get(sp_initiated::<S>))
        .route("/pick", get(pick_page::<S>).post(pick::<S>))
        .route("/", get(home::<S>))
        .route("/login", get(login_form::<S>).post(login::<S>))
        .route("/logout", post(logout::<S>))
        .route("/signed-out", get(crate::slo::signed_out))
        .route(
            "/saml/slo",
            get(crate::slo::slo_redirect::<S>).post(crate::slo::slo_post::<S>),
        )
        .route("/saml/slo/soap", post(crate::slo::slo_soap::<S>))
        .merge(crate::console::routes::<S>())
        .merge(crate::api_doc::routes::<S>())
        .merge(crate::scim::routes::<S>())
        .with_state(st);
    symbolon_web::front::harden(router, error_pages())
}

/// The product's error page, for the statuses answered outside a handler.
pub fn error_pages() -> symbolon_web::front::ErrorPageFn {
    Arc::new(error_page)
}

/// Serve until Ctrl-C.
/// The metadata fetcher; without TLS roots it still serves, and every fetch says why it failed.
fn fetcher(cfg: &SpConfig) -> symbolon_web::fetch::Fetcher {
    symbolon_web::fetch::Fetcher::new(cfg.fetch_limits).unwrap_or_else(|e| {
        tracing::error!("metadata fetcher: {e}");
        symbolon_web::fetch::Fetcher::unusable(e)
    })
}

/// Serve on a listener (plain TCP, or TLS from the caller) until SIGTERM or Ctrl-C.
pub async fn serve<S, L>(store: S, cfg: SpConfig, listener: L) -> std::io::Result<()>
where
    S: SpStore,
    L: axum::serve::Listener<Addr = std::net::SocketAddr>,
{
    // Before the jobs start, so that their first runs are counted.
    symbolon_web::metrics::install();
    let holder = symbolon_web::jobs::instance_id();
    let (leases, me) = (store.clone(), holder.clone());
    tokio::spawn(symbolon_web::jobs::every(
        store.clone(),
        holder.clone(),
        "sp:prune-saml-users",
        std::time::Duration::from_secs(24 * 3600),
        |s: S, now| async move {
            symbolon_sp::prune_saml_users(&s, now)
                .await
                .map(|n| format!("removed {n} SAML users not seen for 365 days"))
                .map_err(|e| e.to_string())
        },
    ));
    let retention = cfg.trace_retention;
    tokio::spawn(symbolon_web::jobs::every(
        store.clone(),
        holder.clone(),
        "sp:prune-traces",
        std::time::Duration::from_secs(24 * 3600),
        move |s: S, now| async move {
            symbolon_sp::prune_traces(&s, now, retention)
                .await
                .map(|n| {
                    format!(
                        "removed {n} traces of rejected responses older than {} days",
                        retention.whole_days()
                    )
                })
                .map_err(|e| e.to_string())
        },
    ));
    tokio::spawn(symbolon_web::jobs::every(
        store.clone(),
        holder.clone(),
        "sp:certificate-expiry",
        std::time::Duration::from_secs(24 * 3600),
        |s: S, now| async move {
            symbolon_sp::check_certificates(&s, now)
                .await
                .map(|n| format!("{} certificate-expiry notices given", n.len()))
                .map_err(|e| e.to_string())
        },
    ));
    let replay = store.clone();
    symbolon_web::metrics::on_scrape("sp:replay-cache", move || {
        let s = replay.clone();
        async move {
            if let Ok(n) = s
                .replay_cache_entries(time::OffsetDateTime::now_utc())
                .await
            {
                metrics::gauge!("symbolon_sp_replay_cache_entries").set(n as f64);
            }
        }
    });
    symbolon_web::metrics::watch_pool("sp", store.clone());
    let watched = store.clone();
    tokio::spawn(symbolon_web::metrics::watch_certificates(
        "sp",
        move |now| {
            let s = watched.clone();
            async move { symbolon_sp::watched_certificates(&s, now).await }
        },
    ));
    match symbolon_web::webhooks::client(cfg.fetch_limits.public_only) {
        Ok(client) => {
            tokio::spawn(symbolon_web::jobs::every(
                store.clone(),
                holder.clone(),
                "sp:webhooks",
                symbolon_web::webhooks::EVERY,
                move |s: S, now| symbolon_web::webhooks::run(s, client.clone(), now),
            ));
        }
        Err(e) => tracing::error!("webhooks will not be delivered: {e}"),
    }
    let (f, policy) = (fetcher(&cfg), cfg.metadata_refresh);
    tokio::spawn(symbolon_web::jobs::every(
        store.clone(),
        holder.clone(),
        "sp:metadata-refresh",
        cfg.metadata_check_every,
        move |s: S, now| crate::refresh::run(s, f.clone(), policy, now),
    ));
    tokio::spawn(symbolon_web::jobs::every(
        store.clone(),
        holder,
        "sp:purge-state",
        cfg.purge_every,
        symbolon_web::jobs::purge_state,
    ));
    let trusted = cfg.trusted_proxies.clone();
    let served =
        symbolon_web::serve("sp", router(store, cfg), error_pages(), trusted, listener).await;
    symbolon_web::jobs::release(&leases, &me).await;
    served
}

/// Ready when the database answers.
pub(crate) async fn readyz<S: SpStore>(State(st): State<AppState<S>>) -> Response {
    match st.store.account("").await {
        Ok(_) => "ready".into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the database is unavailable",
        )
            .into_response(),
    }
}
