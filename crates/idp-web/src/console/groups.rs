//! Groups: the tree and adding a group.

#![allow(clippy::result_large_err)]

use crate::console::common::{check_csrf, form_status, page_status, realm_admin};
use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use symbolon_idp::{Actor, IdpError};
use symbolon_store::IdpStore;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "console/groups.html")]
pub(crate) struct GroupsPage<'a> {
    pub(crate) realm: Option<&'a str>,
    pub(crate) realm_name: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) admin: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) groups: Vec<String>,
    pub(crate) f_path: &'a str,
    pub(crate) err_path: Option<String>,
}

pub(crate) async fn render_groups<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    f_path: &str,
    err_path: Option<String>,
    notice: Option<String>,
) -> Response {
    let groups = st
        .store()
        .groups(realm)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|g| g.path)
        .collect();
    let bad = err_path.is_some();
    page_status(
        form_status(bad),
        GroupsPage {
            realm: Some(realm),
            realm_name: realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice,
            groups,
            f_path,
            err_path,
        }
        .render(),
    )
}

pub(crate) async fn groups<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path(realm): Path<String>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    render_groups(&st, &s, &realm, "", None, None).await
}

#[derive(Deserialize)]
pub(crate) struct GroupForm {
    pub(crate) csrf: Option<String>,
    pub(crate) path: Option<String>,
}

pub(crate) async fn add_group<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(f): Form<GroupForm>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&s, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    let path = f.path.unwrap_or_default();
    match symbolon_idp::add_group(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        &path,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(g) => {
            render_groups(
                &st,
                &s,
                &realm,
                "",
                None,
                Some(format!("Group {} exists.", g.path)),
            )
            .await
        }
        Err(IdpError::Invalid(m) | IdpError::Conflict(m) | IdpError::NotFound(m)) => {
            render_groups(&st, &s, &realm, &path, Some(m), None).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}
