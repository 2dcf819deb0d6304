//! What every SP console page shares: the administrator of the session's current account,
//! form checks, page rendering, sortable tables and confirmations.

#![allow(clippy::result_large_err)]

use crate::page::message;
use crate::state::{AppState, Session, session_of};
use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use symbolon_sp::{Actor, Pair};
use symbolon_store::sp::SpStore;

pub(crate) use symbolon_web::page::console_stylesheet as css;

/// The administrator: the session's current pair, when it may administer its account.
pub(crate) struct Admin {
    pub(crate) session: Session,
    pub(crate) pair: Pair,
    pub(crate) actor: Actor,
}

/// A handler that needs the administrator of the session's current account names [`Admin`]
/// among its arguments; otherwise the request is refused (401 or 403) before the handler runs.
impl<S: SpStore> axum::extract::FromRequestParts<AppState<S>> for Admin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        admin(st, &parts.headers).await
    }
}

async fn admin<S: SpStore>(st: &AppState<S>, headers: &HeaderMap) -> Result<Admin, Response> {
    let Some((_, s)) = session_of(st, headers).await? else {
        return Err(message(
            StatusCode::UNAUTHORIZED,
            "sp-not-signed-in",
            "spc-sign-in-first",
            vec![],
        ));
    };
    let Some(mut p) = s.current.and_then(|i| s.sign_in.pairs.get(i)).cloned() else {
        return Err(message(
            StatusCode::FORBIDDEN,
            "sp-choose-short",
            "spc-choose-first",
            vec![],
        ));
    };
    // The account as it is now: renamed since the sign-in, its pages say the new name; deleted
    // since (by another administrator), nothing of it is shown.
    match st.store.account(&p.account_id).await {
        Ok(Some(account)) => p.account_name = account.name,
        Ok(None) => {
            return Err(message(
                StatusCode::FORBIDDEN,
                "sp-choose-short",
                "spc-choose-first",
                vec![],
            ));
        }
        Err(_) => {
            return Err(message(
                StatusCode::SERVICE_UNAVAILABLE,
                "sp-sign-in-failed",
                "sp-try-shortly",
                vec![],
            ));
        }
    }
    if !p.may_administer() {
        return Err(message(
            StatusCode::FORBIDDEN,
            "spc-not-allowed",
            "spc-role-not-admin",
            vec![],
        ));
    }
    let actor = if p.user_id.is_empty() {
        let id = st
            .store
            .saml_user(&p.account_id, &s.sign_in.name_id)
            .await
            .ok()
            .flatten()
            .map(|u| u.id)
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

/// Refused unless the administrator is a master administrator (native sign-on): `what` is the
/// catalogue ID of the message that says what only they may do.
pub(crate) fn require_master(a: &Admin, what: &str) -> Result<(), Response> {
    if a.pair.master {
        Ok(())
    } else {
        Err(message(
            StatusCode::FORBIDDEN,
            "spc-not-allowed",
            what,
            vec![],
        ))
    }
}

pub(crate) fn check_csrf(a: &Admin, csrf: Option<&str>) -> Result<(), Response> {
    if symbolon_web::secret_eq(csrf.unwrap_or(""), &a.session.csrf) {
        Ok(())
    } else {
        Err(message(
            StatusCode::FORBIDDEN,
            "err-form-title",
            "spc-form-not-verified",
            vec![],
        ))
    }
}

pub(crate) fn page(status: StatusCode, body: Result<String, askama::Error>) -> Response {
    match body {
        // Console pages run the consoles' own script (copy buttons).
        Ok(b) => symbolon_web::page::scripted_html(status, b),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

pub(crate) fn status_for(bad: bool) -> StatusCode {
    if bad {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) label: &'static str,
    pub(crate) value: String,
    pub(crate) error: Option<String>,
    pub(crate) options: Vec<String>,
}

pub(crate) struct FormSpec {
    pub(crate) action: &'static str,
    pub(crate) title: &'static str,
    pub(crate) submit: &'static str,
    pub(crate) fields: Vec<Field>,
}

#[derive(Template)]
#[template(path = "account/table.html")]
pub(crate) struct TablePage<'a> {
    pub(crate) account: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) heading: &'a str,
    pub(crate) hint: Option<&'a str>,
    pub(crate) filters: Vec<(String, bool)>,
    pub(crate) columns: Vec<&'static str>,
    pub(crate) rows: Vec<Vec<String>>,
    pub(crate) form: Option<FormSpec>,
    /// Roles offered in the "Delete a role" form (the roles page only).
    pub(crate) delete_roles: Vec<String>,
    /// When set, each row's first cell links to this prefix followed by the cell, URL-encoded
    /// (the page of that object).
    pub(crate) link_prefix: Option<&'static str>,
    /// A list the database pages (the audit log): its rows are in the server's order (the
    /// headers do not sort), and these are the links to the other pages.
    pub(crate) pager: Option<symbolon_web::paging::Pager>,
    /// With a pager: each column's order link (`None`: that column does not order the list).
    pub(crate) sorts: Vec<Option<String>>,
    /// With a pager: a search box, with the search and the order it keeps.
    pub(crate) search: Option<(String, String)>,
}

#[derive(Deserialize, Default)]
pub(crate) struct TableQuery {
    pub(crate) sort: Option<usize>,
    pub(crate) action: Option<String>,
    /// A page, from 1 (the audit log, SAML users).
    pub(crate) page: Option<String>,
    /// A search (SAML users).
    pub(crate) q: Option<String>,
}

/// Sort table rows by the column a header link asked for (ignored when out of range).
pub(crate) fn sort_rows(rows: &mut [Vec<String>], sort: Option<usize>, columns: usize) {
    if let Some(c) = sort.filter(|c| *c < columns) {
        rows.sort_by(|x, y| x.get(c).cmp(&y.get(c)));
    }
}

/// A table whose first cells link to each object's page (`link_prefix` + the cell).
#[allow(clippy::too_many_arguments)]
pub(crate) fn linked_table(
    a: &Admin,
    status: StatusCode,
    heading: &str,
    hint: Option<&str>,
    columns: Vec<&'static str>,
    mut rows: Vec<Vec<String>>,
    sort: Option<usize>,
    form: Option<FormSpec>,
    notice: Option<String>,
    link_prefix: Option<&'static str>,
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
            pager: None,
            sorts: vec![],
            search: None,
            delete_roles: vec![],
            link_prefix,
        }
        .render(),
    )
}

#[derive(Deserialize)]
pub(crate) struct NameForm {
    pub(crate) csrf: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) role: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) confirm: Option<String>,
}

#[derive(Template)]
#[template(path = "account/confirm.html")]
pub(crate) struct ConfirmPage<'a> {
    pub(crate) account: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) question: String,
    pub(crate) consequence: &'a str,
    pub(crate) verb: &'a str,
    pub(crate) action: &'a str,
    pub(crate) cancel: &'a str,
    pub(crate) hidden: Vec<(&'static str, String)>,
}
