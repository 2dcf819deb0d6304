//! Settings > Export and import (master administrators only): the account as one document
//! (without passwords) to download, and a document to import into this account, with the
//! report of what was added, overwritten, left unchanged or skipped, or why nothing was written.

#![allow(clippy::result_large_err)]

use crate::console::common::{Admin, check_csrf, page, require_master, status_for};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use symbolon_sp::SpError;
use symbolon_sp::account_io::{AccountDoc, ImportOptions};
use symbolon_store::sp::SpStore;
use symbolon_web::portable::{ImportForm, Shown, download, shown_report};
use time::OffsetDateTime;

const ONLY_MASTER: &str = "spc-only-master-portable";

#[derive(Template)]
#[template(path = "account/import.html")]
pub(crate) struct ImportPage<'a> {
    pub(crate) account: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) import_action: &'a str,
    pub(crate) pasted: &'a str,
    pub(crate) if_exists: &'a str,
    pub(crate) dry_run: bool,
    pub(crate) error: Option<String>,
    pub(crate) report: Option<Shown>,
}

const ACTION: &str = "/account/settings/import";

/// `GET /account/settings/export`: the account document as a download.
pub(crate) async fn export<S: SpStore>(State(st): State<AppState<S>>, a: Admin) -> Response {
    if let Err(r) = require_master(&a, ONLY_MASTER) {
        return r;
    }
    match symbolon_sp::account_io::export_account(&st.store, &a.pair.account_id, false).await {
        Ok(doc) => download(&doc, &format!("account-{}.json", a.pair.account_name)),
        Err(e) => crate::page::unavailable(e),
    }
}

/// `GET /account/settings/import`: the import form.
pub(crate) async fn import_form<S: SpStore>(State(_st): State<AppState<S>>, a: Admin) -> Response {
    if let Err(r) = require_master(&a, ONLY_MASTER) {
        return r;
    }
    page(
        status_for(false),
        ImportPage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice: None,
            import_action: ACTION,
            pasted: "",
            if_exists: "fail",
            dry_run: true,
            error: None,
            report: None,
        }
        .render(),
    )
}

/// `POST /account/settings/import` (multipart: a file or pasted text): import into this
/// account, or say why not.
pub(crate) async fn import<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    mp: Multipart,
) -> Response {
    if let Err(r) = require_master(&a, ONLY_MASTER) {
        return r;
    }
    let form = ImportForm::read(mp).await;
    if let Err(r) = check_csrf(&a, form.csrf.as_deref()) {
        return r;
    }
    let shown = |error: Option<String>, report: Option<Shown>| {
        page(
            status_for(error.is_some()),
            ImportPage {
                account: &a.pair.account_name,
                csrf: &a.session.csrf,
                notice: None,
                import_action: ACTION,
                pasted: &form.pasted,
                if_exists: form.if_exists_value(),
                dry_run: form.dry_run,
                error,
                report,
            }
            .render(),
        )
    };
    if form.text.trim().is_empty() {
        return shown(Some("port-give".into()), None);
    }
    let doc: AccountDoc = match serde_json::from_str(&form.text) {
        Ok(d) => d,
        Err(e) => {
            let reason = e.to_string();
            return shown(
                Some(symbolon_web::i18n::encode(
                    "port-not-json",
                    &[("reason", &reason)],
                )),
                None,
            );
        }
    };
    let opts = ImportOptions {
        if_exists: form.if_exists,
        dry_run: form.dry_run,
        check_url: &symbolon_web::fetch::url_check,
    };
    match symbolon_sp::account_io::import_into_account(
        &st.store,
        &a.actor,
        &a.pair.account_id,
        &doc,
        &opts,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(report) => shown(None, Some(shown_report(&report))),
        Err(e @ (SpError::Invalid(_) | SpError::Conflict(_))) => {
            let reason = e.to_string();
            shown(
                Some(symbolon_web::i18n::encode(
                    "port-refused",
                    &[("reason", &reason)],
                )),
                None,
            )
        }
        Err(e) => crate::page::unavailable(e),
    }
}
