//! Accounts, their roles, native users and SAML accounts; native sign-on for master
//! administrators; API keys; the sign-in record and the pruning jobs.

use crate::acs::Pair;
use crate::common::{
    Actor, MASTER_ROLE, Result, SpError, account_name, audit, non_empty, saml_principal, second,
    user_principal,
};
use symbolon_secret::hex_sha256;
use symbolon_store::StoreError;
use symbolon_store::sp::{Account, AccountRole, NativeUser, SpStore};
use time::OffsetDateTime;

/// Roles every account starts with.
pub const BUILTIN_ROLES: [&str; 3] = ["Full Access", "Read Only", "Auditor"];

/// Create an account with the built-in roles.
pub async fn create_account<S: SpStore>(
    store: &S,
    actor: &Actor,
    name: &str,
    now: OffsetDateTime,
) -> Result<Account> {
    let name = non_empty("the account name", name, 100)?;
    name_is_free(store, &name, None).await?;
    let account = Account {
        id: uuid::Uuid::new_v4().simple().to_string()[..12].to_string(),
        name: name.clone(),
        created_at: second(now),
    };
    let roles: Vec<AccountRole> = BUILTIN_ROLES
        .iter()
        .map(|r| AccountRole {
            id: uuid::Uuid::new_v4().to_string(),
            account_id: account.id.clone(),
            name: (*r).into(),
            builtin: true,
        })
        .collect();
    store.create_account(&account, &roles).await?;
    audit(
        store,
        &account.id,
        &actor.0,
        "Admin",
        format!("created account {name}"),
        now,
    )
    .await?;
    Ok(account)
}

/// A master administrator creates another account from the console: the new account (with the
/// built-in roles) gets the same person as its master administrator, with the same email,
/// display name and password (the stored hash is copied, never the password), and the pair to
/// enter it is returned. Only a master administrator signed in with a password may do it (a
/// SAML sign-in is never a master administrator). Both accounts' audit logs record it. If the
/// administrator cannot be added to the new account, the account is deleted again: nothing is
/// left half made.
pub async fn create_account_as_master<S: SpStore>(
    store: &S,
    actor: &Actor,
    from: &Pair,
    name: &str,
    now: OffsetDateTime,
) -> Result<(Account, Pair)> {
    let refused = || SpError::Forbidden("only a master administrator may create an account".into());
    if !from.master {
        return Err(refused());
    }
    // The administrator's own record, now (not as the session remembers it), with its hash.
    let email = store
        .native_users(&from.account_id)
        .await?
        .into_iter()
        .find(|u| u.id == from.user_id && u.master)
        .map(|u| u.email)
        .ok_or_else(refused)?;
    let (me, hash) = store
        .native_users_by_email(&email)
        .await?
        .into_iter()
        .find(|(u, _)| u.id == from.user_id && u.account_id == from.account_id)
        .ok_or_else(refused)?;
    let account = create_account(store, actor, name, now).await?;
    let user = NativeUser {
        id: uuid::Uuid::new_v4().to_string(),
        account_id: account.id.clone(),
        email: me.email.clone(),
        display_name: me.display_name.clone(),
        master: true,
        role_id: None,
        created_at: second(now),
    };
    let added = async {
        store.create_native_user(&user, &hash).await?;
        audit(
            store,
            &account.id,
            &actor.0,
            "Admin",
            format!(
                "added master administrator {} (created the account from account {})",
                me.email, from.account_name
            ),
            now,
        )
        .await
    }
    .await;
    if let Err(e) = added {
        // The account is of no use without its administrator.
        let _ = store.delete_account(&account.id).await;
        return Err(e);
    }
    audit(
        store,
        &from.account_id,
        &actor.0,
        "Admin",
        format!("created another account {} ({})", account.name, account.id),
        now,
    )
    .await?;
    let pair = Pair {
        account_id: account.id.clone(),
        account_name: account.name.clone(),
        role: MASTER_ROLE.to_string(),
        master: true,
        user_id: user.id,
        profile: from.profile.clone(),
    };
    Ok((account, pair))
}

/// An account by ID.
pub async fn account<S: SpStore>(store: &S, id: &str) -> Result<Account> {
    store
        .account(id)
        .await?
        .ok_or_else(|| SpError::NotFound(format!("there is no account {id:?}")))
}

/// Rename an account. Returns whether anything changed (nothing is recorded otherwise).
pub async fn rename_account<S: SpStore>(
    store: &S,
    actor: &Actor,
    id: &str,
    name: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let a = account(store, id).await?;
    let name = non_empty("the account name", name, 100)?;
    if name == a.name {
        return Ok(false);
    }
    name_is_free(store, &name, Some(id)).await?;
    store.rename_account(id, &name).await?;
    audit(
        store,
        id,
        &actor.0,
        "Admin",
        format!("renamed the account {:?} -> {name:?}", a.name),
        now,
    )
    .await?;
    Ok(true)
}

/// Account names are unique per deployment, compared without case or surrounding spaces
/// ([`symbolon_store::sp::account_name_key`]); the store's unique index stops a concurrent twin.
async fn name_is_free<S: SpStore>(store: &S, name: &str, except: Option<&str>) -> Result<()> {
    let key = symbolon_store::sp::account_name_key(name);
    let taken = store.accounts().await?.into_iter().find(|a| {
        Some(a.id.as_str()) != except && symbolon_store::sp::account_name_key(&a.name) == key
    });
    match taken {
        Some(a) => Err(SpError::Conflict(format!(
            "there is already an account named {:?} (ID {}); account names are unique, whatever their case",
            a.name, a.id
        ))),
        None => Ok(()),
    }
}

/// What deleting an account takes with it, for the confirmation page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountContents {
    pub users: usize,
    pub saml_accounts: usize,
    pub identity_providers: usize,
    pub roles: usize,
    pub api_keys: usize,
}

impl AccountContents {
    /// One plain sentence for a confirmation page or the CLI.
    pub fn describe(&self) -> String {
        format!(
            "{} native user(s), {} SAML account(s), {} identity provider(s) with their mappings, {} role(s), {} API key(s), the SAML users seen, the failed sign-ins and the audit log",
            self.users, self.saml_accounts, self.identity_providers, self.roles, self.api_keys
        )
    }
}

/// What an account holds.
pub async fn account_contents<S: SpStore>(store: &S, id: &str) -> Result<AccountContents> {
    account(store, id).await?;
    Ok(AccountContents {
        users: store.native_users(id).await?.len(),
        saml_accounts: store.saml_accounts(id).await?.len(),
        identity_providers: store.idps(id).await?.len(),
        roles: store.account_roles(id).await?.len(),
        api_keys: store.api_keys(id).await?.len(),
    })
}

/// Delete an account (a tenant) and everything of it, in one transaction. The account's own
/// audit log goes with it; the deletion is logged by the server (`tracing`), with the actor.
pub async fn delete_account<S: SpStore>(store: &S, actor: &Actor, id: &str) -> Result<Account> {
    let a = account(store, id).await?;
    store.delete_account(id).await?;
    tracing::info!(account = %a.id, name = %a.name, actor = %actor.0, "account deleted");
    Ok(a)
}

pub(crate) async fn role_named<S: SpStore>(
    store: &S,
    account_id: &str,
    name: &str,
) -> Result<AccountRole> {
    store
        .account_roles(account_id)
        .await?
        .into_iter()
        .find(|r| r.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| SpError::NotFound(format!("the account has no role {name:?}")))
}

/// Add a custom role.
pub async fn add_role<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    name: &str,
    now: OffsetDateTime,
) -> Result<AccountRole> {
    account(store, account_id).await?;
    let name = non_empty("the role name", name, 100)?;
    if role_named(store, account_id, &name).await.is_ok() {
        return Err(SpError::Conflict(format!(
            "the account already has a role {name:?}"
        )));
    }
    let role = AccountRole {
        id: uuid::Uuid::new_v4().to_string(),
        account_id: account_id.into(),
        name: name.clone(),
        builtin: false,
    };
    store.create_account_role(&role).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("created role {name}"),
        now,
    )
    .await?;
    Ok(role)
}

/// Rename a custom role (built-in roles keep their names: permissions hang on them). Mappings
/// and SAML accounts follow the role. Returns whether anything changed.
pub async fn rename_role<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    name: &str,
    new_name: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let role = role_named(store, account_id, name).await?;
    let new_name = non_empty("the role name", new_name, 100)?;
    if new_name == role.name {
        return Ok(false);
    }
    if role.builtin {
        return Err(SpError::Invalid(format!(
            "{} is a built-in role and cannot be renamed",
            role.name
        )));
    }
    if let Ok(other) = role_named(store, account_id, &new_name).await
        && other.id != role.id
    {
        return Err(SpError::Conflict(format!(
            "the account already has a role {new_name:?}"
        )));
    }
    store
        .rename_account_role(account_id, &role.id, &new_name)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                SpError::Conflict(format!("the account already has a role {new_name:?}"))
            }
            other => other.into(),
        })?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("renamed role {} -> {new_name}", role.name),
        now,
    )
    .await?;
    Ok(true)
}

/// Delete a role. Group mappings to it stay, marked as pointing at a deleted role.
pub async fn delete_role<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    name: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let role = role_named(store, account_id, name).await?;
    if role.builtin {
        return Err(SpError::Invalid(format!(
            "{} is a built-in role and cannot be deleted",
            role.name
        )));
    }
    store.delete_account_role(account_id, &role.id).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("deleted role {}", role.name),
        now,
    )
    .await
}

/// Add a native user (email + password). A master administrator is never signed in to this
/// account through SSO.
#[allow(clippy::too_many_arguments)]
pub async fn add_native_user<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    email: &str,
    display_name: Option<&str>,
    password: &str,
    master: bool,
    role: Option<&str>,
    now: OffsetDateTime,
) -> Result<NativeUser> {
    account(store, account_id).await?;
    let email = non_empty("the email address", email, 254)?.to_lowercase();
    if !email.contains('@') {
        return Err(SpError::Invalid(format!(
            "{email:?} is not an email address"
        )));
    }
    let role_id = match role {
        Some(r) => Some(role_named(store, account_id, r).await?.id),
        None => None,
    };
    let hash = symbolon_secret::hashing::hash(password)
        .await?
        .map_err(|e| SpError::Invalid(e.to_string()))?;
    let user = NativeUser {
        id: uuid::Uuid::new_v4().to_string(),
        account_id: account_id.into(),
        email: email.clone(),
        display_name: display_name
            .map(str::to_string)
            .filter(|d| !d.trim().is_empty()),
        master,
        role_id,
        created_at: second(now),
    };
    store
        .create_native_user(&user, &hash)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                SpError::Conflict(format!("the account already has a user {email}"))
            }
            other => other.into(),
        })?;
    let kind = if master {
        "master administrator"
    } else {
        "user"
    };
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("added {kind} {email}"),
        now,
    )
    .await?;
    crate::webhooks::notify(
        store,
        account_id,
        "user.created",
        serde_json::json!({ "id": user.id, "email": user.email, "kind": "native" }),
        now,
    )
    .await;
    Ok(user)
}

/// Native sign-on: every account where this email has a user whose password matches. The same
/// person may be a user of several accounts; each record's own password is checked.
pub async fn native_sign_in<S: SpStore>(
    store: &S,
    email: &str,
    password: &str,
    now: OffsetDateTime,
) -> Result<Vec<Pair>> {
    let email = email.trim().to_lowercase();
    let mut pairs = Vec::new();
    let users = store.native_users_by_email(&email).await?;
    if users.is_empty() {
        // An unknown email costs what a known one does (no timing oracle for who has an account).
        let _ = symbolon_secret::hashing::verify(password, symbolon_secret::DUMMY_HASH).await?;
    }
    for (u, hash) in users {
        let checked = symbolon_secret::hashing::verify_upgrading(password, &hash).await?;
        if !checked.ok {
            continue;
        }
        // A hash made with older parameters is replaced now that the password is known (best
        // effort, as in the IdP).
        if let Some(new) = checked.upgraded {
            let _ = store.set_native_password(&u.account_id, &u.id, &new).await;
        }
        let roles = store.account_roles(&u.account_id).await?;
        let role = if u.master {
            MASTER_ROLE.to_string()
        } else {
            match u
                .role_id
                .as_ref()
                .and_then(|id| roles.iter().find(|r| r.id == *id))
            {
                Some(r) => r.name.clone(),
                None => continue,
            }
        };
        let account_name = account_name(store, &u.account_id).await?;
        audit(
            store,
            &u.account_id,
            &user_principal(&u.account_id, &u.id),
            "SignIn",
            format!("{email} as {role} (native)"),
            now,
        )
        .await?;
        pairs.push(Pair {
            account_id: u.account_id.clone(),
            account_name,
            role,
            master: u.master,
            user_id: u.id.clone(),
            profile: Default::default(),
        });
    }
    Ok(pairs)
}

/// Record a failed native sign-in in the audit log of every account that has this email.
pub async fn native_sign_in_failed<S: SpStore>(
    store: &S,
    email: &str,
    why: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let email = email.trim().to_lowercase();
    for (u, _) in store.native_users_by_email(&email).await? {
        audit(
            store,
            &u.account_id,
            &user_principal(&u.account_id, &u.id),
            "SignInFailed",
            format!("{email}: {why} (native)"),
            now,
        )
        .await?;
    }
    Ok(())
}

/// A new API key for an account: (its ID, the key itself, shown once). Only a SHA-256 of the
/// key is stored. `scope` is `api` (the account's REST API) or `scim` (SCIM provisioning only).
pub async fn create_api_key<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    name: &str,
    scope: &str,
    now: OffsetDateTime,
) -> Result<(String, String)> {
    use symbolon_dsig::SecureRandom as _;
    use symbolon_store::sp::{KEY_SCOPE_API, KEY_SCOPE_SCIM};
    account(store, account_id).await?;
    let name = non_empty("the key name", name, 100)?;
    let scope = match scope.trim() {
        "" | KEY_SCOPE_API => KEY_SCOPE_API,
        KEY_SCOPE_SCIM => KEY_SCOPE_SCIM,
        other => {
            return Err(SpError::Invalid(format!(
                "a key's scope is api or scim, not {other:?}"
            )));
        }
    };
    let mut b = [0u8; 32];
    symbolon_dsig::SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| SpError::Crypto("no randomness".into()))?;
    let key = format!(
        "spk_{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    );
    let id = uuid::Uuid::new_v4().to_string();
    store
        .create_api_key(&symbolon_store::sp::ApiKey {
            id: id.clone(),
            account_id: account_id.into(),
            name: name.clone(),
            key_sha256: hex_sha256(&key),
            created_at: second(now),
            revoked: false,
            scope: scope.into(),
        })
        .await?;
    let what = if scope == KEY_SCOPE_SCIM {
        "SCIM token"
    } else {
        "API key"
    };
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("created {what} {name}"),
        now,
    )
    .await?;
    Ok((id, key))
}

/// The live API key this bearer value names, if any.
pub async fn authenticate_api_key<S: SpStore>(
    store: &S,
    presented: &str,
) -> Result<Option<symbolon_store::sp::ApiKey>> {
    if !presented.starts_with("spk_") || presented.len() != 68 {
        return Ok(None);
    }
    Ok(store
        .api_key_by_hash(&hex_sha256(presented))
        .await?
        .filter(|k| !k.revoked))
}

/// The accounts of a sign-in's pairs as they are now: each pair's account name today (renamed
/// since, the new name), or `None` where the account has been deleted since. A sign-in lists its
/// pairs once, at the ACS; an administrator may rename or delete an account while the person is
/// choosing, or working in another account of the same sign-in.
pub async fn pairs_now<S: symbolon_store::sp::AccountStore>(
    store: &S,
    pairs: &[Pair],
) -> Result<Vec<Option<String>>> {
    let mut now = Vec::with_capacity(pairs.len());
    for p in pairs {
        now.push(store.account(&p.account_id).await?.map(|a| a.name));
    }
    Ok(now)
}

/// Record that a person now uses a pair: for a SAML user, the SAML Users tab (role last assumed,
/// last logon) and the audit log; for a native user, the audit log.
pub async fn record_sign_in<S: SpStore>(
    store: &S,
    name_id: &str,
    pair: &Pair,
    action: &str,
    now: OffsetDateTime,
) -> Result<String> {
    if !pair.user_id.is_empty() {
        audit(
            store,
            &pair.account_id,
            &user_principal(&pair.account_id, &pair.user_id),
            action,
            format!("{name_id} as {} (native)", pair.role),
            now,
        )
        .await?;
        return Ok(pair.user_id.clone());
    }
    let id = store
        .saml_user_seen(
            &pair.account_id,
            name_id,
            &pair.role,
            &new_saml_user_id(),
            second(now),
        )
        .await?;
    audit(
        store,
        &pair.account_id,
        &saml_principal(&pair.account_id, &id),
        action,
        sign_in_detail(name_id, &pair.role),
        now,
    )
    .await?;
    Ok(id)
}

/// The audit line of a SAML sign-in (or switch) into a role.
pub(crate) fn sign_in_detail(name_id: &str, role: &str) -> String {
    format!("{name_id} as {role}")
}

/// A new SAML user's stable ID (16 hex digits).
pub(crate) fn new_saml_user_id() -> String {
    let mut id = uuid::Uuid::new_v4().simple().to_string();
    id.truncate(16);
    id
}

/// Drop SAML users not seen for 365 days (the scheduler calls this with the current time).
pub async fn prune_saml_users<S: SpStore>(store: &S, now: OffsetDateTime) -> Result<u64> {
    Ok(store
        .prune_saml_users(now - time::Duration::days(365))
        .await?)
}

/// Drop traces of rejected responses older than `retention` (the scheduler calls this daily).
pub async fn prune_traces<S: SpStore>(
    store: &S,
    now: OffsetDateTime,
    retention: time::Duration,
) -> Result<u64> {
    Ok(store.prune_traces(now - retention).await?)
}

/// Revoke an API key of the account (recorded); `NotFound` when the account has no such key.
pub async fn revoke_api_key<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    key_id: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let k = store
        .api_keys(account_id)
        .await?
        .into_iter()
        .find(|k| k.id == key_id.trim())
        .ok_or_else(|| {
            SpError::NotFound(format!("there is no API key {:?} here", key_id.trim()))
        })?;
    if k.revoked {
        return Ok(());
    }
    store.revoke_api_key(account_id, &k.id).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("revoked API key {} ({})", k.name, k.id),
        now,
    )
    .await
}
