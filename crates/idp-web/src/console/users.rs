//! Users: the list, adding one, and the user page with its actions (enable, password,
//! credentials, groups, roles, passkeys, registration links).

#![allow(clippy::result_large_err)]

use crate::console::common::{
    ConfirmPage, Listing, SortQuery, form_status, page, page_status, realm_admin, realm_admin_post,
};
use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use symbolon_idp::{Actor, IdpError};
use symbolon_store::IdpStore;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "console/users.html")]
pub(crate) struct UsersPage<'a> {
    pub(crate) realm: Option<&'a str>,
    pub(crate) realm_name: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) admin: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) list: UserList,
    pub(crate) q: &'a str,
    pub(crate) sort: &'a str,
    pub(crate) f_username: &'a str,
    pub(crate) f_email: &'a str,
    pub(crate) f_first: &'a str,
    pub(crate) f_last: &'a str,
    pub(crate) err_username: Option<String>,
    pub(crate) err_password: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AddUserForm {
    pub(crate) csrf: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) password: Option<String>,
}

/// Users shown per page of the list.
const PAGE_SIZE: u64 = 50;

/// The users list's path.
fn users_path(realm: &str) -> String {
    format!("/admin/console/{realm}/users")
}

/// The users list's order for a `sort` value.
fn user_order(sort: &str) -> symbolon_store::UserOrder {
    use symbolon_store::UserOrder;
    match sort {
        "1" => UserOrder::Email,
        "2" => UserOrder::Name,
        "4" => UserOrder::Enabled,
        _ => UserOrder::Username,
    }
}

/// One page of the list: its rows, and where the other pages are.
pub(crate) struct UserList {
    pub(crate) rows: Vec<(String, String, String, String, String)>,
    pub(crate) pager: symbolon_web::paging::Pager,
    /// Header links: each column's order with the same search.
    pub(crate) sort_links: Vec<String>,
}

/// One page of the realm's users, searched and ordered by the database (a realm of 100,000 users
/// costs one page), with their groups.
pub(crate) async fn user_rows<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
    listing: &Listing,
) -> Result<UserList, Response> {
    let (users, total, shown_page) =
        symbolon_web::paging::fetch_page(listing.page, PAGE_SIZE, |offset| {
            let page = symbolon_store::UserPage {
                search: listing.q.clone(),
                order: user_order(&listing.sort),
                offset,
                limit: PAGE_SIZE,
            };
            async move { st.store().users_page(realm, &page).await }
        })
        .await
        .map_err(|e| WebError::from(e).into_response())?;
    let listing = &Listing {
        page: shown_page,
        ..listing.clone()
    };
    let mut rows = Vec::new();
    for u in &users {
        let groups = symbolon_idp::user_group_paths(st.store(), u)
            .await
            .unwrap_or_default()
            .join(", ");
        let name = [u.first_name.as_deref(), u.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        rows.push((
            u.username.clone(),
            u.email.clone().unwrap_or_default(),
            name,
            groups,
            if u.enabled {
                "idpc-yes".to_string()
            } else {
                "idpc-no".to_string()
            },
        ));
    }
    let shown = u64::try_from(rows.len()).unwrap_or(0);
    Ok(UserList {
        rows,
        pager: symbolon_web::paging::Pager::new(listing.page, PAGE_SIZE, shown, total, |p| {
            listing.href(&users_path(realm), &listing.sort, p)
        }),
        sort_links: ["0", "1", "2", "4"]
            .iter()
            .map(|c| listing.href(&users_path(realm), c, 1))
            .collect(),
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn render_users<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    listing: &Listing,
    f: &AddUserForm,
    err_username: Option<String>,
    err_password: Option<String>,
    notice: Option<String>,
) -> Response {
    let list = match user_rows(st, realm, listing).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let bad = err_username.is_some() || err_password.is_some();
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let (username, email, first, last) = if bad {
        (
            o(&f.username),
            o(&f.email),
            o(&f.first_name),
            o(&f.last_name),
        )
    } else {
        Default::default()
    };
    page_status(
        form_status(bad),
        UsersPage {
            realm: Some(realm),
            realm_name: realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice,
            list,
            q: &listing.q,
            sort: &listing.sort,
            f_username: &username,
            f_email: &email,
            f_first: &first,
            f_last: &last,
            err_username,
            err_password,
        }
        .render(),
    )
}

pub(crate) async fn users<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path(realm): Path<String>,
    Query(q): Query<SortQuery>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let notice = symbolon_web::flash::take(st.store(), &s.csrf).await;
    render_users(
        &st,
        &s,
        &realm,
        &Listing::of(&q),
        &AddUserForm::default(),
        None,
        None,
        notice,
    )
    .await
}

pub(crate) async fn add_user<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(f): Form<AddUserForm>,
) -> Response {
    let s = match realm_admin_post(&st, signed_in, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let username = f.username.clone().unwrap_or_default();
    if username.trim().is_empty() {
        return render_users(
            &st,
            &s,
            &realm,
            &Listing::default(),
            &f,
            Some("idpc-enter-username".into()),
            None,
            None,
        )
        .await;
    }
    let password = f.password.clone().filter(|p| !p.is_empty());
    if password.as_ref().is_some_and(|p| p.chars().count() < 8) {
        return render_users(
            &st,
            &s,
            &realm,
            &Listing::default(),
            &f,
            None,
            Some("spc-password-short".into()),
            None,
        )
        .await;
    }
    let new = symbolon_idp::NewUser {
        username: username.clone(),
        email: f.email.clone(),
        first_name: f.first_name.clone().filter(|v| !v.is_empty()),
        last_name: f.last_name.clone().filter(|v| !v.is_empty()),
        attributes: vec![],
    };
    match symbolon_idp::add_user(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        new,
        password.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(u) => {
            symbolon_web::flash::redirect_with(
                st.store(),
                &s.csrf,
                &format!("/admin/console/{realm}/users"),
                &symbolon_web::i18n::encode("idpc-user-added", &[("name", &u.username)]),
            )
            .await
        }
        Err(IdpError::Invalid(m) | IdpError::Conflict(m) | IdpError::NotFound(m)) => {
            render_users(
                &st,
                &s,
                &realm,
                &Listing::default(),
                &f,
                Some(m),
                None,
                None,
            )
            .await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "console/user.html")]
pub(crate) struct UserPage<'a> {
    pub(crate) realm: Option<&'a str>,
    pub(crate) realm_name: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) admin: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) u: &'a symbolon_store::User,
    pub(crate) err_password: Option<String>,
    pub(crate) member_of: Vec<String>,
    pub(crate) groups: Vec<String>,
    pub(crate) roles: Vec<String>,
    pub(crate) methods: symbolon_idp::UserMethods,
    /// (name, added, last used, counter, synced, ID, flagged since) per passkey.
    pub(crate) passkey_rows: Vec<PasskeyRowView>,
    /// The realm's policy offers passkeys.
    pub(crate) passkey_realm: bool,
    /// (name, values joined) per attribute.
    pub(crate) attributes: Vec<(String, String)>,
    /// How many live SSO sessions the user has.
    pub(crate) sessions: usize,
}

/// (name, added, last used, counter, synced, ID, flagged since) of one passkey.
pub(crate) type PasskeyRowView = (
    String,
    String,
    String,
    u32,
    &'static str,
    String,
    Option<String>,
);

pub(crate) async fn render_user<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    username: &str,
    err_password: Option<String>,
    notice: Option<String>,
) -> Response {
    let u = match st.store().user_by_username(realm, username).await {
        Ok(Some(u)) => u,
        Ok(None) => {
            return WebError::not_found_page(symbolon_web::i18n::encode(
                "idpc-no-user",
                &[("name", username)],
            ))
            .into_response();
        }
        Err(e) => return WebError::from(e).into_response(),
    };
    let member_of = symbolon_idp::user_group_paths(st.store(), &u)
        .await
        .unwrap_or_default();
    let groups = st
        .store()
        .groups(realm)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|g| g.path)
        .filter(|p| !member_of.contains(p))
        .collect();
    let roles = symbolon_idp::roles::user_roles(st.store(), &u)
        .await
        .unwrap_or_default();
    let methods = match symbolon_idp::user_methods(st.store(), &u).await {
        Ok(m) => m,
        Err(e) => return WebError::from(e).into_response(),
    };
    let passkey_realm = match symbolon_idp::auth_policy(st.store(), realm).await {
        Ok(p) => p.passkeys(),
        Err(e) => return WebError::from(e).into_response(),
    };
    let mut attributes: Vec<(String, String)> = Vec::new();
    for (k, v) in &u.attributes {
        match attributes.iter_mut().find(|(n, _)| n == k) {
            Some((_, all)) => {
                all.push_str(", ");
                all.push_str(v);
            }
            None => attributes.push((k.clone(), v.clone())),
        }
    }
    let sessions = symbolon_idp::list_sessions(
        st.store(),
        realm,
        Some(&u.username),
        OffsetDateTime::now_utc(),
    )
    .await
    .map(|v| v.len())
    .unwrap_or(0);
    let bad = err_password.is_some();
    page_status(
        form_status(bad),
        UserPage {
            roles,
            realm: Some(realm),
            realm_name: realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice,
            u: &u,
            err_password,
            member_of,
            groups,
            passkey_rows: methods
                .passkeys
                .iter()
                .map(|p| {
                    (
                        p.name.clone(),
                        s.time(p.created_at),
                        p.last_used
                            .map(|t| s.time(t))
                            .unwrap_or_else(|| symbolon_web::i18n::tr().t("spc-never")),
                        p.sign_count,
                        if p.backup_state {
                            "idpc-yes"
                        } else if p.backup_eligible {
                            "idpc-synced-can-be"
                        } else {
                            "idpc-synced-no"
                        },
                        p.id.clone(),
                        p.flagged_at.map(|t| s.time(t)),
                    )
                })
                .collect(),
            methods,
            passkey_realm,
            attributes,
            sessions,
        }
        .render(),
    )
}

pub(crate) async fn user_page<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path((realm, username)): Path<(String, String)>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let notice = symbolon_web::flash::take(st.store(), &s.csrf).await;
    render_user(&st, &s, &realm, &username, None, notice).await
}

#[derive(Deserialize)]
pub(crate) struct UserActionForm {
    pub(crate) csrf: Option<String>,
    pub(crate) action: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) enabled: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) group: Option<String>,
    pub(crate) on: Option<String>,
    pub(crate) confirm: Option<String>,
    pub(crate) passkey: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) values: Option<String>,
}

pub(crate) async fn user_action<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path((realm, username)): Path<(String, String)>,
    Form(f): Form<UserActionForm>,
) -> Response {
    let s = match realm_admin_post(&st, signed_in, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let actor = Actor(s.username.clone());
    let now = OffsetDateTime::now_utc();
    let result = match f.action.as_deref() {
        Some("profile") => {
            let mut u = match st.store().user_by_username(&realm, &username).await {
                Ok(Some(u)) => u,
                Ok(None) => {
                    return WebError::not_found_page(symbolon_web::i18n::encode(
                        "idpc-no-user",
                        &[("name", &username)],
                    ))
                    .into_response();
                }
                Err(e) => return WebError::from(e).into_response(),
            };
            u.email = f.email.filter(|v| !v.trim().is_empty());
            u.first_name = f.first_name.filter(|v| !v.is_empty());
            u.last_name = f.last_name.filter(|v| !v.is_empty());
            u.enabled = f.enabled.is_some();
            symbolon_idp::update_user(st.store(), &actor, &u, now)
                .await
                .map(|()| "idpc-saved".to_string())
        }
        Some("password") => {
            let pw = f.password.unwrap_or_default();
            if pw.chars().count() < 8 {
                return render_user(
                    &st,
                    &s,
                    &realm,
                    &username,
                    Some("spc-password-short".into()),
                    None,
                )
                .await;
            }
            symbolon_idp::set_password(st.store(), &actor, &realm, &username, &pw, now)
                .await
                .map(|()| "idpc-password-set".to_string())
        }
        Some("clear-passkey-flag") => symbolon_idp::clear_passkey_flag(
            st.store(),
            &actor,
            &realm,
            &username,
            f.passkey.as_deref().unwrap_or_default(),
            now,
        )
        .await
        .map(|()| "idpc-flag-cleared".to_string()),
        Some("require-passkey") => {
            let on = f.on.as_deref() == Some("yes");
            symbolon_idp::require_passkey(st.store(), &actor, &realm, &username, on, now)
                .await
                .map(|()| {
                    if on {
                        "idpc-passkey-required".to_string()
                    } else {
                        "idpc-passkey-not-required".to_string()
                    }
                })
        }
        Some("registration-link") => symbolon_idp::create_registration_link(
            st.store(),
            &actor,
            &st.config().base_url,
            &realm,
            &username,
            now,
        )
        .await
        .map(|l| {
            symbolon_web::i18n::encode(
                "idpc-registration-link-notice",
                &[
                    ("name", &username),
                    ("expires", &s.time(l.expires)),
                    ("url", &l.url),
                ],
            )
        }),
        Some("reset-credentials") if f.confirm.as_deref() != Some("yes") => {
            return page(
                ConfirmPage {
                    realm: Some(&realm),
                    csrf: &s.csrf,
                    admin: &s.username,
                    notice: None,
                    question: symbolon_web::i18n::encode(
                        "idpc-reset-methods-q",
                        &[("name", &username)],
                    ),
                    consequence: "idpc-reset-methods-consequence".into(),
                    verb: "idpc-reset-methods-verb",
                    action: format!("/admin/console/{realm}/users/{username}"),
                    cancel: format!("/admin/console/{realm}/users/{username}"),
                    hidden: vec![("action", "reset-credentials".into())],
                }
                .render(),
            );
        }
        Some("reset-credentials") => {
            symbolon_idp::reset_credentials(st.store(), &actor, &realm, &username, now)
                .await
                .map(|r| {
                    symbolon_web::i18n::encode(
                        "idpc-methods-reset",
                        &[
                            ("passkeys", &r.passkeys_removed.to_string()),
                            ("sessions", &r.sessions_signed_out.to_string()),
                        ],
                    )
                })
        }
        Some("set-attr") => {
            let key = f.key.unwrap_or_default();
            let values: Vec<String> = f
                .values
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect();
            symbolon_idp::set_user_attribute(
                st.store(),
                &actor,
                &realm,
                &username,
                &key,
                &values,
                now,
            )
            .await
            .map(|changed| {
                symbolon_web::i18n::encode(
                    if changed {
                        "idpc-attribute-saved"
                    } else {
                        "idpc-attribute-unchanged"
                    },
                    &[("name", key.trim())],
                )
            })
        }
        Some("unset-attr") => {
            let key = f.key.unwrap_or_default();
            symbolon_idp::unset_user_attribute(st.store(), &actor, &realm, &username, &key, now)
                .await
                .map(|_| {
                    symbolon_web::i18n::encode("idpc-attribute-removed", &[("name", key.trim())])
                })
        }
        Some("leave") => {
            let g = f.group.unwrap_or_default();
            symbolon_idp::leave_group(st.store(), &actor, &realm, &username, &g, now)
                .await
                .map(|()| symbolon_web::i18n::encode("idpc-removed-from", &[("name", &g)]))
        }
        Some("signout-all") => {
            symbolon_idp::revoke_user_sessions(st.store(), &actor, &realm, &username, now)
                .await
                .map(|n| format!("{n} session(s) signed out."))
        }
        Some("delete") if f.confirm.as_deref() != Some("yes") => {
            return page(
                ConfirmPage {
                    realm: Some(&realm),
                    csrf: &s.csrf,
                    admin: &s.username,
                    notice: None,
                    question: symbolon_web::i18n::encode(
                        "idpc-delete-user-q",
                        &[("name", &username)],
                    ),
                    consequence: "idpc-delete-user-consequence".into(),
                    verb: "idpc-delete-user-verb",
                    action: format!("/admin/console/{realm}/users/{username}"),
                    cancel: format!("/admin/console/{realm}/users/{username}"),
                    hidden: vec![("action", "delete".into())],
                }
                .render(),
            );
        }
        Some("delete") => {
            return match symbolon_idp::delete_user(st.store(), &actor, &realm, &username, now).await
            {
                Ok(_) => Redirect::to(&format!("/admin/console/{realm}/users")).into_response(),
                Err(e) => WebError::from(e).into_response(),
            };
        }
        Some("join") => {
            let g = f.group.unwrap_or_default();
            symbolon_idp::join_group(st.store(), &actor, &realm, &username, &g, now)
                .await
                .map(|()| symbolon_web::i18n::encode("idpc-added-to", &[("name", &g)]))
        }
        _ => return WebError::bad_request_page("err-unknown-action").into_response(),
    };
    match result {
        Ok(msg) => {
            symbolon_web::flash::redirect_with(
                st.store(),
                &s.csrf,
                &format!("/admin/console/{realm}/users/{username}"),
                &msg,
            )
            .await
        }
        Err(IdpError::Invalid(m) | IdpError::Conflict(m) | IdpError::NotFound(m)) => {
            render_user(&st, &s, &realm, &username, None, Some(m)).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}
