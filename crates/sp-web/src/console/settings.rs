//! Account settings: rename the account; its API keys (master administrators: create, revoke);
//! delete the account (a master administrator, after typing its name).

#![allow(clippy::result_large_err)]

use crate::console::common::{Admin, ConfirmPage, check_csrf, page, require_master, status_for};
use crate::page::message;
use crate::state::{AppState, SESSION, SESSION_COOKIE};
use askama::Template;
use axum::extract::{Form, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use symbolon_sp::SpError;
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "account/settings.html")]
pub(crate) struct SettingsPage<'a> {
    pub(crate) account: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) err_name: Option<String>,
    /// (name, ID, created, revoked, scope)
    pub(crate) keys: Vec<(String, String, String, bool, String)>,
    /// Provisioning: where the NameID comes from, the default role, the role names.
    pub(crate) name_source: String,
    pub(crate) default_role: String,
    pub(crate) roles: Vec<String>,
    pub(crate) new_key: Option<String>,
    /// The key form's one-time submission token (`symbolon_web::once`).
    pub(crate) once: String,
    pub(crate) may_delete: bool,
    /// A master administrator may create another account here (`[sp] accounts_from_console`).
    pub(crate) may_create: bool,
    /// What was typed for a new account's name, and why it was refused.
    pub(crate) new_account: String,
    pub(crate) err_new_account: Option<String>,
}

async fn render<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
    err_name: Option<String>,
    new_key: Option<String>,
    notice: Option<String>,
) -> Response {
    render_with(st, a, err_name, new_key, notice, ("", None)).await
}

/// The settings page, with what was typed for a new account and why it was refused.
async fn render_with<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
    err_name: Option<String>,
    new_key: Option<String>,
    notice: Option<String>,
    (new_account, err_new_account): (&str, Option<String>),
) -> Response {
    let tz = a.pair.profile.timezone.clone();
    let keys = if a.pair.master {
        st.store
            .api_keys(&a.pair.account_id)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|k| {
                (
                    k.name,
                    k.id,
                    symbolon_web::page::page_time_in(k.created_at, tz.as_deref()),
                    k.revoked,
                    k.scope,
                )
            })
            .collect()
    } else {
        vec![]
    };
    let settings = st
        .store
        .scim_settings(&a.pair.account_id)
        .await
        .unwrap_or_else(|_| symbolon_store::scim::ScimSettings::default_for(&a.pair.account_id));
    let roles: Vec<symbolon_store::sp::AccountRole> = st
        .store
        .account_roles(&a.pair.account_id)
        .await
        .unwrap_or_default();
    let default_role = settings
        .default_role_id
        .as_ref()
        .and_then(|id| roles.iter().find(|r| &r.id == id))
        .map(|r| r.name.clone())
        .unwrap_or_default();
    let once = if a.pair.master {
        symbolon_web::once::issue(&st.store, &a.session.csrf).await
    } else {
        String::new()
    };
    page(
        status_for(err_name.is_some() || err_new_account.is_some()),
        SettingsPage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice,
            err_name,
            keys,
            new_key,
            once,
            may_delete: a.pair.master,
            may_create: a.pair.master && st.cfg.accounts_from_console,
            new_account: new_account.to_string(),
            err_new_account,
            name_source: settings.name_source,
            default_role,
            roles: roles.into_iter().map(|r| r.name).collect(),
        }
        .render(),
    )
}

pub(crate) async fn settings<S: SpStore>(State(st): State<AppState<S>>, a: Admin) -> Response {
    let notice = symbolon_web::flash::take(&st.store, &a.session.csrf).await;
    render(&st, &a, None, None, notice).await
}

#[derive(Deserialize)]
pub(crate) struct SettingsForm {
    pub(crate) csrf: Option<String>,
    pub(crate) action: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) key_name: Option<String>,
    pub(crate) key_scope: Option<String>,
    pub(crate) name_source: Option<String>,
    pub(crate) default_role: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) confirm: Option<String>,
    pub(crate) typed: Option<String>,
    pub(crate) new_account: Option<String>,
    pub(crate) once: Option<String>,
}

pub(crate) async fn settings_action<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    headers: axum::http::HeaderMap,
    Form(f): Form<SettingsForm>,
) -> Response {
    if let Err(r) = check_csrf(&a, f.csrf.as_deref()) {
        return r;
    }
    let now = OffsetDateTime::now_utc();
    let acc = a.pair.account_id.clone();
    match f.action.as_deref() {
        Some("rename") => {
            match symbolon_sp::rename_account(
                &st.store,
                &a.actor,
                &acc,
                f.name.as_deref().unwrap_or(""),
                now,
            )
            .await
            {
                // The console's pages read the account's name from the store (`admin`), so
                // every administrator's console says the new name at once; this session's
                // picker and home page too.
                Ok(_) => {
                    let mut session = a.session.clone();
                    let name = match symbolon_sp::account(&st.store, &acc).await {
                        Ok(account) => account.name,
                        Err(_) => a.pair.account_name.clone(),
                    };
                    for p in session.sign_in.pairs.iter_mut() {
                        if p.account_id == acc {
                            p.account_name.clone_from(&name);
                        }
                    }
                    if let Some(id) = crate::state::cookie(&headers, SESSION_COOKIE)
                        && let Err(r) = crate::state::save_session(&st, &id, &session).await
                    {
                        return r;
                    }
                    Redirect::to("/account/settings").into_response()
                }
                Err(SpError::Invalid(m) | SpError::Conflict(m)) => {
                    render(&st, &a, Some(m), None, None).await
                }
                Err(e) => message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "spc-error",
                    &e.to_string(),
                    vec![],
                ),
            }
        }
        Some("create-key")
            if a.pair.master
                && !symbolon_web::once::redeem(&st.store, &a.session.csrf, f.once.as_deref())
                    .await =>
        {
            // A reload of the answer that showed the key, or a stale form: nothing is made.
            render(&st, &a, None, None, Some("common-form-sent-once".into())).await
        }
        Some("create-key") if a.pair.master => {
            match symbolon_sp::create_api_key(
                &st.store,
                &a.actor,
                &acc,
                f.key_name.as_deref().unwrap_or(""),
                f.key_scope.as_deref().unwrap_or("api"),
                now,
            )
            .await
            {
                // Shown once, on this response: never stored in clear, so no redirect here.
                Ok((_, key)) => render(&st, &a, None, Some(key), None).await,
                Err(SpError::Invalid(m) | SpError::Conflict(m)) => {
                    render(&st, &a, None, None, Some(m)).await
                }
                Err(e) => message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "spc-error",
                    &e.to_string(),
                    vec![],
                ),
            }
        }
        Some("provisioning") if a.pair.master => {
            match symbolon_sp::scim::set_scim_settings(
                &st.store,
                &a.actor,
                &acc,
                f.name_source.as_deref().unwrap_or(""),
                f.default_role.as_deref(),
                now,
            )
            .await
            {
                Ok(_) => render(&st, &a, None, None, Some("spc-provisioning-saved".into())).await,
                Err(SpError::Invalid(m) | SpError::NotFound(m)) => {
                    render(&st, &a, None, None, Some(m)).await
                }
                Err(e) => message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "spc-error",
                    &e.to_string(),
                    vec![],
                ),
            }
        }
        Some("revoke-key") if a.pair.master && f.confirm.as_deref() != Some("yes") => page(
            StatusCode::OK,
            ConfirmPage {
                account: &a.pair.account_name,
                csrf: &a.session.csrf,
                notice: None,
                question: "spc-revoke-key-q".into(),
                consequence: "spc-revoke-key-consequence",
                verb: "spc-revoke-key-verb",
                action: "/account/settings",
                cancel: "/account/settings",
                hidden: vec![
                    ("action", "revoke-key".into()),
                    ("key", f.key.clone().unwrap_or_default()),
                ],
            }
            .render(),
        ),
        Some("revoke-key") if a.pair.master => {
            match symbolon_sp::revoke_api_key(
                &st.store,
                &a.actor,
                &acc,
                f.key.as_deref().unwrap_or(""),
                now,
            )
            .await
            {
                Ok(()) => Redirect::to("/account/settings").into_response(),
                Err(SpError::NotFound(m)) => render(&st, &a, None, None, Some(m)).await,
                Err(e) => message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "spc-error",
                    &e.to_string(),
                    vec![],
                ),
            }
        }
        Some("delete") if a.pair.master => {
            let typed_ok = f.typed.as_deref().map(str::trim) == Some(a.pair.account_name.as_str());
            if f.confirm.as_deref() != Some("yes") || !typed_ok {
                let contents = match symbolon_sp::account_contents(&st.store, &acc).await {
                    Ok(c) => c,
                    Err(e) => {
                        return message(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "spc-error",
                            &e.to_string(),
                            vec![],
                        );
                    }
                };
                let consequence = symbolon_web::i18n::encode(
                    "spc-delete-account-consequence",
                    &[("contents", &contents.describe())],
                );
                return page(
                    if f.confirm.is_some() {
                        StatusCode::BAD_REQUEST
                    } else {
                        StatusCode::OK
                    },
                    ConfirmPage {
                        account: &a.pair.account_name,
                        csrf: &a.session.csrf,
                        notice: f.confirm.is_some().then(|| {
                            symbolon_web::i18n::encode(
                                "spc-type-to-confirm-notice",
                                &[("name", &a.pair.account_name)],
                            )
                        }),
                        question: symbolon_web::i18n::encode(
                            "spc-delete-account-q",
                            &[("name", &a.pair.account_name)],
                        ),
                        consequence: &consequence,
                        verb: "spc-delete-account-verb",
                        action: "/account/settings",
                        cancel: "/account/settings",
                        hidden: vec![
                            ("action", "delete".into()),
                            ("typed-field", a.pair.account_name.clone()),
                        ],
                    }
                    .render(),
                );
            }
            if let Err(e) = symbolon_sp::delete_account(&st.store, &a.actor, &acc).await {
                return message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "spc-error",
                    &e.to_string(),
                    vec![],
                );
            }
            // The session pointed into the account: it ends.
            if let Some(id) = crate::state::cookie(&headers, SESSION_COOKIE) {
                let _ = st.store.delete_state(SESSION, &id).await;
            }
            let mut r = Redirect::to("/").into_response();
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
            )) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Some("create-account") if a.pair.master && st.cfg.accounts_from_console => {
            create_account(
                &st,
                &a,
                &headers,
                f.new_account.as_deref().unwrap_or(""),
                now,
            )
            .await
        }
        Some("create-account") if !st.cfg.accounts_from_console => message(
            StatusCode::FORBIDDEN,
            "spc-create-account-h",
            "spc-create-account-off",
            vec![],
        ),
        Some("create-account") => require_master(&a, "spc-only-master-accounts")
            .err()
            .unwrap_or_else(|| {
                message(
                    StatusCode::BAD_REQUEST,
                    "spc-unknown-action-title",
                    "err-unknown-action",
                    vec![],
                )
            }),
        Some("create-key" | "revoke-key" | "delete" | "provisioning") => {
            require_master(&a, "spc-only-master-keys")
                .err()
                .unwrap_or_else(|| {
                    message(
                        StatusCode::BAD_REQUEST,
                        "spc-unknown-action-title",
                        "err-unknown-action",
                        vec![],
                    )
                })
        }
        _ => message(
            StatusCode::BAD_REQUEST,
            "spc-unknown-action-title",
            "err-unknown-action",
            vec![],
        ),
    }
}

/// Create another account with this master administrator as its master administrator, and go
/// into it: the session gains the new account (the home page's switcher offers both).
async fn create_account<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
    headers: &axum::http::HeaderMap,
    name: &str,
    now: OffsetDateTime,
) -> Response {
    let (account, pair) = match symbolon_sp::create_account_as_master(
        &st.store, &a.actor, &a.pair, name, now,
    )
    .await
    {
        Ok(made) => made,
        Err(SpError::Invalid(m) | SpError::Conflict(m)) => {
            return render_with(st, a, None, None, None, (name, Some(m))).await;
        }
        Err(SpError::Forbidden(_)) => {
            return message(
                StatusCode::FORBIDDEN,
                "spc-create-account-h",
                "spc-only-master-accounts",
                vec![],
            );
        }
        Err(e) => {
            return message(
                StatusCode::SERVICE_UNAVAILABLE,
                "spc-error",
                &e.to_string(),
                vec![],
            );
        }
    };
    let mut session = a.session.clone();
    session.sign_in.pairs.push(pair);
    session.current = Some(session.sign_in.pairs.len() - 1);
    if let Some(id) = crate::state::cookie(headers, SESSION_COOKIE)
        && let Err(r) = crate::state::save_session(st, &id, &session).await
    {
        return r;
    }
    symbolon_web::flash::redirect_with(
        &st.store,
        &session.csrf,
        "/account/settings",
        &symbolon_web::i18n::encode("spc-account-created", &[("name", &account.name)]),
    )
    .await
}
