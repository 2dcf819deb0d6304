//! What the console and the API show of provisioned users: their NameID, state, groups and the
//! roles those give in the account (the same rule the ACS applies).

use std::collections::{BTreeSet, HashMap};

use symbolon_store::sp::SpStore;

/// A provisioned user as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedView {
    pub id: String,
    pub user_name: String,
    /// The NameID single sign-on expects.
    pub name_id: String,
    pub active: bool,
    pub groups: Vec<String>,
    /// The roles their groups map to, else the default role; empty: no role (refused).
    pub roles: Vec<String>,
}

/// The account's provisioned users, by creation.
pub async fn provisioned_views<S: SpStore>(
    store: &S,
    account_id: &str,
) -> crate::Result<Vec<ProvisionedView>> {
    let roles = store.account_roles(account_id).await?;
    let role_name = |id: &str| roles.iter().find(|r| r.id == id).map(|r| r.name.clone());
    let mut mapped: HashMap<String, String> = HashMap::new();
    for idp in store.idps(account_id).await? {
        for m in store.mappings(&idp.id).await? {
            if let Some(n) = role_name(&m.role_id) {
                mapped.insert(m.group, n);
            }
        }
    }
    let default_role = store
        .scim_settings(account_id)
        .await?
        .default_role_id
        .and_then(|id| role_name(&id));
    let mut groups = super::groups_by_user(store, account_id).await?;
    Ok(store
        .scim_users(account_id)
        .await?
        .into_iter()
        .map(|u| {
            let groups: Vec<String> = groups
                .remove(&u.id)
                .unwrap_or_default()
                .into_iter()
                .map(|(_, name)| name)
                .collect();
            let mut r: BTreeSet<String> = groups
                .iter()
                .filter_map(|g| mapped.get(g).cloned())
                .collect();
            if r.is_empty()
                && let Some(d) = &default_role
            {
                r.insert(d.clone());
            }
            ProvisionedView {
                id: u.id,
                user_name: u.user_name,
                name_id: u.name_id,
                active: u.active,
                groups,
                roles: r.into_iter().collect(),
            }
        })
        .collect())
}

/// Whether a NameID belongs to a provisioned user of the account (SCIM owns it: it is not
/// added, changed or removed by hand).
pub async fn is_provisioned<S: SpStore>(
    store: &S,
    account_id: &str,
    name_id: &str,
) -> crate::Result<bool> {
    let n = name_id.trim().to_lowercase();
    Ok(store
        .scim_users(account_id)
        .await?
        .iter()
        .any(|u| u.name_id == n))
}
