//! The SP server's configuration and shared state, and the browser session (who signed in,
//! the account/role pairs, the current one).

use crate::page::unavailable;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use symbolon_sp::SignIn;
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

pub(crate) const SESSION_COOKIE: &str = "SYMBOLON_SP_SESSION";

/// Server settings.
#[derive(Debug, Clone)]
pub struct SpConfig {
    /// Public base URL, e.g. `https://sp.example.com`.
    pub base_url: String,
    pub session_lifetime: time::Duration,
    /// Reverse proxies whose `X-Forwarded-For` names the client (access log).
    pub trusted_proxies: symbolon_web::front::TrustedProxies,
    /// How often expired state is purged (by one instance).
    pub purge_every: std::time::Duration,
    /// Assertion lifetime cap and the bounds on recording rejections.
    pub acs: symbolon_sp::AcsPolicy,
    /// How long traces of rejected responses are kept (pruned daily by one instance).
    pub trace_retention: time::Duration,
    /// Metadata URLs: the regular refresh interval, how often due ones are looked for, and the
    /// limits of a fetch.
    pub metadata_refresh: symbolon_sp::RefreshPolicy,
    pub metadata_check_every: std::time::Duration,
    pub fetch_limits: symbolon_web::fetch::FetchLimits,
    /// SHA-256 of the operator token that opens the tenant API (`/api/v1/accounts`); `None`:
    /// the tenant API is off.
    pub operator_token_sha256: Option<String>,
    /// The name server asked for domain TXT records; `None`: the system's resolver.
    pub dns_server: Option<std::net::SocketAddr>,
    /// A master administrator may create another account from the console (and becomes its
    /// master administrator); `false`: accounts are made by the operator only.
    pub accounts_from_console: bool,
}

impl SpConfig {
    pub fn new(base_url: &str) -> Self {
        SpConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            session_lifetime: time::Duration::hours(8),
            trusted_proxies: symbolon_web::front::TrustedProxies::default(),
            purge_every: std::time::Duration::from_secs(600),
            acs: symbolon_sp::AcsPolicy::default(),
            trace_retention: time::Duration::days(7),
            metadata_refresh: symbolon_sp::RefreshPolicy::default(),
            metadata_check_every: std::time::Duration::from_secs(300),
            // Tenants type these URLs (metadata, webhooks): public addresses only, unless the
            // operator allows private ones.
            fetch_limits: symbolon_web::fetch::FetchLimits {
                public_only: true,
                ..symbolon_web::fetch::FetchLimits::default()
            },
            operator_token_sha256: None,
            dns_server: None,
            accounts_from_console: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Session {
    pub(crate) sign_in: SignIn,
    pub(crate) current: Option<usize>,
    pub(crate) csrf: String,
    pub(crate) signed_in_at: OffsetDateTime,
    pub(crate) expires: OffsetDateTime,
    /// Where to go once an account is chosen (a deep link within this SP), once.
    #[serde(default)]
    pub(crate) return_to: Option<String>,
}

/// An outstanding SP-initiated request: its ID and the page that started it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) return_to: Option<String>,
}

impl Pending {
    /// Read a stored value (JSON; a bare request ID from before return links counts too).
    pub(crate) fn parse(v: &str) -> Pending {
        serde_json::from_str(v).unwrap_or_else(|_| Pending {
            id: v.to_string(),
            return_to: None,
        })
    }
}

/// A requested destination as a path within this SP, or `None` (an open-redirect attempt is
/// logged).
pub(crate) fn destination(base_url: &str, requested: Option<&str>) -> Option<String> {
    let r = requested.filter(|r| !r.trim().is_empty())?;
    match symbolon_sp::deep_link(base_url, r) {
        Ok(path) => Some(path),
        Err(symbolon_sp::DeepLinkRefused::OtherOrigin) => {
            tracing::warn!(target: "symbolon::security", requested = %r.chars().take(200).collect::<String>(), "open-redirect attempt refused: sent to /");
            None
        }
        Err(symbolon_sp::DeepLinkRefused::Unusable) => None,
    }
}

/// Kinds of short-lived state in the store, shared by every instance.
pub(crate) const SESSION: &str = symbolon_sp::scim::SESSION_STATE;

/// Outstanding SP-initiated requests by RelayState: the AuthnRequest ID (single use).
pub(crate) const PENDING: &str = "sp-authn-request";

pub(crate) const LOCKED: &str = "sp-lockout";

#[derive(Clone)]
pub(crate) struct AppState<S> {
    pub(crate) store: S,
    pub(crate) cfg: Arc<SpConfig>,
    /// What the ACS decides from, kept per process (see `symbolon_sp::AcsCache`).
    pub(crate) acs_cache: Arc<symbolon_sp::AcsCache>,
    /// The SP's keys (signing AuthnRequests, decrypting assertions), parsed once.
    pub(crate) keys: Arc<symbolon_sp::SpKeys>,
    /// Fetches metadata URLs.
    pub(crate) fetcher: symbolon_web::fetch::Fetcher,
}

/// Failed native sign-ins before a temporary lockout, and its length.
pub(crate) const MAX_FAILURES: u32 = 5;

pub(crate) const LOCKOUT: time::Duration = time::Duration::minutes(5);

pub(crate) async fn save_session<S: SpStore>(
    st: &AppState<S>,
    id: &str,
    s: &Session,
) -> Result<(), Response> {
    let v = serde_json::to_string(s).map_err(unavailable)?;
    st.store
        .put_state(SESSION, id, &v, s.expires)
        .await
        .map_err(unavailable)
}

pub(crate) fn random_token() -> Option<String> {
    symbolon_web::random_hex()
}

pub(crate) use symbolon_web::request::cookie;

/// A new session for a sign-in: straight in with one pair, else to the picker first.
pub(crate) fn new_session<S>(
    st: &AppState<S>,
    csrf: String,
    sign_in: SignIn,
    now: OffsetDateTime,
    return_to: Option<String>,
) -> Session {
    let single = sign_in.pairs.len() == 1;
    Session {
        sign_in,
        current: if single { Some(0) } else { None },
        csrf,
        signed_in_at: now,
        expires: now + st.cfg.session_lifetime,
        return_to: if single { None } else { return_to },
    }
}

/// Send the browser on with its new session's cookie: to the deep link or home with one pair,
/// else to the picker.
pub(crate) fn session_redirect<S>(
    st: &AppState<S>,
    id: &str,
    single: bool,
    return_to: Option<String>,
) -> Response {
    let target = match (single, return_to) {
        (true, Some(path)) => path,
        (true, None) => "/".to_string(),
        (false, _) => "/pick".to_string(),
    };
    let secure = if st.cfg.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let mut r = Redirect::to(&target).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax{secure}"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// Store a new session and send the browser on: straight in with one pair, else to the picker.
pub(crate) async fn start_session<S: SpStore>(
    st: &AppState<S>,
    id: String,
    csrf: String,
    sign_in: SignIn,
    now: OffsetDateTime,
    return_to: Option<String>,
) -> Response {
    let single = sign_in.pairs.len() == 1;
    let session = new_session(st, csrf, sign_in, now, return_to.clone());
    if let Err(r) = save_session(st, &id, &session).await {
        return r;
    }
    session_redirect(st, &id, single, return_to)
}

/// The browser's live session, if any; a store failure is a ready 503 page.
pub(crate) async fn session_of<S: SpStore>(
    st: &AppState<S>,
    headers: &HeaderMap,
) -> Result<Option<(String, Session)>, Response> {
    let Some(id) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let v = st
        .store
        .state(SESSION, &id, OffsetDateTime::now_utc())
        .await
        .map_err(unavailable)?;
    Ok(v.and_then(|v| serde_json::from_str::<Session>(&v).ok())
        .filter(|s| s.expires > OffsetDateTime::now_utc())
        .map(|s| (id, s)))
}
