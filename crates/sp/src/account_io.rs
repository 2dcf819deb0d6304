//! An SP account as one JSON document: its custom roles, identity providers (with the metadata
//! in use, its URL for the scheduled refresh, the mapping profile and the group -> role
//! mappings), pre-registered SAML accounts and native users (password hashes only when asked).
//! What is not in it: the SP's own key (the deployment's, not an account's), API keys and SCIM
//! tokens (secrets made for one server), SAML users seen, the audit log, and email domains
//! (a domain is proven to a server by DNS, never by a file).
//!
//! Import is the IdP's partial import for an account: every resource in the file is added, or,
//! when it exists, skipped, overwritten or the import fails before anything is written
//! (`IfExists`). The whole file is checked first (names, metadata, references to roles), so a
//! bad file writes nothing; overwriting what already matches is `UNCHANGED` and writes nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
pub use symbolon_store::portable::ImportOptions;
use symbolon_store::portable::{Action, IfExists, ImportReport};
use symbolon_store::sp::{
    Account, AccountRole, GroupMapping, IdpConfig, NativeUser, SamlAccount, SpStore,
    account_name_key,
};
use time::OffsetDateTime;

use crate::accounts::{BUILTIN_ROLES, create_account};
use crate::common::{Actor, Result, SpError, audit, non_empty, second};
use crate::idps::parse_idp_metadata;

/// An account.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountDoc {
    /// The account's name (what identifies it on import, whatever its case). May be left out
    /// when importing into a given account (REST API, console).
    #[serde(default)]
    pub account: String,
    /// Custom roles (every account has the built-in ones, which may be listed too).
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub identity_providers: Vec<IdpDoc>,
    #[serde(default)]
    pub saml_accounts: Vec<SamlAccountDoc>,
    #[serde(default)]
    pub users: Vec<UserDoc>,
}

/// An identity provider of the account.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdpDoc {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Informative: the entity ID the metadata names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    /// The IdP's metadata (XML), as in use.
    pub metadata: String,
    /// Where the scheduled refresh fetches the metadata from, if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_url: Option<String>,
    /// Plain http allowed for `metadataUrl`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_http: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_attribute: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale_attribute: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone_attribute: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_attribute: Option<String>,
    /// Sign-in starts at the SP only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub sp_initiated: bool,
    /// AES-CBC encrypted assertions accepted.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_cbc: bool,
    #[serde(default)]
    pub group_mappings: Vec<MappingDoc>,
}

/// A group (as the IdP sends it) and the role it maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MappingDoc {
    pub group: String,
    pub role: String,
}

/// A pre-registered SAML account.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SamlAccountDoc {
    /// The NameID (an email address or a username).
    pub name: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A native user (email and password).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserDoc {
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub master_administrator: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// A clear-text password (import only): hashed on import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// An Argon2 PHC string, as an export with credentials writes it; it gives a password only
    /// to a user who has none (a stored password may have been re-hashed since).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn bad(m: String) -> SpError {
    SpError::Invalid(m)
}

/// The account `id` as a document; native users' password hashes only `with_credentials`.
pub async fn export_account<S: SpStore>(
    store: &S,
    id: &str,
    with_credentials: bool,
) -> Result<AccountDoc> {
    let account = crate::accounts::account(store, id).await?;
    let roles = store.account_roles(id).await?;
    let role_name: BTreeMap<&str, &str> = roles
        .iter()
        .map(|r| (r.id.as_str(), r.name.as_str()))
        .collect();
    let name_of = |rid: &str| role_name.get(rid).map(|n| (*n).to_string());
    let mut idps = Vec::new();
    for c in store.idps(id).await? {
        let mut group_mappings: Vec<MappingDoc> = store
            .mappings(&c.id)
            .await?
            .into_iter()
            .map(|m| MappingDoc {
                role: name_of(&m.role_id).unwrap_or(m.role_name),
                group: m.group,
            })
            .collect();
        group_mappings.sort_by(|a, b| a.group.cmp(&b.group));
        idps.push(IdpDoc {
            name: c.name,
            description: c.description,
            entity_id: Some(c.entity_id),
            metadata: c.metadata_xml,
            metadata_url: c.metadata_source.as_ref().map(|s| s.url.clone()),
            allow_http: c.metadata_source.as_ref().is_some_and(|s| s.allow_http),
            name_attribute: c.name_attribute,
            locale_attribute: c.locale_attribute,
            timezone_attribute: c.timezone_attribute,
            role_attribute: c.role_attribute,
            sp_initiated: c.sp_initiated,
            allow_cbc: c.allow_cbc,
            group_mappings,
        });
    }
    let mut users = Vec::new();
    let hashes: BTreeMap<String, String> = if with_credentials {
        let mut m = BTreeMap::new();
        for u in store.native_users(id).await? {
            for (n, h) in store.native_users_by_email(&u.email).await? {
                if n.account_id == id {
                    m.insert(n.id, h);
                }
            }
        }
        m
    } else {
        BTreeMap::new()
    };
    for u in store.native_users(id).await? {
        users.push(UserDoc {
            password_hash: hashes.get(&u.id).cloned(),
            email: u.email,
            display_name: u.display_name,
            master_administrator: u.master,
            role: u.role_id.as_deref().and_then(name_of),
            password: None,
        });
    }
    Ok(AccountDoc {
        account: account.name,
        roles: roles
            .iter()
            .filter(|r| !r.builtin)
            .map(|r| r.name.clone())
            .collect(),
        identity_providers: idps,
        saml_accounts: store
            .saml_accounts(id)
            .await?
            .into_iter()
            .map(|a| SamlAccountDoc {
                role: name_of(&a.role_id).unwrap_or_default(),
                name: a.name,
                description: a.description,
            })
            .collect(),
        users,
    })
}

/// A password from the file.
enum Password {
    Clear(String),
    Hash(String),
}

/// Import `doc` into the account it names, created when there is none (see the module
/// documentation): the CLI and `symbolon apply`, which act for the operator.
pub async fn import_account<S: SpStore>(
    store: &S,
    actor: &Actor,
    doc: &AccountDoc,
    opts: &ImportOptions<'_>,
    now: OffsetDateTime,
) -> Result<ImportReport> {
    let name = non_empty("the account name", &doc.account, 100)?;
    let existing = find_account(store, &name).await?;
    import(store, actor, doc, name, existing, opts, now).await
}

/// Import `doc` into the existing account `account_id` and no other, whatever the document
/// names: the REST API and the console, which act for one account. A document that names
/// another account is refused (an empty name is this account).
pub async fn import_into_account<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    doc: &AccountDoc,
    opts: &ImportOptions<'_>,
    now: OffsetDateTime,
) -> Result<ImportReport> {
    let account = crate::accounts::account(store, account_id).await?;
    if !doc.account.trim().is_empty()
        && account_name_key(&doc.account) != account_name_key(&account.name)
    {
        return Err(bad(format!(
            "the document is account {:?}, not {:?}: import it there, or change its \"account\" field",
            doc.account.trim(),
            account.name
        )));
    }
    let name = account.name.clone();
    import(store, actor, doc, name, Some(account), opts, now).await
}

async fn import<S: SpStore>(
    store: &S,
    actor: &Actor,
    doc: &AccountDoc,
    name: String,
    existing: Option<Account>,
    opts: &ImportOptions<'_>,
    now: OffsetDateTime,
) -> Result<ImportReport> {
    let now = second(now);

    // 1. The file alone.
    let key = |s: &str| s.trim().to_lowercase();
    let mut file_roles: BTreeMap<String, String> = BTreeMap::new();
    for r in &doc.roles {
        let r = non_empty("a role name", r, 100)?;
        if file_roles.insert(key(&r), r.clone()).is_some() {
            return Err(bad(format!("role {r:?} is listed twice")));
        }
    }
    let mut idps: Vec<(IdpConfig, &IdpDoc)> = Vec::new();
    let mut mapped_groups = BTreeSet::new();
    for d in &doc.identity_providers {
        let n = non_empty("an identity provider's name", &d.name, 100)?;
        if idps.iter().any(|(c, _)| key(&c.name) == key(&n)) {
            return Err(bad(format!("identity provider {n:?} is listed twice")));
        }
        let parsed = parse_idp_metadata(d.metadata.as_bytes(), now)
            .map_err(|e| bad(format!("identity provider {n}: {e}")))?;
        let clean = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let source = match d.metadata_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(u) => {
                (opts.check_url)(u, d.allow_http)
                    .map_err(|e| bad(format!("identity provider {n}: metadataUrl: {e}")))?;
                Some(symbolon_store::MetadataSource::new(u, d.allow_http, now))
            }
        };
        for m in &d.group_mappings {
            let g = non_empty("a mapped group", &m.group, 256)?;
            if !mapped_groups.insert(g.clone()) {
                return Err(bad(format!(
                    "group {g:?} is mapped twice (a group maps to at most one role per account)"
                )));
            }
        }
        idps.push((
            IdpConfig {
                id: uuid::Uuid::new_v4().to_string(),
                account_id: String::new(),
                name: n,
                description: clean(&d.description),
                entity_id: parsed.entity_id,
                certs: parsed.certs,
                sso_url: parsed.sso_url,
                metadata_xml: d.metadata.clone(),
                name_attribute: clean(&d.name_attribute),
                locale_attribute: clean(&d.locale_attribute),
                timezone_attribute: clean(&d.timezone_attribute),
                role_attribute: clean(&d.role_attribute),
                sp_initiated: d.sp_initiated,
                allow_cbc: d.allow_cbc,
                metadata_source: source,
                created_at: now,
            },
            d,
        ));
    }
    let mut saml: BTreeMap<String, &SamlAccountDoc> = BTreeMap::new();
    for a in &doc.saml_accounts {
        let n = non_empty("a SAML account's name", &a.name, 254)?.to_lowercase();
        if let Some(d) = &a.description
            && (d.chars().count() > 500 || d.chars().any(char::is_control))
        {
            return Err(bad(format!(
                "SAML account {n}: the description must be at most 500 printable characters"
            )));
        }
        if saml.insert(n.clone(), a).is_some() {
            return Err(bad(format!("SAML account {n} is listed twice")));
        }
    }
    let mut users: BTreeMap<String, (&UserDoc, Option<Password>)> = BTreeMap::new();
    for u in &doc.users {
        let email = non_empty("a user's email address", &u.email, 254)?.to_lowercase();
        if !email.contains('@') {
            return Err(bad(format!("{email:?} is not an email address")));
        }
        let password = match (&u.password, &u.password_hash) {
            (Some(_), Some(_)) => {
                return Err(bad(format!("user {email}: a password or a hash, not both")));
            }
            (Some(p), None) => {
                if p.chars().count() < symbolon_secret::MIN_PASSWORD_CHARS {
                    return Err(bad(format!(
                        "user {email}: the password must have at least {} characters",
                        symbolon_secret::MIN_PASSWORD_CHARS
                    )));
                }
                Some(Password::Clear(p.clone()))
            }
            (None, Some(h)) => {
                if !symbolon_secret::is_usable_hash(h) {
                    return Err(bad(format!(
                        "user {email}: passwordHash is not an Argon2 PHC string"
                    )));
                }
                Some(Password::Hash(h.clone()))
            }
            (None, None) => None,
        };
        if users.insert(email.clone(), (u, password)).is_some() {
            return Err(bad(format!("user {email} is listed twice")));
        }
    }

    // 2. Against the account as it is.
    let (have_roles, have_idps, have_saml, have_users) = match &existing {
        Some(a) => (
            store.account_roles(&a.id).await?,
            store.idps(&a.id).await?,
            store.saml_accounts(&a.id).await?,
            store.native_users(&a.id).await?,
        ),
        None => Default::default(),
    };
    let role_known = |r: &str| {
        file_roles.contains_key(&key(r))
            || BUILTIN_ROLES.iter().any(|b| key(b) == key(r))
            || have_roles.iter().any(|h| key(&h.name) == key(r))
    };
    let refs = idps
        .iter()
        .flat_map(|(c, d)| {
            d.group_mappings
                .iter()
                .map(move |m| (format!("identity provider {}", c.name), &m.role))
        })
        .chain(
            saml.iter()
                .map(|(n, a)| (format!("SAML account {n}"), &a.role)),
        )
        .chain(
            users
                .iter()
                .filter_map(|(e, (u, _))| u.role.as_ref().map(|r| (format!("user {e}"), r))),
        );
    for (who, r) in refs {
        if !role_known(r) {
            return Err(bad(format!(
                "{who} names role {r:?}, which is neither in the file nor in the account"
            )));
        }
    }
    for (c, _) in &idps {
        if let Some(h) = have_idps.iter().find(|h| key(&h.name) == key(&c.name))
            && h.entity_id != c.entity_id
        {
            return Err(bad(format!(
                "identity provider {}: the metadata names {}, not {} (another identity provider: add it under another name)",
                c.name, c.entity_id, h.entity_id
            )));
        }
    }
    if opts.if_exists == IfExists::Fail {
        let mut taken: Vec<String> = Vec::new();
        taken.extend(
            file_roles
                .values()
                .filter(|r| {
                    have_roles
                        .iter()
                        .any(|h| !h.builtin && key(&h.name) == key(r))
                })
                .map(|r| format!("role {r}")),
        );
        taken.extend(
            idps.iter()
                .filter(|(c, _)| have_idps.iter().any(|h| key(&h.name) == key(&c.name)))
                .map(|(c, _)| format!("identity provider {}", c.name)),
        );
        taken.extend(
            saml.keys()
                .filter(|n| have_saml.iter().any(|h| h.name == **n))
                .map(|n| format!("SAML account {n}")),
        );
        taken.extend(
            users
                .keys()
                .filter(|e| have_users.iter().any(|h| h.email == **e))
                .map(|e| format!("user {e}")),
        );
        if !taken.is_empty() {
            return Err(SpError::Conflict(format!(
                "account {name} already has {} (nothing was imported; choose skip or overwrite)",
                taken.join(", ")
            )));
        }
    }

    // 3. Writes (none in a dry run).
    let write = !opts.dry_run;
    let overwrite = opts.if_exists == IfExists::Overwrite;
    let mut report = ImportReport {
        dry_run: opts.dry_run,
        ..Default::default()
    };
    let account_id = match &existing {
        Some(a) => {
            let action = if overwrite {
                Action::Unchanged
            } else {
                Action::Skipped
            };
            report.push(action, "ACCOUNT", &a.name, None);
            a.id.clone()
        }
        None => {
            report.push(Action::Added, "ACCOUNT", &name, None);
            if write {
                create_account(store, actor, &name, now).await?.id
            } else {
                String::new()
            }
        }
    };
    let ev = |detail: String| audit(store, &account_id, &actor.0, "Admin", detail, now);

    // Roles.
    let mut role_ids: BTreeMap<String, (String, String)> = BTreeMap::new();
    if write {
        for r in store.account_roles(&account_id).await? {
            role_ids.insert(key(&r.name), (r.id, r.name));
        }
    } else {
        for r in &have_roles {
            role_ids.insert(key(&r.name), (r.id.clone(), r.name.clone()));
        }
        for b in BUILTIN_ROLES {
            role_ids
                .entry(key(b))
                .or_insert_with(|| (String::new(), b.to_string()));
        }
    }
    for r in file_roles.values() {
        if BUILTIN_ROLES.iter().any(|b| key(b) == key(r)) {
            continue;
        }
        if role_ids.contains_key(&key(r)) {
            let action = if overwrite {
                Action::Unchanged
            } else {
                Action::Skipped
            };
            report.push(action, "ROLE", r, None);
            continue;
        }
        let role = AccountRole {
            id: uuid::Uuid::new_v4().to_string(),
            account_id: account_id.clone(),
            name: r.clone(),
            builtin: false,
        };
        if write {
            store.create_account_role(&role).await?;
            ev(format!("imported role {r}")).await?;
        }
        role_ids.insert(key(r), (role.id, role.name));
        report.push(Action::Added, "ROLE", r, None);
    }
    let role = |r: &str| role_ids.get(&key(r)).cloned().unwrap_or_default();

    // Identity providers and their mappings.
    for (want, d) in idps {
        let have = have_idps.iter().find(|h| key(&h.name) == key(&want.name));
        if have.is_some() && !overwrite {
            report.push(Action::Skipped, "IDENTITY_PROVIDER", &want.name, None);
            continue;
        }
        let mut c = match have {
            Some(h) => {
                let mut c = h.clone();
                c.description = want.description.clone();
                c.name_attribute = want.name_attribute.clone();
                c.locale_attribute = want.locale_attribute.clone();
                c.timezone_attribute = want.timezone_attribute.clone();
                c.role_attribute = want.role_attribute.clone();
                c.sp_initiated = want.sp_initiated;
                c.allow_cbc = want.allow_cbc;
                if c.metadata_xml != want.metadata_xml {
                    c.metadata_xml = want.metadata_xml.clone();
                    c.certs = want.certs.clone();
                    c.sso_url = want.sso_url.clone();
                }
                match (&mut c.metadata_source, &want.metadata_source) {
                    (Some(s), Some(w)) if s.url == w.url => s.allow_http = w.allow_http,
                    (s, w) => s.clone_from(w),
                }
                c
            }
            None => want.clone(),
        };
        c.account_id.clone_from(&account_id);
        let mut changes = Vec::new();
        if let Some(h) = have
            && *h != c
        {
            if h.metadata_xml != c.metadata_xml {
                changes.push("metadata replaced".to_string());
            }
            let same_metadata = IdpConfig {
                metadata_xml: h.metadata_xml.clone(),
                certs: h.certs.clone(),
                sso_url: h.sso_url.clone(),
                ..c.clone()
            };
            if *h != same_metadata {
                changes.push("settings changed".to_string());
            }
            if write {
                store.update_idp(&c).await?;
            }
        } else if have.is_none() && write {
            store.create_idp(&c).await?;
        }
        let had: BTreeMap<String, String> = match have {
            Some(h) => store
                .mappings(&h.id)
                .await?
                .into_iter()
                .map(|m| (m.group, m.role_id))
                .collect(),
            None => BTreeMap::new(),
        };
        for m in &d.group_mappings {
            let g = m.group.trim().to_string();
            let (rid, rname) = role(&m.role);
            match had.get(&g) {
                Some(cur) if *cur == rid => {}
                Some(_) => {
                    if write {
                        store
                            .set_mapping_role(&account_id, &g, &rid, &rname)
                            .await?;
                    }
                    changes.push(format!("group {g} now maps to {rname}"));
                }
                None => {
                    if write {
                        store
                            .add_mapping(&GroupMapping {
                                idp_id: c.id.clone(),
                                account_id: account_id.clone(),
                                group: g.clone(),
                                role_id: rid,
                                role_name: rname.clone(),
                            })
                            .await?;
                    }
                    if have.is_some() {
                        changes.push(format!("group {g} mapped to {rname}"));
                    }
                }
            }
        }
        for g in had.keys() {
            if !d.group_mappings.iter().any(|m| m.group.trim() == g) {
                if write {
                    store.remove_mapping(&account_id, g).await?;
                }
                changes.push(format!("group {g} unmapped"));
            }
        }
        report_change(
            &mut report,
            have.is_some(),
            "IDENTITY_PROVIDER",
            &c.name,
            changes,
            write,
            &ev,
        )
        .await?;
    }

    // SAML accounts.
    for (n, a) in &saml {
        let (rid, rname) = role(&a.role);
        let description = a
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string);
        let have = have_saml.iter().find(|h| h.name == *n);
        if have.is_some() && !overwrite {
            report.push(Action::Skipped, "SAML_ACCOUNT", n, None);
            continue;
        }
        if have.is_none()
            && !account_id.is_empty()
            && crate::scim::is_provisioned(store, &account_id, n).await?
        {
            report.push(
                Action::Skipped,
                "SAML_ACCOUNT",
                n,
                Some("provisioned by the identity provider (SCIM), which manages it".into()),
            );
            continue;
        }
        let want = SamlAccount {
            account_id: account_id.clone(),
            name: n.clone(),
            role_id: rid,
            description,
        };
        let mut changes = Vec::new();
        match have {
            None => {
                if write {
                    store.add_saml_account(&want).await?;
                }
            }
            Some(h) if *h != want => {
                changes.push(format!("role {rname}"));
                if write {
                    store.update_saml_account(&want).await?;
                }
            }
            Some(_) => {}
        }
        report_change(
            &mut report,
            have.is_some(),
            "SAML_ACCOUNT",
            n,
            changes,
            write,
            &ev,
        )
        .await?;
    }

    // Native users.
    for (email, (u, password)) in &users {
        let role_id = u.role.as_deref().map(|r| role(r).0);
        let have = have_users.iter().find(|h| h.email == *email);
        match have {
            Some(_) if !overwrite => report.push(Action::Skipped, "USER", email, None),
            Some(h) => {
                let display = u.display_name.clone().filter(|d| !d.trim().is_empty());
                let mut changes = Vec::new();
                if let Some(p) = password {
                    let cur = store
                        .native_users_by_email(email)
                        .await?
                        .into_iter()
                        .find(|(n, _)| n.id == h.id)
                        .map(|(_, hash)| hash);
                    // A hash only sets a password where there is none (see the IdP's import).
                    let new_hash = match (p, cur) {
                        (Password::Hash(_), Some(_)) => None,
                        (Password::Clear(x), Some(c))
                            if symbolon_secret::hashing::verify(x, &c).await? =>
                        {
                            None
                        }
                        (Password::Hash(x), _) => Some(x.clone()),
                        (Password::Clear(x), _) => Some(
                            symbolon_secret::hashing::hash(x)
                                .await?
                                .map_err(|e| bad(e.to_string()))?,
                        ),
                    };
                    if let Some(nh) = new_hash {
                        if write {
                            store.set_native_password(&account_id, &h.id, &nh).await?;
                        }
                        changes.push("password set".to_string());
                    }
                }
                if h.display_name != display
                    || h.master != u.master_administrator
                    || h.role_id != role_id
                {
                    report.push(
                        Action::Skipped,
                        "USER",
                        email,
                        Some("an existing user's name, role and master flag are not changed by an import".into()),
                    );
                    if !changes.is_empty() && write {
                        ev(format!("import set the password of {email}")).await?;
                    }
                    continue;
                }
                report_change(&mut report, true, "USER", email, changes, write, &ev).await?;
            }
            None => {
                let hash = match password {
                    None => {
                        report.push(
                            Action::Skipped,
                            "USER",
                            email,
                            Some(
                                "no password in the file (`symbolon sp user add` adds one)".into(),
                            ),
                        );
                        continue;
                    }
                    Some(Password::Hash(h)) => h.clone(),
                    Some(Password::Clear(p)) => symbolon_secret::hashing::hash(p)
                        .await?
                        .map_err(|e| bad(e.to_string()))?,
                };
                if write {
                    store
                        .create_native_user(
                            &NativeUser {
                                id: uuid::Uuid::new_v4().to_string(),
                                account_id: account_id.clone(),
                                email: email.clone(),
                                display_name: u
                                    .display_name
                                    .clone()
                                    .filter(|d| !d.trim().is_empty()),
                                master: u.master_administrator,
                                role_id,
                                created_at: now,
                            },
                            &hash,
                        )
                        .await?;
                }
                report_change(&mut report, false, "USER", email, Vec::new(), write, &ev).await?;
            }
        }
    }
    Ok(report)
}

/// The account named `name` (whatever its case and spacing), if any.
async fn find_account<S: SpStore>(store: &S, name: &str) -> Result<Option<Account>> {
    let k = account_name_key(name);
    Ok(store
        .accounts()
        .await?
        .into_iter()
        .find(|a| account_name_key(&a.name) == k))
}

/// Report a resource added, overwritten or unchanged, recording what was written.
async fn report_change<F>(
    report: &mut ImportReport,
    existed: bool,
    kind: &str,
    name: &str,
    changes: Vec<String>,
    write: bool,
    ev: &impl Fn(String) -> F,
) -> Result<()>
where
    F: Future<Output = Result<()>>,
{
    let what = kind.to_lowercase().replace('_', " ");
    if !existed {
        if write {
            ev(format!("imported {what} {name}")).await?;
        }
        report.push(Action::Added, kind, name, None);
    } else if changes.is_empty() {
        report.push(Action::Unchanged, kind, name, None);
    } else {
        let detail = changes.join(", ");
        if write {
            ev(format!("import overwrote {what} {name}: {detail}")).await?;
        }
        report.push(Action::Overwritten, kind, name, Some(detail));
    }
    Ok(())
}
