//! One SAML account: change its role and description, or remove it (after a confirmation).

#![allow(clippy::result_large_err)]

use crate::console::common::{Admin, ConfirmPage, check_csrf, page, status_for};
use crate::page::message;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use symbolon_sp::SpError;
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "account/saml_account.html")]
pub(crate) struct SamlAccountPage<'a> {
    pub(crate) account: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) name: &'a str,
    pub(crate) role: Option<String>,
    pub(crate) roles: Vec<String>,
    pub(crate) description: &'a str,
    pub(crate) warning: Option<String>,
    pub(crate) error: Option<String>,
}

fn not_found() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "err-not-found-title",
        "spc-no-such-saml-account",
        vec![],
    )
}

async fn render<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
    name: &str,
    error: Option<String>,
) -> Response {
    let views = match symbolon_sp::saml_account_views(&st.store, &a.pair.account_id).await {
        Ok(v) => v,
        Err(e) => {
            return message(
                StatusCode::SERVICE_UNAVAILABLE,
                "spc-error",
                &e.to_string(),
                vec![],
            );
        }
    };
    let Some(v) = views.into_iter().find(|v| v.account.name == name) else {
        let tr = symbolon_web::i18n::tr();
        if let Ok(Some(p)) = symbolon_sp::scim::provisioned_views(&st.store, &a.pair.account_id)
            .await
            .map(|all| all.into_iter().find(|p| p.name_id == name))
        {
            return message(
                StatusCode::OK,
                &p.name_id,
                &symbolon_web::i18n::encode(
                    "spc-provisioned-account",
                    &[
                        ("name", &p.name_id),
                        ("user", &p.user_name),
                        (
                            "state",
                            &tr.t(if p.active {
                                "spc-active"
                            } else {
                                "spc-deactivated-refused"
                            }),
                        ),
                        (
                            "roles",
                            &if p.roles.is_empty() {
                                tr.t("common-none")
                            } else {
                                p.roles.join(", ")
                            },
                        ),
                    ],
                ),
                vec![(
                    "/account/saml-accounts".to_string(),
                    tr.t("spc-back-to-saml-accounts"),
                )],
            );
        }
        return not_found();
    };
    let roles = st
        .store
        .account_roles(&a.pair.account_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.name)
        .collect();
    let description = v.account.description.clone().unwrap_or_default();
    page(
        status_for(error.is_some()),
        SamlAccountPage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice: None,
            name: &v.account.name,
            role: v.role,
            roles,
            description: &description,
            warning: v
                .master_conflict
                .then(|| symbolon_sp::master_conflict_warning(&v.account.name)),
            error,
        }
        .render(),
    )
}

pub(crate) async fn saml_account<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Path(name): Path<String>,
) -> Response {
    render(&st, &a, &name, None).await
}

#[derive(Deserialize)]
pub(crate) struct EditForm {
    pub(crate) csrf: Option<String>,
    pub(crate) action: Option<String>,
    pub(crate) role: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) confirm: Option<String>,
}

pub(crate) async fn saml_account_action<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Path(name): Path<String>,
    Form(f): Form<EditForm>,
) -> Response {
    if let Err(r) = check_csrf(&a, f.csrf.as_deref()) {
        return r;
    }
    let now = OffsetDateTime::now_utc();
    let here = format!(
        "/account/saml-accounts/{}",
        percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC)
    );
    let done = match f.action.as_deref() {
        Some("edit") => symbolon_sp::edit_saml_account(
            &st.store,
            &a.actor,
            &a.pair.account_id,
            &name,
            f.role.as_deref().filter(|r| !r.is_empty()),
            Some(f.description.as_deref().unwrap_or("")),
            now,
        )
        .await
        .map(|_| here.clone()),
        Some("remove") if f.confirm.as_deref() != Some("yes") => {
            return page(
                StatusCode::OK,
                ConfirmPage {
                    account: &a.pair.account_name,
                    csrf: &a.session.csrf,
                    notice: None,
                    question: symbolon_web::i18n::encode(
                        "spc-remove-saml-account-q",
                        &[("name", &name)],
                    ),
                    consequence: "spc-remove-saml-account-consequence",
                    verb: "spc-remove-saml-account-verb",
                    action: &here,
                    cancel: &here,
                    hidden: vec![("action", "remove".into())],
                }
                .render(),
            );
        }
        Some("remove") => {
            symbolon_sp::remove_saml_account(&st.store, &a.actor, &a.pair.account_id, &name, now)
                .await
                .map(|()| "/account/saml-accounts".to_string())
        }
        _ => {
            return message(
                StatusCode::BAD_REQUEST,
                "spc-unknown-action-title",
                "err-unknown-action",
                vec![],
            );
        }
    };
    match done {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(SpError::NotFound(_)) => not_found(),
        Err(SpError::Invalid(m) | SpError::Conflict(m)) => render(&st, &a, &name, Some(m)).await,
        Err(e) => message(
            StatusCode::SERVICE_UNAVAILABLE,
            "spc-error",
            &e.to_string(),
            vec![],
        ),
    }
}
