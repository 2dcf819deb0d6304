//! Realm settings > Partial export and import: the realm as one document (without passwords or
//! private keys) to download, and a document (ours or Keycloak's) to import, with the report of
//! what was added, overwritten, left unchanged or skipped, or why nothing was written.

#![allow(clippy::result_large_err)]

use crate::console::common::{check_csrf, page, page_status, realm_admin};
use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use symbolon_idp::Actor;
use symbolon_idp::realm_io::{IfExists, ImportOptions, ImportReport, RealmDoc};
use symbolon_store::IdpStore;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "console/partial_import.html")]
pub(crate) struct ImportPage<'a> {
    pub(crate) realm: Option<&'a str>,
    pub(crate) realm_name: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) admin: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) pasted: &'a str,
    pub(crate) if_exists: &'a str,
    pub(crate) dry_run: bool,
    pub(crate) error: Option<String>,
    pub(crate) report: Option<Shown>,
}

/// An import's report as the page shows it.
pub(crate) struct Shown {
    /// The summary, carried for `t.msg`.
    pub(crate) summary: String,
    pub(crate) dry_run: bool,
    /// (action's message ID, resource type, name, detail)
    pub(crate) rows: Vec<(&'static str, String, String, String)>,
}

fn shown_report(r: &ImportReport) -> Shown {
    use symbolon_idp::realm_io::Action;
    let n = |v: u32| v.to_string();
    Shown {
        summary: symbolon_web::i18n::encode(
            "idpc-import-summary",
            &[
                ("added", &n(r.added)),
                ("overwritten", &n(r.overwritten)),
                ("unchanged", &n(r.unchanged)),
                ("skipped", &n(r.skipped)),
            ],
        ),
        dry_run: r.dry_run,
        rows: r
            .results
            .iter()
            .map(|i| {
                let id = match i.action {
                    Action::Added => "idpc-action-added",
                    Action::Skipped => "idpc-action-skipped",
                    Action::Overwritten => "idpc-action-overwritten",
                    Action::Unchanged => "idpc-action-unchanged",
                };
                (
                    id,
                    i.resource_type.clone(),
                    i.resource_name.clone(),
                    i.detail.clone().unwrap_or_default(),
                )
            })
            .collect(),
    }
}

/// `GET .../settings/export`: the realm document as a download.
pub(crate) async fn export<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path(realm): Path<String>,
) -> Response {
    if let Err(r) = realm_admin(&st, signed_in, &realm).await {
        return r;
    }
    let doc = match symbolon_idp::realm_io::export_realm(st.store(), &realm, false).await {
        Ok(d) => d,
        Err(e) => return WebError::from(e).into_response(),
    };
    let Ok(mut body) = serde_json::to_string_pretty(&doc) else {
        return WebError::internal_error().into_response();
    };
    body.push('\n');
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"realm-{realm}.json\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `GET .../settings/import`: the import form.
pub(crate) async fn import_form<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path(realm): Path<String>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
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
            if_exists: "fail",
            dry_run: true,
            error: None,
            report: None,
        }
        .render(),
    )
}

/// `POST .../settings/import` (multipart: a file or pasted text): import, or say why not.
pub(crate) async fn import<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path(realm): Path<String>,
    mut mp: Multipart,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (mut csrf, mut file, mut pasted) = (None, Vec::new(), String::new());
    let (mut if_exists, mut dry_run) = ("fail".to_string(), false);
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        let Ok(bytes) = field.bytes().await else {
            break;
        };
        match name.as_str() {
            "csrf" => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "file" => file = bytes.to_vec(),
            "document" => pasted = String::from_utf8_lossy(&bytes).into_owned(),
            "if_exists" => if_exists = String::from_utf8_lossy(&bytes).into_owned(),
            "dry_run" => dry_run = !bytes.is_empty(),
            _ => {}
        }
    }
    if let Err(r) = check_csrf(&s, csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    let mode = IfExists::parse(&if_exists).unwrap_or_default();
    let text = if file.is_empty() {
        pasted.clone()
    } else {
        String::from_utf8_lossy(&file).into_owned()
    };
    let shown = |error: Option<String>, report: Option<Shown>| {
        let status = if error.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        page_status(
            status,
            ImportPage {
                realm: Some(&realm),
                realm_name: &realm,
                csrf: &s.csrf,
                admin: &s.username,
                notice: None,
                pasted: &pasted,
                if_exists: match mode {
                    IfExists::Fail => "fail",
                    IfExists::Skip => "skip",
                    IfExists::Overwrite => "overwrite",
                },
                dry_run,
                error,
                report,
            }
            .render(),
        )
    };
    if text.trim().is_empty() {
        return shown(Some("idpc-import-give".into()), None);
    }
    let mut doc: RealmDoc = match serde_json::from_str(&text) {
        Ok(d) => d,
        Err(e) => {
            let reason = e.to_string();
            return shown(
                Some(symbolon_web::i18n::encode(
                    "idpc-import-not-json",
                    &[("reason", &reason)],
                )),
                None,
            );
        }
    };
    if doc.realm.is_empty() {
        doc.realm.clone_from(&realm);
    } else if doc.realm != realm {
        let other = doc.realm.clone();
        return shown(
            Some(symbolon_web::i18n::encode(
                "idpc-import-other-realm",
                &[("other", &other)],
            )),
            None,
        );
    }
    let opts = ImportOptions {
        if_exists: mode,
        dry_run,
        check_url: &symbolon_web::fetch::url_check,
    };
    match symbolon_idp::realm_io::import_realm(
        st.store(),
        &Actor(s.username.clone()),
        &doc,
        &opts,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(report) => shown(None, Some(shown_report(&report))),
        Err(e @ (symbolon_idp::IdpError::Invalid(_) | symbolon_idp::IdpError::Conflict(_))) => {
            let reason = e.to_string();
            shown(
                Some(symbolon_web::i18n::encode(
                    "idpc-import-refused",
                    &[("reason", &reason)],
                )),
                None,
            )
        }
        Err(e) => WebError::from(e).into_response(),
    }
}
