//! The admin console at `/admin/`: server-rendered pages for master-realm administrators, organised
//! like Keycloak's (realm picker, Clients with "Import client", Users, Realm settings with the
//! metadata link, Keys, Events). Every form carries a CSRF token; the session cookie is
//! `SameSite=Strict`; every change goes through the domain and is recorded as an event.

// Handlers return `Result<_, Response>`: the error is the page (or redirect) to send.
#![allow(clippy::result_large_err)]

use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use symbolon_saml::messages::{
    NAMEID_EMAIL, NAMEID_PERSISTENT, NAMEID_TRANSIENT, NAMEID_UNSPECIFIED,
};
use symbolon_store::{Client, IdpStore};
use time::OffsetDateTime;

use crate::http::{AppState, WebError};
use symbolon_idp::{Actor, IdpError};

/// The realm whose users administer everything.
pub const MASTER_REALM: &str = "master";
mod access;

pub(crate) const SESSION_COOKIE: &str = "SYMBOLON_ADMIN";
const LOGIN_CSRF_COOKIE: &str = "SYMBOLON_ADMIN_CSRF";

/// A signed-in administrator.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AdminSession {
    pub username: String,
    pub csrf: String,
    pub expires: OffsetDateTime,
}

pub fn routes<S: IdpStore>() -> Router<AppState<S>> {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/console/") }))
        .route("/admin/", get(|| async { Redirect::to("/admin/console/") }))
        .route("/admin/login", get(login_form::<S>).post(login::<S>))
        .route("/admin/logout", post(logout::<S>))
        .route("/resources/console.css", get(css))
        .route("/admin/console/", get(realms::<S>))
        .route("/admin/console/{realm}/clients", get(clients::<S>))
        .route(
            "/admin/console/{realm}/clients/import",
            get(import_form::<S>).post(import::<S>),
        )
        .route(
            "/admin/console/{realm}/clients/{id}",
            get(client_page::<S>).post(save_client::<S>),
        )
        .route(
            "/admin/console/{realm}/settings",
            get(settings::<S>).post(set_policy::<S>),
        )
        .route("/admin/console/{realm}/keys", get(keys::<S>))
        .route("/admin/console/{realm}/keys/next", post(add_next_key::<S>))
        .route(
            "/admin/console/{realm}/keys/{kid}/promote",
            post(promote_key::<S>),
        )
        .route(
            "/admin/console/{realm}/keys/{kid}/retire",
            get(confirm_retire::<S>).post(retire_key::<S>),
        )
        .route(
            "/admin/console/{realm}/users",
            get(users::<S>).post(add_user::<S>),
        )
        .route(
            "/admin/console/{realm}/users/{username}",
            get(user_page::<S>).post(user_action::<S>),
        )
        .route(
            "/admin/console/{realm}/groups",
            get(groups::<S>).post(add_group::<S>),
        )
        .route("/admin/console/{realm}/events", get(events::<S>))
        .route(
            "/admin/console/{realm}/clients/{id}/access",
            post(access::client_access::<S>),
        )
        .route(
            "/admin/console/{realm}/clients/{id}/mappers",
            post(access::client_mappers::<S>),
        )
        .route(
            "/admin/console/{realm}/roles",
            get(access::roles::<S>).post(access::roles_action::<S>),
        )
}

/// The console stylesheet (also served by the SP's account console).
pub use symbolon_web::page::CONSOLE_STYLESHEET;

async fn css() -> Response {
    let mut r = CONSOLE_STYLESHEET.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r
}

fn page(body: Result<String, askama::Error>) -> Response {
    page_status(StatusCode::OK, body)
}

/// A rendered page with this status (400 for a form that says what is wrong);
/// a template failure is always a 500.
fn page_status(status: StatusCode, body: Result<String, askama::Error>) -> Response {
    match body {
        Ok(b) => crate::http::html_page(status, b),
        Err(_) => WebError::internal_error().into_response(),
    }
}

fn form_status(bad: bool) -> StatusCode {
    if bad {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

fn cookie_attrs<S>(st: &AppState<S>) -> &'static str {
    if st.config().base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

/// The administrator behind this request, or a redirect to the sign-in page.
async fn admin<S: IdpStore>(
    st: &AppState<S>,
    headers: &HeaderMap,
) -> Result<AdminSession, Response> {
    let Some(id) = crate::http::cookie(headers, SESSION_COOKIE) else {
        return Err(Redirect::to("/admin/login").into_response());
    };
    match st.admin_session(&id).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(Redirect::to("/admin/login").into_response()),
        Err(e) => Err(WebError::from(e).into_response()),
    }
}

/// Whether `presented` is the session's CSRF token (compared through SHA-256, so the time taken
/// says nothing about the token).
pub(crate) fn csrf_matches(session: &AdminSession, presented: &str) -> bool {
    crate::http::secret_eq(presented, &session.csrf)
}

fn check_csrf(
    session: &AdminSession,
    presented: Option<&str>,
    headers: &HeaderMap,
    st_base: &str,
) -> Result<(), Response> {
    let ok = presented.is_some_and(|p| csrf_matches(session, p));
    if ok && crate::http::same_origin_as(st_base, headers) {
        Ok(())
    } else {
        Err(WebError::forbidden(
            "Invalid form submission",
            "The form could not be verified. Reload the page and try again.",
        )
        .into_response())
    }
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    username: &'a str,
    error: Option<&'a str>,
}

async fn login_form<S: IdpStore>(State(st): State<AppState<S>>) -> Response {
    let Ok(token) = crate::http::random_token() else {
        return WebError::internal_error().into_response();
    };
    let mut r = page(
        LoginPage {
            csrf: &token,
            username: "",
            error: None,
        }
        .render(),
    );
    let c = format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/admin; HttpOnly; SameSite=Strict{}",
        cookie_attrs(&st)
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

async fn login<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let cookie = crate::http::cookie(&headers, LOGIN_CSRF_COOKIE);
    let csrf = f.csrf.unwrap_or_default();
    if cookie.as_deref() != Some(csrf.as_str())
        || csrf.is_empty()
        || !crate::http::same_origin_as(&st.config().base_url, &headers)
    {
        return WebError::forbidden(
            "Invalid form submission",
            "Reload the sign-in page and try again.",
        )
        .into_response();
    }
    let username = symbolon_idp::normalize_username(f.username.as_deref().unwrap_or(""));
    let password = f.password.unwrap_or_default();
    let again = |msg: &str, status: StatusCode| {
        page_status(
            status,
            LoginPage {
                csrf: &csrf,
                username: &username,
                error: Some(msg),
            }
            .render(),
        )
    };
    let locked = match st.locked_until(MASTER_REALM, &username).await {
        Ok(l) => l.is_some(),
        Err(e) => return WebError::from(e).into_response(),
    };
    if locked {
        return again(
            "Too many failed attempts. Try again in a few minutes.",
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let user =
        match symbolon_idp::check_password(st.store(), MASTER_REALM, &username, &password).await {
            Ok(u) => u,
            Err(_) => return WebError::internal_error().into_response(),
        };
    let Some(user) = user.filter(|_| !password.is_empty()) else {
        if let Err(e) = st.record_failure(MASTER_REALM, &username).await {
            return WebError::from(e).into_response();
        }
        crate::http::record_event(
            &st,
            MASTER_REALM,
            "LOGIN_ERROR",
            Some(&username),
            None,
            "admin console: invalid username or password".into(),
        )
        .await;
        return again("Invalid username or password.", StatusCode::UNAUTHORIZED);
    };
    if let Err(e) = st.clear_failures(MASTER_REALM, &username).await {
        return WebError::from(e).into_response();
    }
    let Ok(id) = crate::http::random_token() else {
        return WebError::internal_error().into_response();
    };
    let Ok(token) = crate::http::random_token() else {
        return WebError::internal_error().into_response();
    };
    if let Err(e) = st
        .put_admin_session(
            &id,
            AdminSession {
                username: user.username.clone(),
                csrf: token,
                expires: OffsetDateTime::now_utc() + time::Duration::hours(8),
            },
        )
        .await
    {
        return WebError::from(e).into_response();
    }
    crate::http::record_event(
        &st,
        MASTER_REALM,
        "LOGIN",
        Some(&user.username),
        None,
        "admin console".into(),
    )
    .await;
    let mut r = Redirect::to("/admin/console/").into_response();
    let c = format!(
        "{SESSION_COOKIE}={id}; Path=/admin; HttpOnly; SameSite=Strict{}",
        cookie_attrs(&st)
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

async fn logout<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let session = match admin(&st, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&session, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    if let Some(id) = crate::http::cookie(&headers, SESSION_COOKIE)
        && let Err(e) = st.drop_admin_session(&id).await
    {
        return WebError::from(e).into_response();
    }
    let mut r = Redirect::to("/admin/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Strict"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Template)]
#[template(path = "console/realms.html")]
struct RealmsPage<'a> {
    realm: Option<&'a str>,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    realms: Vec<(String, String)>,
    jobs: Vec<[String; 5]>,
}

async fn realms<S: IdpStore>(State(st): State<AppState<S>>, headers: HeaderMap) -> Response {
    let s = match admin(&st, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let realms = match st.store().realms().await {
        Ok(r) => r.into_iter().map(|r| (r.name, r.display_name)).collect(),
        Err(e) => return WebError::from(e).into_response(),
    };
    let mut jobs = Vec::new();
    for name in st.config().shown_jobs.iter().copied() {
        let row = match symbolon_web::jobs::job_status(st.store(), name).await {
            Ok(Some(j)) => [
                name.to_string(),
                symbolon_idp::utc_text(j.last_run),
                j.holder,
                j.runs.to_string(),
                format!("{}{}", if j.ok { "" } else { "FAILED: " }, j.outcome),
            ],
            Ok(None) => [
                name.to_string(),
                "never".into(),
                String::new(),
                "0".into(),
                "not run yet (it runs where that server role runs)".into(),
            ],
            Err(e) => return WebError::from(e).into_response(),
        };
        jobs.push(row);
    }
    page(
        RealmsPage {
            realm: None,
            csrf: &s.csrf,
            admin: &s.username,
            notice: None,
            realms,
            jobs,
        }
        .render(),
    )
}

async fn realm_or_404<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
) -> Result<symbolon_store::Realm, Response> {
    match st.store().realm(realm).await {
        Ok(Some(r)) => Ok(r),
        Ok(None) => {
            Err(WebError::not_found_page(format!("There is no realm {realm:?}.")).into_response())
        }
        Err(e) => Err(WebError::from(e).into_response()),
    }
}

/// The signed-in administrator, for a realm that exists.
async fn realm_admin<S: IdpStore>(
    st: &AppState<S>,
    headers: &HeaderMap,
    realm: &str,
) -> Result<AdminSession, Response> {
    let s = admin(st, headers).await?;
    realm_or_404(st, realm).await?;
    Ok(s)
}

struct ClientRow {
    id: String,
    client_id: String,
    name: String,
    url_name: String,
    access: String,
    enabled: bool,
}

#[derive(Template)]
#[template(path = "console/clients.html")]
struct ClientsPage<'a> {
    realm: Option<&'a str>,
    realm_name: &'a str,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    clients: Vec<ClientRow>,
}

#[derive(Deserialize)]
struct SortQuery {
    sort: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

async fn clients<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Query(q): Query<SortQuery>,
) -> Response {
    let s = match realm_admin(&st, &headers, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let list = match st.store().clients(&realm).await {
        Ok(l) => l,
        Err(e) => return WebError::from(e).into_response(),
    };
    let mut rows: Vec<ClientRow> = list
        .into_iter()
        .map(|c| ClientRow {
            access: if c.restricted {
                "assigned users and groups".into()
            } else {
                "everyone".into()
            },
            id: c.id,
            client_id: c.client_id,
            name: c.name.unwrap_or_default(),
            url_name: c.idp_initiated_url_name.unwrap_or_default(),
            enabled: c.enabled,
        })
        .collect();
    match q.sort.as_deref() {
        Some("name") => rows.sort_by(|a, b| a.name.cmp(&b.name)),
        Some("url") => rows.sort_by(|a, b| a.url_name.cmp(&b.url_name)),
        _ => rows.sort_by(|a, b| a.client_id.cmp(&b.client_id)),
    }
    page(
        ClientsPage {
            realm: Some(&realm),
            realm_name: &realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice: None,
            clients: rows,
        }
        .render(),
    )
}

#[derive(Template)]
#[template(path = "console/import.html")]
struct ImportPage<'a> {
    realm: Option<&'a str>,
    realm_name: &'a str,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    pasted: &'a str,
    error: Option<String>,
}

async fn import_form<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
) -> Response {
    let s = match realm_admin(&st, &headers, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    page(
        ImportPage {
            realm: Some(&realm),
            realm_name: &realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice: None,
            pasted: "",
            error: None,
        }
        .render(),
    )
}

async fn import<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
    mut mp: Multipart,
) -> Response {
    let s = match realm_admin(&st, &headers, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (mut csrf, mut file, mut pasted) = (None, Vec::new(), String::new());
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        let Ok(bytes) = field.bytes().await else {
            break;
        };
        match name.as_str() {
            "csrf" => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "file" => file = bytes.to_vec(),
            "metadata" => pasted = String::from_utf8_lossy(&bytes).into_owned(),
            _ => {}
        }
    }
    if let Err(r) = check_csrf(&s, csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    let metadata = if !file.is_empty() {
        file
    } else {
        pasted.clone().into_bytes()
    };
    let fail = |msg: String| {
        page(
            ImportPage {
                realm: Some(&realm),
                realm_name: &realm,
                csrf: &s.csrf,
                admin: &s.username,
                notice: None,
                pasted: &pasted,
                error: Some(msg),
            }
            .render(),
        )
    };
    if metadata.iter().all(u8::is_ascii_whitespace) {
        return fail("Choose a metadata file or paste the metadata XML.".into());
    }
    let actor = Actor(s.username.clone());
    match symbolon_idp::import_client(
        st.store(),
        &actor,
        &realm,
        &metadata,
        None,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok((c, findings)) => {
            let findings = findings
                .iter()
                .map(|f| {
                    (
                        format!("{:?}", f.severity).to_lowercase(),
                        f.message.clone(),
                    )
                })
                .collect();
            render_client(
                &st,
                &s,
                &realm,
                &c,
                ClientForm::from(&c),
                Errors::default(),
                findings,
                Some(format!(
                    "Imported client {}. Review its settings and save.",
                    c.client_id
                )),
            )
            .await
        }
        Err(e) => fail(match e {
            IdpError::Invalid(m) => m,
            IdpError::Metadata(m) => format!("This is not usable SAML metadata: {m}"),
            other => other.to_string(),
        }),
    }
}

/// The client form's values, as typed (kept when something is wrong).
#[derive(Debug, Default, Clone)]
struct ClientForm {
    name: String,
    description: String,
    home_url: String,
    url_name: String,
    relay_state: String,
    lifespan: String,
    name_id_format: String,
    sig_alg: String,
    /// The add-mapper and assign forms.
    m_attribute: String,
    m_kind: String,
    m_param: String,
    m_format: String,
    who: String,
}

impl From<&Client> for ClientForm {
    fn from(c: &Client) -> Self {
        ClientForm {
            name: c.name.clone().unwrap_or_default(),
            description: c.description.clone().unwrap_or_default(),
            home_url: c.home_url.clone().unwrap_or_default(),
            url_name: c.idp_initiated_url_name.clone().unwrap_or_default(),
            relay_state: c.idp_initiated_relay_state.clone().unwrap_or_default(),
            lifespan: c
                .assertion_lifespan_secs
                .map(|l| l.to_string())
                .unwrap_or_default(),
            name_id_format: name_id_keyword(&c.name_id_format).into(),
            sig_alg: c.signature_algorithm.clone(),
            ..ClientForm::default()
        }
    }
}

#[derive(Debug, Default)]
struct Errors {
    home_url: Option<String>,
    url_name: Option<String>,
    lifespan: Option<String>,
    sig_alg: Option<String>,
    mapper: Option<String>,
    who: Option<String>,
}

impl Errors {
    fn any(&self) -> bool {
        self.home_url.is_some()
            || self.url_name.is_some()
            || self.lifespan.is_some()
            || self.sig_alg.is_some()
            || self.mapper.is_some()
            || self.who.is_some()
    }
}

/// Signature algorithms a client may ask for (never SHA-1).
const SIGNATURE_ALGORITHMS: [&str; 6] = [
    "rsa-sha256",
    "rsa-sha384",
    "rsa-sha512",
    "ecdsa-sha256",
    "ecdsa-sha384",
    "ecdsa-sha512",
];

/// Mapper types as the console offers them: (kind, label).
const MAPPER_KINDS: [(&str, &str); 6] = [
    ("user-attribute", "User attribute"),
    (
        "user-property",
        "User property (username, email, firstName, lastName)",
    ),
    ("group-list", "Group list (last path segment)"),
    ("group-list-full", "Group list (full path)"),
    ("role-list", "Role list"),
    ("hardcoded", "Hardcoded value"),
];

struct MapperRow {
    name: String,
    attribute: String,
    kind: &'static str,
    param: String,
    format: String,
}

fn name_id_keyword(f: &str) -> &'static str {
    match f {
        NAMEID_EMAIL => "email",
        NAMEID_PERSISTENT => "persistent",
        NAMEID_TRANSIENT => "transient",
        _ => "username",
    }
}

#[derive(Template)]
#[template(path = "console/client.html")]
struct ClientPage<'a> {
    realm: Option<&'a str>,
    realm_name: &'a str,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    c: &'a Client,
    findings: Vec<(String, String)>,
    f_name: &'a str,
    f_description: &'a str,
    f_home_url: &'a str,
    f_url_name: &'a str,
    f_relay_state: &'a str,
    f_lifespan: &'a str,
    err_home_url: Option<String>,
    err_url_name: Option<String>,
    err_lifespan: Option<String>,
    formats: Vec<(&'static str, bool)>,
    sso_base: String,
    access: Vec<String>,
    algs: Vec<(&'static str, bool)>,
    err_sig_alg: Option<String>,
    assigned: Vec<(String, String)>,
    /// (value, label, selected)
    candidates: Vec<(String, String, bool)>,
    err_who: Option<String>,
    mappers: Vec<MapperRow>,
    kinds: Vec<(&'static str, &'static str, bool)>,
    name_formats: Vec<(&'static str, bool)>,
    f_m_attribute: &'a str,
    f_m_param: &'a str,
    err_mapper: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn render_client<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    c: &Client,
    f: ClientForm,
    e: Errors,
    findings: Vec<(String, String)>,
    notice: Option<String>,
) -> Response {
    let access = symbolon_idp::client_access_summary(st.store(), c)
        .await
        .unwrap_or_default();
    let formats = ["email", "persistent", "transient", "username"]
        .into_iter()
        .map(|k| (k, k == f.name_id_format))
        .collect();
    let algs = SIGNATURE_ALGORITHMS
        .into_iter()
        .map(|a| (a, a == f.sig_alg))
        .collect();
    let (assigned, candidates) = access::assignment_choices(st, c).await;
    let mappers = c
        .mappers
        .iter()
        .map(|m| {
            let (kind, param) = symbolon_idp::roles::mapper_kind(&m.source);
            MapperRow {
                name: m.name.clone(),
                attribute: m.saml_attribute.clone(),
                kind,
                param,
                format: m
                    .name_format
                    .as_deref()
                    .and_then(|u| u.rsplit(':').next())
                    .unwrap_or("")
                    .to_string(),
            }
        })
        .collect();
    let status = form_status(e.any());
    let body = ClientPage {
        realm: Some(realm),
        realm_name: realm,
        csrf: &s.csrf,
        admin: &s.username,
        notice,
        c,
        findings,
        f_name: &f.name,
        f_description: &f.description,
        f_home_url: &f.home_url,
        f_url_name: &f.url_name,
        f_relay_state: &f.relay_state,
        f_lifespan: &f.lifespan,
        err_home_url: e.home_url,
        err_url_name: e.url_name,
        err_lifespan: e.lifespan,
        err_sig_alg: e.sig_alg,
        err_who: e.who,
        err_mapper: e.mapper,
        algs,
        assigned,
        candidates: candidates
            .into_iter()
            .map(|(v, l)| {
                let sel = v == f.who;
                (v, l, sel)
            })
            .collect(),
        mappers,
        kinds: MAPPER_KINDS
            .into_iter()
            .map(|(k, l)| (k, l, k == f.m_kind))
            .collect(),
        name_formats: ["", "basic", "uri", "unspecified"]
            .into_iter()
            .map(|n| (n, n == f.m_format))
            .collect(),
        f_m_attribute: &f.m_attribute,
        f_m_param: &f.m_param,
        formats,
        sso_base: format!(
            "{}/realms/{realm}/protocol/saml/clients",
            st.config().base_url
        ),
        access,
    }
    .render();
    page_status(status, body)
}

async fn find_client<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
    id: &str,
) -> Result<Client, Response> {
    match st.store().clients(realm).await {
        Ok(list) => list.into_iter().find(|c| c.id == id).ok_or_else(|| {
            WebError::not_found_page("There is no such client.".into()).into_response()
        }),
        Err(e) => Err(WebError::from(e).into_response()),
    }
}

async fn client_page<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
) -> Response {
    let s = match admin(&st, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let c = match find_client(&st, &realm, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    render_client(
        &st,
        &s,
        &realm,
        &c,
        ClientForm::from(&c),
        Errors::default(),
        vec![],
        None,
    )
    .await
}

#[derive(Deserialize)]
struct SaveForm {
    csrf: Option<String>,
    name: Option<String>,
    description: Option<String>,
    enabled: Option<String>,
    home_url: Option<String>,
    url_name: Option<String>,
    relay_state: Option<String>,
    name_id_format: Option<String>,
    sign_documents: Option<String>,
    sign_assertions: Option<String>,
    client_signature_required: Option<String>,
    lifespan: Option<String>,
    sig_alg: Option<String>,
}

async fn save_client<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
    Form(f): Form<SaveForm>,
) -> Response {
    let s = match admin(&st, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&s, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    let mut c = match find_client(&st, &realm, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let t = |o: &Option<String>| o.as_deref().unwrap_or("").trim().to_string();
    let form = ClientForm {
        name: t(&f.name),
        description: t(&f.description),
        home_url: t(&f.home_url),
        url_name: t(&f.url_name),
        relay_state: t(&f.relay_state),
        lifespan: t(&f.lifespan),
        name_id_format: t(&f.name_id_format),
        sig_alg: t(&f.sig_alg),
        ..ClientForm::default()
    };
    let mut e = Errors::default();
    let home_ok = form.home_url.is_empty()
        || form.home_url.starts_with("https://")
        || form.home_url.starts_with("http://");
    if !home_ok {
        e.home_url =
            Some("The Home URL must start with https:// (or http:// for local testing).".into());
    }
    if !form.url_name.is_empty() && symbolon_idp::valid_name_pub(&form.url_name).is_err() {
        e.url_name = Some("Use letters, digits, '-', '_' or '.' (1-64 characters).".into());
    }
    let lifespan = if form.lifespan.is_empty() {
        None
    } else {
        match form.lifespan.parse::<i64>() {
            Ok(v) if (10..=86_400).contains(&v) => Some(v),
            _ => {
                e.lifespan = Some(
                    "Enter a number of seconds between 10 and 86400, or leave it empty.".into(),
                );
                None
            }
        }
    };
    let sig_alg = if form.sig_alg.is_empty() {
        c.signature_algorithm.clone()
    } else if SIGNATURE_ALGORITHMS.contains(&form.sig_alg.as_str()) {
        form.sig_alg.clone()
    } else {
        e.sig_alg = Some("Choose one of the listed algorithms.".into());
        c.signature_algorithm.clone()
    };
    if !e.any() {
        c.signature_algorithm = sig_alg;
        c.name = Some(form.name.clone()).filter(|v| !v.is_empty());
        c.description = Some(form.description.clone()).filter(|v| !v.is_empty());
        c.enabled = f.enabled.is_some();
        c.home_url = Some(form.home_url.clone()).filter(|v| !v.is_empty());
        c.idp_initiated_url_name = Some(form.url_name.clone()).filter(|v| !v.is_empty());
        c.idp_initiated_relay_state = Some(form.relay_state.clone()).filter(|v| !v.is_empty());
        c.name_id_format = match form.name_id_format.as_str() {
            "email" => NAMEID_EMAIL,
            "persistent" => NAMEID_PERSISTENT,
            "transient" => NAMEID_TRANSIENT,
            _ => NAMEID_UNSPECIFIED,
        }
        .into();
        c.sign_documents = f.sign_documents.is_some();
        c.sign_assertions = f.sign_assertions.is_some();
        c.client_signature_required = f.client_signature_required.is_some();
        c.assertion_lifespan_secs = lifespan;
        match symbolon_idp::update_client(
            st.store(),
            &Actor(s.username.clone()),
            &c,
            "settings (console)",
            OffsetDateTime::now_utc(),
        )
        .await
        {
            Ok(()) => {
                return render_client(
                    &st,
                    &s,
                    &realm,
                    &c,
                    ClientForm::from(&c),
                    Errors::default(),
                    vec![],
                    Some("Saved.".into()),
                )
                .await;
            }
            Err(IdpError::Invalid(m)) if m.contains("URL name") => e.url_name = Some(m),
            Err(other) => return WebError::from(other).into_response(),
        }
    }
    render_client(&st, &s, &realm, &c, form, e, vec![], None).await
}

#[derive(Template)]
#[template(path = "console/settings.html")]
struct SettingsPage<'a> {
    realm: Option<&'a str>,
    realm_name: &'a str,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    display_name: &'a str,
    entity_id: String,
    endpoint: String,
    descriptor: String,
    /// (value, label, current)
    policies: Vec<(&'static str, &'static str, bool)>,
}

async fn settings<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
) -> Response {
    let s = match admin(&st, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let r = match realm_or_404(&st, &realm).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    settings_page(&st, &s, &r, None).await
}

async fn settings_page<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    r: &symbolon_store::Realm,
    notice: Option<String>,
) -> Response {
    let realm = &r.name;
    let policy = match symbolon_idp::auth_policy(st.store(), realm).await {
        Ok(p) => p,
        Err(e) => return WebError::from(e).into_response(),
    };
    let base = &st.config().base_url;
    page(
        SettingsPage {
            realm: Some(realm),
            realm_name: realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice,
            display_name: &r.display_name,
            entity_id: symbolon_idp::entity_id(base, realm),
            endpoint: symbolon_idp::saml_endpoint(base, realm),
            descriptor: format!("{}/descriptor", symbolon_idp::saml_endpoint(base, realm)),
            policies: symbolon_idp::AuthPolicy::ALL
                .into_iter()
                .map(|p| (p.as_str(), p.label(), p == policy))
                .collect(),
        }
        .render(),
    )
}

#[derive(Deserialize)]
struct PolicyForm {
    csrf: Option<String>,
    policy: Option<String>,
}

async fn set_policy<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(f): Form<PolicyForm>,
) -> Response {
    let s = match admin(&st, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&s, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    let r = match realm_or_404(&st, &realm).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let Some(policy) = f
        .policy
        .as_deref()
        .and_then(symbolon_idp::AuthPolicy::parse)
    else {
        return WebError::bad_request("Choose a sign-in policy.").into_response();
    };
    let actor = symbolon_idp::Actor(s.username.clone());
    if let Err(e) = symbolon_idp::set_auth_policy(
        st.store(),
        &actor,
        &realm,
        policy,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        return WebError::from(e).into_response();
    }
    settings_page(
        &st,
        &s,
        &r,
        Some(format!("Sign-in policy: {}.", policy.label())),
    )
    .await
}

#[derive(Template)]
#[template(path = "console/list.html")]
struct ListPage<'a> {
    realm: Option<&'a str>,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    heading: &'a str,
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    filters: Vec<(&'static str, bool)>,
    keep: String,
}

fn sorted(mut rows: Vec<Vec<String>>, sort: Option<&str>) -> Vec<Vec<String>> {
    if let Some(i) = sort.and_then(|s| s.parse::<usize>().ok()) {
        rows.sort_by(|a, b| a.get(i).cmp(&b.get(i)));
    }
    rows
}

#[allow(clippy::too_many_arguments)]
fn list_page(
    realm: &str,
    s: &AdminSession,
    heading: &str,
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    filters: Vec<(&'static str, bool)>,
    keep: String,
) -> Response {
    page(
        ListPage {
            realm: Some(realm),
            csrf: &s.csrf,
            admin: &s.username,
            notice: None,
            heading,
            headers,
            rows,
            filters,
            keep,
        }
        .render(),
    )
}

async fn events<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Query(q): Query<SortQuery>,
) -> Response {
    let s = match realm_admin(&st, &headers, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    const KINDS: [&str; 5] = [
        "LOGIN",
        "LOGIN_ERROR",
        "SAML_RESPONSE",
        "AUTHN_REQUEST_ERROR",
        "ADMIN",
    ];
    let kind = q.kind.as_deref().filter(|k| KINDS.contains(k));
    let evs = match st.store().events(&realm, kind, 500).await {
        Ok(e) => e,
        Err(e) => return WebError::from(e).into_response(),
    };
    let rows = evs
        .iter()
        .map(|e| {
            vec![
                symbolon_saml::time::format_instant(e.at),
                e.kind.clone(),
                e.actor.clone().unwrap_or_default(),
                e.client_id.clone().unwrap_or_default(),
                e.detail.clone(),
            ]
        })
        .collect();
    let rows = if q.sort.is_some() {
        sorted(rows, q.sort.as_deref())
    } else {
        rows
    };
    let keep = kind.map(|k| format!("&type={k}")).unwrap_or_default();
    let filters = KINDS.iter().map(|k| (*k, Some(*k) == kind)).collect();
    list_page(
        &realm,
        &s,
        "Events",
        vec!["Time", "Type", "Who", "Client", "Details"],
        rows,
        filters,
        keep,
    )
}

#[derive(Template)]
#[template(path = "console/users.html")]
struct UsersPage<'a> {
    realm: Option<&'a str>,
    realm_name: &'a str,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    users: Vec<(String, String, String, String, String)>,
    f_username: &'a str,
    f_email: &'a str,
    f_first: &'a str,
    f_last: &'a str,
    err_username: Option<String>,
    err_password: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct AddUserForm {
    csrf: Option<String>,
    username: Option<String>,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    password: Option<String>,
}

async fn user_rows<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
    sort: Option<&str>,
) -> Result<Vec<(String, String, String, String, String)>, Response> {
    let users = st
        .store()
        .users(realm)
        .await
        .map_err(|e| WebError::from(e).into_response())?;
    let mut rows = Vec::new();
    for u in &users {
        let groups = symbolon_idp::user_group_paths(st.store(), u)
            .await
            .unwrap_or_default()
            .join(", ");
        let name = [u.first_name.as_deref(), u.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        rows.push((
            u.username.clone(),
            u.email.clone().unwrap_or_default(),
            name,
            groups,
            if u.enabled {
                "yes".to_string()
            } else {
                "no".to_string()
            },
        ));
    }
    match sort {
        Some("1") => rows.sort_by(|a, b| a.1.cmp(&b.1)),
        Some("2") => rows.sort_by(|a, b| a.2.cmp(&b.2)),
        Some("3") => rows.sort_by(|a, b| a.3.cmp(&b.3)),
        Some("4") => rows.sort_by(|a, b| a.4.cmp(&b.4)),
        _ => rows.sort_by(|a, b| a.0.cmp(&b.0)),
    }
    Ok(rows)
}

#[allow(clippy::too_many_arguments)]
async fn render_users<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    sort: Option<&str>,
    f: &AddUserForm,
    err_username: Option<String>,
    err_password: Option<String>,
    notice: Option<String>,
) -> Response {
    let rows = match user_rows(st, realm, sort).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let bad = err_username.is_some() || err_password.is_some();
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let (username, email, first, last) = if bad {
        (
            o(&f.username),
            o(&f.email),
            o(&f.first_name),
            o(&f.last_name),
        )
    } else {
        Default::default()
    };
    page_status(
        form_status(bad),
        UsersPage {
            realm: Some(realm),
            realm_name: realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice,
            users: rows,
            f_username: &username,
            f_email: &email,
            f_first: &first,
            f_last: &last,
            err_username,
            err_password,
        }
        .render(),
    )
}

async fn users<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Query(q): Query<SortQuery>,
) -> Response {
    let s = match realm_admin(&st, &headers, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    render_users(
        &st,
        &s,
        &realm,
        q.sort.as_deref(),
        &AddUserForm::default(),
        None,
        None,
        None,
    )
    .await
}

async fn add_user<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(f): Form<AddUserForm>,
) -> Response {
    let s = match realm_admin(&st, &headers, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&s, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    let username = f.username.clone().unwrap_or_default();
    if username.trim().is_empty() {
        return render_users(
            &st,
            &s,
            &realm,
            None,
            &f,
            Some("Enter a username.".into()),
            None,
            None,
        )
        .await;
    }
    let password = f.password.clone().filter(|p| !p.is_empty());
    if password.as_ref().is_some_and(|p| p.chars().count() < 8) {
        return render_users(
            &st,
            &s,
            &realm,
            None,
            &f,
            None,
            Some("The password must have at least 8 characters.".into()),
            None,
        )
        .await;
    }
    let new = symbolon_idp::NewUser {
        username: username.clone(),
        email: f.email.clone(),
        first_name: f.first_name.clone().filter(|v| !v.is_empty()),
        last_name: f.last_name.clone().filter(|v| !v.is_empty()),
        attributes: vec![],
    };
    match symbolon_idp::add_user(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        new,
        password.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(u) => {
            render_users(
                &st,
                &s,
                &realm,
                None,
                &AddUserForm::default(),
                None,
                None,
                Some(format!("Added user {}.", u.username)),
            )
            .await
        }
        Err(IdpError::Invalid(m)) => {
            render_users(&st, &s, &realm, None, &f, Some(m), None, None).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "console/user.html")]
struct UserPage<'a> {
    realm: Option<&'a str>,
    realm_name: &'a str,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    u: &'a symbolon_store::User,
    err_password: Option<String>,
    member_of: Vec<String>,
    groups: Vec<String>,
    roles: Vec<String>,
    methods: symbolon_idp::UserMethods,
    /// (name, added, last used, counter, synced, ID, flagged since) per passkey.
    passkey_rows: Vec<PasskeyRowView>,
    /// The realm's policy offers passkeys.
    passkey_realm: bool,
}

/// (name, added, last used, counter, synced, ID, flagged since) of one passkey.
type PasskeyRowView = (
    String,
    String,
    String,
    u32,
    &'static str,
    String,
    Option<String>,
);

async fn render_user<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    username: &str,
    err_password: Option<String>,
    notice: Option<String>,
) -> Response {
    let u = match st.store().user_by_username(realm, username).await {
        Ok(Some(u)) => u,
        Ok(None) => {
            return WebError::not_found_page(format!("There is no user {username:?}."))
                .into_response();
        }
        Err(e) => return WebError::from(e).into_response(),
    };
    let member_of = symbolon_idp::user_group_paths(st.store(), &u)
        .await
        .unwrap_or_default();
    let groups = st
        .store()
        .groups(realm)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|g| g.path)
        .filter(|p| !member_of.contains(p))
        .collect();
    let roles = symbolon_idp::roles::user_roles(st.store(), &u)
        .await
        .unwrap_or_default();
    let methods = match symbolon_idp::user_methods(st.store(), &u).await {
        Ok(m) => m,
        Err(e) => return WebError::from(e).into_response(),
    };
    let passkey_realm = match symbolon_idp::auth_policy(st.store(), realm).await {
        Ok(p) => p.passkeys(),
        Err(e) => return WebError::from(e).into_response(),
    };
    let bad = err_password.is_some();
    page_status(
        form_status(bad),
        UserPage {
            roles,
            realm: Some(realm),
            realm_name: realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice,
            u: &u,
            err_password,
            member_of,
            groups,
            passkey_rows: methods
                .passkeys
                .iter()
                .map(|p| {
                    (
                        p.name.clone(),
                        symbolon_idp::utc_text(p.created_at),
                        p.last_used
                            .map(symbolon_idp::utc_text)
                            .unwrap_or_else(|| "never".into()),
                        p.sign_count,
                        if p.backup_state {
                            "yes"
                        } else if p.backup_eligible {
                            "can be"
                        } else {
                            "no (device-bound)"
                        },
                        p.id.clone(),
                        p.flagged_at.map(symbolon_idp::utc_text),
                    )
                })
                .collect(),
            methods,
            passkey_realm,
        }
        .render(),
    )
}

async fn user_page<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path((realm, username)): Path<(String, String)>,
) -> Response {
    let s = match realm_admin(&st, &headers, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    render_user(&st, &s, &realm, &username, None, None).await
}

#[derive(Deserialize)]
struct UserActionForm {
    csrf: Option<String>,
    action: Option<String>,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    enabled: Option<String>,
    password: Option<String>,
    group: Option<String>,
    on: Option<String>,
    confirm: Option<String>,
    passkey: Option<String>,
}

async fn user_action<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path((realm, username)): Path<(String, String)>,
    Form(f): Form<UserActionForm>,
) -> Response {
    let s = match realm_admin(&st, &headers, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&s, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    let actor = Actor(s.username.clone());
    let now = OffsetDateTime::now_utc();
    let result = match f.action.as_deref() {
        Some("profile") => {
            let mut u = match st.store().user_by_username(&realm, &username).await {
                Ok(Some(u)) => u,
                Ok(None) => {
                    return WebError::not_found_page(format!("There is no user {username:?}."))
                        .into_response();
                }
                Err(e) => return WebError::from(e).into_response(),
            };
            u.email = f.email.filter(|v| !v.trim().is_empty());
            u.first_name = f.first_name.filter(|v| !v.is_empty());
            u.last_name = f.last_name.filter(|v| !v.is_empty());
            u.enabled = f.enabled.is_some();
            symbolon_idp::update_user(st.store(), &actor, &u, now)
                .await
                .map(|()| "Saved.".to_string())
        }
        Some("password") => {
            let pw = f.password.unwrap_or_default();
            if pw.chars().count() < 8 {
                return render_user(
                    &st,
                    &s,
                    &realm,
                    &username,
                    Some("The password must have at least 8 characters.".into()),
                    None,
                )
                .await;
            }
            symbolon_idp::set_password(st.store(), &actor, &realm, &username, &pw, now)
                .await
                .map(|()| "Password set.".to_string())
        }
        Some("clear-passkey-flag") => symbolon_idp::clear_passkey_flag(
            st.store(),
            &actor,
            &realm,
            &username,
            f.passkey.as_deref().unwrap_or_default(),
            now,
        )
        .await
        .map(|()| "The passkey's flag is cleared: it signs in again.".to_string()),
        Some("require-passkey") => {
            let on = f.on.as_deref() == Some("yes");
            symbolon_idp::require_passkey(st.store(), &actor, &realm, &username, on, now)
                .await
                .map(|()| {
                    if on {
                        "The user must register a passkey at the next sign-in.".to_string()
                    } else {
                        "Passkey registration is no longer required.".to_string()
                    }
                })
        }
        Some("registration-link") => symbolon_idp::create_registration_link(
            st.store(),
            &actor,
            &st.config().base_url,
            &realm,
            &username,
            now,
        )
        .await
        .map(|l| {
            format!(
                "Send {username} this link over a trusted channel. It registers a passkey without a password, works once, and expires at {} UTC: {}",
                symbolon_idp::utc_text(l.expires),
                l.url
            )
        }),
        Some("reset-credentials") if f.confirm.as_deref() != Some("yes") => {
            return page(
                ConfirmPage {
                    realm: Some(&realm),
                    csrf: &s.csrf,
                    admin: &s.username,
                    notice: None,
                    question: format!("Reset the sign-in methods of {username}?"),
                    consequence: "Their authenticator app, recovery codes and every passkey are removed, and all their sessions are signed out. Their password stays. In a passkey-only realm they then register a new passkey at the next sign-in with their password.".into(),
                    verb: "Reset sign-in methods",
                    action: format!("/admin/console/{realm}/users/{username}"),
                    cancel: format!("/admin/console/{realm}/users/{username}"),
                    hidden: vec![("action", "reset-credentials".into())],
                }
                .render(),
            );
        }
        Some("reset-credentials") => {
            symbolon_idp::reset_credentials(st.store(), &actor, &realm, &username, now)
                .await
                .map(|r| {
                    format!(
                        "Sign-in methods reset: the second factor and {} passkey(s) removed, {} session(s) signed out.",
                        r.passkeys_removed, r.sessions_signed_out
                    )
                })
        }
        Some("join") => {
            let g = f.group.unwrap_or_default();
            symbolon_idp::join_group(st.store(), &actor, &realm, &username, &g, now)
                .await
                .map(|()| format!("Added to {g}."))
        }
        _ => return WebError::bad_request_page("Unknown action.").into_response(),
    };
    match result {
        Ok(msg) => render_user(&st, &s, &realm, &username, None, Some(msg)).await,
        Err(IdpError::Invalid(m)) => render_user(&st, &s, &realm, &username, None, Some(m)).await,
        Err(e) => WebError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "console/groups.html")]
struct GroupsPage<'a> {
    realm: Option<&'a str>,
    realm_name: &'a str,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    groups: Vec<String>,
    f_path: &'a str,
    err_path: Option<String>,
}

async fn render_groups<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    f_path: &str,
    err_path: Option<String>,
    notice: Option<String>,
) -> Response {
    let groups = st
        .store()
        .groups(realm)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|g| g.path)
        .collect();
    let bad = err_path.is_some();
    page_status(
        form_status(bad),
        GroupsPage {
            realm: Some(realm),
            realm_name: realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice,
            groups,
            f_path,
            err_path,
        }
        .render(),
    )
}

async fn groups<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
) -> Response {
    let s = match realm_admin(&st, &headers, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    render_groups(&st, &s, &realm, "", None, None).await
}

#[derive(Deserialize)]
struct GroupForm {
    csrf: Option<String>,
    path: Option<String>,
}

async fn add_group<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(f): Form<GroupForm>,
) -> Response {
    let s = match realm_admin(&st, &headers, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&s, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    let path = f.path.unwrap_or_default();
    match symbolon_idp::add_group(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        &path,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(g) => {
            render_groups(
                &st,
                &s,
                &realm,
                "",
                None,
                Some(format!("Group {} exists.", g.path)),
            )
            .await
        }
        Err(IdpError::Invalid(m)) => render_groups(&st, &s, &realm, &path, Some(m), None).await,
        Err(e) => WebError::from(e).into_response(),
    }
}

struct KeyRow {
    kid: String,
    status: &'static str,
    algorithm: String,
    valid_until: String,
}

#[derive(Template)]
#[template(path = "console/keys.html")]
struct KeysPage<'a> {
    realm: Option<&'a str>,
    realm_name: &'a str,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    keys: Vec<KeyRow>,
}

async fn render_keys<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    notice: Option<String>,
) -> Response {
    let keys = match st.store().keys(realm).await {
        Ok(k) => k,
        Err(e) => return WebError::from(e).into_response(),
    };
    let rows = keys
        .iter()
        .map(|k| KeyRow {
            kid: k.kid.clone(),
            status: k.status.as_str(),
            algorithm: k.algorithm.clone(),
            valid_until: symbolon_dsig::describe_certificate(&k.certificate_der)
                .ok()
                .and_then(|c| OffsetDateTime::from_unix_timestamp(c.not_after).ok())
                .map(symbolon_saml::time::format_instant)
                .unwrap_or_default(),
        })
        .collect();
    page(
        KeysPage {
            realm: Some(realm),
            realm_name: realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice,
            keys: rows,
        }
        .render(),
    )
}

async fn keys<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
) -> Response {
    let s = match realm_admin(&st, &headers, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    render_keys(&st, &s, &realm, None).await
}

#[derive(Deserialize)]
struct KeyForm {
    csrf: Option<String>,
    alg: Option<String>,
    confirm: Option<String>,
}

/// The admin behind a POST on a realm page, with its CSRF token checked.
async fn realm_admin_post<S: IdpStore>(
    st: &AppState<S>,
    headers: &HeaderMap,
    realm: &str,
    csrf: Option<&str>,
) -> Result<AdminSession, Response> {
    let s = realm_admin(st, headers, realm).await?;
    check_csrf(&s, csrf, headers, &st.config().base_url)?;
    Ok(s)
}

async fn add_next_key<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(f): Form<KeyForm>,
) -> Response {
    let s = match realm_admin_post(&st, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let alg = f
        .alg
        .as_deref()
        .and_then(symbolon_idp::KeyAlgorithm::parse)
        .unwrap_or(symbolon_idp::KeyAlgorithm::Rsa2048);
    match symbolon_idp::add_next_key(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        alg,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(kid) => {
            render_keys(
                &st,
                &s,
                &realm,
                Some(format!(
                    "Added next key {kid}: published in the metadata, not signing yet."
                )),
            )
            .await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

async fn promote_key<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path((realm, kid)): Path<(String, String)>,
    Form(f): Form<KeyForm>,
) -> Response {
    let s = match realm_admin_post(&st, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match symbolon_idp::promote_key(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        &kid,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(()) => {
            render_keys(
                &st,
                &s,
                &realm,
                Some(format!(
                    "Key {kid} now signs; the previous key stays published as passive."
                )),
            )
            .await
        }
        Err(IdpError::Store(symbolon_store::StoreError::Conflict(m))) => {
            render_keys(&st, &s, &realm, Some(m)).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "console/confirm.html")]
struct ConfirmPage<'a> {
    realm: Option<&'a str>,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    question: String,
    consequence: String,
    verb: &'a str,
    action: String,
    cancel: String,
    /// Form fields carried through to the confirmed request.
    hidden: Vec<(&'static str, String)>,
}

async fn confirm_retire<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path((realm, kid)): Path<(String, String)>,
) -> Response {
    let s = match realm_admin(&st, &headers, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    page(
        ConfirmPage {
            realm: Some(&realm),
            csrf: &s.csrf,
            admin: &s.username,
            notice: None,
            question: format!("Retire key {kid}?"),
            consequence: "It will no longer be published in the realm's metadata. Service providers that still trust only this key will reject responses from this realm. This cannot be undone.".into(),
            verb: "Retire key",
            action: format!("/admin/console/{realm}/keys/{kid}/retire"),
            cancel: format!("/admin/console/{realm}/keys"),
            hidden: vec![],
        }
        .render(),
    )
}

async fn retire_key<S: IdpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path((realm, kid)): Path<(String, String)>,
    Form(f): Form<KeyForm>,
) -> Response {
    let s = match realm_admin_post(&st, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if f.confirm.as_deref() != Some("yes") {
        return Redirect::to(&format!("/admin/console/{realm}/keys/{kid}/retire")).into_response();
    }
    match symbolon_idp::retire_key(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        &kid,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(()) => render_keys(&st, &s, &realm, Some(format!("Key {kid} retired."))).await,
        Err(IdpError::Invalid(m)) => render_keys(&st, &s, &realm, Some(m)).await,
        Err(e) => WebError::from(e).into_response(),
    }
}
