//! The identity provider's HTTP face: realm descriptor, SP- and IdP-initiated SSO, the login page.
//!
//! Thin handlers over the domain and the SAML core; one error type ([`WebError`]) becomes an HTML
//! page with the right status at the boundary. Browser state (login flows, SSO sessions, admin
//! sessions, failed-login counters and lockouts) lives in the store's `StateStore`, so that any
//! instance can serve any request and a restart signs no one out.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use symbolon_dsig::{SignOptions, SystemRandom};
use symbolon_saml::binding::{
    MessageKind, decode_post, decode_redirect, post_form, post_form_script_csp_hash,
};
use symbolon_saml::idp::{
    AC_PASSWORD_PROTECTED, AC_REFEDS_MFA, Arrival, ResponseParams, SignInMethod, SignParts,
    SpRegistration, build_response, check_authn_request, choose_class,
};
use symbolon_saml::messages::{AuthnRequest, NAMEID_EMAIL, NAMEID_PERSISTENT, new_id};
use symbolon_saml::metadata::pin_certificates;
use symbolon_store::{Client, Event, IdpStore, MapperSource, Realm, StoreError, User};
use symbolon_xml::Limits;
use time::{Duration, OffsetDateTime};

use symbolon_idp::sessions::{
    ADMIN_SESSION, Enrol, FLOW, Flow, LOCKOUT, PASSKEY_AUTH, PASSKEY_REG, Requested, SSO_SESSION,
    SsoSession, USER_SESSION, UserSession, get_state, put_state,
};
use symbolon_idp::{check_password, descriptor, normalize_username, saml_endpoint};

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
    /// The jobs whose last runs the console shows: the IdP's own, and those of the servers
    /// that share its database (the CLI adds the SP's when it runs both).
    pub shown_jobs: Vec<&'static str>,
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
            shown_jobs: symbolon_idp::JOBS.to_vec(),
        }
    }
    fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// Shared state of the IdP server. Browser state lives in the store, so that any instance can
/// serve any request.
#[derive(Debug, Clone)]
pub struct AppState<S> {
    store: S,
    cfg: Arc<WebConfig>,
    /// Parsed signing keys by key ID (a key ID's private key never changes, so a parsed key
    /// stays right; which key is active is read from the store on every response).
    signing_keys: Arc<std::sync::Mutex<HashMap<String, Arc<symbolon_dsig::SigningKey>>>>,
}

fn failure_key(realm: &str, username: &str) -> String {
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
    /// The realm's active signing key, parsed once per key ID.
    pub(crate) async fn signing_key(
        &self,
        realm: &str,
    ) -> Result<Arc<symbolon_dsig::SigningKey>, WebError> {
        let key = self
            .store
            .keys(realm)
            .await?
            .into_iter()
            .find(|k| k.status == symbolon_store::KeyStatus::Active)
            .ok_or_else(WebError::internal)?;
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

    pub(crate) async fn admin_session(
        &self,
        id: &str,
    ) -> Result<Option<crate::console::AdminSession>, StoreError> {
        get_state(&self.store, ADMIN_SESSION, id).await
    }

    pub(crate) async fn put_admin_session(
        &self,
        id: &str,
        s: crate::console::AdminSession,
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

    async fn locked_until_key(&self, key: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        let until: Option<i64> = get_state(&self.store, LOCKOUT, key).await?;
        Ok(until.and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok()))
    }

    async fn record_failure_key(&self, key: &str) -> Result<(), StoreError> {
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
fn second_factor_key(realm: &str, user_id: &str) -> String {
    format!("idp-2fa:{realm}:{user_id}")
}

/// An HTML page with the console's security headers.
pub(crate) fn html_page(status: StatusCode, body: String) -> Response {
    html(status, body)
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

/// Whether an `Origin` header (if any) matches the base URL's origin.
pub fn same_origin_as(base_url: &str, headers: &HeaderMap) -> bool {
    same_origin(&WebConfig::new(base_url), headers)
}

/// An error page: status, title, message safe to show to anyone.
#[derive(Debug)]
pub struct WebError {
    status: StatusCode,
    title: &'static str,
    message: String,
}

impl WebError {
    fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        WebError {
            status,
            title,
            message: message.into(),
        }
    }
    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", message)
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "This sign-in request cannot be accepted",
            message,
        )
    }
    pub(crate) fn internal_error() -> Self {
        Self::internal()
    }
    pub(crate) fn forbidden(title: &'static str, message: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, title, message)
    }
    pub(crate) fn not_found_page(message: String) -> Self {
        Self::not_found(message)
    }
    pub(crate) fn bad_request_page(message: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", message)
    }
    pub(crate) fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "The sign-in could not be completed. Try again later.",
        )
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    realm_display: &'a str,
    client_name: Option<&'a str>,
    error: Option<&'a str>,
    notice: Option<&'a str>,
    action: &'a str,
    passkey_action: &'a str,
    flow: &'a str,
    csrf: &'a str,
    username: &'a str,
    /// The passkey challenge's options (JSON) when the realm uses passkeys.
    passkey_options: Option<&'a str>,
    password_form: bool,
    /// A passkey-only realm: the password serves only to register a first passkey.
    password_only_to_enrol: bool,
}

const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/// Pages with a passkey ceremony may run this server's own script (`/resources/passkey.js`),
/// and nothing else.
const SCRIPTED_PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn html(status: StatusCode, body: String) -> Response {
    page_with_csp(status, body, PAGE_CSP)
}

/// A page that runs the passkey script.
pub(crate) fn scripted_html(status: StatusCode, body: String) -> Response {
    page_with_csp(status, body, SCRIPTED_PAGE_CSP)
}

fn page_with_csp(status: StatusCode, body: String, csp: &'static str) -> Response {
    let mut r = (status, Html(body)).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Not `no-referrer`: under it browsers send `Origin: null` even on same-origin form posts,
    // and the Origin check would refuse every sign-in. `same-origin` still sends nothing to
    // other sites (the SP's ACS included).
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    r
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let body = ErrorPage {
            title: self.title,
            message: &self.message,
        }
        .render()
        .unwrap_or_else(|_| self.message.clone());
        let mut res = html(self.status, body);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(
                header::RETRY_AFTER,
                axum::http::HeaderValue::from(symbolon_idp::hashing::RETRY_AFTER_SECS),
            );
        }
        res
    }
}

impl From<symbolon_idp::IdpError> for WebError {
    fn from(e: symbolon_idp::IdpError) -> Self {
        match e {
            symbolon_idp::IdpError::NoRealm(r) => {
                WebError::not_found(format!("There is no realm {r:?} here."))
            }
            symbolon_idp::IdpError::Busy(_) => WebError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Busy",
                "Too many people are signing in right now. Try again in a moment.",
            ),
            symbolon_idp::IdpError::Store(symbolon_store::StoreError::Unavailable(cause)) => {
                tracing::warn!(%cause, "answered 503: the store is unavailable");
                WebError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Temporarily unavailable",
                    "The service is temporarily unavailable. Try again in a moment.",
                )
            }
            other => {
                tracing::error!(cause = %other, "answered 500");
                WebError::internal()
            }
        }
    }
}

impl From<symbolon_store::StoreError> for WebError {
    fn from(e: symbolon_store::StoreError) -> Self {
        symbolon_idp::IdpError::Store(e).into()
    }
}

/// The router. Paths follow Keycloak's (case-sensitive).
pub fn router<S: IdpStore>(store: S, cfg: WebConfig) -> Router {
    let state = AppState {
        store,
        cfg: Arc::new(cfg),
        signing_keys: Arc::default(),
    };
    let router = Router::new()
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

/// The IdP's page for statuses answered outside a handler (and for a handler's panic).
fn error_page(status: StatusCode, reference: Option<&str>) -> Response {
    let (title, text) = symbolon_web::front::status_text(status);
    let message = match reference {
        Some(r) => format!("{text} Reference: {r}."),
        None => text.to_string(),
    };
    WebError::new(status, title, message).into_response()
}

/// Ready when the database answers.
async fn readyz<S: IdpStore>(State(st): State<AppState<S>>) -> Response {
    match st.store.realms().await {
        Ok(_) => "ready".into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the database is unavailable",
        )
            .into_response(),
    }
}

/// The shared stylesheet (also served by the SP).
pub use symbolon_web::page::STYLESHEET;

/// The one script of the login and account pages: the WebAuthn ceremonies.
pub const PASSKEY_JS: &str = include_str!("../static/passkey.js");

async fn passkey_js() -> Response {
    let mut r = PASSKEY_JS.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    r
}

async fn css() -> Response {
    let mut r = STYLESHEET.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r
}

pub(crate) async fn realm_or_404<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
) -> Result<Realm, WebError> {
    match st.store.realm(realm).await? {
        Some(r) if r.enabled => Ok(r),
        _ => Err(WebError::not_found(format!(
            "There is no realm {realm:?} here."
        ))),
    }
}

async fn realm_descriptor<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
) -> Result<Response, WebError> {
    realm_or_404(&st, &realm).await?;
    let xml = descriptor(&st.store, &realm, &st.cfg.base_url).await?;
    let mut r = xml.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    Ok(r)
}

async fn event<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
    kind: &str,
    actor: Option<&str>,
    client: Option<&str>,
    detail: String,
) {
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
}

fn registration(c: &Client) -> SpRegistration {
    let acs = symbolon_idp::client_acs(c);
    SpRegistration {
        entity_id: c.client_id.clone(),
        acs,
        signing_certs: pin_certificates(c.signing_certs.iter().map(Vec::as_slice)).0,
        require_signed_requests: c.client_signature_required,
        allow_sha1: false,
    }
}

/// Why a request was refused: recorded for the administrator, a short message for the user.
async fn reject<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
    client: Option<&str>,
    reason: String,
) -> WebError {
    event(
        st,
        realm,
        "AUTHN_REQUEST_ERROR",
        None,
        client,
        reason.clone(),
    )
    .await;
    WebError::bad_request(format!(
        "The application sent a sign-in request this identity provider does not accept ({reason}). Contact the application's administrator."
    ))
}

#[derive(Deserialize)]
struct PostBinding {
    #[serde(rename = "SAMLRequest")]
    saml_request: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

async fn sso_redirect<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let q = q.ok_or_else(|| WebError::bad_request("No SAML request was given."))?;
    let m = match decode_redirect(&q) {
        Ok(m) if m.kind == MessageKind::Request => m,
        Ok(_) => {
            return Err(reject(
                &st,
                &realm,
                None,
                "a SAMLResponse was sent to the SSO endpoint".into(),
            )
            .await);
        }
        Err(e) => return Err(reject(&st, &realm, None, e.to_string()).await),
    };
    let doc = match symbolon_xml::parse_bytes(&m.xml, &Limits::default()) {
        Ok(d) => d,
        Err(e) => return Err(reject(&st, &realm, None, format!("not acceptable XML: {e}")).await),
    };
    sso(
        &st,
        &r,
        &doc,
        Arrival::Redirect(&m),
        m.relay_state.clone(),
        &headers,
    )
    .await
}

async fn sso_post<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Form(f): Form<PostBinding>,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let raw = f
        .saml_request
        .ok_or_else(|| WebError::bad_request("No SAML request was given."))?;
    if let Some(rs) = &f.relay_state
        && rs.len() > symbolon_saml::binding::MAX_RELAY_STATE
    {
        return Err(reject(
            &st,
            &realm,
            None,
            format!("RelayState is {} bytes, over the limit", rs.len()),
        )
        .await);
    }
    let xml = match decode_post(raw.as_bytes()) {
        Ok(x) => x,
        Err(e) => return Err(reject(&st, &realm, None, e.to_string()).await),
    };
    let doc = match symbolon_xml::parse_bytes(&xml, &Limits::default()) {
        Ok(d) => d,
        Err(e) => return Err(reject(&st, &realm, None, format!("not acceptable XML: {e}")).await),
    };
    sso(&st, &r, &doc, Arrival::Post, f.relay_state, &headers).await
}

async fn sso<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    doc: &symbolon_xml::Document<'_>,
    arrival: Arrival<'_>,
    relay_state: Option<String>,
    headers: &HeaderMap,
) -> Result<Response, WebError> {
    let issuer = match AuthnRequest::from_document(doc) {
        Ok(r) => r.issuer,
        Err(e) => return Err(reject(st, &realm.name, None, e.to_string()).await),
    };
    let Some(client) = st.store.client(&realm.name, &issuer).await? else {
        return Err(reject(st, &realm.name, None, format!("unknown client {issuer:?}")).await);
    };
    if !client.enabled {
        return Err(reject(
            st,
            &realm.name,
            Some(&issuer),
            "the client is disabled".into(),
        )
        .await);
    }
    let sso_url = saml_endpoint(&st.cfg.base_url, &realm.name);
    let accepted = match check_authn_request(
        doc,
        arrival,
        &registration(&client),
        &[sso_url.as_str()],
        OffsetDateTime::now_utc(),
        st.cfg.clock_skew,
    ) {
        Ok(a) => a,
        Err(e) => return Err(reject(st, &realm.name, Some(&issuer), e.to_string()).await),
    };
    // A password gives PasswordProtectedTransport; a password and a second factor give REFEDS
    // MFA; a passkey gives MFA or FIDO. A request that nothing this realm offers can meet gets
    // the SAML status NoAuthnContext at its ACS, never a silently weaker assertion; one that
    // needs MFA makes a second factor (or a passkey) required, one that needs FIDO a passkey.
    let mut needs_mfa = false;
    let mut needs_passkey = false;
    if let Some(req) = &accepted.request.requested_authn_context
        && !symbolon_saml::idp::satisfies(req, AC_PASSWORD_PROTECTED)
    {
        if symbolon_saml::idp::satisfies(req, AC_REFEDS_MFA) {
            needs_mfa = true;
        } else if choose_class(SignInMethod::Passkey, Some(req)).is_some()
            && symbolon_idp::auth_policy(&st.store, &realm.name)
                .await?
                .passkeys()
        {
            needs_passkey = true;
        } else {
            let why = format!(
                "requested authentication context ({} {}) cannot be met: NoAuthnContext",
                req.comparison.as_str(),
                req.class_refs.join(" ")
            );
            return refuse_request(
                st,
                realm,
                &client,
                None,
                &accepted.acs_url,
                &accepted.request.id,
                relay_state,
                symbolon_saml::idp::STATUS_NO_AUTHN_CONTEXT,
                "The requested authentication context cannot be provided.",
                why,
            )
            .await;
        }
    }
    // NameIDPolicy: exactly the format asked for, or InvalidNameIDPolicy (SAML Core 3.4.1.1).
    let name_id_format =
        match symbolon_saml::idp::name_id_format_for(&accepted.request, &client.name_id_format) {
            Ok(f) => (f != client.name_id_format).then_some(f),
            Err(why) => {
                return refuse_request(
                    st,
                    realm,
                    &client,
                    None,
                    &accepted.acs_url,
                    &accepted.request.id,
                    relay_state,
                    symbolon_saml::idp::STATUS_INVALID_NAMEID_POLICY,
                    "The requested name identifier format cannot be provided.",
                    format!("{why}: InvalidNameIDPolicy"),
                )
                .await;
            }
        };
    let how = Start {
        name_id_format,
        force: accepted.request.force_authn,
        needs_mfa,
        needs_passkey,
        requested: accepted
            .request
            .requested_authn_context
            .as_ref()
            .map(Requested::of),
    };
    start(
        st,
        realm,
        &client,
        accepted.acs_url,
        Some(accepted.request.id),
        relay_state,
        how,
        headers,
    )
    .await
}

#[derive(Deserialize)]
struct IdpInitiatedQuery {
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

async fn idp_initiated<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path((realm, name)): Path<(String, String)>,
    Query(q): Query<IdpInitiatedQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let Some(client) = st.store.client_by_url_name(&realm, &name).await? else {
        return Err(WebError::not_found(format!(
            "There is no application {name:?} in this realm."
        )));
    };
    if !client.enabled {
        return Err(WebError::new(
            StatusCode::FORBIDDEN,
            "Application disabled",
            "This application is disabled. Contact your administrator.",
        ));
    }
    let acs = symbolon_idp::default_post_acs_of(&client).ok_or_else(WebError::internal)?;
    let relay = q
        .relay_state
        .or_else(|| client.idp_initiated_relay_state.clone());
    if relay
        .as_ref()
        .is_some_and(|r| r.len() > symbolon_saml::binding::MAX_RELAY_STATE)
    {
        return Err(WebError::bad_request("The RelayState is too long."));
    }
    start(
        &st,
        &r,
        &client,
        acs,
        None,
        relay,
        Start::default(),
        &headers,
    )
    .await
}

fn cookie_name(realm: &str) -> String {
    format!(
        "SYMBOLON_IDP_SESSION_{}",
        realm.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    )
}

/// The value of the cookie `name` (exact name, not a prefix), if the request carries it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            kv.trim()
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix('='))
                .map(str::to_string)
        })
}

pub(crate) fn random_token() -> Result<String, WebError> {
    random_hex().ok_or_else(WebError::internal)
}

/// 256 random bits as hex (also used by the SP).
pub use symbolon_idp::random_hex;

/// Whether a presented secret (CSRF token, state) equals the expected one: compared through
/// SHA-256, so the time taken says nothing about the secret. An empty value never matches.
pub fn secret_eq(presented: &str, expected: &str) -> bool {
    !presented.is_empty()
        && symbolon_dsig::sha256(presented.as_bytes()) == symbolon_dsig::sha256(expected.as_bytes())
}

async fn live_session<S: IdpStore>(
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
    let s: Option<SsoSession> = get_state(&st.store, SSO_SESSION, &id).await?;
    Ok(
        s.filter(|s| s.realm == realm && s.expires > OffsetDateTime::now_utc())
            .map(|s| (id, s.user_id, s.csrf)),
    )
}

/// A login flow for the user's own account console.
struct AccountFlow;

impl AccountFlow {
    /// A sign-in to the user's own account console (no application), with a fresh form token.
    fn account_console(realm: &str, lifetime: Duration) -> Result<Flow, WebError> {
        Ok(Flow {
            realm: realm.to_string(),
            client_id: String::new(),
            acs_url: String::new(),
            in_response_to: None,
            relay_state: None,
            csrf: random_token()?,
            expires: OffsetDateTime::now_utc() + lifetime,
            needs_mfa: false,
            password_ok: None,
            account: true,
            requested: None,
            needs_passkey: false,
            enrol: None,
            name_id_format: None,
        })
    }
}

/// The realm's login page for the user's own account console (no application).
pub(crate) async fn account_login<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
) -> Result<Response, WebError> {
    let flow_id = random_token()?;
    let flow = AccountFlow::account_console(&realm.name, st.cfg.login_flow_lifetime)?;
    put_state(&st.store, FLOW, &flow_id, &flow, flow.expires).await?;
    login_page(st, realm, None, &flow_id, &flow, LoginView::default()).await
}

/// How a sign-in must go: re-authenticate (ForceAuthn), whether a second factor or a passkey is
/// required, and what the SP asked for.
#[derive(Debug, Clone, Default)]
struct Start {
    force: bool,
    needs_mfa: bool,
    needs_passkey: bool,
    requested: Option<Requested>,
    /// The NameID format the request's NameIDPolicy asked for (`None`: the client's own).
    name_id_format: Option<String>,
}

/// Whether the realm's policy lets a session signed in by `method` into an application.
/// Either answer at once from an existing SSO session, or show the login page for a new flow.
#[allow(clippy::too_many_arguments)]
async fn start<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    client: &Client,
    acs_url: String,
    in_response_to: Option<String>,
    relay_state: Option<String>,
    how: Start,
    headers: &HeaderMap,
) -> Result<Response, WebError> {
    // A session is reused only when its method can claim a class that meets the request, and
    // the realm's policy admits that method (a password-only session from the account console
    // serves no application in a realm that requires more). The policy is read only for a
    // session that is not a passkey's (a passkey meets every policy).
    let requested = how.requested.as_ref().map(Requested::context);
    if !how.force
        && let Some(session) = live_session(st, &realm.name, headers).await?
        && let Some(class) = choose_class(session.method(), requested.as_ref())
        && (session.passkey
            || symbolon_idp::signin::policy_admits(
                symbolon_idp::auth_policy(&st.store, &realm.name).await?,
                session.method(),
            ))
        && let Some(user) = st
            .store
            .user_by_username(&realm.name, &session.username)
            .await?
            .filter(|u| u.enabled && u.id == session.user_id)
    {
        let session = SsoSession {
            class: class.to_string(),
            ..session
        };
        return issue(
            st,
            realm,
            client,
            &user,
            &session,
            &acs_url,
            in_response_to,
            relay_state,
            how.name_id_format.as_deref(),
        )
        .await;
    }
    let flow_id = random_token()?;
    let flow = Flow {
        realm: realm.name.clone(),
        client_id: client.client_id.clone(),
        acs_url,
        in_response_to,
        relay_state,
        csrf: random_token()?,
        expires: OffsetDateTime::now_utc() + st.cfg.login_flow_lifetime,
        needs_mfa: how.needs_mfa,
        password_ok: None,
        account: false,
        requested: how.requested,
        needs_passkey: how.needs_passkey,
        enrol: None,
        name_id_format: how.name_id_format,
    };
    put_state(&st.store, FLOW, &flow_id, &flow, flow.expires).await?;
    login_page(
        st,
        realm,
        Some(client),
        &flow_id,
        &flow,
        LoginView::default(),
    )
    .await
}

/// What the login page says besides the form: the username typed, an error or a notice, the
/// status.
#[derive(Debug, Default)]
struct LoginView<'a> {
    username: &'a str,
    error: Option<&'a str>,
    notice: Option<&'a str>,
    status: Option<StatusCode>,
}

/// The relying party (this IdP) for a realm's passkeys, or `None` when the base URL names no
/// host (an IP address): then passkeys are not offered.
pub(crate) fn relying_party(
    cfg: &WebConfig,
    realm: &Realm,
) -> Option<symbolon_idp::passkey::RelyingParty> {
    symbolon_idp::passkey::RelyingParty::new(&cfg.base_url, &realm.display_name).ok()
}

/// The login page of a flow: the password form (unless only a passkey will do), and in realms
/// that use passkeys a fresh passkey challenge (its state kept under the flow, taken once).
async fn login_page<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    client: Option<&Client>,
    flow_id: &str,
    flow: &Flow,
    view: LoginView<'_>,
) -> Result<Response, WebError> {
    let policy = symbolon_idp::auth_policy(&st.store, &realm.name).await?;
    let mut passkey_options = None;
    if policy.passkeys()
        && let Some(rp) = relying_party(&st.cfg, realm)
    {
        let challenge = rp.start_sign_in().map_err(|_| WebError::internal())?;
        st.store
            .put_state(PASSKEY_AUTH, flow_id, &challenge.state, flow.expires)
            .await?;
        passkey_options = Some(challenge.options);
    }
    let base = &st.cfg.base_url;
    let page = LoginPage {
        realm_display: &realm.display_name,
        client_name: client.map(|c| c.name.as_deref().unwrap_or(&c.client_id)),
        error: view.error,
        notice: view.notice.or(if flow.needs_passkey {
            Some("This application asks for a passkey.")
        } else if flow.needs_mfa && passkey_options.is_some() {
            Some("This application asks for more than a password: use your passkey, or your password and second factor.")
        } else {
            None
        }),
        action: &format!("{base}/realms/{}/login-actions/authenticate", realm.name),
        passkey_action: &format!("{base}/realms/{}/login-actions/passkey", realm.name),
        flow: flow_id,
        csrf: &flow.csrf,
        username: view.username,
        passkey_options: passkey_options.as_deref(),
        password_form: !(flow.needs_passkey && passkey_options.is_some()),
        password_only_to_enrol: policy == symbolon_idp::AuthPolicy::PasskeyOnly,
    };
    let body = page.render().map_err(|_| WebError::internal())?;
    let status = view.status.unwrap_or(StatusCode::OK);
    Ok(if passkey_options.is_some() {
        scripted_html(status, body)
    } else {
        html(status, body)
    })
}

#[derive(Deserialize)]
struct LoginForm {
    flow: Option<String>,
    csrf: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

fn same_origin(cfg: &WebConfig, headers: &HeaderMap) -> bool {
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        None => true,
        Some(o) => {
            let base = cfg.base_url.as_str();
            let origin_of_base = base.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
            o == origin_of_base
        }
    }
}

fn expired() -> WebError {
    WebError::new(
        StatusCode::BAD_REQUEST,
        "Sign-in expired",
        "This sign-in page has expired. Go back to the application and start again.",
    )
}

/// The sign-in flow a login form (password or second step) was posted for: live, of this
/// realm, and the post carries its token from our own origin (a failure is an event).
async fn posted_flow<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
    flow_id: Option<String>,
    csrf: Option<&str>,
    headers: &HeaderMap,
) -> Result<(String, Flow), WebError> {
    let flow_id = flow_id.ok_or_else(expired)?;
    let flow: Flow = get_state(&st.store, FLOW, &flow_id)
        .await?
        .filter(|fl: &Flow| fl.realm == realm && fl.expires > OffsetDateTime::now_utc())
        .ok_or_else(expired)?;
    if !secret_eq(csrf.unwrap_or(""), &flow.csrf) || !same_origin(&st.cfg, headers) {
        event(
            st,
            realm,
            "LOGIN_ERROR",
            None,
            Some(&flow.client_id),
            "CSRF check failed".into(),
        )
        .await;
        return Err(WebError::new(
            StatusCode::FORBIDDEN,
            "Invalid form submission",
            "The form could not be verified. Go back to the application and start again.",
        ));
    }
    Ok((flow_id, flow))
}

/// The application a flow signs in to; none for the account console.
async fn flow_client<S: IdpStore>(
    st: &AppState<S>,
    flow: &Flow,
) -> Result<Option<Client>, WebError> {
    if flow.account {
        return Ok(None);
    }
    st.store
        .client(&flow.realm, &flow.client_id)
        .await?
        .map(Some)
        .ok_or_else(expired)
}

async fn authenticate<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let (flow_id, flow) = posted_flow(&st, &realm, f.flow, f.csrf.as_deref(), &headers).await?;
    let client = flow_client(&st, &flow).await?;
    let username = normalize_username(f.username.as_deref().unwrap_or(""));
    let password = f.password.unwrap_or_default();
    let now = OffsetDateTime::now_utc();
    let page = |error, status| LoginView {
        username: &username,
        error: Some(error),
        notice: None,
        status: Some(status),
    };
    if flow.needs_passkey {
        return login_page(
            &st,
            &r,
            client.as_ref(),
            &flow_id,
            &flow,
            page(
                "This application asks for a passkey; a password cannot be used.",
                StatusCode::FORBIDDEN,
            ),
        )
        .await;
    }
    if let Some(until) = st.locked_until(&realm, &username).await? {
        event(
            &st,
            &realm,
            "LOGIN_ERROR",
            Some(&username),
            Some(&flow.client_id),
            "temporarily locked after repeated failures".into(),
        )
        .await;
        let minutes = ((until - now).whole_seconds() + 59) / 60;
        let msg = format!("Too many failed attempts. Try again in {minutes} minute(s).");
        return login_page(
            &st,
            &r,
            client.as_ref(),
            &flow_id,
            &flow,
            page(&msg, StatusCode::TOO_MANY_REQUESTS),
        )
        .await;
    }
    let user = if username.is_empty() || password.is_empty() {
        None
    } else {
        check_password(&st.store, &realm, &username, &password).await?
    };
    let Some(user) = user else {
        st.record_failure(&realm, &username).await?;
        event(
            &st,
            &realm,
            "LOGIN_ERROR",
            Some(&username),
            Some(&flow.client_id),
            "invalid username or password".into(),
        )
        .await;
        return login_page(
            &st,
            &r,
            client.as_ref(),
            &flow_id,
            &flow,
            page("Invalid username or password.", StatusCode::UNAUTHORIZED),
        )
        .await;
    };
    st.clear_failures(&realm, &username).await?;
    let policy = symbolon_idp::auth_policy(&st.store, &realm).await?;
    // A passkey-only realm: the password serves only a user who has no passkey yet, to register
    // one (then they sign in with it).
    if policy == symbolon_idp::AuthPolicy::PasskeyOnly
        && !st.store.passkeys(&user.id).await?.is_empty()
    {
        event(
            &st,
            &realm,
            "LOGIN_ERROR",
            Some(&user.username),
            Some(&flow.client_id),
            "password sign-in is disabled in this realm (passkey only)".into(),
        )
        .await;
        return login_page(
            &st,
            &r,
            client.as_ref(),
            &flow_id,
            &flow,
            page(
                "This realm accepts passkeys only: sign in with your passkey.",
                StatusCode::FORBIDDEN,
            ),
        )
        .await;
    }
    // A second factor, when the user has one: the flow remembers whose password was right.
    if st.store.totp(&user.id).await?.is_some() {
        let mut pending = flow.clone();
        pending.password_ok = Some(user.id.clone());
        put_state(&st.store, FLOW, &flow_id, &pending, pending.expires).await?;
        return second_factor_page(&st, &r, &flow_id, &flow.csrf, None, StatusCode::OK);
    }
    // The realm requires a second factor and this user has none: not into an application; the
    // account console (where it is set up) stays open.
    if !flow.account && policy == symbolon_idp::AuthPolicy::SecondFactor {
        st.store
            .take_state(FLOW, &flow_id, OffsetDateTime::now_utc())
            .await?;
        event(
            &st,
            &realm,
            "LOGIN_ERROR",
            Some(&user.username),
            Some(&flow.client_id),
            "the realm requires a second factor and the user has none".into(),
        )
        .await;
        return Ok(html(
            StatusCode::FORBIDDEN,
            SetUpSecondFactorPage {
                realm_display: &r.display_name,
                account: &format!("/realms/{realm}/account"),
            }
            .render()
            .map_err(|_| WebError::internal())?,
        ));
    }
    finish_sign_in(
        &st,
        &r,
        client.as_ref(),
        &user,
        flow_id,
        flow,
        SignInMethod::Password,
        "password",
    )
    .await
}

/// Whether a sign-in that was not a passkey's must first register one: the user has the
/// required action, or the realm accepts passkeys only and they have none.
async fn must_enrol<S: IdpStore>(
    st: &AppState<S>,
    policy: symbolon_idp::AuthPolicy,
    user: &User,
) -> Result<bool, WebError> {
    if !policy.passkeys() {
        return Ok(false);
    }
    Ok(st
        .store
        .required_actions(&user.id)
        .await?
        .iter()
        .any(|a| a == symbolon_store::ACTION_REGISTER_PASSKEY)
        || (policy == symbolon_idp::AuthPolicy::PasskeyOnly
            && st.store.passkeys(&user.id).await?.is_empty()))
}

/// The sign-in succeeded: register a passkey first when required; check the method meets the
/// realm's policy and the SP's request (else NoAuthnContext, never a weaker assertion); take
/// the flow (once: of two concurrent posts of the same form, one signs in), start the SSO
/// session with its class, answer the SP.
#[allow(clippy::too_many_arguments)]
async fn finish_sign_in<S: IdpStore>(
    st: &AppState<S>,
    r: &Realm,
    client: Option<&Client>,
    user: &User,
    flow_id: String,
    flow: Flow,
    method: SignInMethod,
    label: &str,
) -> Result<Response, WebError> {
    let realm = &r.name;
    let now = OffsetDateTime::now_utc();
    // A passkey meets every policy; other methods are judged by the realm's (read once).
    let policy = match method {
        SignInMethod::Passkey => None,
        _ => Some(symbolon_idp::auth_policy(&st.store, realm).await?),
    };
    if let Some(policy) = policy
        && must_enrol(st, policy, user).await?
    {
        let mut pending = flow.clone();
        pending.password_ok = None;
        pending.enrol = Some(Enrol {
            user_id: user.id.clone(),
            method: label.to_string(),
            second_factor: method == SignInMethod::PasswordAndSecondFactor,
            link: None,
        });
        put_state(&st.store, FLOW, &flow_id, &pending, pending.expires).await?;
        return enrol_page(st, r, user, &flow_id, &pending, None, StatusCode::OK).await;
    }
    let policy_ok =
        flow.account || policy.is_none_or(|p| symbolon_idp::signin::policy_admits(p, method));
    let requested = flow.requested.as_ref().map(Requested::context);
    let class = choose_class(method, requested.as_ref()).filter(|_| policy_ok);
    let Some(class) = class else {
        if st.store.take_state(FLOW, &flow_id, now).await?.is_none() {
            return Err(expired());
        }
        event(
            st,
            realm,
            "LOGIN_ERROR",
            Some(&user.username),
            Some(&flow.client_id),
            format!("a sign-in by {label} does not meet the requested authentication context or the realm's policy: NoAuthnContext"),
        )
        .await;
        return match client {
            Some(client) => {
                error_response(
                    st,
                    r,
                    client,
                    &flow.acs_url,
                    flow.in_response_to.as_deref().unwrap_or_default(),
                    flow.relay_state,
                    symbolon_saml::idp::STATUS_NO_AUTHN_CONTEXT,
                    "The requested authentication context cannot be provided.",
                )
                .await
            }
            None => Err(WebError::forbidden(
                "Sign-in refused",
                "This way of signing in is not accepted here.",
            )),
        };
    };
    if st.store.take_state(FLOW, &flow_id, now).await?.is_none() {
        return Err(expired());
    }
    let session_id = random_token()?;
    let session = SsoSession {
        realm: realm.clone(),
        user_id: user.id.clone(),
        username: user.username.clone(),
        session_index: format!("_{}", session_id.get(..32).unwrap_or(&session_id)),
        authn_instant: now,
        expires: now + st.cfg.sso_session_lifetime,
        // The session keeps its method's own class; each assertion says the class chosen for
        // its request.
        class: choose_class(method, None)
            .unwrap_or(AC_PASSWORD_PROTECTED)
            .to_string(),
        csrf: random_token()?,
        passkey: method == SignInMethod::Passkey,
    };
    put_state(
        &st.store,
        SSO_SESSION,
        &session_id,
        &session,
        session.expires,
    )
    .await?;
    // The user's list of sessions, for the account console (sign out elsewhere).
    put_state(
        &st.store,
        USER_SESSION,
        &format!("{}:{session_id}", user.id),
        &UserSession {
            session_id: session_id.clone(),
            started: now.unix_timestamp(),
            method: label.to_string(),
        },
        session.expires,
    )
    .await?;
    event(
        st,
        realm,
        "LOGIN",
        Some(&user.username),
        client.map(|c| c.client_id.as_str()),
        label.into(),
    )
    .await;
    let mut resp = match client {
        Some(client) => {
            let for_this = SsoSession {
                class: class.to_string(),
                ..session.clone()
            };
            issue(
                st,
                r,
                client,
                user,
                &for_this,
                &flow.acs_url,
                flow.in_response_to,
                flow.relay_state,
                flow.name_id_format.as_deref(),
            )
            .await?
        }
        None => Redirect::to(&format!("/realms/{realm}/account")).into_response(),
    };
    let secure = if st.cfg.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let set = format!(
        "{}={session_id}; Path=/realms/{}/; HttpOnly; SameSite=Lax{secure}",
        cookie_name(realm),
        realm
    );
    if let Ok(v) = HeaderValue::from_str(&set) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[derive(Template)]
#[template(path = "enrol_passkey.html")]
struct EnrolPage<'a> {
    realm_display: &'a str,
    username: &'a str,
    error: Option<&'a str>,
    action: &'a str,
    flow: &'a str,
    csrf: &'a str,
    options: &'a str,
    name: &'a str,
}

/// The required action's page: register a passkey before going on (a fresh registration
/// challenge, kept under the flow and taken once).
async fn enrol_page<S: IdpStore>(
    st: &AppState<S>,
    r: &Realm,
    user: &User,
    flow_id: &str,
    flow: &Flow,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let rp = relying_party(&st.cfg, r).ok_or_else(no_passkeys_here)?;
    let existing = st.store.passkeys(&user.id).await?;
    let challenge = rp
        .start_registration(user, &existing)
        .map_err(|_| WebError::internal())?;
    st.store
        .put_state(
            PASSKEY_REG,
            &format!("flow:{flow_id}"),
            &challenge.state,
            flow.expires,
        )
        .await?;
    let page = EnrolPage {
        realm_display: &r.display_name,
        username: &user.username,
        error,
        action: &format!(
            "{}/realms/{}/login-actions/register-passkey",
            st.cfg.base_url, r.name
        ),
        flow: flow_id,
        csrf: &flow.csrf,
        options: &challenge.options,
        name: "",
    };
    Ok(scripted_html(
        status,
        page.render().map_err(|_| WebError::internal())?,
    ))
}

#[derive(Deserialize)]
struct PasskeyForm {
    flow: Option<String>,
    csrf: Option<String>,
    credential: Option<String>,
    name: Option<String>,
}

/// Passwordless sign-in: the browser's answer to the flow's passkey challenge (taken once, so
/// an answer is never accepted twice).
async fn passkey_sign_in<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Form(f): Form<PasskeyForm>,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let (flow_id, flow) = posted_flow(&st, &realm, f.flow, f.csrf.as_deref(), &headers).await?;
    let client = flow_client(&st, &flow).await?;
    let rp = match relying_party(&st.cfg, &r) {
        Some(rp)
            if symbolon_idp::auth_policy(&st.store, &realm)
                .await?
                .passkeys() =>
        {
            rp
        }
        _ => {
            return Err(WebError::bad_request_page(
                "Passkeys are not used in this realm.",
            ));
        }
    };
    let now = OffsetDateTime::now_utc();
    let state = st.store.take_state(PASSKEY_AUTH, &flow_id, now).await?;
    let outcome = match state {
        None => Err(symbolon_idp::passkey::PasskeyError::WrongChallenge),
        Some(state) => {
            rp.finish_sign_in(
                &st.store,
                &realm,
                f.credential.as_deref().unwrap_or(""),
                &state,
                now,
            )
            .await
        }
    };
    match outcome {
        Ok(signed) => {
            let label = format!("passkey ({})", signed.passkey.name);
            finish_sign_in(
                &st,
                &r,
                client.as_ref(),
                &signed.user,
                flow_id,
                flow,
                SignInMethod::Passkey,
                &label,
            )
            .await
        }
        Err(symbolon_idp::passkey::PasskeyError::Store(e)) => Err(e.into()),
        Err(e) => {
            event(
                &st,
                &realm,
                "LOGIN_ERROR",
                None,
                Some(&flow.client_id),
                format!("passkey refused ({}): {e}", e.code()),
            )
            .await;
            let msg = format!("That passkey could not be used: {e}.");
            login_page(
                &st,
                &r,
                client.as_ref(),
                &flow_id,
                &flow,
                LoginView {
                    error: Some(&msg),
                    status: Some(StatusCode::UNAUTHORIZED),
                    ..LoginView::default()
                },
            )
            .await
        }
    }
}

/// The required action: register a passkey, then go on (or, in a passkey-only realm, sign in
/// with it).
async fn register_passkey<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Form(f): Form<PasskeyForm>,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let (flow_id, mut flow) = posted_flow(&st, &realm, f.flow, f.csrf.as_deref(), &headers).await?;
    let enrol = flow.enrol.clone().ok_or_else(expired)?;
    let user = st
        .store
        .user_by_id(&realm, &enrol.user_id)
        .await?
        .filter(|u| u.enabled)
        .ok_or_else(expired)?;
    let client = flow_client(&st, &flow).await?;
    let rp = relying_party(&st.cfg, &r).ok_or_else(no_passkeys_here)?;
    let now = OffsetDateTime::now_utc();
    let state = st
        .store
        .take_state(PASSKEY_REG, &format!("flow:{flow_id}"), now)
        .await?;
    // A registration link works once: taken now, put back if this attempt fails.
    let link = match &enrol.link {
        Some(hash) => match st
            .store
            .take_state(symbolon_idp::REGISTRATION_LINK, hash, now)
            .await?
        {
            Some(v) => Some((hash.clone(), v)),
            None => return Err(link_used()),
        },
        None => None,
    };
    let registered = rp
        .register(
            &st.store,
            &user,
            f.credential.as_deref().unwrap_or(""),
            state,
            f.name.as_deref().unwrap_or(""),
            now,
        )
        .await;
    if registered.is_err()
        && let Some((hash, v)) = &link
        && let Ok(target) = serde_json::from_str::<symbolon_idp::RegistrationLinkFor>(v)
        && let Ok(until) = OffsetDateTime::from_unix_timestamp(target.expires)
    {
        st.store
            .put_state(symbolon_idp::REGISTRATION_LINK, hash, v, until)
            .await?;
    }
    let rec = match registered {
        Ok(rec) => rec,
        Err(symbolon_idp::passkey::PasskeyError::Store(e)) => return Err(e.into()),
        Err(e) => {
            event(
                &st,
                &realm,
                "CREDENTIAL_ERROR",
                Some(&user.username),
                None,
                format!("passkey registration refused ({}): {e}", e.code()),
            )
            .await;
            let msg = format!("The passkey could not be registered: {e}.");
            return enrol_page(
                &st,
                &r,
                &user,
                &flow_id,
                &flow,
                Some(&msg),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    event(
        &st,
        &realm,
        "CREDENTIAL",
        Some(&user.username),
        None,
        format!(
            "{} registered a passkey {:?} {}",
            user.username,
            rec.name,
            if link.is_some() {
                "with a registration link"
            } else {
                "at sign-in (required action)"
            }
        ),
    )
    .await;
    flow.enrol = None;
    if link.is_some()
        || symbolon_idp::auth_policy(&st.store, &realm).await?
            == symbolon_idp::AuthPolicy::PasskeyOnly
    {
        // No password was used (a link), or it only served to register: the passkey signs in.
        put_state(&st.store, FLOW, &flow_id, &flow, flow.expires).await?;
        return login_page(
            &st,
            &r,
            client.as_ref(),
            &flow_id,
            &flow,
            LoginView {
                notice: Some("Your passkey is registered. Now sign in with it."),
                ..LoginView::default()
            },
        )
        .await;
    }
    let method = if enrol.second_factor {
        SignInMethod::PasswordAndSecondFactor
    } else {
        SignInMethod::Password
    };
    finish_sign_in(
        &st,
        &r,
        client.as_ref(),
        &user,
        flow_id,
        flow,
        method,
        &enrol.method,
    )
    .await
}

#[derive(Template)]
#[template(path = "set_up_second_factor.html")]
struct SetUpSecondFactorPage<'a> {
    realm_display: &'a str,
    account: &'a str,
}

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorPage<'a> {
    realm_display: &'a str,
    error: Option<&'a str>,
    action: &'a str,
    flow: &'a str,
    csrf: &'a str,
}

fn second_factor_page<S>(
    st: &AppState<S>,
    realm: &Realm,
    flow: &str,
    csrf: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let action = format!(
        "{}/realms/{}/login-actions/second-factor",
        st.cfg.base_url, realm.name
    );
    let page = SecondFactorPage {
        realm_display: &realm.display_name,
        error,
        action: &action,
        flow,
        csrf,
    };
    Ok(html(
        status,
        page.render().map_err(|_| WebError::internal())?,
    ))
}

#[derive(Deserialize)]
struct SecondFactorForm {
    flow: Option<String>,
    csrf: Option<String>,
    code: Option<String>,
}

/// The second step: a code from the authenticator app, or a one-time recovery code. Failures
/// count towards a lockout of the second factor (across instances); a code is accepted once.
async fn second_factor<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Form(f): Form<SecondFactorForm>,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let (flow_id, flow) = posted_flow(&st, &realm, f.flow, f.csrf.as_deref(), &headers).await?;
    let user_id = flow.password_ok.clone().ok_or_else(expired)?;
    let user = st
        .store
        .user_by_id(&realm, &user_id)
        .await?
        .filter(|u| u.enabled)
        .ok_or_else(expired)?;
    let client = flow_client(&st, &flow).await?;
    let key = second_factor_key(&realm, &user_id);
    if let Some(until) = st.locked_until_key(&key).await? {
        let minutes = ((until - OffsetDateTime::now_utc()).whole_seconds() + 59) / 60;
        return second_factor_page(
            &st,
            &r,
            &flow_id,
            &flow.csrf,
            Some(&format!(
                "Too many wrong codes. Try again in {minutes} minute(s)."
            )),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let code = f.code.unwrap_or_default();
    let now = OffsetDateTime::now_utc();
    let method = match st.store.totp(&user_id).await? {
        Some(t) => {
            let secret =
                symbolon_idp::totp::from_base32(&t.secret.0).ok_or_else(WebError::internal)?;
            match symbolon_idp::totp::verify(&secret, &code, now.unix_timestamp(), t.last_step) {
                Some(step) if st.store.use_totp_step(&user_id, step).await? => {
                    Some("password+totp")
                }
                _ => {
                    let normal = symbolon_idp::totp::normalise_recovery_code(&code);
                    let hash = symbolon_idp::hex_sha256(&normal);
                    if normal.len() == 12 && st.store.use_recovery_code(&user_id, &hash).await? {
                        Some("password+recovery-code")
                    } else {
                        None
                    }
                }
            }
        }
        None => None,
    };
    let Some(method) = method else {
        st.record_failure_key(&key).await?;
        event(
            &st,
            &realm,
            "LOGIN_ERROR",
            Some(&user.username),
            Some(&flow.client_id),
            "invalid second-factor code".into(),
        )
        .await;
        return second_factor_page(
            &st,
            &r,
            &flow_id,
            &flow.csrf,
            Some("That code is not right, or was already used."),
            StatusCode::UNAUTHORIZED,
        );
    };
    st.store.clear_failures(&key).await?;
    finish_sign_in(
        &st,
        &r,
        client.as_ref(),
        &user,
        flow_id,
        flow,
        SignInMethod::PasswordAndSecondFactor,
        method,
    )
    .await
}

/// Build, sign and deliver the Response through an auto-submitting form.
#[allow(clippy::too_many_arguments)]
async fn issue<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    client: &Client,
    user: &User,
    session: &SsoSession,
    acs_url: &str,
    in_response_to: Option<String>,
    relay_state: Option<String>,
    requested_format: Option<&str>,
) -> Result<Response, WebError> {
    if !symbolon_idp::may_use(&st.store, client, user).await? {
        event(
            st,
            &realm.name,
            "LOGIN_ERROR",
            Some(&user.username),
            Some(&client.client_id),
            "user is not assigned to this client".into(),
        )
        .await;
        return Err(WebError::new(
            StatusCode::FORBIDDEN,
            "Access denied",
            "Your account is not allowed to use this application. Contact your administrator if you need access.",
        ));
    }
    let groups = symbolon_idp::user_group_paths(&st.store, user).await?;
    let roles = if client
        .mappers
        .iter()
        .any(|m| m.source == MapperSource::RoleList)
    {
        symbolon_idp::roles::user_roles(&st.store, user).await?
    } else {
        vec![]
    };
    let key = st.signing_key(&realm.name).await?;
    let rng = SystemRandom::new();
    let id = || new_id(&rng).map_err(|_| WebError::internal());
    let format = requested_format.unwrap_or(&client.name_id_format);
    let (name_id, format) = if format == NAMEID_PERSISTENT {
        (
            symbolon_idp::persistent_name_id(&st.store, client, user, OffsetDateTime::now_utc())
                .await?,
            NAMEID_PERSISTENT.to_string(),
        )
    } else if format == NAMEID_EMAIL && user.email.is_none() && requested_format.is_some() {
        // The SP asked for an email address this user does not have: say so in SAML terms.
        return refuse_request(
            st,
            realm,
            client,
            Some(&user.username),
            acs_url,
            in_response_to.as_deref().unwrap_or_default(),
            relay_state,
            symbolon_saml::idp::STATUS_INVALID_NAMEID_POLICY,
            "The requested name identifier format cannot be provided for this user.",
            "NameIDPolicy asks for an email address and the user has none: InvalidNameIDPolicy"
                .into(),
        )
        .await;
    } else {
        {
            let transient = random_token()?;
            symbolon_idp::signin::name_id(format, user, &transient).map_err(|_| {
            WebError::new(
                StatusCode::FORBIDDEN,
                "Email address required",
                "This application identifies you by email address, and your account has none. Contact your administrator.",
            )
        })?
        }
    };
    let now = OffsetDateTime::now_utc();
    let params = ResponseParams {
        response_id: id()?,
        assertion_id: id()?,
        now,
        idp_entity_id: symbolon_idp::entity_id(&st.cfg.base_url, &realm.name),
        destination: acs_url.to_string(),
        in_response_to: in_response_to.clone(),
        audience: client.client_id.clone(),
        name_id,
        name_id_format: Some(format),
        sp_name_qualifier: None,
        lifespan: Duration::seconds(
            client
                .assertion_lifespan_secs
                .unwrap_or(realm.assertion_lifespan_secs),
        ),
        not_before_slack: Duration::seconds(30),
        session_index: Some(session.session_index.clone()),
        session_not_on_or_after: Some(session.expires),
        authn_instant: session.authn_instant,
        authn_context_class_ref: session.class.clone(),
        attributes: symbolon_idp::signin::attributes(client, user, &groups, &roles),
    };
    let parts = SignParts {
        response: client.sign_documents,
        assertion: client.sign_assertions || !client.sign_documents,
    };
    let opts = sign_options(client, &key);
    let xml =
        build_response(&params, parts, &key, &opts, &rng).map_err(|_| WebError::internal())?;
    event(
        st,
        &realm.name,
        "SAML_RESPONSE",
        Some(&user.username),
        Some(&client.client_id),
        format!(
            "session {}{}",
            session.session_index,
            in_response_to
                .map(|r| format!(", in response to {r}"))
                .unwrap_or_default()
        ),
    )
    .await;
    Ok(deliver(acs_url, &xml, relay_state.as_deref()))
}

/// The client's signature options: its algorithm when it fits the realm key, else the key's own.
fn sign_options(client: &Client, key: &symbolon_dsig::SigningKey) -> SignOptions {
    let mut opts = SignOptions::for_key(key);
    if let Some(alg) = symbolon_dsig::SignatureAlgorithm::from_name(&client.signature_algorithm)
        && alg.is_rsa() == opts.algorithm.is_rsa()
        && !alg.is_sha1()
    {
        opts = SignOptions {
            algorithm: alg,
            digest: symbolon_dsig::DigestAlgorithm::matching(alg),
        };
    }
    opts
}

/// A request this IdP refuses in SAML terms: a `LOGIN_ERROR` event saying `why`, then the signed
/// error status at the ACS ([`error_response`]).
#[allow(clippy::too_many_arguments)]
async fn refuse_request<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    client: &Client,
    username: Option<&str>,
    acs_url: &str,
    in_response_to: &str,
    relay_state: Option<String>,
    sub_code: &str,
    message: &str,
    why: String,
) -> Result<Response, WebError> {
    event(
        st,
        &realm.name,
        "LOGIN_ERROR",
        username,
        Some(&client.client_id),
        why,
    )
    .await;
    error_response(
        st,
        realm,
        client,
        acs_url,
        in_response_to,
        relay_state,
        sub_code,
        message,
    )
    .await
}

/// A signed Response with an error status (Responder + `sub_code`) and no assertion, delivered
/// to the ACS like any response.
#[allow(clippy::too_many_arguments)]
async fn error_response<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    client: &Client,
    acs_url: &str,
    in_response_to: &str,
    relay_state: Option<String>,
    sub_code: &str,
    message: &str,
) -> Result<Response, WebError> {
    let key = st.signing_key(&realm.name).await?;
    let rng = SystemRandom::new();
    let id = new_id(&rng).map_err(|_| WebError::internal())?;
    let xml = symbolon_saml::idp::build_error_response(
        &id,
        OffsetDateTime::now_utc(),
        &symbolon_idp::entity_id(&st.cfg.base_url, &realm.name),
        acs_url,
        Some(in_response_to),
        symbolon_saml::idp::STATUS_RESPONDER,
        Some(sub_code),
        Some(message),
        &key,
        &sign_options(client, &key),
        &rng,
    )
    .map_err(|_| WebError::internal())?;
    Ok(deliver(acs_url, &xml, relay_state.as_deref()))
}

/// The auto-submitting POST form that carries a response to the ACS, with its own CSP.
fn deliver(acs_url: &str, xml: &str, relay_state: Option<&str>) -> Response {
    let body = post_form(acs_url, "SAMLResponse", xml.as_bytes(), relay_state);
    let mut r = (StatusCode::OK, Html(body)).into_response();
    let csp = format!(
        "default-src 'none'; script-src {}; form-action {}; frame-ancestors 'none'; base-uri 'none'",
        post_form_script_csp_hash(),
        csp_source(acs_url)
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The origin of a URL, for CSP `form-action`.
fn csp_source(url: &str) -> String {
    let origin = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    if origin.is_empty() || origin.contains(['\'', ';', ' ', ',']) {
        "'none'".into()
    } else {
        origin
    }
}

/// Serve on a listener (plain TCP, or TLS from the caller) until SIGTERM or Ctrl-C, running the
/// IdP's jobs.
pub async fn serve<S, L>(store: S, cfg: WebConfig, listener: L) -> std::io::Result<()>
where
    S: IdpStore,
    L: axum::serve::Listener<Addr = std::net::SocketAddr>,
{
    let trusted = cfg.trusted_proxies.clone();
    tokio::spawn(symbolon_web::jobs::every(
        store.clone(),
        symbolon_web::jobs::instance_id(),
        "idp:purge-state",
        cfg.purge_every,
        symbolon_web::jobs::purge_state,
    ));
    symbolon_web::serve(router(store, cfg), trusted, listener).await
}

fn link_used() -> WebError {
    WebError::new(
        StatusCode::GONE,
        "Link used or expired",
        "This registration link was already used or has expired. Ask your administrator for a new one.",
    )
}

#[derive(Deserialize)]
struct LinkQuery {
    token: Option<String>,
}

/// A registration link: the page to register a passkey for the link's user, with no password.
/// Opening it does not use it up (link previewers fetch links); registering a passkey does.
async fn registration_link<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let token = q.token.unwrap_or_default();
    if token.is_empty() {
        return Err(link_used());
    }
    let hash = symbolon_idp::hex_sha256(&token);
    let target: Option<symbolon_idp::RegistrationLinkFor> =
        get_state(&st.store, symbolon_idp::REGISTRATION_LINK, &hash).await?;
    let Some(target) = target.filter(|t| t.realm == realm) else {
        event(
            &st,
            &realm,
            "LOGIN_ERROR",
            None,
            None,
            "a registration link was used or has expired".into(),
        )
        .await;
        return Err(link_used());
    };
    let user = st
        .store
        .user_by_id(&realm, &target.user_id)
        .await?
        .filter(|u| u.enabled)
        .ok_or_else(link_used)?;
    if !symbolon_idp::auth_policy(&st.store, &realm)
        .await?
        .passkeys()
        || relying_party(&st.cfg, &r).is_none()
    {
        return Err(WebError::bad_request_page(
            "Passkeys are not used in this realm.",
        ));
    }
    let flow_id = random_token()?;
    let flow = Flow {
        enrol: Some(Enrol {
            user_id: user.id.clone(),
            method: "registration link".into(),
            second_factor: false,
            link: Some(hash),
        }),
        ..AccountFlow::account_console(&realm, st.cfg.login_flow_lifetime)?
    };
    put_state(&st.store, FLOW, &flow_id, &flow, flow.expires).await?;
    enrol_page(&st, &r, &user, &flow_id, &flow, None, StatusCode::OK).await
}

/// A realm whose policy uses passkeys, served under a base URL that names no host (an IP
/// address): WebAuthn has no relying party ID there.
fn no_passkeys_here() -> WebError {
    tracing::warn!("a realm uses passkeys, but base_url names no host: passkeys need a host name");
    WebError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Passkeys are not available",
        "This sign-in needs a passkey, and passkeys cannot be used at this address. Contact your administrator (the identity provider's base URL must name a host).",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_origins() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; SYMBOLON_IDP_SESSION_acme=abc; b=2"),
        );
        assert_eq!(cookie(&h, &cookie_name("acme")).as_deref(), Some("abc"));
        assert_eq!(
            cookie(&h, "SYMBOLON_IDP_SESSION_ac"),
            None,
            "no prefix match"
        );
        let cfg = WebConfig::new("https://idp.example.test/");
        let mut h = HeaderMap::new();
        assert!(same_origin(&cfg, &h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://idp.example.test"),
        );
        assert!(same_origin(&cfg, &h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.test"),
        );
        assert!(!same_origin(&cfg, &h));
        assert_eq!(
            csp_source("https://sp.test:8443/acs?x=1"),
            "https://sp.test:8443"
        );
        assert_eq!(csp_source("https://sp.test';script-src *;x/acs"), "'none'");
    }
}
