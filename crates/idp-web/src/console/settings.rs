//! Realm settings (the sign-in policy) and the realm's events.

#![allow(clippy::result_large_err)]

use crate::console::common::{SortQuery, check_csrf, page, realm_admin, realm_or_404};
use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use symbolon_store::IdpStore;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "console/settings.html")]
pub(crate) struct SettingsPage<'a> {
    pub(crate) realm: Option<&'a str>,
    pub(crate) realm_name: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) admin: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) display_name: &'a str,
    pub(crate) entity_id: String,
    pub(crate) endpoint: String,
    pub(crate) descriptor: String,
    /// (value, label, current)
    pub(crate) policies: Vec<(&'static str, &'static str, bool)>,
    pub(crate) enabled: bool,
    pub(crate) lifespan: i64,
}

pub(crate) async fn settings<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path(realm): Path<String>,
) -> Response {
    let s = signed_in;
    let r = match realm_or_404(&st, &realm).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let notice = symbolon_web::flash::take(st.store(), &s.csrf).await;
    settings_page(&st, &s, &r, notice).await
}

pub(crate) async fn settings_page<S: IdpStore>(
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
                .map(|p| (p.as_str(), policy_label(p), p == policy))
                .collect(),
            enabled: r.enabled,
            lifespan: r.assertion_lifespan_secs,
        }
        .render(),
    )
}

#[derive(Deserialize)]
pub(crate) struct PolicyForm {
    pub(crate) csrf: Option<String>,
    pub(crate) policy: Option<String>,
}

pub(crate) async fn set_policy<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(f): Form<PolicyForm>,
) -> Response {
    let s = signed_in;
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
        return WebError::bad_request("idpc-choose-policy").into_response();
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
    symbolon_web::flash::redirect_with(
        st.store(),
        &s.csrf,
        &format!("/admin/console/{}/settings", r.name),
        &symbolon_web::i18n::encode(
            "idpc-policy-set",
            &[("policy", &symbolon_web::i18n::tr().t(policy_label(policy)))],
        ),
    )
    .await
}

/// Events shown on a page of the console's list.
const EVENTS_PAGE: u64 = 100;

#[derive(Template)]
#[template(path = "console/events.html")]
struct EventsPage<'a> {
    realm: Option<&'a str>,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    q: &'a str,
    /// (kind, selected)
    filters: Vec<(&'static str, bool)>,
    /// (time, kind, who, client, details)
    rows: Vec<(String, String, String, String, String)>,
    pager: symbolon_web::paging::Pager,
}

/// `GET /admin/console/{realm}/events`: newest first, 100 a page, by type and by a search in
/// the details, the actor and the client (a reference from an error page finds its event); the
/// database does the paging.
pub(crate) async fn events<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path(realm): Path<String>,
    Query(q): Query<SortQuery>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    const KINDS: [&str; 10] = [
        "LOGIN",
        "LOGIN_ERROR",
        "SAML_RESPONSE",
        "AUTHN_REQUEST_ERROR",
        "LOGOUT",
        "CREDENTIAL",
        "CREDENTIAL_ERROR",
        "PROVISIONING_ERROR",
        "CERTIFICATE_EXPIRY",
        "ADMIN",
    ];
    let kind = q.kind.as_deref().filter(|k| KINDS.contains(k));
    let search: String = symbolon_web::paging::search_term(q.q.as_deref());
    let wanted = symbolon_web::paging::page_number(q.page.as_deref());
    let fetched = symbolon_web::paging::fetch_page(wanted, EVENTS_PAGE, |offset| {
        st.store()
            .events_page(&realm, kind, &search, offset, EVENTS_PAGE)
    })
    .await;
    let (evs, total, shown_page) = match fetched {
        Ok(p) => p,
        Err(e) => return WebError::from(e).into_response(),
    };
    let rows: Vec<_> = evs
        .iter()
        .map(|e| {
            (
                s.time(e.at),
                e.kind.clone(),
                e.actor.clone().unwrap_or_default(),
                e.client_id.clone().unwrap_or_default(),
                e.detail.clone(),
            )
        })
        .collect();
    let shown = u64::try_from(rows.len()).unwrap_or(0);
    let path = format!("/admin/console/{realm}/events");
    let pager = symbolon_web::paging::Pager::new(shown_page, EVENTS_PAGE, shown, total, |p| {
        symbolon_web::paging::href(&path, &[("type", kind.unwrap_or("")), ("q", &search)], p)
    });
    page(
        EventsPage {
            realm: Some(&realm),
            csrf: &s.csrf,
            admin: &s.username,
            notice: None,
            q: &search,
            filters: KINDS.iter().map(|k| (*k, Some(*k) == kind)).collect(),
            rows,
            pager,
        }
        .render(),
    )
}

/// The catalogue ID of a sign-in policy's name (the domain's `label()` is its English text).
fn policy_label(p: symbolon_idp::AuthPolicy) -> &'static str {
    match p {
        symbolon_idp::AuthPolicy::Password => "idpc-policy-password",
        symbolon_idp::AuthPolicy::SecondFactor => "idpc-policy-second-factor",
        symbolon_idp::AuthPolicy::PasskeyOrPassword => "idpc-policy-passkey-or-password",
        symbolon_idp::AuthPolicy::PasskeyOnly => "idpc-policy-passkey-only",
    }
}
