//! Realm settings > Partial export and import: the realm as one document (without passwords or
//! private keys) to download, and a document (ours or Keycloak's) to import, with the report of
//! what was added, overwritten, left unchanged or skipped, or why nothing was written.

#![allow(clippy::result_large_err)]

use crate::console::common::{check_csrf, page, page_status, realm_admin};
use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use symbolon_idp::Actor;
use symbolon_idp::realm_io::{ImportOptions, RealmDoc};
use symbolon_store::IdpStore;
use symbolon_web::portable::{ImportForm, Shown, download, shown_report};
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "console/partial_import.html")]
pub(crate) struct ImportPage<'a> {
    pub(crate) realm: Option<&'a str>,
    pub(crate) realm_name: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) admin: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) import_action: String,
    pub(crate) pasted: &'a str,
    pub(crate) if_exists: &'a str,
    pub(crate) dry_run: bool,
    pub(crate) error: Option<String>,
    pub(crate) report: Option<Shown>,
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
    match symbolon_idp::realm_io::export_realm(st.store(), &realm, false).await {
        Ok(doc) => download(&doc, &format!("realm-{realm}.json")),
        Err(e) => WebError::from(e).into_response(),
    }
}

fn import_action(realm: &str) -> String {
    format!("/admin/console/{realm}/settings/import")
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
            import_action: import_action(&realm),
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
    mp: Multipart,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form = ImportForm::read(mp).await;
    if let Err(r) = check_csrf(&s, form.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
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
                import_action: import_action(&realm),
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
    let mut doc: RealmDoc = match serde_json::from_str(&form.text) {
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
        if_exists: form.if_exists,
        dry_run: form.dry_run,
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
                    "port-refused",
                    &[("reason", &reason)],
                )),
                None,
            )
        }
        Err(e) => WebError::from(e).into_response(),
    }
}
