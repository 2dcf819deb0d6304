//! The router of the IdP (paths follow Keycloak's) and `serve`, which runs it with the IdP's
//! jobs.

use crate::error::error_page;
use crate::login::{authenticate, second_factor};
use crate::passkeys::{passkey_js, passkey_sign_in, register_passkey, registration_link};
use crate::sso::{client_descriptor, idp_initiated, realm_descriptor, sso_post, sso_redirect};
use crate::state::AppState;
pub use crate::state::WebConfig;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;
/// 256 random bits as hex (also used by the SP).
pub use symbolon_idp::random_hex;
use symbolon_store::IdpStore;

/// The router. Paths follow Keycloak's (case-sensitive).
pub fn router<S: IdpStore>(store: S, cfg: WebConfig) -> Router {
    let state = AppState {
        fetcher: fetcher(&cfg),
        store,
        cfg: Arc::new(cfg),
        signing_keys: Arc::default(),
        descriptors: Arc::default(),
        sso: Arc::default(),
    };
    let router = Router::new()
        .route("/", get(crate::home::home::<S>))
        .route("/resources/symbolon.css", get(css))
        .route("/resources/favicon.svg", get(symbolon_web::page::favicon))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz::<S>))
        .route(
            "/realms/{realm}/protocol/saml/descriptor",
            get(realm_descriptor::<S>),
        )
        .route(
            "/realms/{realm}/protocol/saml",
            get(sso_redirect::<S>).post(sso_post::<S>),
        )
        .route(
            "/realms/{realm}/protocol/saml/clients/{name}",
            get(idp_initiated::<S>),
        )
        .route(
            "/realms/{realm}/protocol/saml/clients/{name}/descriptor",
            get(client_descriptor::<S>),
        )
        .route(
            "/realms/{realm}/login-actions/authenticate",
            get(crate::login::login_again::<S>).post(authenticate::<S>),
        )
        .route(
            "/realms/{realm}/login-actions/second-factor",
            post(second_factor::<S>),
        )
        .route(
            "/realms/{realm}/login-actions/passkey",
            post(passkey_sign_in::<S>),
        )
        .route(
            "/realms/{realm}/login-actions/register-passkey",
            post(register_passkey::<S>),
        )
        .route(
            "/realms/{realm}/login-actions/register",
            get(registration_link::<S>),
        )
        .route(
            "/realms/{realm}/branding.css",
            get(crate::branding::branding_css::<S>),
        )
        .route("/realms/{realm}/logo", get(crate::branding::logo::<S>))
        .route("/resources/passkey.js", get(passkey_js))
        .route("/resources/logout.js", get(crate::slo_frames::logout_js))
        .route(
            "/realms/{realm}/protocol/saml/logout/{round}/status",
            get(crate::slo_frames::status::<S>),
        )
        .route(
            "/realms/{realm}/protocol/saml/logout/{round}/finish",
            get(crate::slo_frames::finish_round::<S>),
        )
        .route(
            "/realms/{realm}/protocol/saml/logout/{round}/{index}",
            get(crate::slo_frames::frame::<S>),
        )
        .merge(crate::account::routes::<S>())
        .merge(crate::admin_api::routes::<S>())
        .merge(crate::console::routes::<S>())
        .with_state(state)
        .layer(axum::middleware::from_fn(symbolon_web::reference::scope))
        .layer(axum::middleware::from_fn(sso_scope));
    symbolon_web::front::harden(router, error_pages())
}

/// Each request reads the SSO cache's version at most once (see `symbolon_idp::sso_cache`).
async fn sso_scope(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    symbolon_idp::sso_cache::request_scope(next.run(req)).await
}

/// The product's error page, for the statuses answered outside a handler.
pub fn error_pages() -> symbolon_web::front::ErrorPageFn {
    Arc::new(error_page)
}

/// Ready when the database answers.
pub(crate) async fn readyz<S: IdpStore>(State(st): State<AppState<S>>) -> Response {
    match st.store.realms().await {
        Ok(_) => "ready".into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the database is unavailable",
        )
            .into_response(),
    }
}

pub(crate) use symbolon_web::page::stylesheet as css;

/// The metadata fetcher; without TLS roots it still serves, and every fetch says why it failed.
fn fetcher(cfg: &WebConfig) -> symbolon_web::fetch::Fetcher {
    symbolon_web::fetch::Fetcher::new(cfg.fetch_limits).unwrap_or_else(|e| {
        tracing::error!("metadata fetcher: {e}");
        symbolon_web::fetch::Fetcher::unusable(e)
    })
}

/// One run of `idp:metadata-refresh`: every due client, one after another.
async fn refresh_clients<S: IdpStore>(
    store: S,
    fetcher: symbolon_web::fetch::Fetcher,
    policy: symbolon_saml::metadata_refresh::RefreshPolicy,
    now: time::OffsetDateTime,
) -> Result<String, String> {
    use symbolon_saml::metadata_refresh::RefreshReport;
    let due = symbolon_idp::due_clients(&store, &policy, now)
        .await
        .map_err(|e| e.to_string())?;
    let (mut changed, mut unchanged, mut failed) = (0usize, 0usize, 0usize);
    for c in &due {
        let Some(s) = &c.metadata_source else {
            continue;
        };
        let outcome = fetcher
            .outcome(
                &s.url,
                s.allow_http,
                s.etag.as_deref(),
                s.last_modified.as_deref(),
            )
            .await;
        match symbolon_idp::refresh_client(&store, c, outcome, &policy, now)
            .await
            .map_err(|e| e.to_string())?
        {
            RefreshReport::Unchanged => unchanged += 1,
            RefreshReport::Changed(_) => changed += 1,
            RefreshReport::Failed(why) => {
                tracing::warn!(client = %c.client_id, realm = %c.realm, "metadata refresh failed: {why}");
                failed += 1;
            }
        }
    }
    symbolon_web::metrics::metadata_refreshed("idp", changed, unchanged, failed);
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

/// Serve on a listener (plain TCP, or TLS from the caller) until SIGTERM or Ctrl-C, running the
/// IdP's jobs.
pub async fn serve<S, L>(store: S, cfg: WebConfig, listener: L) -> std::io::Result<()>
where
    S: IdpStore,
    L: axum::serve::Listener<Addr = std::net::SocketAddr>,
{
    // Before the jobs start, so that their first runs are counted.
    symbolon_web::metrics::install();
    let trusted = cfg.trusted_proxies.clone();
    let holder = symbolon_web::jobs::instance_id();
    let (leases, me) = (store.clone(), holder.clone());
    tokio::spawn(symbolon_web::jobs::every(
        store.clone(),
        holder.clone(),
        "idp:purge-state",
        cfg.purge_every,
        symbolon_web::jobs::purge_state,
    ));
    symbolon_web::metrics::watch_pool("idp", store.clone());
    let watched = store.clone();
    tokio::spawn(symbolon_web::metrics::watch_certificates(
        "idp",
        move |now| {
            let s = watched.clone();
            async move { symbolon_idp::watched_certificates(&s, now).await }
        },
    ));
    let (f, policy) = (fetcher(&cfg), cfg.metadata_refresh);
    tokio::spawn(symbolon_web::jobs::every(
        store.clone(),
        holder.clone(),
        "idp:metadata-refresh",
        cfg.metadata_check_every,
        move |s: S, now| refresh_clients(s, f.clone(), policy, now),
    ));
    match symbolon_web::webhooks::client(false) {
        Ok(client) => {
            tokio::spawn(symbolon_web::jobs::every(
                store.clone(),
                holder.clone(),
                "idp:webhooks",
                symbolon_web::webhooks::EVERY,
                move |s: S, now| symbolon_web::webhooks::run(s, client.clone(), now),
            ));
        }
        Err(e) => tracing::error!("webhooks will not be delivered: {e}"),
    }
    let scim = symbolon_web::scim_client::ScimHttp::default();
    tokio::spawn(symbolon_web::jobs::every(
        store.clone(),
        holder.clone(),
        "idp:provisioning",
        cfg.provisioning_every,
        move |s: S, now| crate::provisioning::run(s, scim.clone(), now),
    ));
    let (poster, base) = (
        symbolon_web::soap_client::SoapPoster::default(),
        cfg.base_url.clone(),
    );
    tokio::spawn(symbolon_web::jobs::every(
        store.clone(),
        holder.clone(),
        "idp:backchannel-logout",
        crate::backchannel::EVERY,
        move |s: S, now| crate::backchannel::run(s, poster.clone(), base.clone(), now),
    ));
    tokio::spawn(symbolon_web::jobs::every(
        store.clone(),
        holder,
        "idp:certificate-expiry",
        cfg.certificate_check_every,
        |s: S, now| async move {
            symbolon_idp::check_certificates(&s, now)
                .await
                .map(|n| format!("{} certificate-expiry notices given", n.len()))
                .map_err(|e| e.to_string())
        },
    ));
    let served =
        symbolon_web::serve("idp", router(store, cfg), error_pages(), trusted, listener).await;
    symbolon_web::jobs::release(&leases, &me).await;
    served
}
