//! SAML accounts and the read-only SAML Users tab.

#![allow(clippy::result_large_err)]

use crate::console::common::{
    Admin, Field, FormSpec, NameForm, TableQuery, check_csrf, status_for, table,
};
use crate::page::message;
use crate::state::AppState;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use symbolon_sp::SpError;
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

pub(crate) async fn render_saml_accounts<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
    sort: Option<usize>,
    f: (&str, &str, &str),
    err: Option<String>,
    notice: Option<String>,
) -> Response {
    let roles = st
        .store
        .account_roles(&a.pair.account_id)
        .await
        .unwrap_or_default();
    let rows = st
        .store
        .saml_accounts(&a.pair.account_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|s| {
            let role = roles
                .iter()
                .find(|r| r.id == s.role_id)
                .map_or("(deleted role)".to_string(), |r| r.name.clone());
            vec![s.name, role, s.description.unwrap_or_default()]
        })
        .collect();
    let bad = err.is_some();
    let form = FormSpec {
        action: "/account/saml-accounts",
        title: "Add User Account: SAML Account",
        submit: "Add",
        fields: vec![
            Field {
                name: "name",
                label: "Account name (email or username, as the IdP's NameID)",
                value: f.0.into(),
                error: err,
                options: vec![],
            },
            Field {
                name: "role",
                label: "Role",
                value: f.2.into(),
                error: None,
                options: roles.iter().map(|r| r.name.clone()).collect(),
            },
            Field {
                name: "description",
                label: "Description (optional)",
                value: f.1.into(),
                error: None,
                options: vec![],
            },
        ],
    };
    table(
        a,
        status_for(bad),
        "User Accounts",
        Some(
            "SAML accounts of this account. A SAML account may sign in through single sign-on with its role, in addition to any group mappings.",
        ),
        vec!["Account name", "Role", "Description"],
        rows,
        sort,
        Some(form),
        notice,
    )
}

pub(crate) async fn saml_accounts<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Query(q): Query<TableQuery>,
) -> Response {
    render_saml_accounts(&st, &a, q.sort, ("", "", ""), None, None).await
}

pub(crate) async fn add_saml_account<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Form(f): Form<NameForm>,
) -> Response {
    if let Err(r) = check_csrf(&a, f.csrf.as_deref()) {
        return r;
    }
    let name = f.name.unwrap_or_default();
    let desc = f.description.unwrap_or_default();
    let role = f.role.unwrap_or_default();
    let d = Some(desc.as_str()).filter(|d| !d.trim().is_empty());
    match symbolon_sp::add_saml_account(
        &st.store,
        &a.actor,
        &a.pair.account_id,
        &name,
        &role,
        d,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(()) => {
            render_saml_accounts(
                &st,
                &a,
                None,
                ("", "", ""),
                None,
                Some(format!(
                    "SAML account {} added.",
                    name.trim().to_lowercase()
                )),
            )
            .await
        }
        Err(SpError::Invalid(m) | SpError::Conflict(m)) => {
            render_saml_accounts(&st, &a, None, (&name, &desc, &role), Some(m), None).await
        }
        Err(e) => message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Error",
            &e.to_string(),
            vec![],
        ),
    }
}

/// Users > SAML: read-only.
pub(crate) async fn saml_users<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Query(q): Query<TableQuery>,
) -> Response {
    let tz = a.session.sign_in.timezone.clone();
    let rows = st
        .store
        .saml_users(&a.pair.account_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|u| {
            vec![
                u.name_id,
                u.last_role,
                symbolon_sp::format_in_zone(u.last_logon, tz.as_deref()),
                u.id,
            ]
        })
        .collect();
    table(
        &a,
        StatusCode::OK,
        "Users > SAML",
        Some(
            "The SAML users who reached this account. Read-only; users not seen for 365 days drop off the list.",
        ),
        vec!["Name", "Role", "Last logon", "ID"],
        rows,
        q.sort,
        None,
        None,
    )
}
