//! The account administrators' console (Administration > Identity Provider, roles, SAML
//! accounts, Users > SAML, audit log), for the signed-in pair when it may administer its account
//! (a master administrator signed in natively, or the Full Access role). Every form carries the
//! session's CSRF token; every change goes through the domain and lands in the audit log.

#![allow(clippy::result_large_err)]

use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

use crate::http::{AppState, Session, html, message, session_of};
use symbolon_sp::{Actor, MappingProfile, Pair, SpError};

pub(crate) fn routes<S: SpStore>() -> Router<AppState<S>> {
    Router::new()
        .route("/resources/console.css", get(css))
        .route("/account/idps", get(idps::<S>).post(add_idp::<S>))
        .route("/account/idps/{id}", get(idp::<S>).post(idp_action::<S>))
        .route("/account/roles", get(roles::<S>).post(add_role::<S>))
        .route("/account/roles/delete", post(delete_role::<S>))
        .route(
            "/account/saml-accounts",
            get(saml_accounts::<S>).post(add_saml_account::<S>),
        )
        .route("/account/saml-users", get(saml_users::<S>))
        .route("/account/audit", get(audit::<S>))
        .route("/account/failed-sign-ins", get(failed::<S>))
        .route("/account/audit.jsonl", get(audit_export::<S>))
}

async fn css() -> Response {
    let mut r = symbolon_web::page::CONSOLE_STYLESHEET.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r
}

/// The administrator: the session's current pair, when it may administer its account.
struct Admin {
    session: Session,
    pair: Pair,
    actor: Actor,
}

async fn admin<S: SpStore>(st: &AppState<S>, headers: &HeaderMap) -> Result<Admin, Response> {
    let Some((_, s)) = session_of(st, headers).await? else {
        return Err(message(
            StatusCode::UNAUTHORIZED,
            "Not signed in",
            "Sign in first.",
            vec![],
        ));
    };
    let Some(p) = s.current.and_then(|i| s.sign_in.pairs.get(i)).cloned() else {
        return Err(message(
            StatusCode::FORBIDDEN,
            "Choose an account",
            "Choose an account and role first.",
            vec![],
        ));
    };
    if !p.may_administer() {
        return Err(message(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "Your role does not allow administering this account.",
            vec![],
        ));
    }
    let actor = if p.user_id.is_empty() {
        let id = st
            .store
            .saml_users(&p.account_id)
            .await
            .ok()
            .and_then(|users| {
                users
                    .into_iter()
                    .find(|u| u.name_id == s.sign_in.name_id)
                    .map(|u| u.id)
            })
            .unwrap_or_default();
        Actor(symbolon_sp::saml_principal(&p.account_id, &id))
    } else {
        Actor(symbolon_sp::user_principal(&p.account_id, &p.user_id))
    };
    Ok(Admin {
        session: s,
        pair: p,
        actor,
    })
}

fn check_csrf(a: &Admin, csrf: Option<&str>) -> Result<(), Response> {
    if symbolon_web::secret_eq(csrf.unwrap_or(""), &a.session.csrf) {
        Ok(())
    } else {
        Err(message(
            StatusCode::FORBIDDEN,
            "Invalid form submission",
            "The form could not be verified. Reload the page and try again.",
            vec![],
        ))
    }
}

fn page(status: StatusCode, body: Result<String, askama::Error>) -> Response {
    match body {
        Ok(b) => html(status, b),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

fn status_for(bad: bool) -> StatusCode {
    if bad {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

struct IdpRow {
    id: String,
    name: String,
    description: String,
    entity_id: String,
    mode: &'static str,
    certs: Vec<String>,
}

struct Added {
    name: String,
    entity_id: String,
    sso: String,
    certs: Vec<String>,
    findings: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "account/idps.html")]
struct IdpsPage<'a> {
    account: &'a str,
    csrf: &'a str,
    notice: Option<String>,
    idps: Vec<IdpRow>,
    added: Option<Added>,
    f_name: &'a str,
    f_description: &'a str,
    f_metadata: &'a str,
    err_name: Option<String>,
    err_metadata: Option<String>,
}

#[derive(Default)]
struct IdpInput {
    name: String,
    description: String,
    metadata: String,
    err_name: Option<String>,
    err_metadata: Option<String>,
}

async fn render_idps<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
    input: IdpInput,
    added: Option<Added>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let idps = st
        .store
        .idps(&a.pair.account_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|i| IdpRow {
            certs: symbolon_sp::describe_certs(&i.certs, now),
            mode: if i.sp_initiated {
                "SP-initiated"
            } else {
                "IdP-initiated"
            },
            id: i.id,
            name: i.name,
            description: i.description.unwrap_or_default(),
            entity_id: i.entity_id,
        })
        .collect();
    let bad = input.err_name.is_some() || input.err_metadata.is_some();
    page(
        status_for(bad),
        IdpsPage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice: added
                .as_ref()
                .map(|x| format!("Identity provider {} added.", x.name)),
            idps,
            added,
            f_name: &input.name,
            f_description: &input.description,
            f_metadata: &input.metadata,
            err_name: input.err_name,
            err_metadata: input.err_metadata,
        }
        .render(),
    )
}

async fn idps<S: SpStore>(State(st): State<AppState<S>>, headers: HeaderMap) -> Response {
    match admin(&st, &headers).await {
        Ok(a) => render_idps(&st, &a, IdpInput::default(), None).await,
        Err(r) => r,
    }
}

/// Add Identity Provider: name, description, and the metadata as a file or pasted.
async fn add_idp<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    mut mp: Multipart,
) -> Response {
    let a = match admin(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut csrf = String::new();
    let mut input = IdpInput::default();
    let mut file: Vec<u8> = Vec::new();
    loop {
        match mp.next_field().await {
            Ok(Some(f)) => {
                let name = f.name().unwrap_or("").to_string();
                let Ok(bytes) = f.bytes().await else {
                    return message(
                        StatusCode::BAD_REQUEST,
                        "Upload failed",
                        "The form could not be read.",
                        vec![],
                    );
                };
                if bytes.len() > 2 * 1024 * 1024 {
                    return message(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "Too large",
                        "Metadata is limited to 2 MiB.",
                        vec![],
                    );
                }
                let text = || String::from_utf8_lossy(&bytes).trim().to_string();
                match name.as_str() {
                    "csrf" => csrf = text(),
                    "name" => input.name = text(),
                    "description" => input.description = text(),
                    "metadata" => input.metadata = text(),
                    "metadata_file" => file = bytes.to_vec(),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => {
                return message(
                    StatusCode::BAD_REQUEST,
                    "Upload failed",
                    "The form could not be read.",
                    vec![],
                );
            }
        }
    }
    if let Err(r) = check_csrf(&a, Some(&csrf)) {
        return r;
    }
    let xml: Vec<u8> = if file.iter().any(|b| !b.is_ascii_whitespace()) {
        file
    } else {
        input.metadata.clone().into_bytes()
    };
    if input.name.is_empty() {
        input.err_name = Some("Enter a name, e.g. Multi-Pass.".into());
    }
    if xml.is_empty() {
        input.err_metadata =
            Some("Upload the identity provider's metadata XML or paste it here.".into());
    }
    if input.err_name.is_some() || input.err_metadata.is_some() {
        return render_idps(&st, &a, input, None).await;
    }
    let desc = Some(input.description.as_str()).filter(|d| !d.is_empty());
    match symbolon_sp::add_idp(
        &st.store,
        &a.actor,
        &a.pair.account_id,
        &input.name,
        desc,
        &xml,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(summary) => {
            let added = Added {
                name: summary.config.name.clone(),
                entity_id: summary.config.entity_id.clone(),
                sso: summary
                    .config
                    .sso_url
                    .clone()
                    .unwrap_or_else(|| "(none for HTTP-Redirect)".into()),
                certs: summary.certificates,
                findings: summary.findings,
            };
            render_idps(&st, &a, IdpInput::default(), Some(added)).await
        }
        Err(SpError::Invalid(m) | SpError::Conflict(m)) => {
            input.err_name = Some(m);
            render_idps(&st, &a, input, None).await
        }
        Err(SpError::Metadata(m)) => {
            input.err_metadata = Some(format!("This metadata cannot be used: {m}"));
            render_idps(&st, &a, input, None).await
        }
        Err(e) => message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Error",
            &e.to_string(),
            vec![],
        ),
    }
}

struct TestResult {
    error: Option<String>,
    name_id: String,
    attributes: Vec<(String, String)>,
    pairs: Vec<String>,
}

#[derive(Template)]
#[template(path = "account/idp.html")]
struct IdpPage<'a> {
    account: &'a str,
    csrf: &'a str,
    notice: Option<String>,
    i: &'a symbolon_store::sp::IdpConfig,
    description: &'a str,
    certs: Vec<String>,
    sp_login: String,
    name_attr: &'a str,
    locale_attr: &'a str,
    tz_attr: &'a str,
    role_attr: &'a str,
    /// (group, role name, role still exists)
    mappings: Vec<(String, String, bool)>,
    roles: Vec<String>,
    f_group: &'a str,
    err_group: Option<String>,
    err_metadata: Option<String>,
    err_name: Option<String>,
    test: Option<TestResult>,
}

/// Errors next to the IdP page's fields.
#[derive(Default)]
struct IdpErrors {
    group: Option<String>,
    metadata: Option<String>,
    name: Option<String>,
}

async fn render_idp<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
    id: &str,
    notice: Option<String>,
    f_group: &str,
    errors: IdpErrors,
    test: Option<TestResult>,
) -> Response {
    let store = &st.store;
    let Some(i) = store
        .idps(&a.pair.account_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|i| i.id == id)
    else {
        return message(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such identity provider in this account.",
            vec![],
        );
    };
    let roles = store
        .account_roles(&a.pair.account_id)
        .await
        .unwrap_or_default();
    let mappings = store
        .mappings(&i.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            let live = roles.iter().any(|r| r.id == m.role_id);
            (m.group, m.role_name, live)
        })
        .collect();
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let (name_attr, locale_attr, tz_attr, role_attr) = (
        o(&i.name_attribute),
        o(&i.locale_attribute),
        o(&i.timezone_attribute),
        o(&i.role_attribute),
    );
    let description = o(&i.description);
    page(
        status_for(errors.group.is_some() || errors.metadata.is_some() || errors.name.is_some()),
        IdpPage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice,
            certs: symbolon_sp::describe_certs(&i.certs, OffsetDateTime::now_utc()),
            sp_login: format!("{}/saml/login?idp={}", st.cfg.base_url, i.id),
            i: &i,
            description: &description,
            name_attr: &name_attr,
            locale_attr: &locale_attr,
            tz_attr: &tz_attr,
            role_attr: &role_attr,
            mappings,
            roles: roles.into_iter().map(|r| r.name).collect(),
            f_group,
            err_metadata: errors.metadata,
            err_name: errors.name,
            err_group: errors.group,
            test,
        }
        .render(),
    )
}

async fn idp<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    match admin(&st, &headers).await {
        Ok(a) => render_idp(&st, &a, &id, None, "", IdpErrors::default(), None).await,
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct IdpForm {
    csrf: Option<String>,
    action: Option<String>,
    name_attribute: Option<String>,
    locale_attribute: Option<String>,
    timezone_attribute: Option<String>,
    role_attribute: Option<String>,
    sp_initiated: Option<String>,
    group: Option<String>,
    role: Option<String>,
    response: Option<String>,
    metadata: Option<String>,
    confirm: Option<String>,
    idp_name: Option<String>,
    idp_description: Option<String>,
}

async fn idp_action<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<IdpForm>,
) -> Response {
    let a = match admin(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&a, f.csrf.as_deref()) {
        return r;
    }
    let Some(cfg) = st
        .store
        .idps(&a.pair.account_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|i| i.id == id)
    else {
        return message(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such identity provider in this account.",
            vec![],
        );
    };
    let now = OffsetDateTime::now_utc();
    match f.action.as_deref() {
        Some("profile") => {
            let mut name = cfg.name.clone();
            if let Some(new_name) = f.idp_name.as_deref() {
                match symbolon_sp::rename_idp(&st.store, &a.actor, &a.pair.account_id, &cfg.name, new_name, f.idp_description.as_deref(), now).await {
                    Ok(c) => name = c.name,
                    Err(SpError::Invalid(m) | SpError::Conflict(m)) => {
                        let errors = IdpErrors { name: Some(m), ..IdpErrors::default() };
                        return render_idp(&st, &a, &id, None, "", errors, None).await;
                    }
                    Err(e) => return message(StatusCode::SERVICE_UNAVAILABLE, "Error", &e.to_string(), vec![]),
                }
            }
            let p = MappingProfile {
                name: f.name_attribute,
                locale: f.locale_attribute,
                timezone: f.timezone_attribute,
                role: f.role_attribute,
                sp_initiated: f.sp_initiated.is_some(),
            };
            match symbolon_sp::set_profile(&st.store, &a.actor, &a.pair.account_id, &name, &p, now)
                .await
            {
                Ok(()) => {
                    render_idp(
                        &st,
                        &a,
                        &id,
                        Some("Mapping profile saved.".into()),
                        "",
                        IdpErrors::default(),
                        None,
                    )
                    .await
                }
                Err(e) => message(StatusCode::BAD_REQUEST, "Not saved", &e.to_string(), vec![]),
            }
        }
        Some("map") => {
            let group = f.group.unwrap_or_default();
            let role = f.role.unwrap_or_default();
            match symbolon_sp::map_group(
                &st.store,
                &a.actor,
                &a.pair.account_id,
                &cfg.name,
                &group,
                &role,
                now,
            )
            .await
            {
                Ok(()) => {
                    render_idp(
                        &st,
                        &a,
                        &id,
                        Some(format!("{group} now maps to {role}.")),
                        "",
                        IdpErrors::default(),
                        None,
                    )
                    .await
                }
                Err(SpError::Invalid(m) | SpError::Conflict(m)) => {
                    render_idp(&st, &a, &id, None, &group, IdpErrors { group: Some(m), ..IdpErrors::default() }, None).await
                }
                Err(e) => message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Error",
                    &e.to_string(),
                    vec![],
                ),
            }
        }
        Some("replace") => {
            let xml = f.metadata.unwrap_or_default();
            match symbolon_sp::replace_idp_metadata(&st.store, &a.actor, &a.pair.account_id, &cfg.name, xml.trim().as_bytes(), now).await {
                Ok(sum) => render_idp(&st, &a, &id, Some(format!("Metadata replaced: {} signing certificate(s).", sum.certificates.len())), "", IdpErrors::default(), None).await,
                Err(e @ (SpError::Invalid(_) | SpError::Conflict(_) | SpError::Metadata(_))) => {
                    let errors = IdpErrors { metadata: Some(format!("{e}. Nothing was changed.")), ..IdpErrors::default() };
                    render_idp(&st, &a, &id, None, "", errors, None).await
                }
                Err(e) => message(StatusCode::SERVICE_UNAVAILABLE, "Error", &e.to_string(), vec![]),
            }
        }
        Some("delete") if f.confirm.as_deref() != Some("yes") => page(
            StatusCode::OK,
            ConfirmPage {
                account: &a.pair.account_name,
                csrf: &a.session.csrf,
                notice: None,
                question: format!("Delete identity provider {}?", cfg.name),
                consequence: "Its group mappings go with it, and nobody can sign in to this account through it any more. Native sign-on is not affected.",
                verb: "Delete identity provider",
                action: &format!("/account/idps/{id}"),
                cancel: &format!("/account/idps/{id}"),
                hidden: vec![("action", "delete".into())],
            }
            .render(),
        ),
        Some("delete") => match symbolon_sp::delete_idp(&st.store, &a.actor, &a.pair.account_id, &cfg.name, now).await {
            Ok(()) => render_idps(&st, &a, IdpInput::default(), None).await,
            Err(e) => message(StatusCode::SERVICE_UNAVAILABLE, "Error", &e.to_string(), vec![]),
        },
        Some("test") => {
            let raw = f.response.unwrap_or_default();
            let result = match symbolon_saml::binding::xml_or_base64(raw.trim().as_bytes()) {
                Err(e) => TestResult {
                    error: Some(format!("the SAMLResponse could not be decoded: {e}")),
                    name_id: String::new(),
                    attributes: vec![],
                    pairs: vec![],
                },
                Ok(xml) => {
                    let sp = symbolon_sp::sp_settings(&st.cfg.base_url);
                    match symbolon_sp::consume_response(
                        &st.store,
                        &sp,
                        &xml,
                        None,
                        now,
                        symbolon_sp::AcsMode::Test {
                            account_id: &a.pair.account_id,
                        },
                        &st.cfg.acs,
                    )
                    .await
                    {
                        Ok(s) => TestResult {
                            error: None,
                            name_id: s.name_id.clone(),
                            attributes: s
                                .attributes
                                .iter()
                                .map(|(n, v)| (n.clone(), v.join(", ")))
                                .collect(),
                            pairs: s
                                .pairs
                                .iter()
                                .map(|p| format!("{} · {}", p.account_name, p.role))
                                .chain(
                                    s.refused
                                        .iter()
                                        .map(|(acc, why)| format!("{acc}: not offered ({why})")),
                                )
                                .collect(),
                        },
                        Err(e) => TestResult {
                            error: Some(e.to_string()),
                            name_id: String::new(),
                            attributes: vec![],
                            pairs: vec![],
                        },
                    }
                }
            };
            render_idp(&st, &a, &id, None, "", IdpErrors::default(), Some(result)).await
        }
        _ => message(
            StatusCode::BAD_REQUEST,
            "Unknown action",
            "Unknown action.",
            vec![],
        ),
    }
}

struct Field {
    name: &'static str,
    label: &'static str,
    value: String,
    error: Option<String>,
    options: Vec<String>,
}

struct FormSpec {
    action: &'static str,
    title: &'static str,
    submit: &'static str,
    fields: Vec<Field>,
}

#[derive(Template)]
#[template(path = "account/table.html")]
struct TablePage<'a> {
    account: &'a str,
    csrf: &'a str,
    notice: Option<String>,
    heading: &'a str,
    hint: Option<&'a str>,
    filters: Vec<(String, bool)>,
    columns: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    form: Option<FormSpec>,
    /// Roles offered in the "Delete a role" form (the roles page only).
    delete_roles: Vec<String>,
}

#[derive(Deserialize, Default)]
struct TableQuery {
    sort: Option<usize>,
    action: Option<String>,
}

/// Sort table rows by the column a header link asked for (ignored when out of range).
fn sort_rows(rows: &mut [Vec<String>], sort: Option<usize>, columns: usize) {
    if let Some(c) = sort.filter(|c| *c < columns) {
        rows.sort_by(|x, y| x.get(c).cmp(&y.get(c)));
    }
}

#[allow(clippy::too_many_arguments)]
fn table(
    a: &Admin,
    status: StatusCode,
    heading: &str,
    hint: Option<&str>,
    columns: Vec<&'static str>,
    mut rows: Vec<Vec<String>>,
    sort: Option<usize>,
    form: Option<FormSpec>,
    notice: Option<String>,
) -> Response {
    sort_rows(&mut rows, sort, columns.len());
    page(
        status,
        TablePage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice,
            heading,
            hint,
            filters: vec![],
            columns,
            rows,
            form,
            delete_roles: vec![],
        }
        .render(),
    )
}

async fn role_rows<S: SpStore>(st: &AppState<S>, a: &Admin) -> (Vec<Vec<String>>, Vec<String>) {
    let roles = st
        .store
        .account_roles(&a.pair.account_id)
        .await
        .unwrap_or_default();
    let rows = roles
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                if r.builtin {
                    "built-in".into()
                } else {
                    "custom".into()
                },
            ]
        })
        .collect();
    (rows, roles.into_iter().map(|r| r.name).collect())
}

async fn render_roles<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
    sort: Option<usize>,
    name: &str,
    err: Option<String>,
    notice: Option<String>,
) -> Response {
    let (rows, names) = role_rows(st, a).await;
    let bad = err.is_some();
    let form = FormSpec {
        action: "/account/roles",
        title: "Add role",
        submit: "Add role",
        fields: vec![Field {
            name: "name",
            label: "Role name",
            value: name.into(),
            error: err,
            options: vec![],
        }],
    };
    let mut rows = rows;
    sort_rows(&mut rows, sort, 2);
    page(
        status_for(bad),
        TablePage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice,
            heading: "Roles",
            hint: Some("Built-in roles come with every account. Deleting a role leaves group mappings to it in place, marked, so that you can see what to fix."),
            filters: vec![],
            columns: vec!["Role", "Kind"],
            rows,
            form: Some(form),
            delete_roles: names,
        }
        .render(),
    )
}

async fn roles<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Query(q): Query<TableQuery>,
) -> Response {
    match admin(&st, &headers).await {
        Ok(a) => render_roles(&st, &a, q.sort, "", None, None).await,
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct NameForm {
    csrf: Option<String>,
    name: Option<String>,
    role: Option<String>,
    description: Option<String>,
    confirm: Option<String>,
}

async fn add_role<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Form(f): Form<NameForm>,
) -> Response {
    let a = match admin(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&a, f.csrf.as_deref()) {
        return r;
    }
    let name = f.name.unwrap_or_default();
    match symbolon_sp::add_role(
        &st.store,
        &a.actor,
        &a.pair.account_id,
        &name,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(r) => {
            render_roles(
                &st,
                &a,
                None,
                "",
                None,
                Some(format!("Role {} added.", r.name)),
            )
            .await
        }
        Err(SpError::Invalid(m) | SpError::Conflict(m)) => {
            render_roles(&st, &a, None, &name, Some(m), None).await
        }
        Err(e) => message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Error",
            &e.to_string(),
            vec![],
        ),
    }
}

#[derive(Template)]
#[template(path = "account/confirm.html")]
struct ConfirmPage<'a> {
    account: &'a str,
    csrf: &'a str,
    notice: Option<String>,
    question: String,
    consequence: &'a str,
    verb: &'a str,
    action: &'a str,
    cancel: &'a str,
    hidden: Vec<(&'static str, String)>,
}

async fn delete_role<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Form(f): Form<NameForm>,
) -> Response {
    let a = match admin(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&a, f.csrf.as_deref()) {
        return r;
    }
    let name = f.name.unwrap_or_default();
    if f.confirm.as_deref() != Some("yes") {
        return page(
            StatusCode::OK,
            ConfirmPage {
                account: &a.pair.account_name,
                csrf: &a.session.csrf,
                notice: None,
                question: format!("Delete role {name}?"),
                consequence: "Group mappings to it stay, marked as pointing at a deleted role. Users whose groups map only to deleted roles can no longer sign in through SSO.",
                verb: "Delete role",
                action: "/account/roles/delete",
                cancel: "/account/roles",
                hidden: vec![("name", name)],
            }
            .render(),
        );
    }
    match symbolon_sp::delete_role(
        &st.store,
        &a.actor,
        &a.pair.account_id,
        &name,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(()) => {
            render_roles(
                &st,
                &a,
                None,
                "",
                None,
                Some(format!("Role {name} deleted.")),
            )
            .await
        }
        Err(e) => render_roles(&st, &a, None, "", None, Some(e.to_string())).await,
    }
}

async fn render_saml_accounts<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
    sort: Option<usize>,
    f: (&str, &str, &str),
    err: Option<String>,
    notice: Option<String>,
) -> Response {
    let roles = st
        .store
        .account_roles(&a.pair.account_id)
        .await
        .unwrap_or_default();
    let rows = st
        .store
        .saml_accounts(&a.pair.account_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|s| {
            let role = roles
                .iter()
                .find(|r| r.id == s.role_id)
                .map_or("(deleted role)".to_string(), |r| r.name.clone());
            vec![s.name, role, s.description.unwrap_or_default()]
        })
        .collect();
    let bad = err.is_some();
    let form = FormSpec {
        action: "/account/saml-accounts",
        title: "Add User Account: SAML Account",
        submit: "Add",
        fields: vec![
            Field {
                name: "name",
                label: "Account name (email or username, as the IdP's NameID)",
                value: f.0.into(),
                error: err,
                options: vec![],
            },
            Field {
                name: "role",
                label: "Role",
                value: f.2.into(),
                error: None,
                options: roles.iter().map(|r| r.name.clone()).collect(),
            },
            Field {
                name: "description",
                label: "Description (optional)",
                value: f.1.into(),
                error: None,
                options: vec![],
            },
        ],
    };
    table(
        a,
        status_for(bad),
        "User Accounts",
        Some(
            "SAML accounts of this account. A SAML account may sign in through single sign-on with its role, in addition to any group mappings.",
        ),
        vec!["Account name", "Role", "Description"],
        rows,
        sort,
        Some(form),
        notice,
    )
}

async fn saml_accounts<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Query(q): Query<TableQuery>,
) -> Response {
    match admin(&st, &headers).await {
        Ok(a) => render_saml_accounts(&st, &a, q.sort, ("", "", ""), None, None).await,
        Err(r) => r,
    }
}

async fn add_saml_account<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Form(f): Form<NameForm>,
) -> Response {
    let a = match admin(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&a, f.csrf.as_deref()) {
        return r;
    }
    let name = f.name.unwrap_or_default();
    let desc = f.description.unwrap_or_default();
    let role = f.role.unwrap_or_default();
    let d = Some(desc.as_str()).filter(|d| !d.trim().is_empty());
    match symbolon_sp::add_saml_account(
        &st.store,
        &a.actor,
        &a.pair.account_id,
        &name,
        &role,
        d,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(()) => {
            render_saml_accounts(
                &st,
                &a,
                None,
                ("", "", ""),
                None,
                Some(format!(
                    "SAML account {} added.",
                    name.trim().to_lowercase()
                )),
            )
            .await
        }
        Err(SpError::Invalid(m) | SpError::Conflict(m)) => {
            render_saml_accounts(&st, &a, None, (&name, &desc, &role), Some(m), None).await
        }
        Err(e) => message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Error",
            &e.to_string(),
            vec![],
        ),
    }
}

/// Users > SAML: read-only.
async fn saml_users<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Query(q): Query<TableQuery>,
) -> Response {
    let a = match admin(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let tz = a.session.sign_in.timezone.clone();
    let rows = st
        .store
        .saml_users(&a.pair.account_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|u| {
            vec![
                u.name_id,
                u.last_role,
                symbolon_sp::format_in_zone(u.last_logon, tz.as_deref()),
                u.id,
            ]
        })
        .collect();
    table(
        &a,
        StatusCode::OK,
        "Users > SAML",
        Some(
            "The SAML users who reached this account. Read-only; users not seen for 365 days drop off the list.",
        ),
        vec!["Name", "Role", "Last logon", "ID"],
        rows,
        q.sort,
        None,
        None,
    )
}

async fn audit<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    Query(q): Query<TableQuery>,
) -> Response {
    let a = match admin(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let tz = a.session.sign_in.timezone.clone();
    let log = st
        .store
        .audit_log(&a.pair.account_id)
        .await
        .unwrap_or_default();
    let mut actions: Vec<String> = log.iter().map(|e| e.action.clone()).collect();
    actions.sort();
    actions.dedup();
    let want = q.action.clone().filter(|x| !x.is_empty());
    let rows: Vec<Vec<String>> = log
        .into_iter()
        .rev()
        .filter(|e| want.as_ref().is_none_or(|w| *w == e.action))
        .map(|e| {
            vec![
                symbolon_sp::format_in_zone(e.at, tz.as_deref()),
                e.action,
                e.principal,
                e.detail,
            ]
        })
        .collect();
    let mut rows = rows;
    sort_rows(&mut rows, q.sort, 4);
    page(
        StatusCode::OK,
        TablePage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice: None,
            heading: "Audit log",
            hint: Some("Newest first. Principals are URNs: …:saml-user/ID matches the ID on the Users > SAML tab."),
            filters: actions.into_iter().map(|x| { let sel = want.as_deref() == Some(x.as_str()); (x, sel) }).collect(),
            columns: vec!["Time", "Action", "Principal", "Detail"],
            rows,
            form: None,
            delete_roles: vec![],
        }
        .render(),
    )
}

async fn audit_export<S: SpStore>(State(st): State<AppState<S>>, headers: HeaderMap) -> Response {
    let a = match admin(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut out = String::new();
    for e in st
        .store
        .audit_log(&a.pair.account_id)
        .await
        .unwrap_or_default()
    {
        let line = serde_json::json!({
            "time": e.at.unix_timestamp(),
            "account": e.account_id,
            "principal": e.principal,
            "action": e.action,
            "detail": e.detail,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    let mut r = out.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"audit.jsonl\""),
    );
    r
}

struct TraceRow {
    at: String,
    idp: String,
    code: String,
    reason: String,
    message: String,
}

#[derive(Template)]
#[template(path = "account/failed.html")]
struct FailedPage<'a> {
    account: &'a str,
    notice: Option<String>,
    traces: Vec<TraceRow>,
    /// Rejections counted but not recorded in the last seven days (rate limit).
    not_kept: u32,
    retention_days: i64,
}

/// Rejected responses with the precise reason and the decoded message (signatures elided).
async fn failed<S: SpStore>(State(st): State<AppState<S>>, headers: HeaderMap) -> Response {
    let a = match admin(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let tz = a.session.sign_in.timezone.clone();
    let traces = st
        .store
        .traces(&a.pair.account_id, 200)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|t| TraceRow {
            at: symbolon_sp::format_in_zone(t.at, tz.as_deref()),
            idp: t.idp_name,
            code: t.code,
            reason: t.reason,
            message: t.message,
        })
        .collect();
    let not_kept =
        symbolon_sp::traces_not_kept(&st.store, &a.pair.account_id, OffsetDateTime::now_utc())
            .await
            .unwrap_or(0);
    page(
        StatusCode::OK,
        FailedPage {
            account: &a.pair.account_name,
            notice: None,
            traces,
            not_kept,
            retention_days: st.cfg.trace_retention.whole_days(),
        }
        .render(),
    )
}
