//! Groups (a tree of paths) and membership.

use crate::common::{Actor, IdpError, Result, audit};
use crate::realms::realm_or_404;
use crate::users::user_or_error;
use symbolon_store::{IdpStore, User};
use time::OffsetDateTime;

/// Normalise and check a group path: `/a/b`, segments of letters, digits, space, `-`, `_`, `.`.
pub fn group_path(path: &str) -> Result<String> {
    let segs: Vec<&str> = path
        .trim()
        .trim_matches('/')
        .split('/')
        .map(str::trim)
        .collect();
    let ok = !segs.is_empty()
        && segs.iter().all(|s| {
            !s.is_empty()
                && s.len() <= 64
                && s.chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
        });
    if !ok {
        return Err(IdpError::Invalid(format!(
            "group path {path:?} must look like /team or /team/sub-team"
        )));
    }
    Ok(format!("/{}", segs.join("/")))
}

/// Create a group (and any missing parent groups). Returns the group.
pub async fn add_group<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    path: &str,
    now: OffsetDateTime,
) -> Result<symbolon_store::Group> {
    realm_or_404(store, realm).await?;
    let path = group_path(path)?;
    let existing = store.groups(realm).await?;
    let mut prefix = String::new();
    let mut last = None;
    for seg in path.trim_start_matches('/').split('/') {
        prefix.push('/');
        prefix.push_str(seg);
        if let Some(g) = existing.iter().find(|g| g.path == prefix) {
            last = Some(g.clone());
            continue;
        }
        let g = symbolon_store::Group {
            id: uuid::Uuid::new_v4().to_string(),
            realm: realm.into(),
            path: prefix.clone(),
        };
        store.create_group(&g).await?;
        audit(
            store,
            realm,
            actor,
            None,
            format!("created group {prefix}"),
            now,
        )
        .await?;
        last = Some(g);
    }
    last.ok_or_else(|| IdpError::Invalid("empty group path".into()))
}

pub(crate) async fn group_or_error<S: IdpStore>(
    store: &S,
    realm: &str,
    path: &str,
) -> Result<symbolon_store::Group> {
    let path = group_path(path)?;
    store
        .groups(realm)
        .await?
        .into_iter()
        .find(|g| g.path == path)
        .ok_or_else(|| IdpError::NotFound(format!("no group {path} in realm {realm}")))
}

/// Make a user a member of a group.
pub async fn join_group<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    username: &str,
    path: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let user = user_or_error(store, realm, username).await?;
    let group = group_or_error(store, realm, path).await?;
    store.add_member(&user.id, &group.id).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("added {} to group {}", user.username, group.path),
        now,
    )
    .await
}

/// Full paths of the groups a user is a direct member of.
pub async fn user_group_paths<S: IdpStore>(store: &S, user: &User) -> Result<Vec<String>> {
    Ok(store
        .user_groups(&user.id)
        .await?
        .into_iter()
        .map(|g| g.path)
        .collect())
}
