//! Groups: the tree with each group's members, adding, renaming or moving (with subgroups)
//! and deleting a group (after a confirmation that says what goes with it).

#![allow(clippy::result_large_err)]

use crate::console::common::{
    ConfirmPage, form_status, page_status, realm_admin, realm_admin_post,
};
use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
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
    /// (path, members' usernames)
    pub(crate) groups: Vec<(String, String)>,
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
    let mut groups = Vec::new();
    for g in st.store().groups(realm).await.unwrap_or_default() {
        let members = symbolon_idp::group_members(st.store(), realm, &g.path)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|u| u.username)
            .collect::<Vec<_>>()
            .join(", ");
        groups.push((g.path, members));
    }
    groups.sort();
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
    let notice = symbolon_web::flash::take(st.store(), &s.csrf).await;
    render_groups(&st, &s, &realm, "", None, notice).await
}

#[derive(Deserialize)]
pub(crate) struct GroupForm {
    pub(crate) csrf: Option<String>,
    pub(crate) path: Option<String>,
    pub(crate) action: Option<String>,
    pub(crate) new_path: Option<String>,
    pub(crate) confirm: Option<String>,
}

pub(crate) async fn add_group<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(f): Form<GroupForm>,
) -> Response {
    let s = match realm_admin_post(&st, signed_in, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
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
            symbolon_web::flash::redirect_with(
                st.store(),
                &s.csrf,
                &format!("/admin/console/{realm}/groups"),
                &symbolon_web::i18n::encode("idpc-group-added", &[("name", &g.path)]),
            )
            .await
        }
        Err(IdpError::Invalid(m) | IdpError::Conflict(m) | IdpError::NotFound(m)) => {
            render_groups(&st, &s, &realm, &path, Some(m), None).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

/// Rename/move or delete a group.
pub(crate) async fn group_action<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(f): Form<GroupForm>,
) -> Response {
    let s = match realm_admin_post(&st, signed_in, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let actor = Actor(s.username.clone());
    let now = OffsetDateTime::now_utc();
    let path = f.path.unwrap_or_default();
    let back = format!("/admin/console/{realm}/groups");
    let done = match f.action.as_deref() {
        Some("move") => {
            let new_path = f.new_path.unwrap_or_default();
            symbolon_idp::move_group(st.store(), &actor, &realm, &path, &new_path, now)
                .await
                .map(|_| ())
        }
        Some("delete") if f.confirm.as_deref() != Some("yes") => {
            let (paths, members) =
                match symbolon_idp::group_delete_preview(st.store(), &realm, &path).await {
                    Ok(p) => p,
                    Err(IdpError::NotFound(m) | IdpError::Invalid(m)) => {
                        return render_groups(&st, &s, &realm, "", None, Some(m)).await;
                    }
                    Err(e) => return WebError::from(e).into_response(),
                };
            return page_status(
                axum::http::StatusCode::OK,
                ConfirmPage {
                    realm: Some(&realm),
                    csrf: &s.csrf,
                    admin: &s.username,
                    notice: None,
                    question: symbolon_web::i18n::encode("idpc-delete-group-q", &[("name", &path)]),
                    consequence: symbolon_web::i18n::encode(
                        "idpc-delete-group-consequence",
                        &[
                            ("paths", &paths.join(", ")),
                            ("members", &members.to_string()),
                        ],
                    ),
                    verb: "idpc-delete-group-verb",
                    action: format!("/admin/console/{realm}/groups/action"),
                    cancel: back.clone(),
                    hidden: vec![("action", "delete".into()), ("path", path.clone())],
                }
                .render(),
            );
        }
        Some("delete") => symbolon_idp::delete_group(st.store(), &actor, &realm, &path, now)
            .await
            .map(|_| ()),
        _ => return WebError::bad_request_page("err-unknown-action").into_response(),
    };
    match done {
        Ok(()) => Redirect::to(&back).into_response(),
        Err(IdpError::Invalid(m) | IdpError::Conflict(m) | IdpError::NotFound(m)) => {
            render_groups(&st, &s, &realm, "", None, Some(m)).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}
