//! `/admin/realms/{realm}/users`: users, passwords, credentials, required actions and
//! registration links.

use crate::admin_api::common::{ApiCaller, ApiError, ApiResult, St, created, millis, yes};
use crate::admin_api::realms::realm_exists;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use symbolon_idp::{IdpError, NewUser};
use symbolon_store::IdpStore;
use symbolon_web::error::Kind;
use time::OffsetDateTime;

/// `CredentialRepresentation` (password only).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CredentialRep {
    /// `password` (the only type that can be set).
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// `UserRepresentation`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserRep {
    /// Read-only.
    #[serde(default)]
    pub id: Option<String>,
    /// Case-insensitive, stored lower-case; cannot change.
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub attributes: BTreeMap<String, Vec<String>>,
    /// On creation only: at most one password (at least 8 characters). Never answered.
    #[serde(default, skip_serializing)]
    #[schema(write_only)]
    pub credentials: Vec<CredentialRep>,
}

pub(crate) fn user_rep(u: &symbolon_store::User) -> UserRep {
    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in &u.attributes {
        attributes.entry(k.clone()).or_default().push(v.clone());
    }
    UserRep {
        id: Some(u.id.clone()),
        username: u.username.clone(),
        email: u.email.clone(),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        enabled: u.enabled,
        attributes,
        credentials: vec![],
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UserQuery {
    /// Only the user with this username (case-insensitive).
    pub(crate) username: Option<String>,
    /// Users whose username, email or "first last" name contains this (ASCII letters in any
    /// case), ordered by username. With `search`, `first` or `max` the database returns one page.
    pub(crate) search: Option<String>,
    /// Skip this many users (default 0).
    #[param(minimum = 0, maximum = 1000000000)]
    pub(crate) first: Option<u32>,
    /// At most this many users (default 100 when `search` or `first` is given).
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) max: Option<u32>,
}

#[utoipa::path(get, path = "/admin/realms/{realm}/users", tag = "Users", params(UserQuery),
    responses((status = 200, description = "The realm's users (one page with `search`, `first` or `max`).", body = [UserRep])))]
pub(crate) async fn list_users<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path(realm): Path<String>,
    Query(q): Query<UserQuery>,
) -> ApiResult<Json<Vec<UserRep>>> {
    realm_exists(&st, &realm).await?;
    let wanted = q.username.as_deref().map(symbolon_idp::normalize_username);
    if wanted.is_none() && (q.search.is_some() || q.first.is_some() || q.max.is_some()) {
        let (first, max) = (q.first.unwrap_or(0), q.max.unwrap_or(100));
        if !(1..=1000).contains(&max) || first > 1_000_000_000 {
            return Err(ApiError::new(
                Kind::Invalid,
                "max must be 1 to 1000, and first at most 1000000000",
            ));
        }
        let page = symbolon_store::UserPage {
            search: symbolon_web::paging::search_term(q.search.as_deref()),
            order: symbolon_store::UserOrder::Username,
            offset: u64::from(first),
            limit: u64::from(max),
        };
        let (users, _) = st.store().users_page(&realm, &page).await?;
        return Ok(Json(users.iter().map(user_rep).collect()));
    }
    let users = st.store().users(&realm).await?;
    Ok(Json(
        users
            .iter()
            .filter(|u| wanted.as_ref().is_none_or(|w| *w == u.username))
            .map(user_rep)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/admin/realms/{realm}/users", tag = "Users", request_body = UserRep,
    responses((status = 201, description = "Created; `Location` names the user.")))]
pub(crate) async fn create_user<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path(realm): Path<String>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<UserRep>,
) -> ApiResult<Response> {
    let password = match rep.credentials.as_slice() {
        [] => None,
        [c] if c.kind == "password" => Some(c.value.clone()),
        _ => {
            return Err(ApiError::new(
                Kind::Invalid,
                "credentials: at most one, of type \"password\"",
            ));
        }
    };
    let attributes = rep
        .attributes
        .into_iter()
        .flat_map(|(k, vs)| vs.into_iter().map(move |v| (k.clone(), v)))
        .collect();
    let new = NewUser {
        username: rep.username,
        email: rep.email,
        first_name: rep.first_name,
        last_name: rep.last_name,
        attributes,
    };
    let u = symbolon_idp::add_user(
        st.store(),
        &actor,
        &realm,
        new,
        password.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(created(format!("/admin/realms/{realm}/users/{}", u.id)))
}

#[utoipa::path(put, path = "/admin/realms/{realm}/users/{id}/reset-password", tag = "Users",
    request_body = CredentialRep, responses((status = 204, description = "The password is set.")))]
pub(crate) async fn reset_password<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
    symbolon_web::request::JsonObject(c): symbolon_web::request::JsonObject<CredentialRep>,
) -> ApiResult<StatusCode> {
    realm_exists(&st, &realm).await?;
    if c.kind != "password" {
        return Err(ApiError::new(
            Kind::Invalid,
            "only credentials of type \"password\" are supported",
        ));
    }
    let user = st
        .store()
        .users(&realm)
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(|| ApiError::new(Kind::NotFound, format!("user {id:?} not found")))?;
    symbolon_idp::set_password(
        st.store(),
        &actor,
        &realm,
        &user.username,
        &c.value,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn find_user<S: IdpStore>(
    st: &crate::state::AppState<S>,
    realm: &str,
    id: &str,
) -> ApiResult<symbolon_store::User> {
    realm_exists(st, realm).await?;
    st.store()
        .user_by_id(realm, id)
        .await?
        .ok_or_else(|| ApiError::new(Kind::NotFound, format!("user {id:?} not found")))
}

#[utoipa::path(get, path = "/admin/realms/{realm}/users/{id}", tag = "Users",
    responses((status = 200, description = "The user.", body = UserRep)))]
pub(crate) async fn get_user<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<UserRep>> {
    Ok(Json(user_rep(&find_user(&st, &realm, &id).await?)))
}

/// Update email, names, enabled and attributes (the username cannot change).
#[utoipa::path(put, path = "/admin/realms/{realm}/users/{id}", tag = "Users", request_body = UserRep,
    responses((status = 204, description = "Updated.")))]
pub(crate) async fn put_user<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<UserRep>,
) -> ApiResult<StatusCode> {
    let mut u = find_user(&st, &realm, &id).await?;
    if symbolon_idp::normalize_username(&rep.username) != u.username {
        return Err(ApiError::new(
            Kind::Invalid,
            "the username cannot be changed",
        ));
    }
    u.email = rep.email.filter(|e| !e.trim().is_empty());
    u.first_name = rep.first_name;
    u.last_name = rep.last_name;
    u.enabled = rep.enabled;
    u.attributes = rep
        .attributes
        .into_iter()
        .flat_map(|(k, vs)| vs.into_iter().map(move |v| (k.clone(), v)))
        .collect();
    symbolon_idp::update_user(st.store(), &actor, &u, OffsetDateTime::now_utc()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's credential as Keycloak's `CredentialInforesentation` names it (`password`, `otp`,
/// `webauthn-passwordless`); never a secret.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialInfo {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub user_label: Option<String>,
    /// Milliseconds since the epoch.
    #[serde(default)]
    pub created_date: Option<i64>,
    #[serde(default)]
    pub last_used_date: Option<i64>,
    #[serde(default)]
    pub sign_count: Option<u32>,
    #[serde(default)]
    pub backed_up: Option<bool>,
    #[serde(default)]
    pub recovery_codes_left: Option<u32>,
    /// A passkey suspended as a possible clone since then (milliseconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flagged_date: Option<i64>,
}

#[utoipa::path(get, path = "/admin/realms/{realm}/users/{id}/credentials", tag = "Credentials",
    responses((status = 200, description = "The user's credentials, never a secret.", body = [CredentialInfo])))]
pub(crate) async fn credentials<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<CredentialInfo>>> {
    let u = find_user(&st, &realm, &id).await?;
    let m = symbolon_idp::user_methods(st.store(), &u).await?;
    let mut out = Vec::new();
    let blank = |id: &str, kind: &str| CredentialInfo {
        id: id.into(),
        kind: kind.into(),
        user_label: None,
        created_date: None,
        last_used_date: None,
        sign_count: None,
        backed_up: None,
        recovery_codes_left: None,
        flagged_date: None,
    };
    if m.password {
        out.push(blank("password", "password"));
    }
    if let Some(enrolled) = m.totp {
        out.push(CredentialInfo {
            created_date: Some(millis(enrolled)),
            recovery_codes_left: Some(m.recovery_codes_left),
            ..blank("otp", "otp")
        });
    }
    for p in m.passkeys {
        out.push(CredentialInfo {
            user_label: Some(p.name),
            created_date: Some(millis(p.created_at)),
            last_used_date: p.last_used.map(millis),
            sign_count: Some(p.sign_count),
            backed_up: Some(p.backup_state),
            flagged_date: p.flagged_at.map(millis),
            ..blank(&p.id, "webauthn-passwordless")
        });
    }
    Ok(Json(out))
}

/// Remove one credential: `otp` (the authenticator app and its recovery codes) or a passkey by
/// its ID. The password is changed with reset-password, not removed here.
#[utoipa::path(delete, path = "/admin/realms/{realm}/users/{id}/credentials/{cred}", tag = "Credentials",
    responses((status = 204, description = "Removed.")))]
pub(crate) async fn delete_credential<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id, cred)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let u = find_user(&st, &realm, &id).await?;
    let now = OffsetDateTime::now_utc();
    match cred.as_str() {
        "otp" => symbolon_idp::remove_totp(st.store(), &actor, &realm, &u.username, now).await?,
        "password" => {
            return Err(ApiError::new(
                Kind::Invalid,
                "the password is changed with reset-password",
            ));
        }
        passkey => {
            symbolon_idp::remove_user_passkey(st.store(), &actor, &realm, &u.username, passkey, now)
                .await
                .map_err(|e| match e {
                    IdpError::Invalid(m) | IdpError::NotFound(m) => {
                        ApiError::new(Kind::NotFound, m)
                    }
                    other => other.into(),
                })?
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Clear a passkey's possible-clone flag (204; 404 when the user has no such passkey).
#[utoipa::path(post, path = "/admin/realms/{realm}/users/{id}/credentials/{cred}/clear-flag", tag = "Credentials",
    responses((status = 204, description = "Cleared.")))]
pub(crate) async fn clear_credential_flag<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id, cred)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let u = find_user(&st, &realm, &id).await?;
    symbolon_idp::clear_passkey_flag(
        st.store(),
        &actor,
        &realm,
        &u.username,
        &cred,
        OffsetDateTime::now_utc(),
    )
    .await
    .map_err(|e| match e {
        IdpError::Invalid(m) | IdpError::NotFound(m) => ApiError::new(Kind::NotFound, m),
        other => other.into(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a credential reset removed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResetRep {
    pub passkeys_removed: u64,
    pub sessions_signed_out: usize,
}

/// A one-time passkey registration link.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkRep {
    pub url: String,
    /// Milliseconds since the epoch.
    pub expires_at: i64,
}

/// Remove the user's second factor and passkeys and sign out their sessions (a lost device).
#[utoipa::path(post, path = "/admin/realms/{realm}/users/{id}/reset-credentials", tag = "Credentials",
    responses((status = 200, description = "What was removed.", body = ResetRep)))]
pub(crate) async fn reset_credentials<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<ResetRep>> {
    let u = find_user(&st, &realm, &id).await?;
    let r = symbolon_idp::reset_credentials(
        st.store(),
        &actor,
        &realm,
        &u.username,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(Json(ResetRep {
        passkeys_removed: r.passkeys_removed,
        sessions_signed_out: r.sessions_signed_out,
    }))
}

#[utoipa::path(get, path = "/admin/realms/{realm}/users/{id}/required-actions", tag = "Users",
    responses((status = 200, description = "The user's required actions.", body = [String])))]
pub(crate) async fn get_required_actions<S: IdpStore>(
    State(st): St<S>,
    _caller: ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<String>>> {
    let u = find_user(&st, &realm, &id).await?;
    Ok(Json(st.store().required_actions(&u.id).await?))
}

/// Set the user's required actions: `[]` or `["register-passkey"]`.
#[utoipa::path(put, path = "/admin/realms/{realm}/users/{id}/required-actions", tag = "Users",
    request_body = Vec<String>, responses((status = 204, description = "Set.")))]
pub(crate) async fn put_required_actions<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
    Json(actions): Json<Vec<String>>,
) -> ApiResult<StatusCode> {
    let u = find_user(&st, &realm, &id).await?;
    if let Some(bad) = actions
        .iter()
        .find(|a| a.as_str() != symbolon_store::ACTION_REGISTER_PASSKEY)
    {
        return Err(ApiError::new(
            Kind::Invalid,
            format!("unknown required action {bad:?} (known: register-passkey)"),
        ));
    }
    let on = !actions.is_empty();
    symbolon_idp::require_passkey(
        st.store(),
        &actor,
        &realm,
        &u.username,
        on,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A one-time link (24 hours) with which the user registers a passkey without a password:
/// `{"url", "expiresAt"}` (milliseconds). Shown once; only its hash is kept.
#[utoipa::path(post, path = "/admin/realms/{realm}/users/{id}/registration-link", tag = "Users",
    responses((status = 200, description = "The link, shown once.", body = LinkRep)))]
pub(crate) async fn registration_link<S: IdpStore>(
    State(st): St<S>,
    ApiCaller(actor): ApiCaller,
    Path((realm, id)): Path<(String, String)>,
) -> ApiResult<Json<LinkRep>> {
    let u = find_user(&st, &realm, &id).await?;
    let l = symbolon_idp::create_registration_link(
        st.store(),
        &actor,
        &st.config().base_url,
        &realm,
        &u.username,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(Json(LinkRep {
        url: l.url,
        expires_at: millis(l.expires),
    }))
}
