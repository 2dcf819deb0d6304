//! The multi-tenant service provider's domain: accounts with roles, native users and SAML
//! accounts; per-account identity-provider configurations from IdP metadata with group -> role
//! mappings; and sign-in through the ACS, where one response fans out to every account whose
//! own configuration validates it. Generic over the store traits; no HTTP, no SQL.
//!
//! Invariants:
//! - An account takes part in a sign-in only if its own configuration (its pinned certificates,
//!   its settings) validated the response. A matching Issuer alone is never enough.
//! - An assertion is consumed once (replay cache in the store, across restarts and instances).
//! - An assertion never grants master rights, and a master administrator of an account is never
//!   signed in to that account through SSO.
//! - Every admin change and every sign-in (or refusal) is in the account's audit log.

mod acs;
#[doc(hidden)]
pub mod fuzzing;

pub use acs::{
    AcsError, AcsMode, AcsPolicy, Pair, SignIn, TRACE_EXCERPT_BYTES, TRACE_MAX_BYTES,
    consume_response, elide_signatures, traces_not_kept,
};

use symbolon_saml::lint::lint_entity;
use symbolon_saml::metadata::{BINDING_REDIRECT, IdpTrust, parse_metadata, select_entity};
use symbolon_saml::sp::SpSettings;
use symbolon_store::StoreError;
use symbolon_store::sp::{
    Account, AccountRole, AuditEntry, GroupMapping, IdpConfig, NativeUser, SamlAccount, SpKey,
    SpStore,
};
use time::OffsetDateTime;

/// The jobs the SP schedules (see `symbolon_web::jobs`).
pub const JOBS: [&str; 3] = ["sp:purge-state", "sp:prune-saml-users", "sp:prune-traces"];

/// Roles every account starts with.
pub const BUILTIN_ROLES: [&str; 3] = ["Full Access", "Read Only", "Auditor"];

/// Why an operation failed. Messages are safe to show to an administrator.
#[derive(Debug, thiserror::Error)]
pub enum SpError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
    /// The change collides with what exists (a name taken).
    #[error("{0}")]
    Conflict(String),
    #[error("metadata: {0}")]
    Metadata(#[from] symbolon_saml::MetadataError),
    #[error("{0}")]
    Crypto(String),
    #[error(transparent)]
    Busy(#[from] symbolon_secret::hashing::Busy),
}

pub type Result<T> = std::result::Result<T, SpError>;

impl symbolon_store::Classify for SpError {
    fn kind(&self) -> symbolon_store::ErrorKind {
        use symbolon_store::ErrorKind;
        match self {
            SpError::Store(e) => e.kind(),
            SpError::Invalid(_) | SpError::Metadata(_) => ErrorKind::Invalid,
            SpError::Conflict(_) => ErrorKind::Conflict,
            SpError::Crypto(_) => ErrorKind::Internal,
            SpError::Busy(_) => ErrorKind::Unavailable,
        }
    }
}

/// Who did it, as an audit principal URN.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

impl Actor {
    /// An operator using the CLI.
    pub fn cli() -> Self {
        Actor("urn:symbolon:identity:operator/cli".into())
    }
}

/// The principal URN of a SAML user of an account.
/// Why a master administrator's account is left out of a SAML sign-in (the seed's rule).
pub const MASTER_REFUSED: &str = "Master Administrators cannot use SSO. Sign in to this account with your email address and password.";

pub fn saml_principal(account_id: &str, saml_user_id: &str) -> String {
    format!("urn:symbolon:identity:{account_id}:saml-user/{saml_user_id}")
}

/// The principal URN of a native user of an account.
pub fn user_principal(account_id: &str, user_id: &str) -> String {
    format!("urn:symbolon:identity:{account_id}:user/{user_id}")
}

fn second(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

async fn audit<S: SpStore>(
    store: &S,
    account_id: &str,
    principal: &str,
    action: &str,
    detail: String,
    now: OffsetDateTime,
) -> Result<()> {
    store
        .audit(&AuditEntry {
            account_id: account_id.into(),
            at: second(now),
            principal: principal.into(),
            action: action.into(),
            detail,
        })
        .await?;
    Ok(())
}

fn non_empty(what: &str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(SpError::Invalid(format!("{what} is required")));
    }
    if v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(SpError::Invalid(format!(
            "{what} must be at most {max} printable characters"
        )));
    }
    Ok(v.to_string())
}

/// Create an account with the built-in roles.
pub async fn create_account<S: SpStore>(
    store: &S,
    actor: &Actor,
    name: &str,
    now: OffsetDateTime,
) -> Result<Account> {
    let name = non_empty("the account name", name, 100)?;
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

/// An account's name (its ID when the account is gone), for pages and pairs.
async fn account_name<S: SpStore>(store: &S, id: &str) -> std::result::Result<String, StoreError> {
    Ok(store
        .account(id)
        .await?
        .map_or_else(|| id.to_string(), |a| a.name))
}

/// An account by ID.
pub async fn account<S: SpStore>(store: &S, id: &str) -> Result<Account> {
    store
        .account(id)
        .await?
        .ok_or_else(|| SpError::Invalid(format!("no account {id:?}")))
}

async fn role_named<S: SpStore>(store: &S, account_id: &str, name: &str) -> Result<AccountRole> {
    store
        .account_roles(account_id)
        .await?
        .into_iter()
        .find(|r| r.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| SpError::Invalid(format!("the account has no role {name:?}")))
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

/// Delete a role. Group mappings to it stay, marked as pointing at a deleted role.
pub async fn delete_role<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    name: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let role = role_named(store, account_id, name).await?;
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
    Ok(user)
}

/// Pre-register a SAML account: this NameID may sign in through SSO with this role.
pub async fn add_saml_account<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    name: &str,
    role: &str,
    description: Option<&str>,
    now: OffsetDateTime,
) -> Result<()> {
    account(store, account_id).await?;
    let name = non_empty("the account name (email or username)", name, 254)?.to_lowercase();
    let r = role_named(store, account_id, role).await?;
    store
        .add_saml_account(&SamlAccount {
            account_id: account_id.into(),
            name: name.clone(),
            role_id: r.id,
            description: description
                .map(str::to_string)
                .filter(|d| !d.trim().is_empty()),
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
    .await
}

/// What an administrator sees after adding an IdP: the parsed metadata and the findings.
#[derive(Debug, Clone)]
pub struct IdpSummary {
    pub config: IdpConfig,
    /// (severity, message)
    pub findings: Vec<(String, String)>,
    /// One line per pinned certificate: subject and expiry, with a warning within 30 days.
    pub certificates: Vec<String>,
}

/// Certificate lines for an administrator (expiry warnings within 30 days).
pub fn describe_certs(certs: &[Vec<u8>], now: OffsetDateTime) -> Vec<String> {
    certs
        .iter()
        .map(|der| match symbolon_dsig::describe_certificate(der) {
            Ok(c) => {
                let until = OffsetDateTime::from_unix_timestamp(c.not_after)
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH);
                let left = until - now;
                let warn = if left.is_negative() {
                    " (EXPIRED)".to_string()
                } else if left < time::Duration::days(30) {
                    format!(" (expires in {} days)", left.whole_days())
                } else {
                    String::new()
                };
                format!("{}, valid until {}{warn}", c.subject, until.date())
            }
            Err(e) => format!("unreadable certificate: {e}"),
        })
        .collect()
}

/// "Add Identity Provider": name, description and the IdP's metadata XML.
pub async fn add_idp<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    name: &str,
    description: Option<&str>,
    metadata_xml: &[u8],
    now: OffsetDateTime,
) -> Result<IdpSummary> {
    account(store, account_id).await?;
    let name = non_empty("the name", name, 100)?;
    let parsed = parse_idp_metadata(metadata_xml, now)?;
    let config = IdpConfig {
        id: uuid::Uuid::new_v4().to_string(),
        account_id: account_id.into(),
        name: name.clone(),
        description: description
            .map(str::to_string)
            .filter(|d| !d.trim().is_empty()),
        entity_id: parsed.entity_id,
        certs: parsed.certs,
        sso_url: parsed.sso_url,
        metadata_xml: String::from_utf8_lossy(metadata_xml).into_owned(),
        name_attribute: None,
        locale_attribute: None,
        timezone_attribute: None,
        role_attribute: None,
        sp_initiated: false,
        created_at: second(now),
    };
    store.create_idp(&config).await.map_err(|e| match e {
        StoreError::Conflict(_) => SpError::Conflict(format!(
            "the account already has an identity provider named {name:?}"
        )),
        other => other.into(),
    })?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("added identity provider {name} ({})", config.entity_id),
        now,
    )
    .await?;
    Ok(IdpSummary {
        certificates: describe_certs(&config.certs, now),
        config,
        findings: parsed.findings,
    })
}

/// What an IdP's metadata gives a configuration.
struct ParsedIdp {
    entity_id: String,
    certs: Vec<Vec<u8>>,
    sso_url: Option<String>,
    findings: Vec<(String, String)>,
}

fn parse_idp_metadata(metadata_xml: &[u8], now: OffsetDateTime) -> Result<ParsedIdp> {
    let entities = parse_metadata(metadata_xml)?;
    let entity = select_entity(entities, None)?;
    let trust = IdpTrust::from_entity(&entity)?;
    let idp = entity.idp.as_ref();
    let sso_url = idp
        .and_then(|i| i.sso(BINDING_REDIRECT))
        .map(|e| e.location.clone());
    let mut certs: Vec<Vec<u8>> = Vec::new();
    for c in idp.into_iter().flat_map(|i| i.signing_certificates()) {
        if !certs.iter().any(|x| x.as_slice() == c) {
            certs.push(c.to_vec());
        }
    }
    let findings = lint_entity(&entity, now)
        .into_iter()
        .map(|f| (format!("{:?}", f.severity).to_lowercase(), f.message))
        .chain(
            trust
                .skipped
                .iter()
                .map(|s| ("warning".to_string(), format!("certificate left out: {s}"))),
        )
        .collect();
    Ok(ParsedIdp {
        entity_id: trust.entity_id,
        certs,
        sso_url,
        findings,
    })
}

/// Replace an IdP configuration's metadata (a rollover, a moved endpoint). Mappings and the
/// mapping profile stay. The entity ID may not change: that is another identity provider.
pub async fn replace_idp_metadata<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    idp_name: &str,
    metadata_xml: &[u8],
    now: OffsetDateTime,
) -> Result<IdpSummary> {
    let mut c = idp_named(store, account_id, idp_name).await?;
    let parsed = parse_idp_metadata(metadata_xml, now)?;
    if parsed.entity_id != c.entity_id {
        return Err(SpError::Invalid(format!(
            "this metadata is for {:?}, not {:?}; add it as another identity provider",
            parsed.entity_id, c.entity_id
        )));
    }
    c.certs = parsed.certs;
    c.sso_url = parsed.sso_url;
    c.metadata_xml = String::from_utf8_lossy(metadata_xml).into_owned();
    store.update_idp(&c).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!(
            "replaced the metadata of {} ({} signing certificates)",
            c.name,
            c.certs.len()
        ),
        now,
    )
    .await?;
    Ok(IdpSummary {
        certificates: describe_certs(&c.certs, now),
        config: c,
        findings: parsed.findings,
    })
}

/// Rename an IdP configuration or change its description.
pub async fn rename_idp<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    idp_name: &str,
    new_name: &str,
    description: Option<&str>,
    now: OffsetDateTime,
) -> Result<IdpConfig> {
    let mut c = idp_named(store, account_id, idp_name).await?;
    let new_name = non_empty("the name", new_name, 100)?;
    if new_name != c.name && idp_named(store, account_id, &new_name).await.is_ok() {
        return Err(SpError::Conflict(format!(
            "the account already has an identity provider named {new_name:?}"
        )));
    }
    let old = std::mem::replace(&mut c.name, new_name);
    c.description = description
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    store.update_idp(&c).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!(
            "renamed identity provider {old} to {} / description updated",
            c.name
        ),
        now,
    )
    .await?;
    Ok(c)
}

/// Delete an IdP configuration and its mappings.
pub async fn delete_idp<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    idp_name: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let c = idp_named(store, account_id, idp_name).await?;
    store.delete_idp(account_id, &c.id).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("deleted identity provider {} ({})", c.name, c.entity_id),
        now,
    )
    .await
}

/// An account's IdP configuration by name.
pub async fn idp_named<S: SpStore>(store: &S, account_id: &str, name: &str) -> Result<IdpConfig> {
    store
        .idps(account_id)
        .await?
        .into_iter()
        .find(|i| i.name == name)
        .ok_or_else(|| {
            SpError::Invalid(format!(
                "the account has no identity provider named {name:?}"
            ))
        })
}

/// The mapping profile: which attributes carry the name, locale, time zone and groups.
#[derive(Debug, Clone, Default)]
pub struct MappingProfile {
    pub name: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub role: Option<String>,
    pub sp_initiated: bool,
}

/// Save an IdP's mapping profile and SSO mode.
pub async fn set_profile<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    idp_name: &str,
    p: &MappingProfile,
    now: OffsetDateTime,
) -> Result<()> {
    let mut c = idp_named(store, account_id, idp_name).await?;
    let clean = |v: &Option<String>| {
        v.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    c.name_attribute = clean(&p.name);
    c.locale_attribute = clean(&p.locale);
    c.timezone_attribute = clean(&p.timezone);
    c.role_attribute = clean(&p.role);
    c.sp_initiated = p.sp_initiated;
    store.update_idp(&c).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("updated the mapping profile of {}", c.name),
        now,
    )
    .await
}

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
                "the group {group:?} is already mapped to a role in this account; a group maps to at most one role"
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

/// The master role's label.
pub const MASTER_ROLE: &str = "Master Administrator";

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
    for (u, hash) in store.native_users_by_email(&email).await? {
        if !symbolon_secret::hashing::verify(password, &hash).await? {
            continue;
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

/// A time shown in a time zone (IANA name, e.g. `Asia/Tokyo`); UTC when the zone is unknown.
pub fn format_in_zone(t: OffsetDateTime, zone: Option<&str>) -> String {
    let utc = || {
        let fmt =
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
        t.format(fmt).unwrap_or_default()
    };
    let Some(zone) = zone else { return utc() };
    let Ok(ts) = jiff::Timestamp::from_second(t.unix_timestamp()) else {
        return utc();
    };
    match jiff::tz::TimeZone::get(zone) {
        Ok(tz) => ts.to_zoned(tz).strftime("%Y-%m-%d %H:%M:%S %Z").to_string(),
        Err(_) => utc(),
    }
}

/// A new API key for an account: (its ID, the key itself, shown once). Only a SHA-256 of the
/// key is stored.
pub async fn create_api_key<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    name: &str,
    now: OffsetDateTime,
) -> Result<(String, String)> {
    use symbolon_dsig::SecureRandom as _;
    account(store, account_id).await?;
    let name = non_empty("the key name", name, 100)?;
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
        })
        .await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("created API key {name}"),
        now,
    )
    .await?;
    Ok((id, key))
}

use symbolon_secret::hex_sha256;

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
            &uuid::Uuid::new_v4().simple().to_string()[..16],
            second(now),
        )
        .await?;
    audit(
        store,
        &pair.account_id,
        &saml_principal(&pair.account_id, &id),
        action,
        format!("{name_id} as {}", pair.role),
        now,
    )
    .await?;
    Ok(id)
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

/// The SP's signing key, generated on first use.
pub async fn sp_key<S: SpStore>(store: &S, base_url: &str, now: OffsetDateTime) -> Result<SpKey> {
    if let Some(k) = store.sp_key().await? {
        return Ok(k);
    }
    let (pem, der) = symbolon_secret::generate_key(
        symbolon_secret::KeyAlgorithm::Rsa2048,
        &format!("Symbolon SP {base_url}"),
        now,
    )
    .map_err(|e| SpError::Crypto(e.to_string()))?;
    let pem = symbolon_store::Secret(pem);
    let kid = symbolon_dsig::sha256(&der)
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(store
        .init_sp_key(&SpKey {
            kid,
            private_key_pem: pem,
            certificate_der: der,
            created_at: second(now),
        })
        .await?)
}

/// Start an SP-initiated sign-in with an IdP configuration: the AuthnRequest's ID and the
/// Redirect-binding URL to send the browser to (carrying `relay_state`).
pub fn authn_request_url(
    base_url: &str,
    idp: &IdpConfig,
    request_id: &str,
    relay_state: &str,
    now: OffsetDateTime,
) -> Result<String> {
    let Some(sso) = idp.sso_url.as_deref() else {
        return Err(SpError::Invalid(format!(
            "the identity provider {} publishes no HTTP-Redirect sign-in endpoint",
            idp.name
        )));
    };
    let s = sp_settings(base_url);
    let req = symbolon_saml::messages::AuthnRequest::new(
        request_id.into(),
        second(now),
        &s.entity_id,
        sso,
        &s.acs_url,
    );
    symbolon_saml::binding::encode_redirect(
        sso,
        symbolon_saml::binding::MessageKind::Request,
        req.to_xml().as_bytes(),
        Some(relay_state),
        None,
    )
    .map_err(|e| SpError::Crypto(e.to_string()))
}

/// The SP's entity ID and ACS URL, from the public base URL.
pub fn sp_settings(base_url: &str) -> SpSettings {
    let base = base_url.trim_end_matches('/');
    SpSettings {
        entity_id: format!("{base}/saml/metadata"),
        acs_url: format!("{base}/saml/acs"),
    }
}

/// The SP metadata document.
pub async fn sp_metadata<S: SpStore>(
    store: &S,
    base_url: &str,
    now: OffsetDateTime,
) -> Result<String> {
    use symbolon_saml::metadata::{BINDING_POST, Endpoint};
    use symbolon_saml::metadata_gen::{PublishedKey, SpMetadataParams};
    let key = sp_key(store, base_url, now).await?;
    let s = sp_settings(base_url);
    symbolon_saml::metadata_gen::sp_metadata(&SpMetadataParams {
        entity_id: s.entity_id,
        id: None,
        valid_until: None,
        authn_requests_signed: false,
        want_assertions_signed: true,
        keys: vec![PublishedKey {
            der: key.certificate_der,
            key_use: Some("signing"),
        }],
        single_logout: vec![],
        name_id_formats: vec![
            symbolon_saml::messages::NAMEID_EMAIL.into(),
            symbolon_saml::messages::NAMEID_UNSPECIFIED.into(),
        ],
        assertion_consumer: vec![Endpoint {
            binding: BINDING_POST.into(),
            location: s.acs_url,
            response_location: None,
            index: Some(0),
            is_default: Some(true),
        }],
        requested_attributes: vec![],
        service_name: Some("Symbolon".into()),
    })
    .ok_or_else(|| SpError::Crypto("the SP metadata could not be written".into()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn signatures_and_certificates_are_elided() {
        let xml = "<r><ds:SignatureValue>AAAA</ds:SignatureValue><ds:X509Certificate>MIIB\nxyz</ds:X509Certificate><SignatureValue Id=\"s\">BB</SignatureValue><x>keep</x></r>";
        assert_eq!(
            elide_signatures(xml),
            "<r><ds:SignatureValue>…(elided)…</ds:SignatureValue><ds:X509Certificate>…(elided)…</ds:X509Certificate><SignatureValue Id=\"s\">…(elided)…</SignatureValue><x>keep</x></r>"
        );
        assert_eq!(
            elide_signatures("<a:SignatureValue>unclosed"),
            "<a:SignatureValue>unclosed"
        );
        let big = "é".repeat(40_000);
        assert!(elide_signatures(&big).ends_with("…(truncated)"));
    }

    #[test]
    fn time_zones() {
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        assert_eq!(format_in_zone(t, None), "2023-11-14 22:13:20 UTC");
        assert_eq!(
            format_in_zone(t, Some("Asia/Tokyo")),
            "2023-11-15 07:13:20 JST"
        );
        assert_eq!(
            format_in_zone(t, Some("Not/AZone")),
            "2023-11-14 22:13:20 UTC"
        );
    }
}
