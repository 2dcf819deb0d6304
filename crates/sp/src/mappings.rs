//! Group -> role mappings of an account's identity provider: map a group, point it at another
//! role, remove it. A group maps to at most one role per account.

use crate::accounts::role_named;
use crate::common::{Actor, Result, SpError, audit, non_empty};
use crate::idps::idp_named;
use symbolon_store::StoreError;
use symbolon_store::sp::{GroupMapping, SpStore};
use time::OffsetDateTime;

/// Map a group (as the IdP sends it in the role attribute) to a role. A group maps to at most
/// one role per account.
pub async fn map_group<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    idp_name: &str,
    group: &str,
    role: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let c = idp_named(store, account_id, idp_name).await?;
    let group = non_empty("the group", group, 256)?;
    let r = role_named(store, account_id, role).await?;
    store
        .add_mapping(&GroupMapping {
            idp_id: c.id.clone(),
            account_id: account_id.into(),
            group: group.clone(),
            role_id: r.id,
            role_name: r.name.clone(),
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => SpError::Conflict(format!(
                "the group {group:?} is already mapped to a role in this account; a group maps to at most one role, so change that mapping's role instead"
            )),
            other => other.into(),
        })?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("mapped group {group} to role {} ({})", r.name, c.name),
        now,
    )
    .await
}

/// The mapping of `group` under this identity provider.
async fn mapping_of<S: SpStore>(
    store: &S,
    account_id: &str,
    idp_name: &str,
    group: &str,
) -> Result<(String, GroupMapping)> {
    let c = idp_named(store, account_id, idp_name).await?;
    let m = store
        .mappings(&c.id)
        .await?
        .into_iter()
        .find(|m| m.group == group.trim())
        .ok_or_else(|| {
            SpError::NotFound(format!(
                "the group {:?} is not mapped under {}",
                group.trim(),
                c.name
            ))
        })?;
    Ok((c.name, m))
}

/// Point a mapped group at another role (also how a mapping to a deleted role is repaired).
/// Returns whether anything changed; nothing is recorded when the role is the same.
pub async fn remap_group<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    idp_name: &str,
    group: &str,
    role: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let (idp, m) = mapping_of(store, account_id, idp_name, group).await?;
    let r = role_named(store, account_id, role).await?;
    if r.id == m.role_id {
        return Ok(false);
    }
    store
        .set_mapping_role(account_id, &m.group, &r.id, &r.name)
        .await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!(
            "changed the role of group {} from {} to {} ({idp})",
            m.group, m.role_name, r.name
        ),
        now,
    )
    .await?;
    Ok(true)
}

/// Remove the mapping of a group: users then get no role from that group.
pub async fn unmap_group<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    idp_name: &str,
    group: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let (idp, m) = mapping_of(store, account_id, idp_name, group).await?;
    store.remove_mapping(account_id, &m.group).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!(
            "removed the mapping of group {} (to {}) ({idp})",
            m.group, m.role_name
        ),
        now,
    )
    .await
}
