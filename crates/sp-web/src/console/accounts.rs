//! SAML accounts and the read-only SAML Users tab.

#![allow(clippy::result_large_err)]

use crate::console::common::{
    Admin, Field, FormSpec, NameForm, TablePage, TableQuery, check_csrf, linked_table, page,
    status_for,
};
use crate::page::message;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use symbolon_sp::SpError;
use symbolon_store::sp::{SamlUserOrder, SpStore};
use time::OffsetDateTime;

pub(crate) async fn render_saml_accounts<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
    sort: Option<usize>,
    f: (&str, &str, &str),
    err: Option<String>,
    notice: Option<String>,
) -> Response {
    let tr = symbolon_web::i18n::tr();
    let roles = st
        .store
        .account_roles(&a.pair.account_id)
        .await
        .unwrap_or_default();
    let provisioned: Vec<Vec<String>> =
        symbolon_sp::scim::provisioned_views(&st.store, &a.pair.account_id)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|p| {
                vec![
                    p.name_id,
                    if p.roles.is_empty() {
                        tr.t("spc-no-role-refused")
                    } else {
                        p.roles.join(", ")
                    },
                    tr.t1("spc-provisioned-as", "name", &p.user_name),
                    if p.active {
                        tr.t("spc-managed-by-idp")
                    } else {
                        tr.t("spc-deactivated-by-idp")
                    },
                ]
            })
            .collect();
    let mut rows: Vec<Vec<String>> = symbolon_sp::saml_account_views(&st.store, &a.pair.account_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|v| {
            let note = if v.master_conflict {
                tr.t("spc-master-conflict")
            } else {
                String::new()
            };
            vec![
                v.account.name,
                v.role.unwrap_or_else(|| tr.t("spc-deleted-role-cell")),
                v.account.description.unwrap_or_default(),
                note,
            ]
        })
        .collect();
    rows.extend(provisioned);
    let bad = err.is_some();
    let form = FormSpec {
        action: "/account/saml-accounts",
        title: "spc-add-saml-account",
        submit: "spc-add",
        fields: vec![
            Field {
                name: "name",
                label: "spc-saml-account-name",
                value: f.0.into(),
                error: err,
                options: vec![],
            },
            Field {
                name: "role",
                label: "sp-role",
                value: f.2.into(),
                error: None,
                options: roles.iter().map(|r| r.name.clone()).collect(),
            },
            Field {
                name: "description",
                label: "spc-description-optional",
                value: f.1.into(),
                error: None,
                options: vec![],
            },
        ],
    };
    linked_table(
        a,
        status_for(bad),
        "sp-nav-saml-accounts",
        Some("spc-saml-accounts-hint"),
        vec![
            "spc-account-name-col",
            "sp-role",
            "spc-description",
            "spc-note",
        ],
        rows,
        sort,
        Some(form),
        notice,
        Some("/account/saml-accounts/"),
    )
}

pub(crate) async fn saml_accounts<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Query(q): Query<TableQuery>,
) -> Response {
    let notice = symbolon_web::flash::take(&st.store, &a.session.csrf).await;
    render_saml_accounts(&st, &a, q.sort, ("", "", ""), None, notice).await
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
        Ok(warning) => {
            let added = name.trim().to_lowercase();
            let notice = match warning {
                Some(w) => symbolon_web::i18n::encode(
                    "spc-saml-account-added-warning",
                    &[("name", &added), ("warning", &w)],
                ),
                None => symbolon_web::i18n::encode("spc-saml-account-added", &[("name", &added)]),
            };
            symbolon_web::flash::redirect_with(
                &st.store,
                &a.session.csrf,
                "/account/saml-accounts",
                &notice,
            )
            .await
        }
        Err(SpError::Invalid(m) | SpError::Conflict(m) | SpError::NotFound(m)) => {
            render_saml_accounts(&st, &a, None, (&name, &desc, &role), Some(m), None).await
        }
        Err(e) => message(
            StatusCode::SERVICE_UNAVAILABLE,
            "spc-error",
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
    let tr = symbolon_web::i18n::tr();
    let tz = a.pair.profile.timezone.clone();
    let provisioned: std::collections::HashMap<String, bool> =
        symbolon_sp::scim::provisioned_views(&st.store, &a.pair.account_id)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.name_id, p.active))
            .collect();
    let account = &a.pair.account_id;
    let search: String = symbolon_web::paging::search_term(q.q.as_deref());
    let sort = q.sort.filter(|s| *s <= 2).unwrap_or(0);
    let order = match sort {
        1 => SamlUserOrder::LastRole,
        2 => SamlUserOrder::LastLogon,
        _ => SamlUserOrder::NameId,
    };
    let page_no = symbolon_web::paging::page_number(q.page.as_deref());
    let (users, total, page_no) =
        symbolon_web::paging::fetch_page(page_no, SAML_USERS_PAGE, |offset| {
            st.store
                .saml_users_page(account, &search, order, offset, SAML_USERS_PAGE)
        })
        .await
        .unwrap_or_default();
    let href = |sort: usize, p: u64| {
        let sort = sort.to_string();
        symbolon_web::paging::href("/account/saml-users", &[("sort", &sort), ("q", &search)], p)
    };
    let shown = u64::try_from(users.len()).unwrap_or(0);
    let pager =
        symbolon_web::paging::Pager::new(page_no, SAML_USERS_PAGE, shown, total, |p| href(sort, p));
    let rows = users
        .into_iter()
        .map(|u| {
            let source = match provisioned.get(&u.name_id.to_lowercase()) {
                Some(true) => tr.t("spc-provisioned"),
                Some(false) => tr.t("spc-provisioned-deactivated"),
                None => String::new(),
            };
            vec![
                u.name_id,
                u.last_role,
                symbolon_web::page::page_time_in(u.last_logon, tz.as_deref()),
                source,
                u.id,
            ]
        })
        .collect();
    page(
        StatusCode::OK,
        TablePage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice: None,
            heading: "sp-nav-saml-users",
            hint: Some("spc-saml-users-hint"),
            filters: vec![],
            columns: vec![
                "acc-col-name",
                "sp-role",
                "spc-last-logon",
                "spc-provisioning-col",
                "ID",
            ],
            rows,
            form: None,
            link_prefix: None,
            delete_roles: vec![],
            pager: Some(pager),
            sorts: vec![
                Some(href(0, 1)),
                Some(href(1, 1)),
                Some(href(2, 1)),
                None,
                None,
            ],
            search: Some((search.clone(), sort.to_string())),
        }
        .render(),
    )
}

/// SAML users per page of the list.
const SAML_USERS_PAGE: u64 = 50;
