//! A client's lifecycle: import its metadata again (showing what changed) or delete it (after
//! a confirmation).

#![allow(clippy::result_large_err)]

use crate::console::clients::{ClientForm, find_client, render_client};
use crate::console::common::{ConfirmPage, Errors, page_status, realm_admin_post};
use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use symbolon_idp::{Actor, IdpError};
use symbolon_store::IdpStore;
use time::OffsetDateTime;

#[derive(Deserialize)]
pub(crate) struct LifecycleForm {
    pub(crate) csrf: Option<String>,
    pub(crate) action: Option<String>,
    pub(crate) metadata: Option<String>,
    pub(crate) confirm: Option<String>,
}

pub(crate) async fn client_lifecycle<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
    Form(f): Form<LifecycleForm>,
) -> Response {
    let s = match realm_admin_post(&st, signed_in, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let c = match find_client(&st, &realm, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let actor = Actor(s.username.clone());
    let now = OffsetDateTime::now_utc();
    let here = format!("/admin/console/{realm}/clients/{id}");
    match f.action.as_deref() {
        Some("reimport") => {
            let xml = f.metadata.unwrap_or_default();
            match symbolon_idp::reimport_client(
                st.store(),
                &actor,
                &realm,
                &c.client_id,
                xml.trim().as_bytes(),
                now,
            )
            .await
            {
                Ok((_, changes, findings)) => {
                    let mut notice = if changes.is_empty() {
                        "idpc-reimported-unchanged".to_string()
                    } else {
                        symbolon_web::i18n::encode(
                            "idpc-reimported",
                            &[("changes", &changes.join("; "))],
                        )
                    };
                    for f in findings {
                        notice.push_str(&format!(" {:?}: {}.", f.severity, f.message));
                    }
                    symbolon_web::flash::redirect_with(st.store(), &s.csrf, &here, &notice).await
                }
                Err(e @ (IdpError::Invalid(_) | IdpError::Metadata(_) | IdpError::NotFound(_))) => {
                    render_client(
                        &st,
                        &s,
                        &realm,
                        &c,
                        ClientForm::from(&c),
                        Errors::default(),
                        vec![],
                        Some(symbolon_web::i18n::encode(
                            "idpc-not-reimported",
                            &[("reason", &e.to_string())],
                        )),
                    )
                    .await
                }
                Err(e) => WebError::from(e).into_response(),
            }
        }
        Some("delete") if f.confirm.as_deref() != Some("yes") => page_status(
            StatusCode::OK,
            ConfirmPage {
                realm: Some(&realm),
                csrf: &s.csrf,
                admin: &s.username,
                notice: None,
                question: symbolon_web::i18n::encode(
                    "idpc-delete-client-q",
                    &[("name", &c.client_id)],
                ),
                consequence: "idpc-delete-client-consequence".into(),
                verb: "idpc-delete-client-verb",
                action: format!("{here}/lifecycle"),
                cancel: here.clone(),
                hidden: vec![("action", "delete".into())],
            }
            .render(),
        ),
        Some("delete") => {
            match symbolon_idp::delete_client(st.store(), &actor, &realm, &c.client_id, now).await {
                Ok(()) => Redirect::to(&format!("/admin/console/{realm}/clients")).into_response(),
                Err(e) => WebError::from(e).into_response(),
            }
        }
        _ => WebError::bad_request_page("err-unknown-action").into_response(),
    }
}
