//! Native users of an account (master administrators only): list, add, set a password,
//! remove (after a confirmation; never the last master administrator).

#![allow(clippy::result_large_err)]

use crate::console::common::{Admin, ConfirmPage, check_csrf, page, require_master, status_for};
use crate::page::message;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use symbolon_sp::SpError;
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "account/users.html")]
pub(crate) struct UsersPage<'a> {
    pub(crate) account: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) notice: Option<String>,
    /// (email, name, kind)
    pub(crate) users: Vec<(String, String, &'static str)>,
    pub(crate) f_email: &'a str,
    pub(crate) f_name: &'a str,
    pub(crate) err_email: Option<String>,
    pub(crate) err_password: Option<String>,
}

#[derive(Default)]
pub(crate) struct UserInput {
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) err_email: Option<String>,
    pub(crate) err_password: Option<String>,
}

async fn render<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
    input: UserInput,
    notice: Option<String>,
) -> Response {
    let users = symbolon_sp::native_users(&st.store, &a.pair.account_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|u| {
            (
                u.email,
                u.display_name.unwrap_or_default(),
                if u.master {
                    "master administrator"
                } else {
                    "user"
                },
            )
        })
        .collect();
    page(
        status_for(input.err_email.is_some() || input.err_password.is_some()),
        UsersPage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice,
            users,
            f_email: &input.email,
            f_name: &input.name,
            err_email: input.err_email,
            err_password: input.err_password,
        }
        .render(),
    )
}

pub(crate) async fn users<S: SpStore>(State(st): State<AppState<S>>, a: Admin) -> Response {
    if let Err(r) = require_master(&a, "spc-only-master-users") {
        return r;
    }
    render(&st, &a, UserInput::default(), None).await
}

#[derive(Deserialize)]
pub(crate) struct UserForm {
    pub(crate) csrf: Option<String>,
    pub(crate) action: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) display_name: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) master: Option<String>,
    pub(crate) confirm: Option<String>,
}

pub(crate) async fn user_action<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Form(f): Form<UserForm>,
) -> Response {
    if let Err(r) =
        require_master(&a, "spc-only-master-users").and_then(|()| check_csrf(&a, f.csrf.as_deref()))
    {
        return r;
    }
    let now = OffsetDateTime::now_utc();
    let email = f.email.unwrap_or_default();
    let password = f.password.unwrap_or_default();
    let done = match f.action.as_deref() {
        Some("add") => {
            let mut input = UserInput {
                email: email.clone(),
                name: f.display_name.clone().unwrap_or_default(),
                ..UserInput::default()
            };
            if password.chars().count() < 8 {
                input.err_password = Some("spc-password-short".into());
                return render(&st, &a, input, None).await;
            }
            match symbolon_sp::add_native_user(
                &st.store,
                &a.actor,
                &a.pair.account_id,
                &email,
                f.display_name.as_deref(),
                &password,
                f.master.is_some(),
                None,
                now,
            )
            .await
            {
                Ok(_) => Ok(()),
                Err(SpError::Invalid(m) | SpError::Conflict(m)) => {
                    input.err_email = Some(m);
                    return render(&st, &a, input, None).await;
                }
                Err(e) => Err(e),
            }
        }
        Some("reset") => {
            if password.chars().count() < 8 {
                return render(
                    &st,
                    &a,
                    UserInput::default(),
                    Some(symbolon_web::i18n::encode(
                        "spc-password-not-changed",
                        &[("name", &email)],
                    )),
                )
                .await;
            }
            symbolon_sp::reset_native_password(
                &st.store,
                &a.actor,
                &a.pair.account_id,
                &email,
                &password,
                now,
            )
            .await
        }
        Some("remove") if f.confirm.as_deref() != Some("yes") => {
            return page(
                StatusCode::OK,
                ConfirmPage {
                    account: &a.pair.account_name,
                    csrf: &a.session.csrf,
                    notice: None,
                    question: symbolon_web::i18n::encode("spc-remove-user-q", &[("name", &email)]),
                    consequence: "spc-remove-user-consequence",
                    verb: "spc-remove-user-verb",
                    action: "/account/users",
                    cancel: "/account/users",
                    hidden: vec![("action", "remove".into()), ("email", email.clone())],
                }
                .render(),
            );
        }
        Some("remove") => {
            symbolon_sp::remove_native_user(&st.store, &a.actor, &a.pair.account_id, &email, now)
                .await
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
        Ok(()) => Redirect::to("/account/users").into_response(),
        Err(SpError::Invalid(m) | SpError::Conflict(m) | SpError::NotFound(m)) => {
            render(&st, &a, UserInput::default(), Some(m)).await
        }
        Err(e) => message(
            StatusCode::SERVICE_UNAVAILABLE,
            "spc-error",
            &e.to_string(),
            vec![],
        ),
    }
}
