//! The people of an account: pre-registered SAML accounts (add, change role and description,
//! remove) and native users (list, reset password, remove; the last master administrator
//! stays).

use crate::accounts::{account, role_named};
use crate::common::{Actor, MASTER_REFUSED, Result, SpError, audit, non_empty};
use symbolon_store::StoreError;
use symbolon_store::sp::{NativeUser, SamlAccount, SpStore};
use time::OffsetDateTime;

/// A SAML account as the console and the API list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlAccountView {
    pub account: SamlAccount,
    /// `None` when the role was deleted since.
    pub role: Option<String>,
    /// The name is a master administrator's email: that SSO sign-in is always refused.
    pub master_conflict: bool,
}

/// Whether `name` is the email of a master administrator of the account.
async fn is_master<S: SpStore>(store: &S, account_id: &str, name: &str) -> Result<bool> {
    Ok(store
        .native_users_by_email(&name.to_lowercase())
        .await?
        .iter()
        .any(|(u, _)| u.master && u.account_id == account_id))
}

/// The warning shown when a SAML account's name is a master administrator's email.
pub fn master_conflict_warning(name: &str) -> String {
    format!(
        "{name} is a master administrator of this account, so single sign-on as {name} is always refused ({MASTER_REFUSED})"
    )
}

/// The account's SAML accounts, with their role names and the master-administrator warning.
pub async fn saml_account_views<S: SpStore>(
    store: &S,
    account_id: &str,
) -> Result<Vec<SamlAccountView>> {
    let roles = store.account_roles(account_id).await?;
    let masters: Vec<String> = store
        .native_users(account_id)
        .await?
        .into_iter()
        .filter(|u| u.master)
        .map(|u| u.email)
        .collect();
    Ok(store
        .saml_accounts(account_id)
        .await?
        .into_iter()
        .map(|a| SamlAccountView {
            role: roles
                .iter()
                .find(|r| r.id == a.role_id)
                .map(|r| r.name.clone()),
            master_conflict: masters.contains(&a.name),
            account: a,
        })
        .collect())
}

fn clean_description(d: Option<&str>) -> Option<String> {
    d.map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string)
}

/// Pre-register a SAML account: this NameID may sign in through SSO with this role. Returns a
/// warning when the name is a master administrator's email (that sign-in is always refused).
pub async fn add_saml_account<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    name: &str,
    role: &str,
    description: Option<&str>,
    now: OffsetDateTime,
) -> Result<Option<String>> {
    account(store, account_id).await?;
    let name = non_empty("the account name (email or username)", name, 254)?.to_lowercase();
    if crate::scim::is_provisioned(store, account_id, &name).await? {
        return Err(SpError::Conflict(format!(
            "{name} is provisioned by your identity provider (SCIM), which manages it: change it there"
        )));
    }
    let r = role_named(store, account_id, role).await?;
    if let Some(d) = clean_description(description) {
        non_empty("the description", &d, 500)?;
    }
    store
        .add_saml_account(&SamlAccount {
            account_id: account_id.into(),
            name: name.clone(),
            role_id: r.id,
            description: clean_description(description),
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                SpError::Conflict(format!("{name} is already a SAML account here"))
            }
            other => other.into(),
        })?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("added SAML account {name} with role {}", r.name),
        now,
    )
    .await?;
    Ok(is_master(store, account_id, &name)
        .await?
        .then(|| master_conflict_warning(&name)))
}

async fn saml_account_named<S: SpStore>(
    store: &S,
    account_id: &str,
    name: &str,
) -> Result<SamlAccount> {
    let lower = name.trim().to_lowercase();
    store
        .saml_accounts(account_id)
        .await?
        .into_iter()
        .find(|a| a.name == lower)
        .ok_or_else(|| {
            SpError::NotFound(format!("there is no SAML account {:?} here", name.trim()))
        })
}

/// Change a SAML account's role and/or description (`None` leaves it as it is). Returns whether
/// anything changed; nothing is recorded otherwise.
pub async fn edit_saml_account<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    name: &str,
    role: Option<&str>,
    description: Option<&str>,
    now: OffsetDateTime,
) -> Result<bool> {
    let mut a = saml_account_named(store, account_id, name).await?;
    let roles = store.account_roles(account_id).await?;
    let role_name = |id: &str| {
        roles
            .iter()
            .find(|r| r.id == id)
            .map_or_else(|| "(deleted role)".to_string(), |r| r.name.clone())
    };
    let mut changes = Vec::new();
    if let Some(role) = role {
        let r = role_named(store, account_id, role).await?;
        if r.id != a.role_id {
            changes.push(format!("role {} -> {}", role_name(&a.role_id), r.name));
            a.role_id = r.id;
        }
    }
    if let Some(d) = description {
        let d = clean_description(Some(d));
        if let Some(text) = &d {
            non_empty("the description", text, 500)?;
        }
        if d != a.description {
            changes.push(format!(
                "description {:?} -> {:?}",
                a.description.as_deref().unwrap_or(""),
                d.as_deref().unwrap_or("")
            ));
            a.description = d;
        }
    }
    if changes.is_empty() {
        return Ok(false);
    }
    store.update_saml_account(&a).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("changed SAML account {}: {}", a.name, changes.join(", ")),
        now,
    )
    .await?;
    Ok(true)
}

/// Remove a SAML account (offboarding): that NameID no longer gets its role through it. Group
/// mappings may still give the person a role; the confirmation page says so.
pub async fn remove_saml_account<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    name: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let a = saml_account_named(store, account_id, name).await?;
    store.remove_saml_account(account_id, &a.name).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("removed SAML account {}", a.name),
        now,
    )
    .await
}

/// The account's native users, by email.
pub async fn native_users<S: SpStore>(store: &S, account_id: &str) -> Result<Vec<NativeUser>> {
    account(store, account_id).await?;
    Ok(store.native_users(account_id).await?)
}

async fn native_user_named<S: SpStore>(
    store: &S,
    account_id: &str,
    email: &str,
) -> Result<NativeUser> {
    let lower = email.trim().to_lowercase();
    store
        .native_users(account_id)
        .await?
        .into_iter()
        .find(|u| u.email == lower)
        .ok_or_else(|| SpError::NotFound(format!("there is no user {:?} here", email.trim())))
}

/// Remove a native user. The account's last master administrator cannot be removed (the store
/// checks it in the same statement as the removal).
pub async fn remove_native_user<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    email: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let u = native_user_named(store, account_id, email).await?;
    if !store.remove_native_user(account_id, &u.id).await? {
        return Err(SpError::Conflict(format!(
            "{} is the account's last master administrator and cannot be removed; add another master administrator first",
            u.email
        )));
    }
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("removed user {}", u.email),
        now,
    )
    .await?;
    crate::webhooks::notify(
        store,
        account_id,
        "user.removed",
        serde_json::json!({ "id": u.id, "email": u.email, "kind": "native" }),
        now,
    )
    .await;
    Ok(())
}

/// Set a native user's password (an administrator's reset).
pub async fn reset_native_password<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    email: &str,
    password: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let u = native_user_named(store, account_id, email).await?;
    let hash = symbolon_secret::hashing::hash(password)
        .await?
        .map_err(|e| SpError::Invalid(e.to_string()))?;
    store.set_native_password(account_id, &u.id, &hash).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("reset the password of {}", u.email),
        now,
    )
    .await
}
