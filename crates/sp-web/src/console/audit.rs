//! The audit log (and its export) and the failed sign-ins with their traces.

#![allow(clippy::result_large_err)]

use crate::console::common::{Admin, TablePage, TableQuery, page};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

pub(crate) async fn audit<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Query(q): Query<TableQuery>,
) -> Response {
    let tz = a.pair.profile.timezone.clone();
    let account = &a.pair.account_id;
    let actions = st.store.audit_actions(account).await.unwrap_or_default();
    let want = q.action.clone().unwrap_or_default();
    let page_no = symbolon_web::paging::page_number(q.page.as_deref());
    let (log, total, page_no) = symbolon_web::paging::fetch_page(page_no, AUDIT_PAGE, |offset| {
        st.store.audit_page(account, &want, offset, AUDIT_PAGE)
    })
    .await
    .unwrap_or_default();
    let shown = u64::try_from(log.len()).unwrap_or(0);
    let href = |p| symbolon_web::paging::href("/account/audit", &[("action", &want)], p);
    let pager = symbolon_web::paging::Pager::new(page_no, AUDIT_PAGE, shown, total, href);
    let rows: Vec<Vec<String>> = log
        .into_iter()
        .map(|e| {
            vec![
                symbolon_web::page::page_time_in(e.at, tz.as_deref()),
                e.action,
                e.principal,
                e.detail,
            ]
        })
        .collect();
    page(
        StatusCode::OK,
        TablePage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice: None,
            heading: "sp-nav-audit",
            hint: Some("spc-audit-hint"),
            filters: actions
                .into_iter()
                .map(|x| {
                    let sel = want == x;
                    (x, sel)
                })
                .collect(),
            columns: vec!["common-time", "spc-action", "spc-principal", "spc-detail"],
            rows,
            form: None,
            link_prefix: None,
            delete_roles: vec![],
            pager: Some(pager),
            sorts: vec![None; 4],
            search: None,
        }
        .render(),
    )
}

/// Audit entries per page of the log.
const AUDIT_PAGE: u64 = 100;

pub(crate) async fn audit_export<S: SpStore>(State(st): State<AppState<S>>, a: Admin) -> Response {
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

pub(crate) struct TraceRow {
    pub(crate) at: String,
    pub(crate) idp: String,
    pub(crate) code: String,
    pub(crate) reason: String,
    pub(crate) message: String,
    pub(crate) reference: String,
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct FailedQuery {
    /// Show only the traces of this reference (what a refused person was shown).
    pub(crate) reference: Option<String>,
}

#[derive(Template)]
#[template(path = "account/failed.html")]
pub(crate) struct FailedPage<'a> {
    pub(crate) account: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) traces: Vec<TraceRow>,
    /// Rejections counted but not recorded in the last seven days (rate limit).
    pub(crate) not_kept: u32,
    pub(crate) retention_days: i64,
    pub(crate) f_reference: String,
}

/// Rejected responses with the precise reason and the decoded message (signatures elided).
pub(crate) async fn failed<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    axum::extract::Query(q): axum::extract::Query<FailedQuery>,
) -> Response {
    let tz = a.pair.profile.timezone.clone();
    let wanted = q
        .reference
        .as_deref()
        .map(|r| r.trim().to_uppercase())
        .filter(|r| !r.is_empty());
    let traces = st
        .store
        .traces(&a.pair.account_id, 200)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|t| wanted.as_ref().is_none_or(|w| t.reference == *w))
        .map(|t| TraceRow {
            at: symbolon_web::page::page_time_in(t.at, tz.as_deref()),
            idp: t.idp_name,
            code: t.code,
            reason: t.reason,
            message: t.message,
            reference: t.reference,
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
            f_reference: wanted.unwrap_or_default(),
        }
        .render(),
    )
}
