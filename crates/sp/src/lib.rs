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

mod api;
mod console;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;

use std::collections::BTreeSet;

use symbolon_saml::lint::lint_entity;
use symbolon_saml::metadata::{BINDING_REDIRECT, IdpTrust, parse_metadata, select_entity};
use symbolon_saml::sp::{
    Expectation, IdpSettings, SpSettings, ValidatedAssertion, ValidationError,
};
use symbolon_store::StoreError;
use symbolon_store::sp::{
    Account, AccountRole, AuditEntry, GroupMapping, IdpConfig, NativeUser, SamlAccount, SpKey,
    SpStore,
};
use time::OffsetDateTime;

/// Roles every account starts with.
pub const BUILTIN_ROLES: [&str; 3] = ["Full Access", "Read Only", "Auditor"];

/// Why an operation failed. Messages are safe to show to an administrator.
#[derive(Debug, thiserror::Error)]
pub enum SpError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error("metadata: {0}")]
    Metadata(#[from] symbolon_saml::MetadataError),
    #[error("{0}")]
    Crypto(String),
    #[error(transparent)]
    Busy(#[from] symbolon_idp::hashing::Busy),
}

pub type Result<T> = std::result::Result<T, SpError>;

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
        return Err(SpError::Invalid(format!(
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
    let hash = symbolon_idp::hashing::hash(password)
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
                SpError::Invalid(format!("the account already has a user {email}"))
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
                SpError::Invalid(format!("{name} is already a SAML account here"))
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
        StoreError::Conflict(_) => SpError::Invalid(format!(
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
        return Err(SpError::Invalid(format!(
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
            StoreError::Conflict(_) => SpError::Invalid(format!(
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

/// One account + role a signed-in person may use.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pair {
    pub account_id: String,
    pub account_name: String,
    pub role: String,
    /// A master administrator signed in natively. Never true for a SAML sign-in.
    pub master: bool,
    /// The native user's ID (for the audit principal); empty for SAML.
    pub user_id: String,
}

impl Pair {
    /// Whether this pair may administer its account (master administrators and Full Access).
    pub fn may_administer(&self) -> bool {
        self.master || self.role == "Full Access"
    }
}

/// The outcome of a response at the ACS.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SignIn {
    pub name_id: String,
    pub display_name: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    /// Every account + role this person may use now.
    pub pairs: Vec<Pair>,
    /// Accounts that validated the response but are not offered: (account name, why).
    pub refused: Vec<(String, String)>,
    /// The validated attributes (for the test sign-in page).
    pub attributes: Vec<(String, Vec<String>)>,
}

/// Why a response was not accepted at all.
#[derive(Debug, thiserror::Error)]
pub enum AcsError {
    #[error("the SAMLResponse could not be read: {0}")]
    Malformed(String),
    #[error("no account trusts the identity provider {0:?}")]
    UnknownIssuer(String),
    #[error("the response was rejected: {0}")]
    Rejected(String),
    #[error("this response was already used")]
    Replay,
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// An attribute's values by its Name or, failing that, its FriendlyName (IdPs such as pysaml2
/// send `urn:mace:dir:attribute-def:displayName` with FriendlyName `displayName`).
fn attr_values<'a>(a: &'a ValidatedAssertion, name: &str) -> Option<&'a [String]> {
    a.attribute(name).or_else(|| {
        a.attributes
            .iter()
            .find(|x| x.friendly_name.as_deref() == Some(name))
            .map(|x| x.values.as_slice())
    })
}

fn attr_first(a: &ValidatedAssertion, name: &Option<String>) -> Option<String> {
    name.as_deref()
        .and_then(|n| attr_values(a, n))
        .and_then(|v| v.first())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// How the ACS evaluates a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcsMode<'a> {
    /// A real sign-in: every account that trusts the issuer takes part; the assertion is
    /// consumed; rejections are recorded (bounded, see [`AcsPolicy`]).
    SignIn,
    /// An administrator's "test sign-in": only this account's configurations are evaluated
    /// (nothing of another account is ever shown), nothing is consumed or recorded.
    Test { account_id: &'a str },
}

/// The service provider's acceptance and recording policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcsPolicy {
    /// An assertion is accepted at most this long after its IssueInstant (plus the clock skew),
    /// whatever its NotOnOrAfter says; bounds how long a replay-cache entry lives.
    pub max_assertion_lifetime: time::Duration,
    /// Rejections recorded (trace and audit entry) per identity provider configuration and
    /// window; further ones are only counted.
    pub trace_burst: u32,
    pub trace_window: time::Duration,
    /// Traces kept per account and identity provider (the newest).
    pub traces_kept: u32,
}

impl Default for AcsPolicy {
    fn default() -> Self {
        AcsPolicy {
            max_assertion_lifetime: symbolon_saml::sp::DEFAULT_MAX_ASSERTION_LIFETIME,
            trace_burst: 20,
            trace_window: time::Duration::minutes(10),
            traces_kept: 100,
        }
    }
}

/// What a trace keeps of a document that failed before any signature verified (it may come
/// from anyone): this many bytes. A document that verified and failed a protocol check is kept
/// up to [`TRACE_MAX_BYTES`].
pub const TRACE_EXCERPT_BYTES: usize = 2048;
pub const TRACE_MAX_BYTES: usize = 65_536;

/// State-store keys of the trace rate limit and of the count of rejections not recorded.
fn trace_rate_key(idp_id: &str) -> String {
    format!("sp-trace-rate:{idp_id}")
}
fn traces_dropped_key(account_id: &str) -> String {
    format!("sp-traces-dropped:{account_id}")
}

/// How many rejections of this account were counted but not recorded in the last seven days.
pub async fn traces_not_kept<S: SpStore>(
    store: &S,
    account_id: &str,
    now: OffsetDateTime,
) -> Result<u32> {
    Ok(store
        .state(DROPPED_KIND, &traces_dropped_key(account_id), now)
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}
const DROPPED_KIND: &str = "sp-traces-dropped";

/// `text` cut to at most `max` bytes on a character boundary, saying how much was left out.
fn excerpt(text: &str, max: usize, why: &str) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n…({} more bytes not kept: {why})",
        text.get(..end).unwrap_or_default(),
        text.len() - end
    )
}

/// Consume a response posted to the ACS: validate it against every configuration whose entity
/// ID equals its Issuer (each with its own pinned keys), consume the assertion once, then work out
/// the account + role pairs. Rejections are recorded in the audit log of each account whose
/// configuration refused it, with the precise reason, within the policy's bounds.
pub async fn consume_response<S: SpStore>(
    store: &S,
    sp: &SpSettings,
    xml: &[u8],
    in_response_to: Option<&str>,
    now: OffsetDateTime,
    mode: AcsMode<'_>,
    policy: &AcsPolicy,
) -> std::result::Result<SignIn, AcsError> {
    let test_only = matches!(mode, AcsMode::Test { .. });
    let doc = symbolon_xml::parse_bytes(xml, &symbolon_xml::Limits::default())
        .map_err(|e| AcsError::Malformed(e.to_string()))?;
    let issuer = symbolon_saml::sp::issuer_hint(&doc)
        .ok_or_else(|| AcsError::Malformed("the response names no Issuer".into()))?;
    let mut configs = store.idps_by_entity_id(&issuer).await?;
    if let AcsMode::Test { account_id } = mode {
        configs.retain(|c| c.account_id == account_id);
    }
    if configs.is_empty() {
        return Err(AcsError::UnknownIssuer(issuer));
    }
    let mut accepted: Vec<(IdpConfig, ValidatedAssertion)> = Vec::new();
    let mut reasons: Vec<(IdpConfig, ValidationError)> = Vec::new();
    for c in configs {
        let (certs, _) =
            symbolon_saml::metadata::pin_certificates(c.certs.iter().map(Vec::as_slice));
        let mut settings = IdpSettings::new(c.entity_id.clone(), certs);
        settings.allow_idp_initiated = !c.sp_initiated;
        // The SP metadata says WantAssertionsSigned="true": that promise is kept.
        settings.require_signed_assertion = true;
        let expect = Expectation {
            in_response_to,
            max_assertion_lifetime: policy.max_assertion_lifetime,
            ..Expectation::at(now)
        };
        match symbolon_saml::sp::validate_response(&doc, &settings, sp, &expect) {
            Ok(v) => accepted.push((c, v)),
            Err(e) => reasons.push((c, e)),
        }
    }
    if !test_only && !reasons.is_empty() {
        // Rejections may come from anyone: what they write is bounded per identity provider
        // configuration (a burst per window, then only a count) and in size (an excerpt of
        // documents that no signature vouched for), and traces are pruned on a schedule.
        let text = String::from_utf8_lossy(xml);
        let head = excerpt(&text, TRACE_EXCERPT_BYTES * 4, "no signature verified");
        let unverified = excerpt(
            &elide_signatures(&head),
            TRACE_EXCERPT_BYTES,
            "no signature verified",
        );
        let mut verified: Option<String> = None;
        for (c, e) in &reasons {
            let burst = store
                .count_failure(&trace_rate_key(&c.id), now, now + policy.trace_window)
                .await
                .unwrap_or(u32::MAX);
            if burst > policy.trace_burst {
                let dropped = traces_not_kept(store, &c.account_id, now)
                    .await
                    .unwrap_or(0)
                    .saturating_add(1);
                let _ = store
                    .put_state(
                        DROPPED_KIND,
                        &traces_dropped_key(&c.account_id),
                        &dropped.to_string(),
                        now + time::Duration::days(7),
                    )
                    .await;
                continue;
            }
            let message = if e.authenticated() {
                verified
                    .get_or_insert_with(|| {
                        excerpt(
                            &elide_signatures(&text),
                            TRACE_MAX_BYTES,
                            "over the size kept",
                        )
                    })
                    .clone()
            } else {
                unverified.clone()
            };
            let _ = store
                .record_trace(
                    &symbolon_store::sp::Trace {
                        account_id: c.account_id.clone(),
                        at: second(now),
                        idp_name: c.name.clone(),
                        code: e.code().into(),
                        reason: e.to_string(),
                        message,
                    },
                    policy.traces_kept,
                )
                .await;
            let _ = audit(
                store,
                &c.account_id,
                &format!("urn:symbolon:identity:{}:idp/{}", c.account_id, c.id),
                "SignInFailed",
                format!(
                    "response from {} rejected by {}: {} [{}]",
                    issuer,
                    c.name,
                    e,
                    e.code()
                ),
                now,
            )
            .await;
        }
    }
    let Some((profile, first)) = accepted.first() else {
        let why = reasons
            .first()
            .map(|(_, e)| e.to_string())
            .unwrap_or_else(|| "no configuration accepted it".into());
        return Err(AcsError::Rejected(why));
    };
    let (profile, first) = (profile.clone(), first.clone());
    if !test_only {
        let k = first.replay_key();
        if !store
            .consume_assertion(&k.issuer, &k.assertion_id, k.until, now)
            .await?
        {
            for (c, _) in &accepted {
                let _ = audit(
                    store,
                    &c.account_id,
                    &format!("urn:symbolon:identity:{}:idp/{}", c.account_id, c.id),
                    "SignInFailed",
                    format!("replayed assertion {} from {issuer}", k.assertion_id),
                    now,
                )
                .await;
            }
            return Err(AcsError::Replay);
        }
    }
    let name_id = first.name_id.clone();
    let lower = name_id.to_lowercase();
    let masters: Vec<String> = store
        .native_users_by_email(&lower)
        .await?
        .into_iter()
        .filter(|(u, _)| u.master)
        .map(|(u, _)| u.account_id)
        .collect();
    let mut pairs: Vec<Pair> = Vec::new();
    let mut refused = Vec::new();
    for (c, v) in &accepted {
        let account_name = account_name(store, &c.account_id).await?;
        if masters.contains(&c.account_id) {
            refused.push((account_name, MASTER_REFUSED.to_string()));
            continue;
        }
        let roles = store.account_roles(&c.account_id).await?;
        let groups: BTreeSet<&str> = c
            .role_attribute
            .as_deref()
            .and_then(|n| attr_values(v, n))
            .map(|vals| vals.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let mut names: BTreeSet<String> = BTreeSet::new();
        let mut deleted: Vec<String> = Vec::new();
        for m in store.mappings(&c.id).await? {
            if groups.contains(m.group.as_str()) {
                match roles.iter().find(|r| r.id == m.role_id) {
                    Some(r) => {
                        names.insert(r.name.clone());
                    }
                    None => deleted.push(format!("{} -> {}", m.group, m.role_name)),
                }
            }
        }
        for sa in store.saml_accounts(&c.account_id).await? {
            if sa.name == lower
                && let Some(r) = roles.iter().find(|r| r.id == sa.role_id)
            {
                names.insert(r.name.clone());
            }
        }
        if names.is_empty() {
            if !deleted.is_empty() {
                refused.push((account_name, format!("Your groups map only to roles that were deleted ({}). Ask the account administrator to map them again.", deleted.join(", "))));
            }
            continue;
        }
        for role in names {
            pairs.push(Pair {
                account_id: c.account_id.clone(),
                account_name: account_name.clone(),
                role,
                master: false,
                user_id: String::new(),
            });
        }
    }
    Ok(SignIn {
        display_name: attr_first(&first, &profile.name_attribute),
        locale: attr_first(&first, &profile.locale_attribute),
        timezone: attr_first(&first, &profile.timezone_attribute),
        attributes: first
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.values.clone()))
            .collect(),
        name_id,
        pairs,
        refused,
    })
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
        if !symbolon_idp::hashing::verify(password, &hash).await? {
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

/// The message as an administrator may see it: signature values and certificates elided, at most
/// 64 KiB.
pub fn elide_signatures(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len().min(65_536));
    let mut rest = xml;
    while let Some(lt) = rest.find('<') {
        let (before, tag_on) = rest.split_at(lt);
        out.push_str(before);
        let Some(gt) = tag_on.find('>') else {
            out.push_str(tag_on);
            rest = "";
            break;
        };
        let (tag, after) = tag_on.split_at(gt + 1);
        out.push_str(tag);
        rest = after;
        // An opening tag whose local name carries a secret-looking value.
        let name = tag
            .trim_start_matches('<')
            .trim_end_matches('>')
            .split_whitespace()
            .next()
            .unwrap_or("");
        let local = name.rsplit(':').next().unwrap_or(name);
        if !name.starts_with('/')
            && (local == "SignatureValue" || local == "X509Certificate")
            && let Some(close) = rest.find("</")
        {
            out.push_str("…(elided)…");
            rest = rest.get(close..).unwrap_or("");
        }
    }
    out.push_str(rest);
    if out.len() > 65_536 {
        let mut cut = 65_536;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("\n…(truncated)");
    }
    out
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

fn hex_sha256(s: &str) -> String {
    symbolon_dsig::sha256(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
    let (pem, der) = symbolon_idp::generate_key(
        symbolon_idp::KeyAlgorithm::Rsa2048,
        &format!("Symbolon SP {base_url}"),
        now,
    )
    .map_err(|e| SpError::Crypto(e.to_string()))?;
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
