//! The router of the IdP (paths follow Keycloak's) and `serve`, which runs it with the IdP's
//! jobs.

use crate::error::error_page;
use crate::login::{authenticate, second_factor};
use crate::passkeys::{passkey_js, passkey_sign_in, register_passkey, registration_link};
use crate::sso::{idp_initiated, realm_descriptor, sso_post, sso_redirect};
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
        store,
        cfg: Arc::new(cfg),
        signing_keys: Arc::default(),
        descriptors: Arc::default(),
    };
    let router = Router::new()
        .route("/", get(crate::home::home::<S>))
        .route("/resources/symbolon.css", get(css))
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
            "/realms/{realm}/login-actions/authenticate",
            post(authenticate::<S>),
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
        .route("/resources/passkey.js", get(passkey_js))
        .merge(crate::account::routes::<S>())
        .merge(crate::admin_api::routes::<S>())
        .merge(crate::console::routes::<S>())
        .with_state(state);
    symbolon_web::front::harden(router, Arc::new(error_page))
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

/// Serve on a listener (plain TCP, or TLS from the caller) until SIGTERM or Ctrl-C, running the
/// IdP's jobs.
pub async fn serve<S, L>(store: S, cfg: WebConfig, listener: L) -> std::io::Result<()>
where
    S: IdpStore,
    L: axum::serve::Listener<Addr = std::net::SocketAddr>,
{
    let trusted = cfg.trusted_proxies.clone();
    let holder = symbolon_web::jobs::instance_id();
    tokio::spawn(symbolon_web::jobs::every(
        store.clone(),
        holder.clone(),
        "idp:purge-state",
        cfg.purge_every,
        symbolon_web::jobs::purge_state,
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
    symbolon_web::serve(router(store, cfg), trusted, listener).await
}
