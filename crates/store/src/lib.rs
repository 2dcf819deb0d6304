//! Storage for Symbolon: domain records and narrow store traits. No SQL here: each database has
//! its own crate (`symbolon-store-sqlite`, `symbolon-store-postgres`) implementing these traits with its
//! own migrations. Handlers and domain code depend on the traits only.
//!
//! Invariants:
//! - A private key is held as [`Secret`]: its `Debug` never prints it.
//! - Every write is one transaction: a failed call changes nothing.

pub mod branding;
pub mod codec;
pub mod domains;
pub mod expiry;
pub mod export;
mod kind;
pub mod portable;
pub mod provisioning;
pub mod scim;
pub mod seal;
pub mod sp;
pub mod webhooks;

pub use kind::{Classify, ErrorKind};

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Why a store call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("{0} {1:?} not found")]
    NotFound(&'static str, String),
    #[error("{0}")]
    Conflict(String),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Backend(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A value that must never be printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// A realm: a tenant of the identity provider with its own users, clients and keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Realm {
    /// URL name, case-sensitive (`/realms/{name}`).
    pub name: String,
    pub display_name: String,
    pub enabled: bool,
    /// Default assertion lifespan, seconds.
    pub assertion_lifespan_secs: i64,
    pub created_at: OffsetDateTime,
}

/// Where a realm signing key is in its rollover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyStatus {
    /// Published in metadata, not yet signing.
    Next,
    /// Signs; published.
    Active,
    /// Was active; still published so that relying parties can roll over.
    Passive,
    /// No longer published or used.
    Retired,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Next => "next",
            KeyStatus::Active => "active",
            KeyStatus::Passive => "passive",
            KeyStatus::Retired => "retired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "next" => Some(KeyStatus::Next),
            "active" => Some(KeyStatus::Active),
            "passive" => Some(KeyStatus::Passive),
            "retired" => Some(KeyStatus::Retired),
            _ => None,
        }
    }
    /// Whether metadata publishes it.
    pub fn published(self) -> bool {
        !matches!(self, KeyStatus::Retired)
    }
}

/// A realm signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealmKey {
    pub kid: String,
    pub realm: String,
    pub status: KeyStatus,
    /// `rsa2048`, `rsa3072`, `ec-p256`.
    pub algorithm: String,
    pub private_key_pem: Secret,
    pub certificate_der: Vec<u8>,
    pub created_at: OffsetDateTime,
}

/// A user of a realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub realm: String,
    pub username: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub enabled: bool,
    /// Multi-valued attributes, in order.
    pub attributes: Vec<(String, String)>,
    pub created_at: OffsetDateTime,
}

/// An endpoint of a client (ACS or SLO).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientEndpoint {
    pub binding: String,
    pub location: String,
    pub index: Option<u16>,
    pub is_default: Option<bool>,
}

/// What a protocol mapper puts into the assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum MapperSource {
    /// A user attribute by name.
    UserAttribute { attribute: String },
    /// A user property: `username`, `email`, `firstName`, `lastName`.
    UserProperty { property: String },
    /// The user's groups, as full paths or last segments, in one attribute.
    GroupList { full_path: bool },
    /// The user's roles.
    RoleList,
    /// A fixed value.
    Hardcoded { value: String },
}

/// A protocol mapper: one SAML attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapper {
    pub name: String,
    pub saml_attribute: String,
    pub name_format: Option<String>,
    pub friendly_name: Option<String>,
    pub source: MapperSource,
}

/// A SAML client (service provider) of a realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub id: String,
    pub realm: String,
    /// The SP's entity ID.
    pub client_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub home_url: Option<String>,
    /// `/realms/{realm}/protocol/saml/clients/{url_name}`.
    pub idp_initiated_url_name: Option<String>,
    pub idp_initiated_relay_state: Option<String>,
    pub name_id_format: String,
    pub sign_documents: bool,
    pub sign_assertions: bool,
    pub signature_algorithm: String,
    pub client_signature_required: bool,
    pub assertion_lifespan_secs: Option<i64>,
    pub acs: Vec<ClientEndpoint>,
    pub slo: Vec<ClientEndpoint>,
    /// DER certificates the client signs requests with.
    pub signing_certs: Vec<Vec<u8>>,
    pub mappers: Vec<Mapper>,
    /// Only assigned users and groups may use the client.
    pub restricted: bool,
    /// Whether and how assertions to this client are encrypted.
    pub encryption: ClientEncryption,
    /// The URL its metadata is refreshed from, if it was imported from one.
    pub metadata_source: Option<MetadataSource>,
    /// Where its users are provisioned over SCIM, if anywhere.
    pub provisioning: Option<provisioning::Provisioning>,
    pub created_at: OffsetDateTime,
}

/// Metadata fetched from a URL and kept up to date by the scheduled refresh: where it comes from,
/// what it must satisfy, and how the last attempts went. Kept with what it describes (an SP
/// account's identity provider, an IdP client).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MetadataSource {
    pub url: String,
    /// Plain `http://` allowed for this entry (HTTPS is required otherwise).
    #[serde(default)]
    pub allow_http: bool,
    /// When set, every fetched document must be signed by this certificate (DER).
    #[serde(default, with = "codec::b64_list")]
    pub signing_certs: Vec<Vec<u8>>,
    /// HTTP validators of the document in use, for conditional requests.
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    /// The last attempt, and the next one due.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub checked_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub next_at: OffsetDateTime,
    /// The last time a fetched document changed what is in use.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub changed_at: Option<OffsetDateTime>,
    /// Failed attempts in a row, and the last failure (cleared by a success).
    #[serde(default)]
    pub failures: u32,
    #[serde(default)]
    pub last_error: Option<String>,
}

impl MetadataSource {
    /// A new source, due at once.
    pub fn new(url: &str, allow_http: bool, now: OffsetDateTime) -> Self {
        MetadataSource {
            url: url.to_string(),
            allow_http,
            signing_certs: Vec::new(),
            etag: None,
            last_modified: None,
            checked_at: None,
            next_at: now,
            changed_at: None,
            failures: 0,
            last_error: None,
        }
    }
}

/// A client's assertion encryption.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientEncryption {
    /// Assertions are sent as `EncryptedAssertion` (needs a certificate).
    pub enabled: bool,
    /// DER certificates the SP publishes for encryption; the first is used.
    #[serde(with = "codec::b64_list")]
    pub certs: Vec<Vec<u8>>,
    /// `aes256-gcm` (the default), `aes128-gcm`, or `aes256-cbc` / `aes128-cbc` for an SP that
    /// cannot do GCM.
    pub data_algorithm: String,
    /// `rsa-oaep-mgf1p` (SHA-1 digest and MGF1-SHA1: the default, what xmlsec1 1.2 and the SP
    /// libraries built on it read) or `rsa-oaep-sha256` (XML Encryption 1.1 `rsa-oaep` with
    /// SHA-256 and MGF1-SHA256).
    pub key_transport: String,
}

impl Default for ClientEncryption {
    fn default() -> Self {
        ClientEncryption {
            enabled: false,
            certs: Vec::new(),
            data_algorithm: "aes256-gcm".into(),
            key_transport: "rsa-oaep-mgf1p".into(),
        }
    }
}

/// Something that happened: a sign-in, a rejection, an admin change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub realm: String,
    pub at: OffsetDateTime,
    /// `LOGIN`, `LOGIN_ERROR`, `SAML_RESPONSE`, `AUTHN_REQUEST_ERROR`, `ADMIN`...
    pub kind: String,
    /// Who (a username, `cli`, an admin).
    pub actor: Option<String>,
    pub client_id: Option<String>,
    pub detail: String,
}

/// The order of a page of users; ties are broken by username.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserOrder {
    #[default]
    Username,
    Email,
    /// First name, then last name.
    Name,
    /// Enabled users first.
    Enabled,
}

/// The SQL `LIKE` pattern that finds `search` anywhere (`%search%`, its `%`, `_` and `\`
/// escaped with `\`, for `ESCAPE '\'`).
pub fn like_pattern(search: &str) -> String {
    let mut p = String::with_capacity(search.len() + 2);
    p.push('%');
    for c in search.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// One page of a list searched and ordered by the database, so that a realm of 100,000 users
/// costs one page: the rows that contain `search` (ASCII letters in any case; empty: every row)
/// in the columns the list searches, in `order`, `limit` of them from `offset`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage<O> {
    pub search: String,
    pub order: O,
    pub offset: u64,
    pub limit: u64,
}

/// Which users a page shows: searched in the username, email and "first last" name.
pub type UserPage = ListPage<UserOrder>;

/// The order of a page of clients; ties are broken by client ID (the SP's entity ID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientOrder {
    #[default]
    ClientId,
    /// The display name (clients without one last).
    Name,
    /// The IdP-initiated URL name (clients without one last).
    UrlName,
}

/// Which clients a page shows: searched in the client ID, the display name and the
/// IdP-initiated URL name.
pub type ClientPage = ListPage<ClientOrder>;

impl<O> ListPage<O> {
    /// The SQL `LIKE` pattern of `search` (see [`like_pattern`]).
    pub fn like_pattern(&self) -> String {
        like_pattern(&self.search)
    }
    /// `limit` and `offset` as SQL integers (at most `i64::MAX`).
    pub fn bounds(&self) -> (i64, i64) {
        (
            i64::try_from(self.limit).unwrap_or(i64::MAX),
            i64::try_from(self.offset).unwrap_or(i64::MAX),
        )
    }
}

/// Realms.
pub trait RealmStore {
    fn create_realm(&self, realm: &Realm) -> impl Future<Output = Result<()>> + Send;
    fn realm(&self, name: &str) -> impl Future<Output = Result<Option<Realm>>> + Send;
    fn realms(&self) -> impl Future<Output = Result<Vec<Realm>>> + Send;
    /// The realm's sign-in policy (`password` or `second-factor`).
    fn auth_policy(&self, realm: &str) -> impl Future<Output = Result<String>> + Send;
    fn set_auth_policy(&self, realm: &str, policy: &str)
    -> impl Future<Output = Result<()>> + Send;
    /// A number that changes whenever a realm, a client, a realm key or a client key changes
    /// (database triggers): what the IdP keeps in memory for SSO is good while it is unchanged.
    fn sso_version(&self) -> impl Future<Output = Result<i64>> + Send;
}

/// Realm signing keys.
pub trait KeyStore {
    fn add_key(&self, key: &RealmKey) -> impl Future<Output = Result<()>> + Send;
    fn keys(&self, realm: &str) -> impl Future<Output = Result<Vec<RealmKey>>> + Send;
    /// Make `kid` the active key; the key that was active becomes passive. Atomic.
    fn promote_key(&self, realm: &str, kid: &str) -> impl Future<Output = Result<()>> + Send;
    fn set_key_status(
        &self,
        realm: &str,
        kid: &str,
        status: KeyStatus,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// A client's own signing keys (per-client keys), with the realm keys' rollover states. The
/// client is named by its internal ID (`Client::id`); `RealmKey::realm` is the client's realm.
/// A client with no active key of its own signs with the realm's active key.
pub trait ClientKeyStore {
    fn add_client_key(
        &self,
        client: &str,
        key: &RealmKey,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The client's keys, oldest first (retired ones too).
    fn client_keys(&self, client: &str) -> impl Future<Output = Result<Vec<RealmKey>>> + Send;
    /// Make `kid` the client's active key; its active key, if any, becomes passive. Atomic.
    fn promote_client_key(
        &self,
        client: &str,
        kid: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    fn set_client_key_status(
        &self,
        client: &str,
        kid: &str,
        status: KeyStatus,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Delete a key that is retired (or was never active: `next`). `NotFound` when there is no
    /// such key, `Conflict` when it is active or passive.
    fn remove_client_key(&self, client: &str, kid: &str)
    -> impl Future<Output = Result<()>> + Send;
}

/// Users and their password hashes (PHC strings).
pub trait UserStore {
    fn create_user(
        &self,
        user: &User,
        password_hash: Option<&str>,
    ) -> impl Future<Output = Result<()>> + Send;
    fn user_by_username(
        &self,
        realm: &str,
        username: &str,
    ) -> impl Future<Output = Result<Option<User>>> + Send;
    fn users(&self, realm: &str) -> impl Future<Output = Result<Vec<User>>> + Send;
    /// One page of a realm's users (see [`UserPage`]), with how many match in all.
    fn users_page(
        &self,
        realm: &str,
        page: &UserPage,
    ) -> impl Future<Output = Result<(Vec<User>, u64)>> + Send;
    fn user_by_id(
        &self,
        realm: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<User>>> + Send;
    fn set_password_hash(
        &self,
        realm: &str,
        user_id: &str,
        hash: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    fn password_hash(
        &self,
        realm: &str,
        user_id: &str,
    ) -> impl Future<Output = Result<Option<String>>> + Send;
    /// Replace a user's profile (email, names, enabled, attributes); the username and ID stay.
    fn update_user(&self, user: &User) -> impl Future<Output = Result<()>> + Send;
}

/// Clients.
pub trait ClientStore {
    fn create_client(&self, client: &Client) -> impl Future<Output = Result<()>> + Send;
    fn update_client(&self, client: &Client) -> impl Future<Output = Result<()>> + Send;
    fn client(
        &self,
        realm: &str,
        client_id: &str,
    ) -> impl Future<Output = Result<Option<Client>>> + Send;
    fn client_by_url_name(
        &self,
        realm: &str,
        url_name: &str,
    ) -> impl Future<Output = Result<Option<Client>>> + Send;
    fn clients(&self, realm: &str) -> impl Future<Output = Result<Vec<Client>>> + Send;
    /// One page of a realm's clients (see [`ClientPage`]), with how many match in all.
    fn clients_page(
        &self,
        realm: &str,
        page: &ClientPage,
    ) -> impl Future<Output = Result<(Vec<Client>, u64)>> + Send;
}

/// Events.
pub trait EventStore {
    fn record(&self, event: &Event) -> impl Future<Output = Result<()>> + Send;
    /// Newest first, at most `limit`, optionally of one kind.
    fn events(
        &self,
        realm: &str,
        kind: Option<&str>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Event>>> + Send;
    /// One page of the realm's events, newest first: of one kind when `kind` is given, whose
    /// detail, actor or client contains `search` (ASCII letters in any case, `%` and `_`
    /// literal; empty: all), `limit` of them from `offset`, with how many match in all.
    fn events_page(
        &self,
        realm: &str,
        kind: Option<&str>,
        search: &str,
        offset: u64,
        limit: u64,
    ) -> impl Future<Output = Result<(Vec<Event>, u64)>> + Send;
}

/// A group of a realm, by full path (`/eng/platform`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub realm: String,
    pub path: String,
}

/// Who may use a restricted client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Assignment {
    /// A user, by ID.
    User(String),
    /// A group, by ID (its members and the members of its subgroups).
    Group(String),
}

/// Groups and membership.
pub trait GroupStore {
    fn create_group(&self, group: &Group) -> impl Future<Output = Result<()>> + Send;
    fn groups(&self, realm: &str) -> impl Future<Output = Result<Vec<Group>>> + Send;
    fn add_member(&self, user_id: &str, group_id: &str) -> impl Future<Output = Result<()>> + Send;
    /// The groups a user is a direct member of.
    fn user_groups(&self, user_id: &str) -> impl Future<Output = Result<Vec<Group>>> + Send;
}

/// Client access assignments (by the client's internal `id`).
pub trait AccessStore {
    fn grant(
        &self,
        client_row_id: &str,
        who: &Assignment,
    ) -> impl Future<Output = Result<()>> + Send;
    fn revoke(
        &self,
        client_row_id: &str,
        who: &Assignment,
    ) -> impl Future<Output = Result<()>> + Send;
    fn assignments(
        &self,
        client_row_id: &str,
    ) -> impl Future<Output = Result<Vec<Assignment>>> + Send;
}

/// An admin API token (only its SHA-256 is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminToken {
    pub id: String,
    pub name: String,
    pub token_sha256: String,
    pub created_at: OffsetDateTime,
    pub revoked: bool,
}

/// Persistent pairwise NameIDs.
pub trait PersistentIdStore {
    /// The stored value for (realm, client, user), or store `candidate` and return it. Atomic: two
    /// concurrent callers get the same value.
    fn persistent_id(
        &self,
        realm: &str,
        client_id: &str,
        user_id: &str,
        candidate: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<String>> + Send;
}

/// A realm role (Keycloak's realm-level role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub realm: String,
    pub name: String,
    pub description: Option<String>,
}

/// Realm roles and who holds them.
pub trait RoleStore {
    fn create_role(&self, role: &Role) -> impl Future<Output = Result<()>> + Send;
    fn roles(&self, realm: &str) -> impl Future<Output = Result<Vec<Role>>> + Send;
    /// Delete a role and every grant of it. Atomic.
    fn delete_role(&self, realm: &str, name: &str) -> impl Future<Output = Result<()>> + Send;
    fn grant_role(&self, role_id: &str, to: &Assignment)
    -> impl Future<Output = Result<()>> + Send;
    fn revoke_role(
        &self,
        role_id: &str,
        from: &Assignment,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Every grant in the realm: (role name, holder).
    fn role_grants(
        &self,
        realm: &str,
    ) -> impl Future<Output = Result<Vec<(String, Assignment)>>> + Send;
}

/// Admin API tokens.
pub trait AdminTokenStore {
    fn create_token(&self, token: &AdminToken) -> impl Future<Output = Result<()>> + Send;
    fn token_by_hash(
        &self,
        sha256_hex: &str,
    ) -> impl Future<Output = Result<Option<AdminToken>>> + Send;
    fn tokens(&self) -> impl Future<Output = Result<Vec<AdminToken>>> + Send;
    fn revoke_token(&self, id: &str) -> impl Future<Output = Result<()>> + Send;
}

/// A user's TOTP second factor: the secret (base32) and the last step a code was accepted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpCredential {
    pub secret: Secret,
    pub last_step: Option<i64>,
    pub created_at: OffsetDateTime,
}

/// A user's passkey (a WebAuthn credential). The public key, counter and flags are kept in the
/// WebAuthn library's own serialised form (`passkey`); the counter and flags are also columns,
/// so that a use can be recorded atomically (compare and set) and shown to administrators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRecord {
    /// Symbolon's ID of this passkey (what pages and the API name).
    pub id: String,
    pub user_id: String,
    /// The credential ID, base64url without padding; unique across the deployment.
    pub credential_id: String,
    /// The name the user gave it ("Work laptop").
    pub name: String,
    /// The library's serialised credential (JSON): public key, algorithm, counter, flags.
    pub passkey: String,
    pub sign_count: u32,
    /// Whether the credential may be synced (fixed at registration).
    pub backup_eligible: bool,
    /// Whether it is backed up now (may change).
    pub backup_state: bool,
    pub created_at: OffsetDateTime,
    pub last_used: Option<OffsetDateTime>,
    /// Set when a use presented a signature counter that did not move forward (a cloned
    /// authenticator, or a replay): the passkey is refused until the user or an administrator
    /// clears the flag.
    pub flagged_at: Option<OffsetDateTime>,
}

/// A recorded use of a passkey: the new serialised credential, counter and backup state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyUse<'a> {
    pub passkey: &'a str,
    pub sign_count: u32,
    pub backup_state: bool,
    pub at: OffsetDateTime,
}

/// A required action that a user must complete at the next sign-in.
pub const ACTION_REGISTER_PASSKEY: &str = "register-passkey";

/// Credentials of IdP users besides the password: TOTP with recovery codes, passkeys, and the
/// required actions an administrator set.
pub trait CredentialStore {
    fn totp(&self, user_id: &str) -> impl Future<Output = Result<Option<TotpCredential>>> + Send;
    /// Enrol (replacing any earlier TOTP and recovery codes) in one transaction. Recovery codes
    /// are given as SHA-256 hex of their normalised text.
    fn set_totp(
        &self,
        user_id: &str,
        cred: &TotpCredential,
        recovery_sha256: &[String],
    ) -> impl Future<Output = Result<()>> + Send;
    /// Remove the TOTP credential and the recovery codes.
    fn remove_totp(&self, user_id: &str) -> impl Future<Output = Result<()>> + Send;
    /// Record `step` as used when it is later than the last used one: true when this call took
    /// it (of concurrent callers with the same code, one).
    fn use_totp_step(&self, user_id: &str, step: i64) -> impl Future<Output = Result<bool>> + Send;
    /// Consume a recovery code: true once.
    fn use_recovery_code(
        &self,
        user_id: &str,
        sha256: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn recovery_codes_left(&self, user_id: &str) -> impl Future<Output = Result<u32>> + Send;
    /// The user's passkeys, oldest first.
    fn passkeys(&self, user_id: &str) -> impl Future<Output = Result<Vec<PasskeyRecord>>> + Send;
    fn passkey_by_credential_id(
        &self,
        credential_id: &str,
    ) -> impl Future<Output = Result<Option<PasskeyRecord>>> + Send;
    /// Add a passkey; `Conflict` when its credential ID is registered already (to anyone).
    fn add_passkey(&self, p: &PasskeyRecord) -> impl Future<Output = Result<()>> + Send;
    /// Rename one of the user's passkeys; `NotFound` when it is not theirs.
    fn rename_passkey(
        &self,
        user_id: &str,
        id: &str,
        name: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Remove one of the user's passkeys; `NotFound` when it is not theirs.
    fn remove_passkey(&self, user_id: &str, id: &str) -> impl Future<Output = Result<()>> + Send;
    /// Remove all of the user's passkeys; returns how many.
    fn remove_passkeys(&self, user_id: &str) -> impl Future<Output = Result<u64>> + Send;
    /// Record a use of passkey `id`, only if its counter moved forward (or both the stored and
    /// the new counter are zero: an authenticator without a counter). True when this call
    /// recorded it: of two uses with the same counter, one.
    fn use_passkey(
        &self,
        id: &str,
        used: &PasskeyUse<'_>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Flag passkey `id` as possibly cloned (kept until cleared).
    fn flag_passkey(&self, id: &str, at: OffsetDateTime)
    -> impl Future<Output = Result<()>> + Send;
    /// Clear the flag of one of the user's passkeys; `NotFound` when it is not theirs.
    fn clear_passkey_flag(
        &self,
        user_id: &str,
        id: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The user's required actions (e.g. [`ACTION_REGISTER_PASSKEY`]).
    fn required_actions(&self, user_id: &str) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// Add (`on`) or clear a required action of the user.
    fn set_required_action(
        &self,
        user_id: &str,
        action: &str,
        on: bool,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Short-lived state that every instance must see alike: browser sessions, sign-in flows,
/// outstanding requests (single use), failure counters and job leases. Values are opaque text
/// (JSON) to the store. Expired entries are invisible at once and purged later.
pub trait StateStore {
    /// Insert or replace the value under (`kind`, `key`) until `expires`.
    fn put_state(
        &self,
        kind: &str,
        key: &str,
        value: &str,
        expires: OffsetDateTime,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The value, unless it is missing or expired at `now`.
    fn state(
        &self,
        kind: &str,
        key: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<String>>> + Send;
    /// Remove the value and return it in one step: of concurrent callers, one gets it.
    fn take_state(
        &self,
        kind: &str,
        key: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<String>>> + Send;
    fn delete_state(&self, kind: &str, key: &str) -> impl Future<Output = Result<()>> + Send;
    /// The unexpired (key, value) pairs of `kind` whose key starts with `key_prefix`, by key.
    fn list_state(
        &self,
        kind: &str,
        key_prefix: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Vec<(String, String)>>> + Send;
    /// Drop what expired before `now` (state, failure windows, leases); returns how many rows.
    fn purge_state(&self, now: OffsetDateTime) -> impl Future<Output = Result<u64>> + Send;
    /// Count one failure under `key` and return the count, atomically. A count whose window
    /// ended before `now` starts again at 1 with a window ending at `window_ends`.
    fn count_failure(
        &self,
        key: &str,
        now: OffsetDateTime,
        window_ends: OffsetDateTime,
    ) -> impl Future<Output = Result<u32>> + Send;
    fn clear_failures(&self, key: &str) -> impl Future<Output = Result<()>> + Send;
    /// Take or renew the lease on job `name` for `holder` until `until`. False when another
    /// holder's lease is still running at `now`: then the job is not this instance's to run.
    fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Give up every lease `holder` has (a graceful shutdown), so that another instance, or
    /// this one restarted, runs those jobs at its next tick instead of after the lease expired.
    /// Returns how many it held.
    fn release_leases(&self, holder: &str) -> impl Future<Output = Result<u64>> + Send;
}

/// Everything the identity provider needs.
/// Day-2 changes of the identity provider's objects: edit a realm; delete a realm, a user, a
/// client or groups with everything that hangs on them (in one transaction each); group
/// membership removal and listing; renaming or moving a group with its subgroups.
pub trait IdpChangeStore {
    /// Change a realm's display name, enabled flag and assertion lifespan; `NotFound` when
    /// there is no such realm.
    fn update_realm(&self, realm: &Realm) -> impl Future<Output = Result<()>> + Send;
    /// Delete a realm and everything of it (keys, users, clients, groups, roles, events).
    fn delete_realm(&self, name: &str) -> impl Future<Output = Result<()>> + Send;
    /// Delete a user with their credentials, memberships, role grants and client assignments.
    fn delete_user(&self, realm: &str, id: &str) -> impl Future<Output = Result<()>> + Send;
    /// Delete a client with its access assignments. Persistent NameIDs stay (kept for good: a
    /// client imported again gives its users the same pairwise identifiers).
    fn delete_client(&self, realm: &str, id: &str) -> impl Future<Output = Result<()>> + Send;
    /// Remove a direct membership; `NotFound` when the user is not a direct member.
    fn remove_member(
        &self,
        user_id: &str,
        group_id: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The IDs of a group's direct members.
    fn group_member_ids(&self, group_id: &str) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// Delete groups (a group and its subgroups, as the caller lists them) with their
    /// memberships, role grants and client assignments.
    fn delete_groups(&self, realm: &str, ids: &[String])
    -> impl Future<Output = Result<()>> + Send;
    /// Rename a realm role (its grants stay); `NotFound` when the realm has no such role,
    /// `Conflict` when the name is taken.
    fn rename_role(
        &self,
        realm: &str,
        name: &str,
        new_name: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Give a group a new path, and its subgroups the same new prefix; `Conflict` when a path is
    /// taken.
    fn move_group(
        &self,
        realm: &str,
        old_path: &str,
        new_path: &str,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// The fetcher's check of a URL an administrator gives (scheme, host; plain http when allowed),
/// handed to the domains by the caller that fetches: fine, or why not.
pub type UrlCheck = dyn Fn(&str, bool) -> std::result::Result<(), String> + Send + Sync;

/// How busy the store's connection pool is (for monitoring).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Connections open now.
    pub size: u32,
    /// Of those, idle.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// The connection pool's state, read without a query.
pub trait PoolStore {
    fn pool_stats(&self) -> PoolStats;
}

pub trait IdpStore:
    RealmStore
    + IdpChangeStore
    + KeyStore
    + ClientKeyStore
    + UserStore
    + ClientStore
    + EventStore
    + AdminTokenStore
    + GroupStore
    + AccessStore
    + PersistentIdStore
    + RoleStore
    + StateStore
    + CredentialStore
    + provisioning::ProvisioningStore
    + webhooks::WebhookStore
    + branding::BrandingStore
    + PoolStore
    + Clone
    + Send
    + Sync
    + 'static
{
}
impl<T> IdpStore for T where
    T: RealmStore
        + IdpChangeStore
        + KeyStore
        + ClientKeyStore
        + UserStore
        + ClientStore
        + EventStore
        + AdminTokenStore
        + GroupStore
        + AccessStore
        + PersistentIdStore
        + RoleStore
        + StateStore
        + CredentialStore
        + provisioning::ProvisioningStore
        + webhooks::WebhookStore
        + branding::BrandingStore
        + PoolStore
        + Clone
        + Send
        + Sync
        + 'static
{
}

impl Classify for StoreError {
    fn kind(&self) -> ErrorKind {
        match self {
            StoreError::NotFound(..) => ErrorKind::NotFound,
            StoreError::Conflict(_) => ErrorKind::Conflict,
            StoreError::Unavailable(_) => ErrorKind::Unavailable,
            StoreError::Backend(_) => ErrorKind::Internal,
        }
    }
}
