//! Console pages for who may use a client (assignments), a client's mappers, and realm roles.
//! Removing an assignment, deleting a mapper and deleting a role each ask for confirmation
//! first; every change goes through the domain and is recorded as an event.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use symbolon_store::{Assignment, IdpStore};
use time::OffsetDateTime;

use super::clients::{ClientForm, find_client, holder_choices, render_client};
use super::common::{
    ConfirmPage, Errors, form_status, page, page_status, realm_admin, realm_admin_post,
};
use crate::error::WebError;
use crate::state::AdminSession;
use crate::state::AppState;
use symbolon_idp::{Actor, IdpError, Subject};

#[derive(Deserialize)]
pub(super) struct AccessForm {
    csrf: Option<String>,
    action: Option<String>,
    who: Option<String>,
    confirm: Option<String>,
}

/// Restrict or open a client, assign a user or group, or remove an assignment (confirmed).
pub(super) async fn client_access<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
    Form(f): Form<AccessForm>,
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
    let who = f.who.unwrap_or_default();
    let store = st.store();
    let result = match f.action.as_deref() {
        Some("restrict") => {
            symbolon_idp::set_client_restricted(store, &actor, &realm, &c.client_id, true, now)
                .await
                .map(|()| "idpc-restricted".to_string())
        }
        Some("open") => {
            symbolon_idp::set_client_restricted(store, &actor, &realm, &c.client_id, false, now)
                .await
                .map(|()| "idpc-opened".to_string())
        }
        Some("assign") => match Subject::parse(&who) {
            Ok(subject) => symbolon_idp::assign_client(
                store,
                &actor,
                &realm,
                &c.client_id,
                &subject,
                true,
                now,
            )
            .await
            .map(|()| {
                symbolon_web::i18n::encode(
                    "idpc-assigned-notice",
                    &[("name", &who.replacen(':', " ", 1))],
                )
            }),
            Err(e) => Err(e),
        },
        Some("unassign") if f.confirm.as_deref() != Some("yes") => {
            return confirm(
                &s,
                &realm,
                symbolon_web::i18n::encode(
                    "idpc-unassign-q",
                    &[
                        ("name", &who.replacen(':', " ", 1)),
                        ("client", &c.client_id),
                    ],
                ),
                "idpc-unassign-consequence".into(),
                "common-remove",
                format!("/admin/console/{realm}/clients/{id}/access"),
                format!("/admin/console/{realm}/clients/{id}"),
                vec![("action", "unassign".into()), ("who", who)],
            );
        }
        Some("unassign") => match Subject::parse(&who) {
            Ok(subject) => symbolon_idp::assign_client(
                store,
                &actor,
                &realm,
                &c.client_id,
                &subject,
                false,
                now,
            )
            .await
            .map(|()| {
                symbolon_web::i18n::encode(
                    "idpc-unassigned-notice",
                    &[("name", &who.replacen(':', " ", 1))],
                )
            }),
            Err(e) => Err(e),
        },
        _ => return WebError::bad_request_page("err-unknown-action").into_response(),
    };
    let c = match find_client(&st, &realm, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match result {
        Ok(msg) => {
            symbolon_web::flash::redirect_with(
                st.store(),
                &s.csrf,
                &format!("/admin/console/{realm}/clients/{id}"),
                &msg,
            )
            .await
        }
        Err(IdpError::Invalid(m) | IdpError::Conflict(m) | IdpError::NotFound(m)) => {
            let form = ClientForm {
                who,
                ..ClientForm::from(&c)
            };
            let e = Errors {
                who: Some(m),
                ..Errors::default()
            };
            render_client(&st, &s, &realm, &c, form, e, vec![], None).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

#[allow(clippy::too_many_arguments)]
fn confirm(
    s: &AdminSession,
    realm: &str,
    question: String,
    consequence: String,
    verb: &str,
    action: String,
    cancel: String,
    hidden: Vec<(&'static str, String)>,
) -> Response {
    page(
        ConfirmPage {
            realm: Some(realm),
            csrf: &s.csrf,
            admin: &s.username,
            notice: None,
            question,
            consequence,
            verb,
            action,
            cancel,
            hidden,
        }
        .render(),
    )
}

#[derive(Deserialize)]
pub(super) struct MapperForm {
    csrf: Option<String>,
    action: Option<String>,
    name: Option<String>,
    attribute: Option<String>,
    kind: Option<String>,
    param: Option<String>,
    name_format: Option<String>,
    confirm: Option<String>,
}

/// Add a mapper, or delete one (confirmed).
pub(super) async fn client_mappers<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
    Form(f): Form<MapperForm>,
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
    let t = |o: &Option<String>| o.as_deref().unwrap_or("").trim().to_string();
    let form = ClientForm {
        m_attribute: t(&f.attribute),
        m_kind: t(&f.kind),
        m_param: t(&f.param),
        m_format: t(&f.name_format),
        ..ClientForm::from(&c)
    };
    let result = match f.action.as_deref() {
        Some("add") => {
            let mapper = symbolon_idp::roles::mapper_source(&form.m_kind, &form.m_param).and_then(
                |source| {
                    Ok(symbolon_store::Mapper {
                        name: form.m_attribute.clone(),
                        saml_attribute: form.m_attribute.clone(),
                        name_format: symbolon_idp::roles::name_format(&form.m_format)?,
                        friendly_name: None,
                        source,
                    })
                },
            );
            match mapper {
                Ok(m) => symbolon_idp::roles::add_mapper(
                    st.store(),
                    &actor,
                    &realm,
                    &c.client_id,
                    m,
                    now,
                )
                .await
                .map(|()| {
                    symbolon_web::i18n::encode("idpc-mapper-added", &[("name", &form.m_attribute)])
                }),
                Err(e) => Err(e),
            }
        }
        Some("edit") => {
            let name = t(&f.name);
            let mapper = symbolon_idp::roles::mapper_source(&form.m_kind, &form.m_param).and_then(
                |source| {
                    Ok(symbolon_store::Mapper {
                        name: name.clone(),
                        saml_attribute: form.m_attribute.clone(),
                        name_format: symbolon_idp::roles::name_format(&form.m_format)?,
                        friendly_name: None,
                        source,
                    })
                },
            );
            match mapper {
                Ok(m) => symbolon_idp::roles::edit_mapper(
                    st.store(),
                    &actor,
                    &realm,
                    &c.client_id,
                    &name,
                    m,
                    now,
                )
                .await
                .map(|changed| {
                    if changed {
                        symbolon_web::i18n::encode("idpc-mapper-saved", &[("name", &name)])
                    } else {
                        symbolon_web::i18n::encode("idpc-mapper-unchanged", &[("name", &name)])
                    }
                }),
                Err(e) => Err(e),
            }
        }
        Some("delete") => {
            let name = t(&f.name);
            if f.confirm.as_deref() != Some("yes") {
                return confirm(
                    &s,
                    &realm,
                    symbolon_web::i18n::encode("idpc-delete-mapper-q", &[("name", &name)]),
                    symbolon_web::i18n::encode(
                        "idpc-delete-mapper-consequence",
                        &[("client", &c.client_id)],
                    ),
                    "idpc-delete-mapper-verb",
                    format!("/admin/console/{realm}/clients/{id}/mappers"),
                    format!("/admin/console/{realm}/clients/{id}"),
                    vec![("action", "delete".into()), ("name", name)],
                );
            }
            symbolon_idp::roles::remove_mapper(st.store(), &actor, &realm, &c.client_id, &name, now)
                .await
                .map(|()| symbolon_web::i18n::encode("idpc-mapper-deleted", &[("name", &name)]))
        }
        _ => return WebError::bad_request_page("err-unknown-action").into_response(),
    };
    match result {
        Ok(msg) => {
            symbolon_web::flash::redirect_with(
                st.store(),
                &s.csrf,
                &format!("/admin/console/{realm}/clients/{id}"),
                &msg,
            )
            .await
        }
        Err(IdpError::Invalid(m) | IdpError::Conflict(m) | IdpError::NotFound(m)) => {
            let e = Errors {
                mapper: Some(m),
                ..Errors::default()
            };
            render_client(&st, &s, &realm, &c, form, e, vec![], None).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

struct RoleRow {
    name: String,
    selected: bool,
    description: String,
    /// (`user:NAME` / `group:/PATH`, label)
    holders: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "console/roles.html")]
struct RolesPage<'a> {
    realm: Option<&'a str>,
    realm_name: &'a str,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    roles: Vec<RoleRow>,
    /// (value, label, selected)
    candidates: Vec<(String, String, bool)>,
    f_name: &'a str,
    f_description: &'a str,
    err_name: Option<String>,
    err_who: Option<String>,
}

#[derive(Default)]
struct RolesInput {
    name: String,
    description: String,
    role: String,
    who: String,
    err_name: Option<String>,
    err_who: Option<String>,
}

async fn render_roles<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    input: RolesInput,
    notice: Option<String>,
) -> Response {
    let store = st.store();
    let users = store.users(realm).await.unwrap_or_default();
    let groups = store.groups(realm).await.unwrap_or_default();
    let grants = store.role_grants(realm).await.unwrap_or_default();
    let roles = match store.roles(realm).await {
        Ok(r) => r,
        Err(e) => return WebError::from(e).into_response(),
    };
    let rows = roles
        .into_iter()
        .map(|r| RoleRow {
            holders: grants
                .iter()
                .filter(|(n, _)| *n == r.name)
                .filter_map(|(_, a)| match a {
                    Assignment::User(id) => users.iter().find(|u| u.id == *id).map(|u| {
                        (
                            format!("user:{}", u.username),
                            symbolon_web::i18n::tr().t1("idpc-subject-user", "name", &u.username),
                        )
                    }),
                    Assignment::Group(id) => groups.iter().find(|g| g.id == *id).map(|g| {
                        (
                            format!("group:{}", g.path),
                            symbolon_web::i18n::tr().t1("idpc-subject-group", "name", &g.path),
                        )
                    }),
                })
                .collect(),
            selected: r.name == input.role,
            name: r.name,
            description: r.description.unwrap_or_default(),
        })
        .collect();
    let bad = input.err_name.is_some() || input.err_who.is_some();
    page_status(
        form_status(bad),
        RolesPage {
            realm: Some(realm),
            realm_name: realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice,
            roles: rows,
            candidates: holder_choices(&users, &groups)
                .into_iter()
                .map(|(v, l)| {
                    let sel = v == input.who;
                    (v, l, sel)
                })
                .collect(),
            f_name: &input.name,
            f_description: &input.description,
            err_name: input.err_name,
            err_who: input.err_who,
        }
        .render(),
    )
}

pub(super) async fn roles<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path(realm): Path<String>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let notice = symbolon_web::flash::take(st.store(), &s.csrf).await;
    render_roles(&st, &s, &realm, RolesInput::default(), notice).await
}

#[derive(Deserialize)]
pub(super) struct RolesForm {
    csrf: Option<String>,
    action: Option<String>,
    name: Option<String>,
    description: Option<String>,
    role: Option<String>,
    who: Option<String>,
    confirm: Option<String>,
}

/// Add a role, delete one (confirmed), grant or revoke one.
pub(super) async fn roles_action<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(f): Form<RolesForm>,
) -> Response {
    let s = match realm_admin_post(&st, signed_in, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let actor = Actor(s.username.clone());
    let now = OffsetDateTime::now_utc();
    let t = |o: &Option<String>| o.as_deref().unwrap_or("").trim().to_string();
    let mut input = RolesInput {
        name: t(&f.name),
        description: t(&f.description),
        role: t(&f.role),
        who: t(&f.who),
        ..RolesInput::default()
    };
    let store = st.store();
    match f.action.as_deref() {
        Some("add") => {
            let desc = Some(input.description.as_str()).filter(|d| !d.is_empty());
            match symbolon_idp::roles::add_role(store, &actor, &realm, &input.name, desc, now).await
            {
                Ok(r) => {
                    symbolon_web::flash::redirect_with(
                        store,
                        &s.csrf,
                        &format!("/admin/console/{realm}/roles"),
                        &symbolon_web::i18n::encode("idpc-role-created", &[("name", &r.name)]),
                    )
                    .await
                }
                Err(IdpError::Invalid(m) | IdpError::Conflict(m) | IdpError::NotFound(m)) => {
                    input.err_name = Some(m);
                    render_roles(&st, &s, &realm, input, None).await
                }
                Err(e) => WebError::from(e).into_response(),
            }
        }
        Some("rename") => match symbolon_idp::roles::rename_role(
            store,
            &actor,
            &realm,
            &input.role,
            &input.name,
            now,
        )
        .await
        {
            Ok(_) => {
                symbolon_web::flash::redirect_with(
                    store,
                    &s.csrf,
                    &format!("/admin/console/{realm}/roles"),
                    &symbolon_web::i18n::encode(
                        "idpc-role-renamed",
                        &[("old", &input.role), ("name", &input.name)],
                    ),
                )
                .await
            }
            Err(IdpError::Invalid(m) | IdpError::Conflict(m) | IdpError::NotFound(m)) => {
                render_roles(&st, &s, &realm, RolesInput::default(), Some(m)).await
            }
            Err(e) => WebError::from(e).into_response(),
        },
        Some("delete") if f.confirm.as_deref() != Some("yes") => confirm(
            &s,
            &realm,
            symbolon_web::i18n::encode("idpc-delete-role-q", &[("name", &input.role)]),
            "idpc-delete-role-consequence".into(),
            "idpc-delete-role-verb",
            format!("/admin/console/{realm}/roles"),
            format!("/admin/console/{realm}/roles"),
            vec![("action", "delete".into()), ("role", input.role.clone())],
        ),
        Some("delete") => {
            match symbolon_idp::roles::delete_role(store, &actor, &realm, &input.role, now).await {
                Ok(()) => {
                    symbolon_web::flash::redirect_with(
                        store,
                        &s.csrf,
                        &format!("/admin/console/{realm}/roles"),
                        &symbolon_web::i18n::encode("idpc-role-deleted", &[("name", &input.role)]),
                    )
                    .await
                }
                Err(IdpError::Invalid(m) | IdpError::Conflict(m) | IdpError::NotFound(m)) => {
                    render_roles(&st, &s, &realm, RolesInput::default(), Some(m)).await
                }
                Err(e) => WebError::from(e).into_response(),
            }
        }
        Some(a @ ("grant" | "revoke")) => {
            let grant = a == "grant";
            match grant_or_revoke(store, &actor, &realm, &input.role, &input.who, grant, now).await
            {
                Ok(()) => {
                    let msg = if grant {
                        symbolon_web::i18n::encode(
                            "idpc-granted",
                            &[
                                ("role", &input.role),
                                ("name", &input.who.replacen(':', " ", 1)),
                            ],
                        )
                    } else {
                        symbolon_web::i18n::encode(
                            "idpc-revoked-notice",
                            &[
                                ("role", &input.role),
                                ("name", &input.who.replacen(':', " ", 1)),
                            ],
                        )
                    };
                    symbolon_web::flash::redirect_with(
                        store,
                        &s.csrf,
                        &format!("/admin/console/{realm}/roles"),
                        &msg,
                    )
                    .await
                }
                Err(IdpError::Invalid(m) | IdpError::Conflict(m) | IdpError::NotFound(m)) => {
                    input.err_who = Some(m);
                    render_roles(&st, &s, &realm, input, None).await
                }
                Err(e) => WebError::from(e).into_response(),
            }
        }
        _ => WebError::bad_request_page("err-unknown-action").into_response(),
    }
}

async fn grant_or_revoke<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    role: &str,
    who: &str,
    grant: bool,
    now: OffsetDateTime,
) -> symbolon_idp::Result<()> {
    let subject = Subject::parse(who)?;
    symbolon_idp::roles::grant_role(store, actor, realm, role, &subject, grant, now).await
}
