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

/// A per-account API key (only its SHA-256 is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub key_sha256: String,
    pub created_at: OffsetDateTime,
    pub revoked: bool,
}

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
    /// Drop SAML users whose last logon is before `cutoff`; returns how many.
    fn prune_saml_users(&self, cutoff: OffsetDateTime) -> impl Future<Output = Result<u64>> + Send;
    fn audit(&self, e: &AuditEntry) -> impl Future<Output = Result<()>> + Send;
    /// Oldest first.
    fn audit_log(&self, account_id: &str) -> impl Future<Output = Result<Vec<AuditEntry>>> + Send;
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
    /// Remember a consumed assertion until `until`: `true` the first time, `false` for a replay.
    /// Atomic across concurrent callers and instances; expired entries are dropped.
    fn consume_assertion(
        &self,
        issuer: &str,
        assertion_id: &str,
        until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<bool>> + Send;
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
    + SpIdpStore
    + SpActivityStore
    + SpKeyStore
    + crate::StateStore
    + Clone
    + Send
    + Sync
    + 'static
{
}
impl<T> SpStore for T where
    T: AccountStore
        + SpIdpStore
        + SpActivityStore
        + SpKeyStore
        + crate::StateStore
        + Clone
        + Send
        + Sync
        + 'static
{
}
