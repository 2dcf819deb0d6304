//! `/Groups`: provisioned groups of an account. Members are users of the same account (the
//! database refuses anything else too); a group's display name is what the account's
//! group -> role mappings match.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};
use symbolon_scim::resource::normalize;
use symbolon_scim::schema::GROUP_TYPE;
use symbolon_scim::{ScimError, ScimType};
use symbolon_store::scim::{ScimGroup, ScimUser};
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

use super::{
    ListQuery, Output, Projection, ScimCaller, assemble, audit, check_if_match, doc_of,
    list_response, meta, projected, st,
};
use crate::common::second;

fn display_of(u: &ScimUser) -> String {
    let doc = doc_of(&u.doc);
    doc.get("displayName")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| u.user_name.clone())
}

/// Whether a request may see or match members' display names (returned only on request): only
/// then are the account's users read for them.
fn display_wanted(texts: &[Option<&str>]) -> bool {
    texts
        .iter()
        .flatten()
        .any(|t| t.to_ascii_lowercase().contains("display"))
}

/// Display names of the account's users.
async fn user_names<S: SpStore>(
    store: &S,
    account_id: &str,
) -> Result<HashMap<String, String>, ScimError> {
    Ok(store
        .scim_users(account_id)
        .await
        .map_err(st)?
        .iter()
        .map(|u| (u.id.clone(), display_of(u)))
        .collect())
}

fn group_json(
    base: &str,
    g: &ScimGroup,
    members: &[String],
    names: &HashMap<String, String>,
) -> Value {
    let doc = doc_of(&g.doc);
    let mut extra = Vec::new();
    if !members.is_empty() {
        extra.push((
            "members",
            Value::Array(
                members
                    .iter()
                    .map(|id| {
                        json!({
                            "value": id,
                            "$ref": format!("{base}/Users/{id}"),
                            "display": names.get(id).cloned().unwrap_or_default(),
                            "type": "User",
                        })
                    })
                    .collect(),
            ),
        ));
    }
    let m = meta(
        &GROUP_TYPE,
        base,
        &g.id,
        g.version,
        g.created_at,
        g.modified_at,
    );
    assemble(&GROUP_TYPE, &g.id, &doc, extra, m)
}

async fn output<S: SpStore>(
    store: &S,
    base: &str,
    g: &ScimGroup,
    p: &Projection,
) -> Result<Output, ScimError> {
    let members = store
        .scim_group_members(&g.account_id, &g.id)
        .await
        .map_err(st)?;
    let names = if display_wanted(&[p.attributes.as_deref()]) {
        user_names(store, &g.account_id).await?
    } else {
        HashMap::new()
    };
    Ok(Output {
        body: projected(&GROUP_TYPE, group_json(base, g, &members, &names), p),
        etag: super::etag(g.version),
        location: format!("{base}/Groups/{}", g.id),
    })
}

async fn existing<S: SpStore>(store: &S, c: &ScimCaller, id: &str) -> Result<ScimGroup, ScimError> {
    store
        .scim_group(&c.account_id, id)
        .await
        .map_err(st)?
        .ok_or_else(|| ScimError::not_found(format!("no group {id:?} here")))
}

/// Split a normalized group into its document (without members) and its member IDs, each a
/// user of the account.
async fn split<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    mut doc: Value,
) -> Result<(Value, Vec<String>), ScimError> {
    let members = doc
        .as_object_mut()
        .and_then(|o| o.remove("members"))
        .unwrap_or(Value::Array(Vec::new()));
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    for m in members.as_array().map(Vec::as_slice).unwrap_or_default() {
        if let Some(t) = m.get("type").and_then(Value::as_str)
            && !t.eq_ignore_ascii_case("User")
        {
            return Err(ScimError::bad(
                ScimType::InvalidValue,
                format!("members of type {t:?} are not supported: only users"),
            ));
        }
        let id = m.get("value").and_then(Value::as_str).ok_or_else(|| {
            ScimError::bad(
                ScimType::InvalidValue,
                "a member needs a value (a user's id)",
            )
        })?;
        if seen.insert(id.to_string()) {
            ids.push(id.to_string());
        }
    }
    if !ids.is_empty() {
        let users: HashSet<String> = store
            .scim_users(&c.account_id)
            .await
            .map_err(st)?
            .into_iter()
            .map(|u| u.id)
            .collect();
        if let Some(unknown) = ids.iter().find(|id| !users.contains(*id)) {
            return Err(ScimError::bad(
                ScimType::InvalidValue,
                format!("member {unknown:?} is no user of this account"),
            ));
        }
    }
    Ok((doc, ids))
}

fn record(
    c: &ScimCaller,
    id: &str,
    doc: &Value,
    version: i64,
    created: OffsetDateTime,
    now: OffsetDateTime,
) -> ScimGroup {
    ScimGroup {
        id: id.into(),
        account_id: c.account_id.clone(),
        display_name: doc
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string(),
        external_id: doc
            .get("externalId")
            .and_then(Value::as_str)
            .map(str::to_string),
        version,
        created_at: created,
        modified_at: second(now),
        doc: doc.to_string(),
    }
}

/// Every group of the account as a full resource.
pub(crate) async fn group_items<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    q: &ListQuery,
) -> Result<Vec<Value>, ScimError> {
    let groups = store.scim_groups(&c.account_id).await.map_err(st)?;
    let mut members: HashMap<String, Vec<String>> = HashMap::new();
    for (g, u) in store.scim_memberships(&c.account_id).await.map_err(st)? {
        members.entry(g).or_default().push(u);
    }
    let names = if display_wanted(&[q.attributes.as_deref(), q.filter.as_deref()]) {
        user_names(store, &c.account_id).await?
    } else {
        HashMap::new()
    };
    Ok(groups
        .iter()
        .map(|g| {
            group_json(
                base,
                g,
                members.get(&g.id).map(Vec::as_slice).unwrap_or(&[]),
                &names,
            )
        })
        .collect())
}

pub async fn list_groups<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    q: &ListQuery,
) -> Result<Value, ScimError> {
    let filter = match q.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => Some(symbolon_scim::filter::parse(&GROUP_TYPE, f)?),
        None => None,
    };
    let items = group_items(store, c, base, q).await?;
    list_response(&GROUP_TYPE, items, q, filter.as_ref())
}

pub async fn get_group<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    id: &str,
    p: &Projection,
) -> Result<Output, ScimError> {
    let g = existing(store, c, id).await?;
    output(store, base, &g, p).await
}

pub async fn create_group<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    body: &Value,
    p: &Projection,
    now: OffsetDateTime,
) -> Result<Output, ScimError> {
    let doc = normalize(&GROUP_TYPE, body)?;
    let (doc, members) = split(store, c, doc).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let g = record(c, &id, &doc, 1, second(now), now);
    store.create_scim_group(&g, &members).await.map_err(st)?;
    audit(
        store,
        c,
        format!(
            "SCIM created group {} with {} member(s)",
            g.display_name,
            members.len()
        ),
        now,
    )
    .await?;
    output(store, base, &g, p).await
}

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
    compute: impl Fn(&ScimGroup, &[String]) -> Result<Value, ScimError>,
) -> Result<Output, ScimError> {
    for _ in 0..5 {
        let old = existing(store, c, id).await?;
        check_if_match(if_match, old.version)?;
        let before = store
            .scim_group_members(&c.account_id, id)
            .await
            .map_err(st)?;
        let doc = compute(&old, &before)?;
        let (doc, after) = split(store, c, doc).await?;
        let before_set: HashSet<&String> = before.iter().collect();
        let after_set: HashSet<&String> = after.iter().collect();
        let add: Vec<String> = after
            .iter()
            .filter(|m| !before_set.contains(m))
            .cloned()
            .collect();
        let remove: Vec<String> = before
            .iter()
            .filter(|m| !after_set.contains(m))
            .cloned()
            .collect();
        let new = record(
            c,
            id,
            &doc,
            old.version.saturating_add(1),
            old.created_at,
            now,
        );
        if store
            .replace_scim_group(&new, old.version, &add, &remove)
            .await
            .map_err(st)?
        {
            let renamed = if old.display_name != new.display_name {
                format!(", renamed from {}", old.display_name)
            } else {
                String::new()
            };
            audit(
                store,
                c,
                format!(
                    "SCIM {how} group {} (+{} -{} member(s){renamed})",
                    new.display_name,
                    add.len(),
                    remove.len()
                ),
                now,
            )
            .await?;
            return output(store, base, &new, p).await;
        }
        if if_match.is_some() {
            return Err(ScimError::status(412, "the resource changed meanwhile"));
        }
    }
    Err(ScimError::status(409, "the resource keeps changing; retry"))
}

#[allow(clippy::too_many_arguments)]
pub async fn replace_group<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
    p: &Projection,
    now: OffsetDateTime,
) -> Result<Output, ScimError> {
    let doc = normalize(&GROUP_TYPE, body)?;
    change(store, c, base, id, if_match, p, "replaced", now, |_, _| {
        Ok(doc.clone())
    })
    .await
}

#[allow(clippy::too_many_arguments)]
pub async fn patch_group<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
    p: &Projection,
    now: OffsetDateTime,
) -> Result<Output, ScimError> {
    change(
        store,
        c,
        base,
        id,
        if_match,
        p,
        "changed",
        now,
        |old, members| {
            let mut doc = doc_of(&old.doc);
            if !members.is_empty()
                && let Some(o) = doc.as_object_mut()
            {
                o.insert(
                    "members".into(),
                    Value::Array(
                        members
                            .iter()
                            .map(|m| {
                                let mut e = Map::new();
                                e.insert("value".into(), Value::String(m.clone()));
                                Value::Object(e)
                            })
                            .collect(),
                    ),
                );
            }
            symbolon_scim::patch::apply(&GROUP_TYPE, &mut doc, body)?;
            normalize(&GROUP_TYPE, &doc)
        },
    )
    .await
}

pub async fn delete_group<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    id: &str,
    if_match: Option<&str>,
    now: OffsetDateTime,
) -> Result<(), ScimError> {
    let g = existing(store, c, id).await?;
    check_if_match(if_match, g.version)?;
    store
        .delete_scim_group(&c.account_id, id, second(now))
        .await
        .map_err(st)?;
    audit(
        store,
        c,
        format!("SCIM deleted group {}", g.display_name),
        now,
    )
    .await
}
