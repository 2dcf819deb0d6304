//! The IdP server's configuration and shared state: the store, parsed signing keys, admin
//! sessions, failed-login counters and lockouts, the SSO session a request carries.

use crate::error::WebError;
use axum::http::HeaderMap;
use std::collections::HashMap;
use std::sync::Arc;
use symbolon_idp::sessions::{
    ADMIN_SESSION, LOCKOUT, SSO_SESSION, SsoSession, get_state, put_state,
};
use symbolon_store::{Event, IdpStore, Realm, StoreError};
use time::{Duration, OffsetDateTime};

/// Server settings.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Public base URL, e.g. `https://idp.example.com` (entity IDs and endpoints derive from it).
    pub base_url: String,
    /// Failed sign-ins before a temporary lockout.
    pub max_login_failures: u32,
    pub lockout: Duration,
    pub sso_session_lifetime: Duration,
    pub login_flow_lifetime: Duration,
    pub clock_skew: Duration,
    /// Reverse proxies whose `X-Forwarded-For` names the client (access log).
    pub trusted_proxies: symbolon_web::front::TrustedProxies,
    /// How often expired state is purged (by one instance).
    pub purge_every: std::time::Duration,
    /// How often certificates are checked for expiry (daily by default).
    pub certificate_check_every: std::time::Duration,
    /// Clients' metadata URLs: the refresh interval, how often due ones are looked for, and the
    /// limits of a fetch.
    pub metadata_refresh: symbolon_saml::metadata_refresh::RefreshPolicy,
    pub metadata_check_every: std::time::Duration,
    /// How often clients' users are provisioned (SCIM): changes reach the service provider
    /// within about this long.
    pub provisioning_every: std::time::Duration,
    pub fetch_limits: symbolon_web::fetch::FetchLimits,
    /// The jobs whose last runs the console shows: the IdP's own, and those of the servers
    /// that share its database (the CLI adds the SP's when it runs both).
    pub shown_jobs: Vec<&'static str>,
    /// Single logout asks the session's other clients in frames of one page, and moves on after
    /// `logout_frame_wait` whoever has not answered (`false`: one redirect after another).
    pub logout_frames: bool,
    pub logout_frame_wait: std::time::Duration,
}

impl WebConfig {
    pub fn new(base_url: &str) -> Self {
        WebConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            max_login_failures: 5,
            lockout: Duration::minutes(5),
            sso_session_lifetime: Duration::hours(10),
            login_flow_lifetime: Duration::minutes(30),
            clock_skew: Duration::seconds(120),
            trusted_proxies: symbolon_web::front::TrustedProxies::default(),
            purge_every: std::time::Duration::from_secs(600),
            certificate_check_every: std::time::Duration::from_secs(24 * 3600),
            metadata_refresh: Default::default(),
            metadata_check_every: std::time::Duration::from_secs(300),
            provisioning_every: std::time::Duration::from_secs(5),
            fetch_limits: Default::default(),
            shown_jobs: symbolon_idp::JOBS.to_vec(),
            logout_frames: false,
            logout_frame_wait: std::time::Duration::from_secs(10),
        }
    }
    pub(crate) fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// Shared state of the IdP server. Browser state lives in the store, so that any instance can
/// serve any request.
#[derive(Debug, Clone)]
pub struct AppState<S> {
    pub(crate) store: S,
    pub(crate) cfg: Arc<WebConfig>,
    /// Parsed signing keys by key ID (a key ID's private key never changes, so a parsed key
    /// stays right; which key is active is read from the store on every response).
    pub(crate) signing_keys: Arc<std::sync::Mutex<HashMap<String, Arc<symbolon_dsig::SigningKey>>>>,
    /// Signed realm descriptors while the realm's keys are unchanged.
    pub(crate) descriptors: Arc<symbolon_idp::DescriptorCache>,
    /// Realms, clients and signing keys as SSO uses them, while the store's version holds.
    pub(crate) sso: Arc<symbolon_idp::sso_cache::SsoCache>,
    /// Fetches clients' metadata URLs.
    pub(crate) fetcher: symbolon_web::fetch::Fetcher,
}

pub(crate) fn failure_key(realm: &str, username: &str) -> String {
    format!("idp-login:{realm}:{username}")
}

impl<S> AppState<S> {
    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn config(&self) -> &WebConfig {
        &self.cfg
    }
}

impl<S: IdpStore> AppState<S> {
    /// The key that signs what goes to `client`: its own active key (per-client keys), else
    /// the realm's active key; parsed once per key ID.
    pub(crate) async fn client_signing_key(
        &self,
        client: &symbolon_store::Client,
    ) -> Result<Arc<symbolon_dsig::SigningKey>, WebError> {
        match self.sso.signing_key(&self.store, client).await? {
            Some(key) => self.parsed(key),
            None => Err(WebError::internal()),
        }
    }

    /// The realm's sign-in policy (from the SSO cache).
    pub(crate) async fn policy(&self, realm: &str) -> Result<symbolon_idp::AuthPolicy, WebError> {
        match self.sso.realm(&self.store, realm).await? {
            Some(r) => Ok(r.policy),
            None => Err(WebError::from(symbolon_store::StoreError::NotFound(
                "realm",
                realm.to_string(),
            ))),
        }
    }

    fn parsed(
        &self,
        key: symbolon_store::RealmKey,
    ) -> Result<Arc<symbolon_dsig::SigningKey>, WebError> {
        if let Some(k) = self
            .signing_keys
            .lock()
            .ok()
            .and_then(|m| m.get(&key.kid).cloned())
        {
            return Ok(k);
        }
        let parsed = Arc::new(symbolon_idp::signing_key(&key).map_err(|_| WebError::internal())?);
        if let Ok(mut m) = self.signing_keys.lock() {
            m.insert(key.kid, parsed.clone());
        }
        Ok(parsed)
    }

    pub(crate) async fn admin_session(&self, id: &str) -> Result<Option<AdminSession>, StoreError> {
        get_state(&self.store, ADMIN_SESSION, id).await
    }

    pub(crate) async fn put_admin_session(
        &self,
        id: &str,
        s: AdminSession,
    ) -> Result<(), StoreError> {
        put_state(&self.store, ADMIN_SESSION, id, &s, s.expires).await
    }

    pub(crate) async fn drop_admin_session(&self, id: &str) -> Result<(), StoreError> {
        self.store.delete_state(ADMIN_SESSION, id).await
    }

    /// Until when sign-in for this user of this realm is locked, if it is now.
    pub(crate) async fn locked_until(
        &self,
        realm: &str,
        username: &str,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        self.locked_until_key(&failure_key(realm, username)).await
    }

    /// Forget the failed sign-ins of this user (after a successful one).
    pub(crate) async fn clear_failures(
        &self,
        realm: &str,
        username: &str,
    ) -> Result<(), StoreError> {
        self.store
            .clear_failures(&failure_key(realm, username))
            .await
    }

    /// Count a failed sign-in (atomically, across instances); lock after the configured
    /// number within the lockout period.
    pub(crate) async fn record_failure(
        &self,
        realm: &str,
        username: &str,
    ) -> Result<(), StoreError> {
        self.record_failure_key(&failure_key(realm, username)).await
    }

    pub(crate) async fn locked_until_key(
        &self,
        key: &str,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let until: Option<i64> = get_state(&self.store, LOCKOUT, key).await?;
        Ok(until.and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok()))
    }

    pub(crate) async fn record_failure_key(&self, key: &str) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc();
        let n = self
            .store
            .count_failure(key, now, now + self.cfg.lockout)
            .await?;
        if n >= self.cfg.max_login_failures {
            let until = now + self.cfg.lockout;
            put_state(&self.store, LOCKOUT, key, &until.unix_timestamp(), until).await?;
            self.store.clear_failures(key).await?;
        }
        Ok(())
    }
}

/// The failure counter of a user's second factor (apart from the password's).
pub(crate) fn second_factor_key(realm: &str, user_id: &str) -> String {
    format!("idp-2fa:{realm}:{user_id}")
}

/// Record an event; a failure to record is logged, never shown.
pub(crate) async fn record_event<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
    kind: &str,
    actor: Option<&str>,
    client: Option<&str>,
    detail: String,
) {
    event(st, realm, kind, actor, client, detail).await
}

pub(crate) use symbolon_web::request::{cookie, same_origin_as};
pub(crate) use symbolon_web::secret_eq;

/// An enabled realm as SSO uses it (from the SSO cache), or the "no such realm" page. For the
/// SAML endpoints only: pages that change a realm read it from the store.
pub(crate) async fn sso_realm<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
) -> Result<Arc<symbolon_idp::sso_cache::CachedRealm>, WebError> {
    match st.sso.realm(&st.store, realm).await? {
        Some(r) if r.realm.enabled => Ok(r),
        _ => Err(WebError::not_found(crate::error::Msg::With(
            "err-no-realm",
            "name",
            realm.to_string(),
        ))),
    }
}

pub(crate) async fn realm_or_404<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
) -> Result<Realm, WebError> {
    match st.store.realm(realm).await? {
        Some(r) if r.enabled => Ok(r),
        _ => Err(WebError::not_found(crate::error::Msg::With(
            "err-no-realm",
            "name",
            realm.to_string(),
        ))),
    }
}

pub(crate) async fn event<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
    kind: &str,
    actor: Option<&str>,
    client: Option<&str>,
    detail: String,
) {
    // An error event carries the reference its error page shows.
    let detail = match symbolon_web::reference::current() {
        Some(r) if kind.ends_with("_ERROR") => format!("{detail} (reference {r})"),
        _ => detail,
    };
    let e = Event {
        realm: realm.into(),
        at: OffsetDateTime::now_utc(),
        kind: kind.into(),
        actor: actor.map(str::to_string),
        client_id: client.map(str::to_string),
        detail,
    };
    if let Err(err) = st.store.record(&e).await {
        tracing::warn!("could not record event: {err}");
    }
    if kind == "LOGIN_ERROR" {
        symbolon_idp::webhooks::notify(
            &st.store,
            realm,
            "sign-in.failed",
            serde_json::json!({ "username": actor, "client": client, "reason": e.detail }),
            e.at,
        )
        .await;
    }
}

pub(crate) fn cookie_name(realm: &str) -> String {
    format!(
        "SYMBOLON_IDP_SESSION_{}",
        realm.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    )
}

pub(crate) async fn live_session<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
    headers: &HeaderMap,
) -> Result<Option<SsoSession>, StoreError> {
    let Some(id) = cookie(headers, &cookie_name(realm)) else {
        return Ok(None);
    };
    let s: Option<SsoSession> = get_state(&st.store, SSO_SESSION, &id).await?;
    Ok(s.filter(|s| s.realm == realm && s.expires > OffsetDateTime::now_utc()))
}

/// The account console's session: (session ID, user ID, form token), from the realm's SSO
/// cookie.
pub(crate) async fn account_session<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
    headers: &HeaderMap,
) -> Result<Option<(String, String, String)>, WebError> {
    let Some(id) = cookie(headers, &cookie_name(realm)) else {
        return Ok(None);
    };
    Ok(live_session(st, realm, headers)
        .await?
        .map(|s| (id, s.user_id, s.csrf)))
}

/// Whether the request's `Origin` (if any) is this server's.
pub(crate) fn same_origin(cfg: &WebConfig, headers: &HeaderMap) -> bool {
    same_origin_as(&cfg.base_url, headers)
}

/// A signed-in administrator.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AdminSession {
    pub username: String,
    pub csrf: String,
    pub expires: OffsetDateTime,
    /// The administrator's time zone (their `zoneinfo` or `tz` attribute), for the times the
    /// console shows; `None`: UTC.
    #[serde(default)]
    pub zone: Option<String>,
}

impl AdminSession {
    /// A time as the console shows it to this administrator: in their zone, named.
    pub fn time(&self, t: OffsetDateTime) -> String {
        symbolon_web::page::page_time_in(t, self.zone.as_deref())
    }
}
