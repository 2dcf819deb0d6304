//! `/Users`: provisioned users of an account.

use serde_json::{Value, json};
use symbolon_scim::ScimError;
use symbolon_scim::resource::normalize;
use symbolon_scim::schema::USER_TYPE;
use symbolon_store::scim::{ScimSettings, ScimUser};
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

use super::{
    ListQuery, Output, Projection, ScimCaller, assemble, audit, check_if_match, doc_of,
    end_sessions, list_response, meta, projected, st,
};
use crate::common::second;

/// The NameID single sign-on expects for a provisioned user, lower-cased.
pub fn expected_name_id(settings: &ScimSettings, doc: &Value) -> String {
    let user_name = doc.get("userName").and_then(Value::as_str).unwrap_or("");
    let picked = match settings.name_source.as_str() {
        "emails" => doc.get("emails").and_then(Value::as_array).and_then(|e| {
            e.iter()
                .find(|x| x.get("primary") == Some(&Value::Bool(true)))
                .or_else(|| e.first())
                .and_then(|x| x.get("value"))
                .and_then(Value::as_str)
        }),
        "externalId" => doc.get("externalId").and_then(Value::as_str),
        _ => None,
    };
    picked.unwrap_or(user_name).trim().to_lowercase()
}

fn user_json(base: &str, u: &ScimUser, groups: &[(String, String)]) -> Value {
    let doc = doc_of(&u.doc);
    let mut extra = Vec::new();
    if !groups.is_empty() {
        extra.push((
            "groups",
            Value::Array(
                groups
                    .iter()
                    .map(|(id, name)| {
                        json!({"value": id, "$ref": format!("{base}/Groups/{id}"), "display": name, "type": "direct"})
                    })
                    .collect(),
            ),
        ));
    }
    let m = meta(
        &USER_TYPE,
        base,
        &u.id,
        u.version,
        u.created_at,
        u.modified_at,
    );
    assemble(&USER_TYPE, &u.id, &doc, extra, m)
}

async fn output<S: SpStore>(
    store: &S,
    base: &str,
    u: &ScimUser,
    p: &Projection,
) -> Result<Output, ScimError> {
    let groups = store
        .scim_groups_of(&u.account_id, &u.id)
        .await
        .map_err(st)?;
    Ok(Output {
        body: projected(&USER_TYPE, user_json(base, u, &groups), p),
        etag: super::etag(u.version),
        location: format!("{base}/Users/{}", u.id),
    })
}

async fn existing<S: SpStore>(store: &S, c: &ScimCaller, id: &str) -> Result<ScimUser, ScimError> {
    store
        .scim_user(&c.account_id, id)
        .await
        .map_err(st)?
        .ok_or_else(|| ScimError::not_found(format!("no user {id:?} here")))
}

fn taken(user_name: &str) -> impl Fn(ScimError) -> ScimError + '_ {
    move |e| {
        if e.status == 409 {
            ScimError::uniqueness(format!(
                "userName {user_name:?} is already taken in this account"
            ))
        } else {
            e
        }
    }
}

/// Every user of the account as a full resource; with a filter `userName eq "..."` (what
/// identity providers ask before every create) only that one, found by index.
pub(crate) async fn user_items<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    filter: Option<&symbolon_scim::filter::Filter>,
) -> Result<Vec<Value>, ScimError> {
    if let Some(name) = filter.and_then(|f| f.simple_eq("userName")) {
        let Some(u) = store
            .scim_user_by_name(&c.account_id, name)
            .await
            .map_err(st)?
        else {
            return Ok(Vec::new());
        };
        let groups = store
            .scim_groups_of(&c.account_id, &u.id)
            .await
            .map_err(st)?;
        return Ok(vec![user_json(base, &u, &groups)]);
    }
    let users = store.scim_users(&c.account_id).await.map_err(st)?;
    let groups = super::groups_by_user(store, &c.account_id)
        .await
        .map_err(st)?;
    Ok(users
        .iter()
        .map(|u| user_json(base, u, groups.get(&u.id).map(Vec::as_slice).unwrap_or(&[])))
        .collect())
}

/// List users (filter, sort, page, project).
pub async fn list_users<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    q: &ListQuery,
) -> Result<Value, ScimError> {
    let filter = match q.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => Some(symbolon_scim::filter::parse(&USER_TYPE, f)?),
        None => None,
    };
    let items = user_items(store, c, base, filter.as_ref()).await?;
    list_response(&USER_TYPE, items, q, filter.as_ref())
}

pub async fn get_user<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    id: &str,
    p: &Projection,
) -> Result<Output, ScimError> {
    let u = existing(store, c, id).await?;
    output(store, base, &u, p).await
}

fn record(
    c: &ScimCaller,
    id: &str,
    doc: &Value,
    settings: &ScimSettings,
    version: i64,
    created: OffsetDateTime,
    now: OffsetDateTime,
) -> ScimUser {
    ScimUser {
        id: id.into(),
        account_id: c.account_id.clone(),
        user_name: doc
            .get("userName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string(),
        external_id: doc
            .get("externalId")
            .and_then(Value::as_str)
            .map(str::to_string),
        name_id: expected_name_id(settings, doc),
        active: doc.get("active").and_then(Value::as_bool).unwrap_or(true),
        version,
        created_at: created,
        modified_at: second(now),
        doc: doc.to_string(),
    }
}

/// Create a user (201).
pub async fn create_user<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    body: &Value,
    p: &Projection,
    now: OffsetDateTime,
) -> Result<Output, ScimError> {
    let doc = normalize(&USER_TYPE, body)?;
    let settings = store.scim_settings(&c.account_id).await.map_err(st)?;
    let id = uuid::Uuid::new_v4().to_string();
    let u = record(c, &id, &doc, &settings, 1, second(now), now);
    store
        .create_scim_user(&u)
        .await
        .map_err(st)
        .map_err(taken(&u.user_name))?;
    audit(
        store,
        c,
        format!(
            "SCIM created user {} ({}{})",
            u.user_name,
            if u.active { "active" } else { "inactive" },
            if u.name_id != u.user_name.to_lowercase() {
                format!(", NameID {}", u.name_id)
            } else {
                String::new()
            }
        ),
        now,
    )
    .await?;
    crate::webhooks::notify(
        store,
        &c.account_id,
        "user.created",
        serde_json::json!({ "id": u.id, "userName": u.user_name, "nameId": u.name_id, "kind": "scim" }),
        now,
    )
    .await;
    output(store, base, &u, p).await
}

/// What changed, for the audit log, and the sessions to end.
async fn after_change<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    old: &ScimUser,
    new: &ScimUser,
    how: &str,
    now: OffsetDateTime,
) -> Result<(), ScimError> {
    let mut notes = Vec::new();
    let mut ended = 0;
    if old.active && !new.active {
        notes.push("deactivated".to_string());
        ended += end_sessions(store, &c.account_id, &old.name_id, now)
            .await
            .map_err(st)?;
    }
    if !old.active && new.active {
        notes.push("reactivated".to_string());
    }
    if old.name_id != new.name_id {
        notes.push(format!("NameID {} -> {}", old.name_id, new.name_id));
        ended += end_sessions(store, &c.account_id, &old.name_id, now)
            .await
            .map_err(st)?;
    }
    if ended > 0 {
        notes.push(format!("{ended} session(s) ended"));
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join(", "))
    };
    audit(
        store,
        c,
        format!("SCIM {how} user {}{notes}", new.user_name),
        now,
    )
    .await
}

/// Write a changed user with compare-and-set, retrying a few times when a concurrent change won
/// (the change is recomputed from the new state each time).
#[allow(clippy::too_many_arguments)]
async fn change<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    id: &str,
    if_match: Option<&str>,
    p: &Projection,
    how: &str,
    now: OffsetDateTime,
    compute: impl Fn(&ScimUser) -> Result<Value, ScimError>,
) -> Result<Output, ScimError> {
    let settings = store.scim_settings(&c.account_id).await.map_err(st)?;
    for _ in 0..5 {
        let old = existing(store, c, id).await?;
        check_if_match(if_match, old.version)?;
        let doc = compute(&old)?;
        let new = record(
            c,
            id,
            &doc,
            &settings,
            old.version.saturating_add(1),
            old.created_at,
            now,
        );
        if store
            .replace_scim_user(&new, old.version)
            .await
            .map_err(st)
            .map_err(taken(&new.user_name))?
        {
            after_change(store, c, &old, &new, how, now).await?;
            return output(store, base, &new, p).await;
        }
        if if_match.is_some() {
            return Err(ScimError::status(412, "the resource changed meanwhile"));
        }
    }
    Err(ScimError::status(409, "the resource keeps changing; retry"))
}

/// Replace a user (PUT).
#[allow(clippy::too_many_arguments)]
pub async fn replace_user<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
    p: &Projection,
    now: OffsetDateTime,
) -> Result<Output, ScimError> {
    let doc = normalize(&USER_TYPE, body)?;
    change(store, c, base, id, if_match, p, "replaced", now, |_| {
        Ok(doc.clone())
    })
    .await
}

/// Change a user with PATCH operations (all or nothing).
#[allow(clippy::too_many_arguments)]
pub async fn patch_user<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
    p: &Projection,
    now: OffsetDateTime,
) -> Result<Output, ScimError> {
    change(store, c, base, id, if_match, p, "changed", now, |old| {
        let mut doc = doc_of(&old.doc);
        symbolon_scim::patch::apply(&USER_TYPE, &mut doc, body)?;
        normalize(&USER_TYPE, &doc)
    })
    .await
}

/// Delete a user: its sessions end, and single sign-on stays refused for its NameID until it is
/// provisioned again.
pub async fn delete_user<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    id: &str,
    if_match: Option<&str>,
    now: OffsetDateTime,
) -> Result<(), ScimError> {
    let u = existing(store, c, id).await?;
    check_if_match(if_match, u.version)?;
    store
        .delete_scim_user(&c.account_id, id)
        .await
        .map_err(st)?;
    let ended = end_sessions(store, &c.account_id, &u.name_id, now)
        .await
        .map_err(st)?;
    audit(
        store,
        c,
        format!(
            "SCIM deleted user {} ({ended} session(s) ended)",
            u.user_name
        ),
        now,
    )
    .await?;
    crate::webhooks::notify(
        store,
        &c.account_id,
        "user.removed",
        serde_json::json!({ "id": u.id, "userName": u.user_name, "nameId": u.name_id, "kind": "scim" }),
        now,
    )
    .await;
    Ok(())
}

/// The account's provisioning settings: where the NameID comes from and the default role.
pub async fn set_scim_settings<S: SpStore>(
    store: &S,
    actor: &crate::Actor,
    account_id: &str,
    name_source: &str,
    default_role: Option<&str>,
    now: OffsetDateTime,
) -> crate::Result<ScimSettings> {
    crate::accounts::account(store, account_id).await?;
    let name_source = match name_source.trim() {
        "" | "userName" => "userName",
        "emails" => "emails",
        "externalId" => "externalId",
        other => {
            return Err(crate::SpError::Invalid(format!(
                "the NameID source must be userName, emails or externalId, not {other:?}"
            )));
        }
    };
    let role = match default_role.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(crate::accounts::role_named(store, account_id, r).await?),
        None => None,
    };
    let s = ScimSettings {
        account_id: account_id.into(),
        name_source: name_source.into(),
        default_role_id: role.as_ref().map(|r| r.id.clone()),
    };
    store.set_scim_settings(&s).await?;
    crate::common::audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!(
            "set provisioning: NameID from {name_source}, default role {}",
            role.map(|r| r.name).unwrap_or_else(|| "none".into())
        ),
        now,
    )
    .await?;
    Ok(s)
}
