//! A client's provisioning (SCIM) in the console: where its users are pushed, how the last
//! runs went (last run, success, errors, pending changes, drift), and the form that turns it on,
//! changes it or stops it. The token is write-only: an empty field keeps the one in use.

#![allow(clippy::result_large_err)]

use crate::console::clients::{ClientForm, find_client, render_client};
use crate::console::common::{Errors, realm_admin_post};
use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use symbolon_idp::{Actor, IdpError};
use symbolon_store::provisioning::Provisioning;
use symbolon_store::{Client, IdpStore};
use time::OffsetDateTime;

fn at(s: &AdminSession, t: Option<OffsetDateTime>) -> String {
    t.map(|t| s.time(t))
        .unwrap_or_else(|| symbolon_web::i18n::tr().t("spc-never"))
}

/// What the client page shows of provisioning.
pub(crate) async fn status_lines<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    c: &Client,
) -> Vec<(&'static str, String)> {
    let Some(t) = &c.provisioning else {
        return vec![];
    };
    let p = st
        .store()
        .provisioning_status(&c.id)
        .await
        .unwrap_or_default();
    let mut out = vec![
        ("idpc-prov-url", t.url.clone()),
        (
            "idpc-prov-removed-users",
            if t.delete_removed {
                "idpc-prov-deleted"
            } else {
                "idpc-prov-deactivated"
            }
            .to_string(),
        ),
        ("idpc-prov-last-run", at(s, p.last_run)),
        ("idpc-prov-last-success", at(s, p.last_success)),
        (
            "idpc-prov-provisioned",
            symbolon_web::i18n::encode(
                "idpc-prov-counts",
                &[
                    ("users", &p.users.to_string()),
                    ("active", &p.active_users.to_string()),
                    ("groups", &p.groups.to_string()),
                ],
            ),
        ),
        ("idpc-prov-changed", p.changed.to_string()),
        ("idpc-prov-pending", p.pending.to_string()),
        (
            "idpc-prov-last-reconcile",
            symbolon_web::i18n::encode(
                "idpc-prov-reconcile-value",
                &[
                    ("at", &at(s, p.last_reconcile)),
                    ("drift", &p.drift.to_string()),
                ],
            ),
        ),
    ];
    if let Some(e) = p.last_error {
        out.push(("idpc-prov-last-error", e));
        out.push((
            "idpc-prov-next-attempt",
            symbolon_web::i18n::encode(
                "idpc-prov-next-value",
                &[
                    ("at", &at(s, p.next_attempt)),
                    ("count", &p.failures.to_string()),
                ],
            ),
        ));
    }
    out
}

#[derive(Deserialize)]
pub(crate) struct ProvisioningForm {
    pub(crate) csrf: Option<String>,
    pub(crate) action: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) token: Option<String>,
    pub(crate) delete_removed: Option<String>,
    pub(crate) allow_http: Option<String>,
}

pub(crate) async fn client_provisioning<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
    Form(f): Form<ProvisioningForm>,
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
    let target = match f.action.as_deref() {
        Some("off") => None,
        _ => {
            let token = f
                .token
                .filter(|t| !t.trim().is_empty())
                .or_else(|| c.provisioning.as_ref().map(|p| p.token.clone()))
                .unwrap_or_default();
            Some(Provisioning {
                url: f.url.unwrap_or_default(),
                token,
                delete_removed: f.delete_removed.is_some(),
                allow_http: f.allow_http.is_some(),
            })
        }
    };
    let on = target.is_some();
    match symbolon_idp::provisioning::set_provisioning(
        st.store(),
        &actor,
        &realm,
        &c.client_id,
        target,
        now,
    )
    .await
    {
        Ok(()) => {
            let notice = if on {
                "idpc-provisioning-saved"
            } else {
                "idpc-provisioning-stopped"
            };
            symbolon_web::flash::redirect_with(st.store(), &s.csrf, &here, notice).await
        }
        Err(IdpError::Invalid(m)) => {
            render_client(
                &st,
                &s,
                &realm,
                &c,
                ClientForm::from(&c),
                Errors::default(),
                vec![],
                Some(symbolon_web::i18n::encode(
                    "idpc-provisioning-not-saved",
                    &[("reason", &m)],
                )),
            )
            .await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}
