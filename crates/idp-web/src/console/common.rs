//! What every console page shares: the admin session cookie, page rendering, form status,
//! the realm a page is about, lists and confirmations.

#![allow(clippy::result_large_err)]

use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use symbolon_store::IdpStore;

/// The realm whose users administer everything.
pub const MASTER_REALM: &str = "master";

pub(crate) const SESSION_COOKIE: &str = "SYMBOLON_ADMIN";

pub(crate) const LOGIN_CSRF_COOKIE: &str = "SYMBOLON_ADMIN_CSRF";

pub(crate) use symbolon_web::page::console_stylesheet as css;

pub(crate) fn page(body: Result<String, askama::Error>) -> Response {
    page_status(StatusCode::OK, body)
}

/// A rendered page with this status (400 for a form that says what is wrong);
/// a template failure is always a 500.
pub(crate) fn page_status(status: StatusCode, body: Result<String, askama::Error>) -> Response {
    match body {
        // Console pages run the consoles' own script (copy buttons).
        Ok(b) => symbolon_web::page::scripted_html(status, b),
        Err(_) => WebError::internal_error().into_response(),
    }
}

pub(crate) fn form_status(bad: bool) -> StatusCode {
    if bad {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

pub(crate) fn cookie_attrs<S>(st: &AppState<S>) -> &'static str {
    if st.config().base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

/// A handler that needs a signed-in administrator names [`AdminSession`] among its arguments;
/// without a live session the request is redirected to the sign-in page before the handler
/// runs.
impl<S: IdpStore> axum::extract::FromRequestParts<AppState<S>> for AdminSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        admin(st, &parts.headers).await
    }
}

/// The administrator behind this request, or a redirect to the sign-in page.
async fn admin<S: IdpStore>(
    st: &AppState<S>,
    headers: &HeaderMap,
) -> Result<AdminSession, Response> {
    let Some(id) = crate::state::cookie(headers, SESSION_COOKIE) else {
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
    crate::state::secret_eq(presented, &session.csrf)
}

pub(crate) fn check_csrf(
    session: &AdminSession,
    presented: Option<&str>,
    headers: &HeaderMap,
    st_base: &str,
) -> Result<(), Response> {
    let ok = presented.is_some_and(|p| csrf_matches(session, p));
    if ok && crate::state::same_origin_as(st_base, headers) {
        Ok(())
    } else {
        Err(WebError::forbidden("err-form-title", "spc-form-not-verified").into_response())
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: Option<String>,
}

pub(crate) async fn realm_or_404<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
) -> Result<symbolon_store::Realm, Response> {
    match st.store().realm(realm).await {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err(WebError::not_found_page(symbolon_web::i18n::encode(
            "err-no-realm",
            &[("name", realm)],
        ))
        .into_response()),
        Err(e) => Err(WebError::from(e).into_response()),
    }
}

/// The signed-in administrator, for a realm that exists.
pub(crate) async fn realm_admin<S: IdpStore>(
    st: &AppState<S>,
    s: AdminSession,
    realm: &str,
) -> Result<AdminSession, Response> {
    realm_or_404(st, realm).await?;
    Ok(s)
}

#[derive(Deserialize)]
pub(crate) struct SortQuery {
    pub(crate) sort: Option<String>,
    /// A search (the users and clients lists, the events).
    pub(crate) q: Option<String>,
    /// A page, from 1 (the users and clients lists, the events).
    pub(crate) page: Option<String>,
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Errors {
    pub(crate) home_url: Option<String>,
    pub(crate) url_name: Option<String>,
    pub(crate) lifespan: Option<String>,
    pub(crate) sig_alg: Option<String>,
    pub(crate) mapper: Option<String>,
    pub(crate) who: Option<String>,
    pub(crate) encryption: Option<String>,
    pub(crate) slo: Option<String>,
}

impl Errors {
    pub(crate) fn any(&self) -> bool {
        self.home_url.is_some()
            || self.url_name.is_some()
            || self.lifespan.is_some()
            || self.sig_alg.is_some()
            || self.mapper.is_some()
            || self.who.is_some()
            || self.encryption.is_some()
            || self.slo.is_some()
    }
}

/// The admin behind a POST on a realm page, with its CSRF token checked.
pub(crate) async fn realm_admin_post<S: IdpStore>(
    st: &AppState<S>,
    s: AdminSession,
    headers: &HeaderMap,
    realm: &str,
    csrf: Option<&str>,
) -> Result<AdminSession, Response> {
    let s = realm_admin(st, s, realm).await?;
    check_csrf(&s, csrf, headers, &st.config().base_url)?;
    Ok(s)
}

#[derive(Template)]
#[template(path = "console/confirm.html")]
pub(crate) struct ConfirmPage<'a> {
    pub(crate) realm: Option<&'a str>,
    pub(crate) csrf: &'a str,
    pub(crate) admin: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) question: String,
    pub(crate) consequence: String,
    pub(crate) verb: &'a str,
    pub(crate) action: String,
    pub(crate) cancel: String,
    /// Form fields carried through to the confirmed request.
    pub(crate) hidden: Vec<(&'static str, String)>,
}

/// What a searched, paged list (users, clients) shows: its order (`sort`: the column, as the
/// headers link it), the search and the page (from 1). Read from the query string; anything odd
/// falls back to the default.
#[derive(Debug, Clone, Default)]
pub(crate) struct Listing {
    pub(crate) sort: String,
    pub(crate) q: String,
    pub(crate) page: u64,
}

impl Listing {
    pub(crate) fn of(q: &SortQuery) -> Self {
        Listing {
            sort: q.sort.clone().unwrap_or_default(),
            q: symbolon_web::paging::search_term(q.q.as_deref()),
            page: symbolon_web::paging::page_number(q.page.as_deref()),
        }
    }
    /// The list at `path` with this search, `sort` and `page`.
    pub(crate) fn href(&self, path: &str, sort: &str, page: u64) -> String {
        symbolon_web::paging::href(path, &[("sort", sort), ("q", &self.q)], page)
    }
}
