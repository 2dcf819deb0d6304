//! Roles of an account: the list, adding, renaming and deleting a custom one (after a
//! confirmation). Built-in roles stay as they are.

#![allow(clippy::result_large_err)]

use crate::console::common::{
    Admin, ConfirmPage, Field, FormSpec, NameForm, TablePage, TableQuery, check_csrf, page,
    sort_rows, status_for,
};
use crate::page::message;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use symbolon_sp::SpError;
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

pub(crate) async fn role_rows<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
) -> (Vec<Vec<String>>, Vec<String>) {
    let roles = st
        .store
        .account_roles(&a.pair.account_id)
        .await
        .unwrap_or_default();
    let rows = roles
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                if r.builtin {
                    "built-in".into()
                } else {
                    "custom".into()
                },
            ]
        })
        .collect();
    let custom = roles
        .into_iter()
        .filter(|r| !r.builtin)
        .map(|r| r.name)
        .collect();
    (rows, custom)
}

pub(crate) async fn render_roles<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
    sort: Option<usize>,
    name: &str,
    err: Option<String>,
    notice: Option<String>,
) -> Response {
    let (rows, names) = role_rows(st, a).await;
    let bad = err.is_some();
    let form = FormSpec {
        action: "/account/roles",
        title: "spc-add-role",
        submit: "spc-add-role",
        fields: vec![Field {
            name: "name",
            label: "spc-role-name",
            value: name.into(),
            error: err,
            options: vec![],
        }],
    };
    let mut rows = rows;
    sort_rows(&mut rows, sort, 2);
    page(
        status_for(bad),
        TablePage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice,
            heading: "sp-nav-roles",
            hint: Some("spc-roles-hint"),
            filters: vec![],
            columns: vec!["sp-role", "spc-kind"],
            rows,
            form: Some(form),
            link_prefix: None,
            pager: None,
            sorts: vec![],
            search: None,
            delete_roles: names,
        }
        .render(),
    )
}

pub(crate) async fn roles<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Query(q): Query<TableQuery>,
) -> Response {
    let notice = symbolon_web::flash::take(&st.store, &a.session.csrf).await;
    render_roles(&st, &a, q.sort, "", None, notice).await
}

pub(crate) async fn add_role<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Form(f): Form<NameForm>,
) -> Response {
    if let Err(r) = check_csrf(&a, f.csrf.as_deref()) {
        return r;
    }
    let name = f.name.unwrap_or_default();
    match symbolon_sp::add_role(
        &st.store,
        &a.actor,
        &a.pair.account_id,
        &name,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(r) => {
            symbolon_web::flash::redirect_with(
                &st.store,
                &a.session.csrf,
                "/account/roles",
                &symbolon_web::i18n::encode("spc-role-added", &[("name", &r.name)]),
            )
            .await
        }
        Err(SpError::Invalid(m) | SpError::Conflict(m) | SpError::NotFound(m)) => {
            render_roles(&st, &a, None, &name, Some(m), None).await
        }
        Err(e) => message(
            StatusCode::SERVICE_UNAVAILABLE,
            "spc-error",
            &e.to_string(),
            vec![],
        ),
    }
}

pub(crate) async fn delete_role<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Form(f): Form<NameForm>,
) -> Response {
    if let Err(r) = check_csrf(&a, f.csrf.as_deref()) {
        return r;
    }
    let name = f.name.unwrap_or_default();
    if f.confirm.as_deref() != Some("yes") {
        return page(
            StatusCode::OK,
            ConfirmPage {
                account: &a.pair.account_name,
                csrf: &a.session.csrf,
                notice: None,
                question: symbolon_web::i18n::encode("spc-delete-role-q", &[("name", &name)]),
                consequence: "spc-delete-role-consequence",
                verb: "spc-delete-role-verb",
                action: "/account/roles/delete",
                cancel: "/account/roles",
                hidden: vec![("name", name)],
            }
            .render(),
        );
    }
    match symbolon_sp::delete_role(
        &st.store,
        &a.actor,
        &a.pair.account_id,
        &name,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(()) => {
            symbolon_web::flash::redirect_with(
                &st.store,
                &a.session.csrf,
                "/account/roles",
                &symbolon_web::i18n::encode("spc-role-deleted", &[("name", &name)]),
            )
            .await
        }
        Err(e) => render_roles(&st, &a, None, "", None, Some(e.to_string())).await,
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct RenameForm {
    pub(crate) csrf: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) new_name: Option<String>,
}

pub(crate) async fn rename_role<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Form(f): Form<RenameForm>,
) -> Response {
    if let Err(r) = check_csrf(&a, f.csrf.as_deref()) {
        return r;
    }
    let name = f.name.unwrap_or_default();
    let new_name = f.new_name.unwrap_or_default();
    match symbolon_sp::rename_role(
        &st.store,
        &a.actor,
        &a.pair.account_id,
        &name,
        &new_name,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(_) => axum::response::IntoResponse::into_response(axum::response::Redirect::to(
            "/account/roles",
        )),
        Err(e) => render_roles(&st, &a, None, "", None, Some(e.to_string())).await,
    }
}
