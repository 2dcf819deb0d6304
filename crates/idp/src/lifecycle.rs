//! Day-2 changes of the identity provider's objects: edit and delete realms; delete users (and
//! sign them out), set and unset their attributes, take them out of groups; list, move and
//! delete groups; delete clients. Every change is an `ADMIN` event that says what changed, and a
//! change that changes nothing records nothing.

use crate::common::{Actor, IdpError, Result, audit};
use crate::groups::{group_or_error, group_path};
use crate::realms::realm_or_404;
use crate::users::user_or_error;
use symbolon_store::{Group, IdpStore, Realm, User};
use time::OffsetDateTime;

/// What a realm edit may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct RealmChange {
    pub display_name: Option<String>,
    pub enabled: Option<bool>,
    pub assertion_lifespan_secs: Option<i64>,
}

/// Edit a realm. Returns the realm as saved and whether anything changed.
pub async fn update_realm<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    change: &RealmChange,
    now: OffsetDateTime,
) -> Result<(Realm, bool)> {
    let before = realm_or_404(store, realm).await?;
    let mut r = before.clone();
    let mut changes = Vec::new();
    if let Some(d) = &change.display_name {
        let d = d.trim();
        if d.is_empty() || d.chars().count() > 100 || d.chars().any(char::is_control) {
            return Err(IdpError::Invalid(
                "the display name must be 1-100 printable characters".into(),
            ));
        }
        if d != r.display_name {
            changes.push(format!("display name {:?} -> {d:?}", r.display_name));
            r.display_name = d.to_string();
        }
    }
    if let Some(e) = change.enabled
        && e != r.enabled
    {
        changes.push(format!("enabled {} -> {e}", r.enabled));
        r.enabled = e;
    }
    if let Some(l) = change.assertion_lifespan_secs {
        if !(10..=86_400).contains(&l) {
            return Err(IdpError::Invalid(
                "the assertion lifespan must be 10 to 86400 seconds".into(),
            ));
        }
        if l != r.assertion_lifespan_secs {
            changes.push(format!(
                "assertion lifespan {}s -> {l}s",
                r.assertion_lifespan_secs
            ));
            r.assertion_lifespan_secs = l;
        }
    }
    if changes.is_empty() {
        return Ok((r, false));
    }
    store.update_realm(&r).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("updated realm {realm}: {}", changes.join(", ")),
        now,
    )
    .await?;
    Ok((r, true))
}

/// What deleting a realm takes with it, for a confirmation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RealmContents {
    pub users: usize,
    pub clients: usize,
    pub groups: usize,
}

impl RealmContents {
    pub fn describe(&self) -> String {
        format!(
            "{} user(s) with their credentials, {} client(s), {} group(s), the roles, the signing keys and the events",
            self.users, self.clients, self.groups
        )
    }
}

pub async fn realm_contents<S: IdpStore>(store: &S, realm: &str) -> Result<RealmContents> {
    realm_or_404(store, realm).await?;
    Ok(RealmContents {
        users: store.users(realm).await?.len(),
        clients: store.clients(realm).await?.len(),
        groups: store.groups(realm).await?.len(),
    })
}

/// Delete a realm and everything of it. Its events go with it; the deletion is logged by the
/// server with the actor. Its users' SSO sessions end at once.
pub async fn delete_realm<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    now: OffsetDateTime,
) -> Result<()> {
    realm_or_404(store, realm).await?;
    let users = store.users(realm).await?;
    store.delete_realm(realm).await?;
    for u in users {
        crate::sessions::sign_out_everywhere(store, &u.id, now).await?;
    }
    tracing::info!(realm, actor = %actor.0, "realm deleted");
    Ok(())
}

/// Delete a user (offboarding): credentials, memberships, role grants and client assignments
/// go with them, and every SSO session of theirs ends.
pub async fn delete_user<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    username: &str,
    now: OffsetDateTime,
) -> Result<User> {
    let u = user_or_error(store, realm, username).await?;
    store.delete_user(realm, &u.id).await?;
    let sessions = crate::sessions::sign_out_everywhere(store, &u.id, now).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!(
            "deleted user {} ({sessions} SSO session(s) ended)",
            u.username
        ),
        now,
    )
    .await?;
    crate::webhooks::notify(
        store,
        realm,
        "user.removed",
        serde_json::json!({ "id": u.id, "username": u.username, "email": u.email }),
        now,
    )
    .await;
    Ok(u)
}

pub(crate) fn attribute_key(key: &str) -> Result<String> {
    let k = key.trim();
    let ok = !k.is_empty()
        && k.len() <= 128
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok {
        Ok(k.to_string())
    } else {
        Err(IdpError::Invalid(format!(
            "attribute name {key:?} must be 1-128 letters, digits, '-', '_', '.' or ':'"
        )))
    }
}

/// An attribute's values: at most 100, of at most 1024 printable characters each.
pub(crate) fn attribute_values(values: &[String]) -> Result<()> {
    if values.len() > 100
        || values
            .iter()
            .any(|v| v.len() > 1024 || v.chars().any(char::is_control))
    {
        return Err(IdpError::Invalid(
            "at most 100 values of at most 1024 printable characters each".into(),
        ));
    }
    Ok(())
}

/// Set a user attribute to these values (replacing what it had). Returns whether anything
/// changed.
pub async fn set_user_attribute<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    username: &str,
    key: &str,
    values: &[String],
    now: OffsetDateTime,
) -> Result<bool> {
    let key = attribute_key(key)?;
    if values.is_empty() {
        return unset_user_attribute(store, actor, realm, username, &key, now).await;
    }
    attribute_values(values)?;
    let mut u = user_or_error(store, realm, username).await?;
    let old: Vec<String> = u
        .attributes
        .iter()
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| v.clone())
        .collect();
    if old == values {
        return Ok(false);
    }
    u.attributes.retain(|(k, _)| *k != key);
    u.attributes
        .extend(values.iter().map(|v| (key.clone(), v.clone())));
    store.update_user(&u).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!(
            "set attribute {key} of {} to {values:?} (was {old:?})",
            u.username
        ),
        now,
    )
    .await?;
    Ok(true)
}

/// Remove a user attribute. Returns whether the user had it.
pub async fn unset_user_attribute<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    username: &str,
    key: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let key = attribute_key(key)?;
    let mut u = user_or_error(store, realm, username).await?;
    let before = u.attributes.len();
    u.attributes.retain(|(k, _)| *k != key);
    if u.attributes.len() == before {
        return Ok(false);
    }
    store.update_user(&u).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("removed attribute {key} of {}", u.username),
        now,
    )
    .await?;
    Ok(true)
}

/// Take a user out of a group (a direct membership).
pub async fn leave_group<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    username: &str,
    path: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let u = user_or_error(store, realm, username).await?;
    let g = group_or_error(store, realm, path).await?;
    store
        .remove_member(&u.id, &g.id)
        .await
        .map_err(|e| match e {
            symbolon_store::StoreError::NotFound(..) => {
                IdpError::NotFound(format!("{} is not a member of {}", u.username, g.path))
            }
            other => other.into(),
        })?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("removed {} from group {}", u.username, g.path),
        now,
    )
    .await
}

/// A group and its subgroups (the group first).
async fn subtree<S: IdpStore>(store: &S, realm: &str, path: &str) -> Result<Vec<Group>> {
    let g = group_or_error(store, realm, path).await?;
    let prefix = format!("{}/", g.path);
    let mut all: Vec<Group> = store
        .groups(realm)
        .await?
        .into_iter()
        .filter(|x| x.path.starts_with(&prefix))
        .collect();
    all.insert(0, g);
    Ok(all)
}

/// The direct members of a group.
pub async fn group_members<S: IdpStore>(store: &S, realm: &str, path: &str) -> Result<Vec<User>> {
    let g = group_or_error(store, realm, path).await?;
    let mut out = Vec::new();
    for id in store.group_member_ids(&g.id).await? {
        if let Some(u) = store.user_by_id(realm, &id).await? {
            out.push(u);
        }
    }
    out.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(out)
}

/// What deleting a group takes with it: its subgroups' paths and how many memberships.
pub async fn group_delete_preview<S: IdpStore>(
    store: &S,
    realm: &str,
    path: &str,
) -> Result<(Vec<String>, usize)> {
    let groups = subtree(store, realm, path).await?;
    let mut members = 0;
    for g in &groups {
        members += store.group_member_ids(&g.id).await?.len();
    }
    Ok((groups.into_iter().map(|g| g.path).collect(), members))
}

/// Delete a group and its subgroups, with their memberships, role grants and client
/// assignments.
pub async fn delete_group<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    path: &str,
    now: OffsetDateTime,
) -> Result<Vec<String>> {
    let groups = subtree(store, realm, path).await?;
    let ids: Vec<String> = groups.iter().map(|g| g.id.clone()).collect();
    store.delete_groups(realm, &ids).await?;
    let paths: Vec<String> = groups.into_iter().map(|g| g.path).collect();
    audit(
        store,
        realm,
        actor,
        None,
        format!("deleted group(s) {}", paths.join(", ")),
        now,
    )
    .await?;
    Ok(paths)
}

/// Rename or move a group: its subgroups move with it, members and grants stay. The new
/// parent must exist, and a group cannot move under itself.
pub async fn move_group<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    path: &str,
    new_path: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let g = group_or_error(store, realm, path).await?;
    let new_path = group_path(new_path)?;
    if new_path == g.path {
        return Ok(false);
    }
    if new_path.starts_with(&format!("{}/", g.path)) {
        return Err(IdpError::Invalid(format!(
            "{} cannot move under itself",
            g.path
        )));
    }
    if let Some((parent, _)) = new_path.rsplit_once('/')
        && !parent.is_empty()
        && group_or_error(store, realm, parent).await.is_err()
    {
        return Err(IdpError::Invalid(format!(
            "the parent group {parent} does not exist; create it first"
        )));
    }
    store
        .move_group(realm, &g.path, &new_path)
        .await
        .map_err(|e| match e {
            symbolon_store::StoreError::Conflict(_) => IdpError::Conflict(format!(
                "a group {new_path} (or a subgroup's new path) exists"
            )),
            other => other.into(),
        })?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("moved group {} to {new_path}", g.path),
        now,
    )
    .await?;
    Ok(true)
}

/// Delete a client with its access assignments. Its users' pairwise NameIDs are kept (a
/// client imported again gives them the same identifiers).
pub async fn delete_client<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    client_id: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let c = crate::clients::client_or_error(store, realm, client_id).await?;
    store.delete_client(realm, &c.id).await?;
    audit(
        store,
        realm,
        actor,
        Some(&c.client_id),
        format!("deleted client {}", c.client_id),
        now,
    )
    .await
}
