//! Records and store traits of the multi-tenant service provider: accounts (tenants) with roles,
//! native users and pre-registered SAML accounts; per-account identity-provider configurations
//! with group -> role mappings; the SAML users seen, the audit log, the assertion replay cache,
//! and the SP's own signing key.

use time::OffsetDateTime;

use crate::{Result, Secret};

/// An account (tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub created_at: OffsetDateTime,
}

/// What makes two account names the same: account names are unique per deployment, compared
/// without case, surrounding spaces or runs of inner spaces ("Acme", " acme ", "ACME" are one
/// name). Both stores keep it in a unique column beside the name.
pub fn account_name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A role of an account. Built-in roles are created with the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRole {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub builtin: bool,
}

/// A native user of an account (email + password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeUser {
    pub id: String,
    pub account_id: String,
    /// Lower-cased.
    pub email: String,
    pub display_name: Option<String>,
    /// A master administrator cannot use SSO into this account.
    pub master: bool,
    pub role_id: Option<String>,
    pub created_at: OffsetDateTime,
}

/// A pre-registered SAML account: this NameID may sign in through SSO with this role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlAccount {
    pub account_id: String,
    /// Matched against the NameID, case-insensitively (stored lower-cased).
    pub name: String,
    pub role_id: String,
    pub description: Option<String>,
}

/// One account's configuration of an identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpConfig {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub description: Option<String>,
    pub entity_id: String,
    /// Pinned signing certificates (DER), several during a rollover.
    pub certs: Vec<Vec<u8>>,
    /// The IdP's SSO endpoint (Redirect binding), for SP-initiated sign-in.
    pub sso_url: Option<String>,
    pub metadata_xml: String,
    pub name_attribute: Option<String>,
    pub locale_attribute: Option<String>,
    pub timezone_attribute: Option<String>,
    /// The claim that carries the user's groups.
    pub role_attribute: Option<String>,
    /// SP-initiated sign-in is on; unsolicited responses are then refused.
    pub sp_initiated: bool,
    /// Accept assertions encrypted with AES-CBC (an opt-in for IdPs that cannot do AES-GCM).
    pub allow_cbc: bool,
    /// The URL the metadata is refreshed from, if it was added from one.
    pub metadata_source: Option<crate::MetadataSource>,
    pub created_at: OffsetDateTime,
}

/// group -> role, for one IdP configuration of an account. The role may have been deleted since:
/// `role_name` keeps what it was called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMapping {
    pub idp_id: String,
    pub account_id: String,
    pub group: String,
    pub role_id: String,
    pub role_name: String,
}

/// A SAML user who reached an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlUser {
    /// Stable, assigned by Symbolon.
    pub id: String,
    pub account_id: String,
    pub name_id: String,
    pub last_role: String,
    pub last_logon: OffsetDateTime,
}

/// The order of a page of SAML users; ties are broken by NameID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SamlUserOrder {
    #[default]
    NameId,
    LastRole,
    /// The most recent logon first.
    LastLogon,
}

/// One audit-log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub account_id: String,
    pub at: OffsetDateTime,
    /// `urn:symbolon:identity:{account}:saml-user/{id}`, `...:user/{id}`, `...:admin/{name}`.
    pub principal: String,
    /// `SignIn`, `SignInFailed`, `SwitchRole`, `Admin`...
    pub action: String,
    pub detail: String,
}

/// A rejected response, for the account's administrators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    pub account_id: String,
    pub at: OffsetDateTime,
    pub idp_name: String,
    /// The core's stable error code.
    pub code: String,
    pub reason: String,
    /// The decoded message, signature values elided.
    pub message: String,
    /// The reference the refused person was shown (empty for traces from before references).
    pub reference: String,
}

/// The principal URN of a SAML user of an account (audit entries name who acted with it).
pub fn saml_principal(account_id: &str, saml_user_id: &str) -> String {
    format!("urn:symbolon:identity:{account_id}:saml-user/{saml_user_id}")
}

/// A row of the short-lived state written with a sign-in (the browser's session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateWrite {
    pub kind: String,
    pub key: String,
    pub value: String,
    pub expires: OffsetDateTime,
}

/// A SAML user who signed in to an account with a role: the user is created (with `new_id`) or
/// updated, and an audit entry `action` / `detail` is written with the user's principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenUser {
    pub account_id: String,
    pub name_id: String,
    pub role: String,
    pub new_id: String,
    pub at: OffsetDateTime,
    pub action: String,
    pub detail: String,
}

/// Rejections of one response, recorded within a rate limit: the failure counter `rate_key`
/// counts one per batch; while it is at most `burst` in its window (ending `window_ends` when a
/// new window starts), each entry's trace and audit entry are written (keeping the newest
/// `keep` traces per account and IdP); beyond it only the state counters `dropped_keys` (one
/// per refusing account) grow by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejections {
    pub rate_key: String,
    pub burst: u32,
    pub window_ends: OffsetDateTime,
    pub dropped_kind: String,
    pub dropped_keys: Vec<String>,
    pub dropped_expires: OffsetDateTime,
    pub keep: u32,
    pub entries: Vec<(Trace, AuditEntry)>,
}

/// Everything one response at the ACS writes, in one transaction: the assertion consumed (the
/// replay cache), the user seen, the session, the rejections of the accounts that refused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInBatch {
    pub issuer: String,
    pub assertion_id: String,
    /// The replay-cache entry is kept until then (expired ones are purged on a schedule).
    pub until: OffsetDateTime,
    pub user: Option<SeenUser>,
    /// The session and what indexes it (written only when the assertion is new).
    pub state: Vec<StateWrite>,
    pub rejections: Option<Rejections>,
}

/// A per-account API key (only its SHA-256 is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub key_sha256: String,
    pub created_at: OffsetDateTime,
    pub revoked: bool,
    /// What the key may do: [`KEY_SCOPE_API`] (the account's REST API) or [`KEY_SCOPE_SCIM`]
    /// (SCIM provisioning only).
    pub scope: String,
}

/// The scope of a key for the account's REST API.
pub const KEY_SCOPE_API: &str = "api";
/// The scope of a SCIM bearer token.
pub const KEY_SCOPE_SCIM: &str = "scim";

/// The SP's signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpKey {
    pub kid: String,
    pub private_key_pem: Secret,
    pub certificate_der: Vec<u8>,
    pub created_at: OffsetDateTime,
}

/// Accounts, roles, native users and SAML accounts.
pub trait AccountStore {
    /// Create an account together with its built-in roles. Atomic.
    fn create_account(
        &self,
        account: &Account,
        roles: &[AccountRole],
    ) -> impl Future<Output = Result<()>> + Send;
    fn accounts(&self) -> impl Future<Output = Result<Vec<Account>>> + Send;
    fn account(&self, id: &str) -> impl Future<Output = Result<Option<Account>>> + Send;
    /// Rename an account; `NotFound` when there is none.
    fn rename_account(&self, id: &str, name: &str) -> impl Future<Output = Result<()>> + Send;
    /// Delete an account and everything of it (roles, users, SAML accounts, identity providers
    /// with their mappings, SAML users, traces, API keys, the audit log), in one transaction;
    /// `NotFound` when there is none.
    fn delete_account(&self, id: &str) -> impl Future<Output = Result<()>> + Send;
    fn create_account_role(&self, role: &AccountRole) -> impl Future<Output = Result<()>> + Send;
    fn account_roles(
        &self,
        account_id: &str,
    ) -> impl Future<Output = Result<Vec<AccountRole>>> + Send;
    /// Delete a role; mappings naming it stay (they show as pointing at a deleted role).
    fn delete_account_role(
        &self,
        account_id: &str,
        role_id: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Rename a role, and the name its mappings show, in one transaction; `NotFound` when the
    /// account has no such role, `Conflict` when the name is taken.
    fn rename_account_role(
        &self,
        account_id: &str,
        role_id: &str,
        name: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    fn create_native_user(
        &self,
        user: &NativeUser,
        password_hash: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Every native user with this email, in every account.
    fn native_users_by_email(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Vec<(NativeUser, String)>>> + Send;
    /// The native users of an account, by email.
    fn native_users(
        &self,
        account_id: &str,
    ) -> impl Future<Output = Result<Vec<NativeUser>>> + Send;
    /// Remove a native user unless it is the account's last master administrator (checked in
    /// the same statement). `Ok(false)` when the user exists but is the last master
    /// administrator; `NotFound` when there is no such user.
    fn remove_native_user(
        &self,
        account_id: &str,
        id: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Replace a native user's password hash; `NotFound` when there is no such user.
    fn set_native_password(
        &self,
        account_id: &str,
        id: &str,
        password_hash: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    fn add_saml_account(&self, a: &SamlAccount) -> impl Future<Output = Result<()>> + Send;
    /// Change a SAML account's role and description; `NotFound` when there is none.
    fn update_saml_account(&self, a: &SamlAccount) -> impl Future<Output = Result<()>> + Send;
    /// Remove a SAML account; `NotFound` when there is none.
    fn remove_saml_account(
        &self,
        account_id: &str,
        name: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    fn saml_accounts(
        &self,
        account_id: &str,
    ) -> impl Future<Output = Result<Vec<SamlAccount>>> + Send;
}

/// Identity-provider configurations and their group mappings.
pub trait SpIdpStore {
    fn create_idp(&self, idp: &IdpConfig) -> impl Future<Output = Result<()>> + Send;
    fn update_idp(&self, idp: &IdpConfig) -> impl Future<Output = Result<()>> + Send;
    fn delete_idp(&self, account_id: &str, id: &str) -> impl Future<Output = Result<()>> + Send;
    fn idps(&self, account_id: &str) -> impl Future<Output = Result<Vec<IdpConfig>>> + Send;
    fn idp_by_id(&self, id: &str) -> impl Future<Output = Result<Option<IdpConfig>>> + Send;
    /// Every configuration, in every account, whose metadata is refreshed from a URL.
    fn idps_with_source(&self) -> impl Future<Output = Result<Vec<IdpConfig>>> + Send;
    /// Every configuration, in every account, whose entity ID is this.
    fn idps_by_entity_id(
        &self,
        entity_id: &str,
    ) -> impl Future<Output = Result<Vec<IdpConfig>>> + Send;
    /// Add a mapping; a group already mapped in the account is a `Conflict`.
    fn add_mapping(&self, m: &GroupMapping) -> impl Future<Output = Result<()>> + Send;
    /// Remove the mapping of a group; `NotFound` when the group is not mapped.
    fn remove_mapping(
        &self,
        account_id: &str,
        group: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Point a mapped group at another role; `NotFound` when the group is not mapped.
    fn set_mapping_role(
        &self,
        account_id: &str,
        group: &str,
        role_id: &str,
        role_name: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    fn mappings(&self, idp_id: &str) -> impl Future<Output = Result<Vec<GroupMapping>>> + Send;
}

/// What happened: SAML users seen, the audit log, consumed assertions.
pub trait SpActivityStore {
    /// Record a SAML sign-in: create the user (with `new_id`) or update role and last logon.
    /// Returns the user's stable ID.
    fn saml_user_seen(
        &self,
        account_id: &str,
        name_id: &str,
        role: &str,
        new_id: &str,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<String>> + Send;
    fn saml_users(&self, account_id: &str) -> impl Future<Output = Result<Vec<SamlUser>>> + Send;
    /// The account's SAML user with this NameID (exact), if it signed in before.
    fn saml_user(
        &self,
        account_id: &str,
        name_id: &str,
    ) -> impl Future<Output = Result<Option<SamlUser>>> + Send;
    /// One page of the account's SAML users whose NameID or last role contains `search` (ASCII
    /// letters in any case; empty: all), in `order`, `limit` from `offset`, with how many match.
    fn saml_users_page(
        &self,
        account_id: &str,
        search: &str,
        order: SamlUserOrder,
        offset: u64,
        limit: u64,
    ) -> impl Future<Output = Result<(Vec<SamlUser>, u64)>> + Send;
    /// Drop SAML users whose last logon is before `cutoff`; returns how many.
    fn prune_saml_users(&self, cutoff: OffsetDateTime) -> impl Future<Output = Result<u64>> + Send;
    fn audit(&self, e: &AuditEntry) -> impl Future<Output = Result<()>> + Send;
    /// Oldest first.
    fn audit_log(&self, account_id: &str) -> impl Future<Output = Result<Vec<AuditEntry>>> + Send;
    /// One page of the account's audit log, newest first, of one action when `action` is not
    /// empty (`limit` entries from `offset`), with how many there are in all.
    fn audit_page(
        &self,
        account_id: &str,
        action: &str,
        offset: u64,
        limit: u64,
    ) -> impl Future<Output = Result<(Vec<AuditEntry>, u64)>> + Send;
    /// The actions the account's audit log holds, sorted (for its filter).
    fn audit_actions(&self, account_id: &str) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// Record a rejected response, then keep only the newest `keep` traces of that account and
    /// identity provider (by name), in one step.
    fn record_trace(&self, t: &Trace, keep: u32) -> impl Future<Output = Result<()>> + Send;
    /// Drop traces recorded before `cutoff`; returns how many.
    fn prune_traces(&self, cutoff: OffsetDateTime) -> impl Future<Output = Result<u64>> + Send;
    /// Newest first, at most `limit`.
    fn traces(
        &self,
        account_id: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Trace>>> + Send;
    fn create_api_key(&self, k: &ApiKey) -> impl Future<Output = Result<()>> + Send;
    fn api_key_by_hash(
        &self,
        sha256_hex: &str,
    ) -> impl Future<Output = Result<Option<ApiKey>>> + Send;
    fn api_keys(&self, account_id: &str) -> impl Future<Output = Result<Vec<ApiKey>>> + Send;
    fn revoke_api_key(&self, account_id: &str, id: &str)
    -> impl Future<Output = Result<()>> + Send;
    /// Write a sign-in in one transaction (see [`SignInBatch`]). `false`, with nothing written,
    /// when the assertion was consumed before and has not expired (a replay): atomic across
    /// concurrent callers and instances. Returns `Ok(true)` once everything is committed.
    fn commit_sign_in(
        &self,
        b: &SignInBatch,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Record rejections of a response that consumed nothing (see [`Rejections`]), in one
    /// transaction.
    fn record_rejections(
        &self,
        r: &Rejections,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<()>> + Send;
    /// A number that changes whenever anything an ACS decision reads changes: accounts, roles,
    /// native users, SAML accounts, IdP configurations and group mappings. The database keeps it
    /// (triggers), so that every instance sees every change, whoever made it.
    fn sp_config_version(&self) -> impl Future<Output = Result<i64>> + Send;
    /// How many assertion IDs the replay cache remembers whose time has not ended at `now`
    /// (for monitoring).
    fn replay_cache_entries(&self, now: OffsetDateTime)
    -> impl Future<Output = Result<u64>> + Send;
}

/// The SP's own signing key.
pub trait SpKeyStore {
    fn sp_key(&self) -> impl Future<Output = Result<Option<SpKey>>> + Send;
    /// Store the key unless one exists; returns the key in force (so concurrent first starts
    /// agree on one).
    fn init_sp_key(&self, key: &SpKey) -> impl Future<Output = Result<SpKey>> + Send;
}

/// Everything the service provider needs.
pub trait SpStore:
    AccountStore
    + crate::domains::DomainStore
    + SpIdpStore
    + SpActivityStore
    + SpKeyStore
    + crate::scim::ScimStore
    + crate::webhooks::WebhookStore
    + crate::PoolStore
    + crate::StateStore
    + Clone
    + Send
    + Sync
    + 'static
{
}
impl<T> SpStore for T where
    T: AccountStore
        + crate::domains::DomainStore
        + SpIdpStore
        + SpActivityStore
        + SpKeyStore
        + crate::scim::ScimStore
        + crate::webhooks::WebhookStore
        + crate::PoolStore
        + crate::StateStore
        + Clone
        + Send
        + Sync
        + 'static
{
}
