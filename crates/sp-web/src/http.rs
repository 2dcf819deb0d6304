//! The service provider's HTTP face: SP metadata, the ACS (one response fanned out to every
//! account that validated it), the account/role picker, and the signed-in landing page.
//! Sessions are held in memory here (one instance); issue 7 moves them to the database.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use symbolon_dsig::SystemRandom;
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

use symbolon_sp::{AcsError, Pair, SignIn};

const SESSION_COOKIE: &str = "SYMBOLON_SP_SESSION";

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
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Session {
    pub(crate) sign_in: SignIn,
    pub(crate) current: Option<usize>,
    pub(crate) csrf: String,
    signed_in_at: OffsetDateTime,
    expires: OffsetDateTime,
}

/// Kinds of short-lived state in the store, shared by every instance.
const SESSION: &str = "sp-session";
/// Outstanding SP-initiated requests by RelayState: the AuthnRequest ID (single use).
const PENDING: &str = "sp-authn-request";
const LOCKED: &str = "sp-lockout";

#[derive(Clone)]
pub(crate) struct AppState<S> {
    pub(crate) store: S,
    pub(crate) cfg: Arc<SpConfig>,
}

/// Failed native sign-ins before a temporary lockout, and its length.
const MAX_FAILURES: u32 = 5;
const LOCKOUT: time::Duration = time::Duration::minutes(5);

fn unavailable(e: impl std::fmt::Display) -> Response {
    tracing::error!("store: {e}");
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "The service is temporarily unavailable. Try again in a moment.",
        vec![],
    )
}

async fn save_session<S: SpStore>(st: &AppState<S>, id: &str, s: &Session) -> Result<(), Response> {
    let v = serde_json::to_string(s).map_err(unavailable)?;
    st.store
        .put_state(SESSION, id, &v, s.expires)
        .await
        .map_err(unavailable)
}

/// The router.
pub fn router<S: SpStore>(store: S, cfg: SpConfig) -> Router {
    let st = AppState {
        store,
        cfg: Arc::new(cfg),
    };
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz::<S>))
        .route("/resources/symbolon.css", get(css))
        .route("/saml/metadata", get(metadata::<S>))
        .route("/saml/acs", post(acs::<S>))
        .route("/saml/login", get(sp_initiated::<S>))
        .route("/pick", get(pick_page::<S>).post(pick::<S>))
        .route("/", get(home::<S>))
        .route("/login", get(login_form::<S>).post(login::<S>))
        .route("/logout", post(logout::<S>))
        .merge(crate::console::routes::<S>())
        .merge(crate::api::routes::<S>())
        .with_state(st);
    symbolon_web::front::harden(router, Arc::new(error_page))
}

/// The SP's page for statuses answered outside a handler (and for a handler's panic).
fn error_page(status: StatusCode, reference: Option<&str>) -> Response {
    let (title, text) = symbolon_web::front::status_text(status);
    let details = reference
        .map(|r| vec![("Reference".to_string(), r.to_string())])
        .unwrap_or_default();
    message(status, title, text, details)
}

/// Serve until Ctrl-C.
/// Serve on a listener (plain TCP, or TLS from the caller) until SIGTERM or Ctrl-C.
pub async fn serve<S, L>(store: S, cfg: SpConfig, listener: L) -> std::io::Result<()>
where
    S: SpStore,
    L: axum::serve::Listener<Addr = std::net::SocketAddr>,
{
    let holder = symbolon_web::jobs::instance_id();
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
        holder,
        "sp:purge-state",
        cfg.purge_every,
        symbolon_web::jobs::purge_state,
    ));
    let trusted = cfg.trusted_proxies.clone();
    let app = symbolon_web::front::with_access_log(router(store, cfg), trusted);
    axum::serve(
        symbolon_web::front::PeerListener(listener),
        app.into_make_service_with_connect_info::<symbolon_web::front::Peer>(),
    )
    .with_graceful_shutdown(symbolon_web::shutdown::shutdown_signal())
    .await
}

/// Ready when the database answers.
async fn readyz<S: SpStore>(State(st): State<AppState<S>>) -> Response {
    match st.store.account("").await {
        Ok(_) => "ready".into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the database is unavailable",
        )
            .into_response(),
    }
}

async fn css() -> Response {
    let mut r = symbolon_web::page::STYLESHEET.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r
}

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// UI text in English or Japanese.
#[derive(Debug, Clone, Copy)]
struct Text {
    choose: &'static str,
    signed_in_as: &'static str,
    not_offered: &'static str,
    welcome: &'static str,
    account: &'static str,
    role: &'static str,
    signed_in_at: &'static str,
    switch: &'static str,
    no_access: &'static str,
    no_access_msg: &'static str,
    administration: &'static str,
    sign_out: &'static str,
    native_sign_on: &'static str,
}

const EN: Text = Text {
    choose: "Choose an account and role",
    signed_in_as: "Signed in as",
    not_offered: "Not available through single sign-on",
    welcome: "Welcome",
    account: "Account",
    role: "Role",
    signed_in_at: "Signed in at",
    switch: "Switch account or role",
    no_access: "No access",
    no_access_msg: "Your identity provider signed you in, but no account here gives you a role. Ask your administrator to map one of your groups to a role or to add you as a SAML account.",
    administration: "Administration",
    sign_out: "Sign out",
    native_sign_on: "Sign in with your email address and password",
};

const JA: Text = Text {
    choose: "アカウントと役割を選択してください",
    signed_in_as: "サインイン中のユーザー:",
    not_offered: "シングルサインオンでは利用できません",
    welcome: "ようこそ",
    account: "アカウント",
    role: "役割",
    signed_in_at: "サインイン日時",
    switch: "アカウントまたは役割を切り替える",
    no_access: "アクセス権がありません",
    no_access_msg: "IDプロバイダーでの認証は成功しましたが、役割が割り当てられているアカウントがありません。管理者に連絡してください。",
    administration: "管理",
    sign_out: "サインアウト",
    native_sign_on: "メールアドレスとパスワードでサインイン",
};

fn text(locale: Option<&str>) -> (Text, &'static str) {
    match locale.map(|l| l.to_ascii_lowercase()) {
        Some(l) if l == "ja" || l.starts_with("ja-") || l.starts_with("ja_") => (JA, "ja"),
        _ => (EN, "en"),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    lang: &'a str,
    title: &'a str,
    message: &'a str,
    details: Vec<(String, String)>,
    /// A link to native sign-on, for master administrators refused at SSO: (href, text).
    native: Option<(&'a str, &'a str)>,
}

pub(crate) fn message(
    status: StatusCode,
    title: &str,
    msg: &str,
    details: Vec<(String, String)>,
) -> Response {
    match (MessagePage {
        lang: "en",
        title,
        message: msg,
        details,
        native: None,
    })
    .render()
    {
        Ok(b) => {
            let mut res = html(status, b);
            if status == StatusCode::SERVICE_UNAVAILABLE {
                res.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(symbolon_secret::hashing::RETRY_AFTER_SECS),
                );
            }
            res
        }
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

async fn metadata<S: SpStore>(State(st): State<AppState<S>>) -> Response {
    match symbolon_sp::sp_metadata(&st.store, &st.cfg.base_url, OffsetDateTime::now_utc()).await {
        Ok(xml) => {
            let mut r = xml.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/samlmetadata+xml"),
            );
            r.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"symbolon-sp-metadata.xml\""),
            );
            r
        }
        Err(symbolon_sp::SpError::Store(symbolon_store::StoreError::Unavailable(cause))) => {
            unavailable(cause)
        }
        Err(e) => {
            tracing::error!("SP metadata: {e}");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Error",
                "The metadata could not be produced.",
                vec![],
            )
        }
    }
}

fn random_token() -> Option<String> {
    symbolon_web::random_hex()
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    symbolon_web::request::cookie(headers, name)
}

#[derive(Deserialize)]
struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

async fn acs<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Form<AcsForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match form {
        Ok(Form(f)) => f,
        // Too large a body is 413 with its own page, whatever else is wrong with it.
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Sign-in failed",
                "The sign-in message is too large to be accepted. If this keeps happening, ask your identity provider's administrator to send fewer or shorter attributes.",
                vec![],
            );
        }
        Err(_) => {
            return message(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                "The ACS expects an HTML form post (HTTP-POST binding) with a SAMLResponse.",
                vec![],
            );
        }
    };
    // SP-initiated: the RelayState names the outstanding request (single use, 10 minutes), and
    // the browser that started it must be the one posting (its cookie, when the browser sends it
    // on this cross-site POST, must agree).
    let mut in_response_to = None;
    if let Some(rs) = f.relay_state.as_deref().filter(|r| !r.is_empty()) {
        let now = OffsetDateTime::now_utc();
        let found = match st.store.take_state(PENDING, rs, now).await {
            Ok(f) => f,
            Err(e) => return unavailable(e),
        };
        if let Some(id) = found {
            if cookie(&headers, AUTHN_COOKIE).is_some_and(|c| c != rs) {
                return message(
                    StatusCode::FORBIDDEN,
                    "Sign-in failed",
                    "This sign-in was started in another browser. Start again.",
                    vec![],
                );
            }
            in_response_to = Some(id);
        }
    }
    let Some(b64) = f.saml_response else {
        return message(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "The request carries no SAMLResponse.",
            vec![],
        );
    };
    let xml = match symbolon_saml::binding::decode_post(b64.as_bytes()) {
        Ok(x) => x,
        Err(e) => {
            return message(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                &format!("The SAMLResponse could not be decoded: {e}."),
                vec![],
            );
        }
    };
    let now = OffsetDateTime::now_utc();
    let sp = symbolon_sp::sp_settings(&st.cfg.base_url);
    let sign_in = match symbolon_sp::consume_response(
        &st.store,
        &sp,
        &xml,
        in_response_to.as_deref(),
        now,
        symbolon_sp::AcsMode::SignIn,
        &st.cfg.acs,
    )
    .await
    {
        Ok(s) => s,
        Err(AcsError::Store(e)) => {
            tracing::error!("ACS: {e}");
            return message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in failed",
                "The service is unavailable. Try again shortly.",
                vec![],
            );
        }
        Err(e) => {
            return message(
                StatusCode::FORBIDDEN,
                "Sign-in failed",
                &format!(
                    "Your sign-in could not be accepted: {e}. Your administrator can see the details in the audit log."
                ),
                vec![],
            );
        }
    };
    if sign_in.pairs.is_empty() {
        let (t, lang) = text(sign_in.locale.as_deref());
        let page = MessagePage {
            lang,
            title: t.no_access,
            message: t.no_access_msg,
            details: sign_in.refused.clone(),
            native: sign_in
                .refused
                .iter()
                .any(|r| r.1.starts_with(symbolon_sp::MASTER_REFUSED))
                .then_some(("/login", t.native_sign_on)),
        };
        return match page.render() {
            Ok(b) => html(StatusCode::FORBIDDEN, b),
            Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
        };
    }
    let Some(id) = random_token() else {
        return message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Error",
            "No randomness.",
            vec![],
        );
    };
    let Some(csrf) = random_token() else {
        return message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Error",
            "No randomness.",
            vec![],
        );
    };
    let single = sign_in.pairs.len() == 1;
    if single
        && let Some(p) = sign_in.pairs.first()
        && let Err(e) =
            symbolon_sp::record_sign_in(&st.store, &sign_in.name_id, p, "SignIn", now).await
    {
        tracing::error!("recording a sign-in: {e}");
        return message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sign-in failed",
            "The service is unavailable. Try again shortly.",
            vec![],
        );
    }
    start_session(&st, id, csrf, sign_in, now).await
}

/// Store a new session and send the browser on: straight in with one pair, else to the picker.
async fn start_session<S: SpStore>(
    st: &AppState<S>,
    id: String,
    csrf: String,
    sign_in: SignIn,
    now: OffsetDateTime,
) -> Response {
    let single = sign_in.pairs.len() == 1;
    let session = Session {
        sign_in,
        current: if single { Some(0) } else { None },
        csrf,
        signed_in_at: now,
        expires: now + st.cfg.session_lifetime,
    };
    if let Err(r) = save_session(st, &id, &session).await {
        return r;
    }
    let secure = if st.cfg.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let mut r = Redirect::to(if single { "/" } else { "/pick" }).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax{secure}"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
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

#[derive(Template)]
#[template(path = "pick.html")]
struct PickPage<'a> {
    lang: &'a str,
    t: Text,
    who: &'a str,
    csrf: &'a str,
    pairs: &'a [Pair],
    refused: &'a [(String, String)],
}

async fn pick_page<S: SpStore>(State(st): State<AppState<S>>, headers: HeaderMap) -> Response {
    let found = match session_of(&st, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some((_, s)) = found else {
        return message(
            StatusCode::UNAUTHORIZED,
            "Not signed in",
            "Sign in through your identity provider first.",
            vec![],
        );
    };
    let (t, lang) = text(s.sign_in.locale.as_deref());
    let who = s
        .sign_in
        .display_name
        .as_deref()
        .unwrap_or(&s.sign_in.name_id);
    match (PickPage {
        lang,
        t,
        who,
        csrf: &s.csrf,
        pairs: &s.sign_in.pairs,
        refused: &s.sign_in.refused,
    })
    .render()
    {
        Ok(b) => html(StatusCode::OK, b),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

#[derive(Deserialize)]
struct PickForm {
    csrf: Option<String>,
    pair: Option<usize>,
}

async fn pick<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Form(f): Form<PickForm>,
) -> Response {
    let found = match session_of(&st, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some((id, s)) = found else {
        return message(
            StatusCode::UNAUTHORIZED,
            "Not signed in",
            "Sign in through your identity provider first.",
            vec![],
        );
    };
    if !symbolon_web::secret_eq(f.csrf.as_deref().unwrap_or(""), &s.csrf) {
        return message(
            StatusCode::FORBIDDEN,
            "Invalid form submission",
            "Reload the page and try again.",
            vec![],
        );
    }
    let Some(p) = f
        .pair
        .and_then(|i| s.sign_in.pairs.get(i).map(|p| (i, p.clone())))
    else {
        return message(
            StatusCode::BAD_REQUEST,
            "Choose an account",
            "That choice is not available.",
            vec![],
        );
    };
    let action = if s.current.is_some() {
        "SwitchRole"
    } else {
        "SignIn"
    };
    if let Err(e) = symbolon_sp::record_sign_in(
        &st.store,
        &s.sign_in.name_id,
        &p.1,
        action,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        tracing::error!("recording a sign-in: {e}");
        return message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sign-in failed",
            "The service is unavailable. Try again shortly.",
            vec![],
        );
    }
    let mut live = s;
    live.current = Some(p.0);
    if let Err(r) = save_session(&st, &id, &live).await {
        return r;
    }
    Redirect::to("/").into_response()
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    lang: &'a str,
    t: Text,
    who: &'a str,
    account: &'a str,
    role: &'a str,
    signed_in_at: String,
    switchable: bool,
    may_administer: bool,
    csrf: &'a str,
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: Option<String>,
}

/// Sign out: the session ends here (the identity provider's own session is the IdP's business).
async fn logout<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Form(f): Form<LogoutForm>,
) -> Response {
    let found = match session_of(&st, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some((id, s)) = found else {
        return Redirect::to("/login").into_response();
    };
    if !symbolon_web::secret_eq(f.csrf.as_deref().unwrap_or(""), &s.csrf) {
        return message(
            StatusCode::FORBIDDEN,
            "Invalid form submission",
            "Reload the page and try again.",
            vec![],
        );
    }
    if let Err(e) = st.store.delete_state(SESSION, &id).await {
        return unavailable(e);
    }
    let mut r = message(
        StatusCode::OK,
        "Signed out",
        "You are signed out. Sign in again through your identity provider, or at /login with a password.",
        vec![],
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn home<S: SpStore>(State(st): State<AppState<S>>, headers: HeaderMap) -> Response {
    let found = match session_of(&st, &headers).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some((_, s)) = found else {
        return message(
            StatusCode::UNAUTHORIZED,
            "Not signed in",
            "Sign in through your identity provider.",
            vec![],
        );
    };
    let Some(p) = s.current.and_then(|i| s.sign_in.pairs.get(i)) else {
        return Redirect::to("/pick").into_response();
    };
    let (t, lang) = text(s.sign_in.locale.as_deref());
    match (HomePage {
        lang,
        t,
        who: s
            .sign_in
            .display_name
            .as_deref()
            .unwrap_or(&s.sign_in.name_id),
        account: &p.account_name,
        role: &p.role,
        signed_in_at: symbolon_sp::format_in_zone(s.signed_in_at, s.sign_in.timezone.as_deref()),
        switchable: s.sign_in.pairs.len() > 1,
        may_administer: p.may_administer(),
        csrf: &s.csrf,
    })
    .render()
    {
        Ok(b) => html(StatusCode::OK, b),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

const LOGIN_CSRF_COOKIE: &str = "SYMBOLON_SP_LOGIN";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    lang: &'a str,
    csrf: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

fn login_page<S>(
    st: &AppState<S>,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
) -> Response {
    let Some(token) = random_token() else {
        return message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Error",
            "No randomness.",
            vec![],
        );
    };
    let body = LoginPage {
        lang: "en",
        csrf: &token,
        email,
        error,
    }
    .render();
    let mut r = match body {
        Ok(b) => html(status, b),
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    };
    let secure = if st.cfg.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict{secure}"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn login_form<S: SpStore>(State(st): State<AppState<S>>) -> Response {
    login_page(&st, StatusCode::OK, "", None)
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

async fn login<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return login_page(
            &st,
            StatusCode::BAD_REQUEST,
            "",
            Some("Enter your email address and password."),
        );
    };
    let csrf = f.csrf.unwrap_or_default();
    if !symbolon_web::secret_eq(
        &csrf,
        &cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default(),
    ) || !symbolon_web::request::same_origin_as(&st.cfg.base_url, &headers)
    {
        return message(
            StatusCode::FORBIDDEN,
            "Invalid form submission",
            "Reload the sign-in page and try again.",
            vec![],
        );
    }
    let email = f.email.unwrap_or_default().trim().to_lowercase();
    let password = f.password.unwrap_or_default();
    if email.is_empty() || password.is_empty() {
        return login_page(
            &st,
            StatusCode::BAD_REQUEST,
            &email,
            Some("Enter your email address and password."),
        );
    }
    let now = OffsetDateTime::now_utc();
    let failure_key = format!("sp-login:{email}");
    let locked = match st.store.state(LOCKED, &failure_key, now).await {
        Ok(l) => l.is_some(),
        Err(e) => return unavailable(e),
    };
    if locked {
        let _ =
            symbolon_sp::native_sign_in_failed(&st.store, &email, "temporarily locked", now).await;
        return login_page(
            &st,
            StatusCode::TOO_MANY_REQUESTS,
            &email,
            Some("Too many failed attempts. Try again in a few minutes."),
        );
    }
    let pairs = match symbolon_sp::native_sign_in(&st.store, &email, &password, now).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("native sign-in: {e}");
            return message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in failed",
                "The service is unavailable. Try again shortly.",
                vec![],
            );
        }
    };
    if pairs.is_empty() {
        // Counted in the store, atomically: every instance sees the same count.
        match st
            .store
            .count_failure(&failure_key, now, now + LOCKOUT)
            .await
        {
            Ok(n) if n >= MAX_FAILURES => {
                let locked = st
                    .store
                    .put_state(LOCKED, &failure_key, "", now + LOCKOUT)
                    .await;
                let cleared = st.store.clear_failures(&failure_key).await;
                if let Err(e) = locked.and(cleared) {
                    return unavailable(e);
                }
            }
            Ok(_) => {}
            Err(e) => return unavailable(e),
        }
        let _ =
            symbolon_sp::native_sign_in_failed(&st.store, &email, "wrong email or password", now)
                .await;
        return login_page(
            &st,
            StatusCode::UNAUTHORIZED,
            &email,
            Some("Wrong email address or password."),
        );
    }
    if let Err(e) = st.store.clear_failures(&failure_key).await {
        return unavailable(e);
    }
    let (Some(id), Some(csrf)) = (random_token(), random_token()) else {
        return message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Error",
            "No randomness.",
            vec![],
        );
    };
    let sign_in = SignIn {
        name_id: email,
        display_name: None,
        locale: None,
        timezone: None,
        pairs,
        refused: vec![],
        attributes: vec![],
    };
    start_session(&st, id, csrf, sign_in, now).await
}

const AUTHN_COOKIE: &str = "SYMBOLON_SP_AUTHN";

#[derive(Deserialize)]
struct StartQuery {
    idp: Option<String>,
}

/// SP-initiated sign-in: send the browser to the IdP with an AuthnRequest (Redirect binding). The
/// request ID is remembered under a random RelayState; a cookie ties it to this browser
/// (`SameSite=None; Secure` over HTTPS so that it survives the IdP's cross-site POST).
async fn sp_initiated<S: SpStore>(
    State(st): State<AppState<S>>,
    Query(q): Query<StartQuery>,
) -> Response {
    let Some(id) = q.idp.filter(|i| !i.is_empty()) else {
        return message(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "Say which identity provider to use (?idp=...).",
            vec![],
        );
    };
    let cfg = match st.store.idp_by_id(&id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return message(
                StatusCode::NOT_FOUND,
                "Sign-in failed",
                "There is no such identity provider.",
                vec![],
            );
        }
        Err(e) => {
            tracing::error!("SP-initiated: {e}");
            return message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in failed",
                "The service is unavailable. Try again shortly.",
                vec![],
            );
        }
    };
    let rng = SystemRandom::new();
    let (Ok(request_id), Some(state)) = (symbolon_saml::messages::new_id(&rng), random_token())
    else {
        return message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Error",
            "No randomness.",
            vec![],
        );
    };
    let now = OffsetDateTime::now_utc();
    let url = match symbolon_sp::authn_request_url(&st.cfg.base_url, &cfg, &request_id, &state, now)
    {
        Ok(u) => u,
        Err(e) => {
            return message(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                &e.to_string(),
                vec![],
            );
        }
    };
    if let Err(e) = st
        .store
        .put_state(
            PENDING,
            &state,
            &request_id,
            now + time::Duration::minutes(10),
        )
        .await
    {
        return unavailable(e);
    }
    let attrs = if st.cfg.base_url.starts_with("https://") {
        "; SameSite=None; Secure"
    } else {
        "; SameSite=Lax"
    };
    let mut r = Redirect::to(&url).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{AUTHN_COOKIE}={state}; Path=/saml; HttpOnly; Max-Age=600{attrs}"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}
