//! The identity provider's domain: realms and their signing keys (with rollover), users and
//! passwords, clients imported from SP metadata, the realm descriptor, events. Generic over the
//! store traits; no HTTP, no SQL.
//!
//! Invariants:
//! - Every admin change is recorded as an `ADMIN` event with its actor.
//! - Passwords are stored only as Argon2id PHC strings; private keys never appear in errors,
//!   events or `Debug` output.
//! - A realm always has exactly one active key once created; a retired key is never published
//!   or used again.

pub mod passkey;
pub mod roles;
pub mod sessions;
pub mod signin;
pub mod totp;

use symbolon_dsig::{SecureRandom, SignOptions, SigningKey, SystemRandom};
use symbolon_saml::lint::{Finding, lint_entity};
use symbolon_saml::messages::{
    NAMEID_EMAIL, NAMEID_PERSISTENT, NAMEID_TRANSIENT, NAMEID_UNSPECIFIED,
};
use symbolon_saml::metadata::{BINDING_POST, BINDING_REDIRECT, Endpoint, parse_metadata_document};
use symbolon_saml::metadata_gen::{IdpMetadataParams, PublishedKey, idp_metadata, sign_metadata};
use symbolon_store::{
    Client, ClientEndpoint, Event, IdpStore, KeyStatus, Mapper, MapperSource, Realm, RealmKey,
    Secret, StoreError, User,
};
use time::OffsetDateTime;

/// The jobs the IdP schedules (see `symbolon_web::jobs`).
pub const JOBS: [&str; 1] = ["idp:purge-state"];

/// Why an operation failed. Messages are safe to show to an administrator.
#[derive(Debug, thiserror::Error)]
pub enum IdpError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("realm {0:?} not found")]
    NoRealm(String),
    #[error("{0}")]
    Invalid(String),
    /// The change collides with what exists (a name taken).
    #[error("{0}")]
    Conflict(String),
    #[error("metadata: {0}")]
    Metadata(#[from] symbolon_saml::MetadataError),
    #[error("key generation or signing failed: {0}")]
    Crypto(String),
    #[error(transparent)]
    Busy(#[from] hashing::Busy),
}

impl symbolon_store::Classify for IdpError {
    fn kind(&self) -> symbolon_store::ErrorKind {
        use symbolon_store::ErrorKind;
        match self {
            IdpError::Store(e) => e.kind(),
            IdpError::NoRealm(_) => ErrorKind::NotFound,
            IdpError::Invalid(_) | IdpError::Metadata(_) => ErrorKind::Invalid,
            IdpError::Conflict(_) => ErrorKind::Conflict,
            IdpError::Crypto(_) => ErrorKind::Internal,
            IdpError::Busy(_) => ErrorKind::Unavailable,
        }
    }
}

impl From<symbolon_secret::SecretError> for IdpError {
    fn from(e: symbolon_secret::SecretError) -> Self {
        match e {
            symbolon_secret::SecretError::PasswordTooShort => IdpError::Invalid(e.to_string()),
            symbolon_secret::SecretError::Crypto(m) => IdpError::Crypto(m),
        }
    }
}

pub type Result<T> = std::result::Result<T, IdpError>;

/// Who did it (for events): `cli`, an admin's username...
#[derive(Debug, Clone)]
pub struct Actor(pub String);

async fn audit<S: IdpStore>(
    store: &S,
    realm: &str,
    actor: &Actor,
    client: Option<&str>,
    detail: String,
    now: OffsetDateTime,
) -> Result<()> {
    store
        .record(&Event {
            realm: realm.into(),
            at: now,
            kind: "ADMIN".into(),
            actor: Some(actor.0.clone()),
            client_id: client.map(str::to_string),
            detail,
        })
        .await?;
    Ok(())
}

fn valid_name(s: &str, what: &str) -> Result<()> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(IdpError::Invalid(format!(
            "{what} {s:?} must be 1-64 characters of letters, digits, '-', '_' or '.'"
        )))
    }
}

pub use symbolon_secret::{KeyAlgorithm, hashing, random_hex, verify_password};

/// Generate a key pair and a self-signed certificate (valid three years).
pub fn generate_key(
    alg: KeyAlgorithm,
    common_name: &str,
    now: OffsetDateTime,
) -> Result<(Secret, Vec<u8>)> {
    let (pem, der) = symbolon_secret::generate_key(alg, common_name, now)?;
    Ok((Secret(pem), der))
}

/// Stored times have whole-second precision; records are created with it so that a record
/// returned by a call equals the one read back later.
fn second(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

fn kid(der: &[u8]) -> String {
    let d = symbolon_dsig::sha256(der);
    d.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// A freshly generated realm key in the given rollover state.
fn new_key(
    realm: &str,
    status: KeyStatus,
    alg: KeyAlgorithm,
    now: OffsetDateTime,
) -> Result<RealmKey> {
    let (pem, der) = generate_key(alg, &format!("{realm} realm signing key"), now)?;
    Ok(RealmKey {
        kid: kid(&der),
        realm: realm.into(),
        status,
        algorithm: alg.as_str().into(),
        private_key_pem: pem,
        certificate_der: der,
        created_at: now,
    })
}

async fn realm_or_404<S: IdpStore>(store: &S, realm: &str) -> Result<Realm> {
    store
        .realm(realm)
        .await?
        .ok_or_else(|| IdpError::NoRealm(realm.to_string()))
}

/// Create a realm with an active signing key.
pub async fn create_realm<S: IdpStore>(
    store: &S,
    actor: &Actor,
    name: &str,
    display_name: Option<&str>,
    alg: KeyAlgorithm,
    now: OffsetDateTime,
) -> Result<Realm> {
    valid_name(name, "realm name")?;
    if store.realm(name).await?.is_some() {
        return Err(IdpError::Conflict(format!("realm {name:?} already exists")));
    }
    let now = second(now);
    let realm = Realm {
        name: name.into(),
        display_name: display_name.unwrap_or(name).into(),
        enabled: true,
        assertion_lifespan_secs: 300,
        created_at: now,
    };
    let key = new_key(name, KeyStatus::Active, alg, now)?;
    store.create_realm(&realm).await?;
    store.add_key(&key).await?;
    audit(
        store,
        name,
        actor,
        None,
        format!("created realm {name} with an active {} key", alg.as_str()),
        now,
    )
    .await?;
    Ok(realm)
}

/// Rollover step 1: add a *next* key (published, not signing). Returns its kid.
pub async fn add_next_key<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    alg: KeyAlgorithm,
    now: OffsetDateTime,
) -> Result<String> {
    realm_or_404(store, realm).await?;
    let now = second(now);
    let key = new_key(realm, KeyStatus::Next, alg, now)?;
    let id = key.kid.clone();
    store.add_key(&key).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("added next key {id}"),
        now,
    )
    .await?;
    Ok(id)
}

/// Rollover step 2: the key signs from now on; the previous active key stays published as passive.
pub async fn promote_key<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    kid: &str,
    now: OffsetDateTime,
) -> Result<()> {
    realm_or_404(store, realm).await?;
    store.promote_key(realm, kid).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("promoted key {kid} to active"),
        now,
    )
    .await
}

/// Rollover step 3: a passive (or unused next) key is no longer published.
pub async fn retire_key<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    kid: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let key = store
        .keys(realm)
        .await?
        .into_iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| IdpError::Invalid(format!("no key {kid} in realm {realm}")))?;
    if key.status == KeyStatus::Active {
        return Err(IdpError::Invalid(
            "the active key cannot be retired: promote another key first".into(),
        ));
    }
    store.set_key_status(realm, kid, KeyStatus::Retired).await?;
    audit(store, realm, actor, None, format!("retired key {kid}"), now).await
}

/// The realm's active signing key.
pub async fn active_key<S: IdpStore>(store: &S, realm: &str) -> Result<(RealmKey, SigningKey)> {
    let key = store
        .keys(realm)
        .await?
        .into_iter()
        .find(|k| k.status == KeyStatus::Active)
        .ok_or_else(|| IdpError::Invalid(format!("realm {realm} has no active key")))?;
    let signing = signing_key(&key)?;
    Ok((key, signing))
}

/// A stored realm key, parsed for signing (with its certificate).
pub fn signing_key(key: &RealmKey) -> Result<SigningKey> {
    Ok(SigningKey::from_pem(&key.private_key_pem.0, None)
        .map_err(|e| IdpError::Crypto(e.to_string()))?
        .with_certificate(key.certificate_der.clone()))
}

/// The realm's entity ID.
pub fn entity_id(base_url: &str, realm: &str) -> String {
    format!("{}/realms/{realm}", base_url.trim_end_matches('/'))
}

/// The realm's SAML endpoint (SSO and SLO, Redirect and POST).
pub fn saml_endpoint(base_url: &str, realm: &str) -> String {
    format!(
        "{}/realms/{realm}/protocol/saml",
        base_url.trim_end_matches('/')
    )
}

/// "SAML 2.0 Identity Provider Metadata": every published key, signed with the active key.
pub async fn descriptor<S: IdpStore>(store: &S, realm: &str, base_url: &str) -> Result<String> {
    realm_or_404(store, realm).await?;
    let keys = store.keys(realm).await?;
    let (_, signing) = active_key(store, realm).await?;
    let sso = saml_endpoint(base_url, realm);
    let both = vec![
        Endpoint {
            binding: BINDING_POST.into(),
            location: sso.clone(),
            response_location: None,
            index: None,
            is_default: None,
        },
        Endpoint {
            binding: BINDING_REDIRECT.into(),
            location: sso.clone(),
            response_location: None,
            index: None,
            is_default: None,
        },
    ];
    let rng = SystemRandom::new();
    let id = symbolon_saml::messages::new_id(&rng).map_err(|e| IdpError::Crypto(e.to_string()))?;
    let params = IdpMetadataParams {
        entity_id: entity_id(base_url, realm),
        id: Some(id.clone()),
        valid_until: None,
        want_authn_requests_signed: false,
        keys: keys
            .iter()
            .filter(|k| k.status.published())
            .map(|k| PublishedKey {
                der: k.certificate_der.clone(),
                key_use: Some("signing"),
            })
            .collect(),
        // No SingleLogoutService until single logout exists: metadata promises only what works.
        single_logout: vec![],
        name_id_formats: vec![
            NAMEID_PERSISTENT.into(),
            NAMEID_TRANSIENT.into(),
            NAMEID_UNSPECIFIED.into(),
            NAMEID_EMAIL.into(),
        ],
        single_sign_on: both,
    };
    let xml = idp_metadata(&params)
        .ok_or_else(|| IdpError::Invalid("metadata values are not valid XML names".into()))?;
    sign_metadata(
        &xml,
        &id,
        &signing,
        &SignOptions::for_key(&signing),
        &rng as &dyn SecureRandom,
    )
    .map_err(|e| IdpError::Crypto(e.to_string()))
}

/// A new user's details.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub attributes: Vec<(String, String)>,
}

/// Argon2id (OWASP parameters: 19 MiB, 2 passes) with a salt from the system RNG.
pub fn hash_password(password: &str) -> Result<String> {
    Ok(symbolon_secret::hash_password(password)?)
}

/// Usernames compare case-insensitively (stored lower-case), as in Keycloak.
pub fn normalize_username(u: &str) -> String {
    u.trim().to_lowercase()
}

pub async fn add_user<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    new: NewUser,
    password: Option<&str>,
    now: OffsetDateTime,
) -> Result<User> {
    realm_or_404(store, realm).await?;
    let username = normalize_username(&new.username);
    if username.is_empty() || username.len() > 255 || username.chars().any(char::is_control) {
        return Err(IdpError::Invalid(
            "the username must be 1-255 printable characters".into(),
        ));
    }
    if store.user_by_username(realm, &username).await?.is_some() {
        return Err(IdpError::Conflict(format!(
            "user {username:?} already exists in realm {realm}"
        )));
    }
    let hash = match password {
        Some(p) => Some(hashing::hash(p).await??),
        None => None,
    };
    let now = second(now);
    let user = User {
        id: uuid::Uuid::new_v4().to_string(),
        realm: realm.into(),
        username: username.clone(),
        email: new
            .email
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty()),
        first_name: new.first_name,
        last_name: new.last_name,
        enabled: true,
        attributes: new.attributes,
        created_at: now,
    };
    store.create_user(&user, hash.as_deref()).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("created user {username}"),
        now,
    )
    .await?;
    Ok(user)
}

pub async fn set_password<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    username: &str,
    password: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let user = store
        .user_by_username(realm, &normalize_username(username))
        .await?
        .ok_or_else(|| IdpError::Invalid(format!("no user {username:?} in realm {realm}")))?;
    let hash = hashing::hash(password).await??;
    store.set_password_hash(realm, &user.id, &hash).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("set the password of {}", user.username),
        now,
    )
    .await
}

/// The realm's sign-in policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthPolicy {
    /// A password (and the second factor when the user has set one up).
    Password,
    /// A password and a second factor, always: users without one are sent to set it up.
    SecondFactor,
    /// A passkey, or a password (and the user's second factor): passkeys are offered and may be
    /// required of a user (required action).
    PasskeyOrPassword,
    /// Passkeys only ("phishing-resistant"): password sign-in is disabled; a user without a
    /// passkey yet signs in with the password only to register one, then signs in with it.
    PasskeyOnly,
}

impl AuthPolicy {
    pub const ALL: [AuthPolicy; 4] = [
        AuthPolicy::Password,
        AuthPolicy::SecondFactor,
        AuthPolicy::PasskeyOrPassword,
        AuthPolicy::PasskeyOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthPolicy::Password => "password",
            AuthPolicy::SecondFactor => "second-factor",
            AuthPolicy::PasskeyOrPassword => "passkey-or-password",
            AuthPolicy::PasskeyOnly => "passkey-only",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            AuthPolicy::Password => "Password (plus the second factor of users who set one up)",
            AuthPolicy::SecondFactor => "Password and a second factor, required",
            AuthPolicy::PasskeyOrPassword => "Passkey or password",
            AuthPolicy::PasskeyOnly => {
                "Passkey only (phishing-resistant; passwords only to register a first passkey)"
            }
        }
    }

    /// Whether passkeys are offered (sign-in, account console, required actions).
    pub fn passkeys(self) -> bool {
        matches!(
            self,
            AuthPolicy::PasskeyOrPassword | AuthPolicy::PasskeyOnly
        )
    }
}

/// The realm's sign-in policy (`Password` for a value this version does not know: the stricter
/// reading would lock everyone out).
pub async fn auth_policy<S: IdpStore>(store: &S, realm: &str) -> Result<AuthPolicy> {
    let p = store.auth_policy(realm).await?;
    Ok(AuthPolicy::parse(&p).unwrap_or(AuthPolicy::Password))
}

pub async fn set_auth_policy<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    policy: AuthPolicy,
    now: OffsetDateTime,
) -> Result<()> {
    realm_or_404(store, realm).await?;
    store.set_auth_policy(realm, policy.as_str()).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("set the sign-in policy to {}", policy.as_str()),
        now,
    )
    .await
}

/// A time as pages show it: RFC 3339 in UTC, to the second.
pub fn utc_text(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub use symbolon_secret::hex_sha256;

/// What a user needs to set up an authenticator app: shown once.
#[derive(Debug)]
pub struct TotpEnrolment {
    /// The `otpauth://` URI (what a QR code carries).
    pub uri: String,
    pub secret_base32: String,
    /// One-time recovery codes; only their SHA-256 is stored.
    pub recovery_codes: Vec<String>,
}

/// Give a user a (new) TOTP second factor and ten recovery codes, replacing any earlier ones.
pub async fn enrol_totp<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    username: &str,
    now: OffsetDateTime,
) -> Result<TotpEnrolment> {
    let r = realm_or_404(store, realm).await?;
    let user = store
        .user_by_username(realm, &normalize_username(username))
        .await?
        .ok_or_else(|| IdpError::Invalid(format!("no user {username:?} in realm {realm}")))?;
    let rng = SystemRandom::new();
    let secret = totp::new_secret(&rng).ok_or_else(|| IdpError::Crypto("no randomness".into()))?;
    let codes =
        totp::recovery_codes(&rng, 10).ok_or_else(|| IdpError::Crypto("no randomness".into()))?;
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| hex_sha256(&totp::normalise_recovery_code(c)))
        .collect();
    let cred = symbolon_store::TotpCredential {
        secret: Secret(totp::to_base32(&secret)),
        last_step: None,
        created_at: now,
    };
    store.set_totp(&user.id, &cred, &hashes).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("enrolled a TOTP second factor for {}", user.username),
        now,
    )
    .await?;
    let account = user.email.clone().unwrap_or_else(|| user.username.clone());
    Ok(TotpEnrolment {
        uri: totp::otpauth_uri(&r.display_name, &account, &secret),
        secret_base32: cred.secret.0,
        recovery_codes: codes,
    })
}

/// Remove a user's TOTP second factor and recovery codes.
pub async fn remove_totp<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    username: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let user = store
        .user_by_username(realm, &normalize_username(username))
        .await?
        .ok_or_else(|| IdpError::Invalid(format!("no user {username:?} in realm {realm}")))?;
    store.remove_totp(&user.id).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("removed the TOTP second factor of {}", user.username),
        now,
    )
    .await
}

/// How a user can sign in, for administrators (never a secret).
#[derive(Debug, Clone)]
pub struct UserMethods {
    pub password: bool,
    /// When the authenticator app was enrolled, if it is.
    pub totp: Option<OffsetDateTime>,
    pub recovery_codes_left: u32,
    pub passkeys: Vec<symbolon_store::PasskeyRecord>,
    /// The user must register a passkey at the next sign-in.
    pub passkey_required: bool,
}

pub async fn user_methods<S: IdpStore>(store: &S, user: &User) -> Result<UserMethods> {
    Ok(UserMethods {
        password: store.password_hash(&user.realm, &user.id).await?.is_some(),
        totp: store.totp(&user.id).await?.map(|t| t.created_at),
        recovery_codes_left: store.recovery_codes_left(&user.id).await?,
        passkeys: store.passkeys(&user.id).await?,
        passkey_required: store
            .required_actions(&user.id)
            .await?
            .iter()
            .any(|a| a == symbolon_store::ACTION_REGISTER_PASSKEY),
    })
}

/// What a credential reset removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reset {
    pub passkeys_removed: u64,
    pub sessions_signed_out: usize,
}

/// Reset a user's sign-in methods besides the password (a lost or stolen device): the
/// authenticator app with its recovery codes, every passkey, and every signed-in session.
pub async fn reset_credentials<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    username: &str,
    now: OffsetDateTime,
) -> Result<Reset> {
    let user = user_or_error(store, realm, username).await?;
    store.remove_totp(&user.id).await?;
    let n = store.remove_passkeys(&user.id).await?;
    let sessions = sessions::sign_out_everywhere(store, &user.id, now).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!(
            "reset the credentials of {} (second factor and {n} passkey(s) removed, {sessions} session(s) signed out)",
            user.username
        ),
        now,
    )
    .await?;
    Ok(Reset {
        passkeys_removed: n,
        sessions_signed_out: sessions,
    })
}

/// Remove one passkey of a user.
pub async fn remove_user_passkey<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    username: &str,
    passkey_id: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let user = user_or_error(store, realm, username).await?;
    match store.remove_passkey(&user.id, passkey_id).await {
        Err(symbolon_store::StoreError::NotFound(..)) => {
            return Err(IdpError::Invalid(format!(
                "{} has no passkey {passkey_id:?}",
                user.username
            )));
        }
        other => other?,
    }
    audit(
        store,
        realm,
        actor,
        None,
        format!("removed the passkey {passkey_id} of {}", user.username),
        now,
    )
    .await
}

/// State kind of one-time passkey registration links (key: SHA-256 of the token).
pub const REGISTRATION_LINK: &str = "idp-registration-link";
/// How long a registration link works.
pub const REGISTRATION_LINK_HOURS: i64 = 24;

/// A one-time link that lets a user register a passkey without a password.
#[derive(Debug, Clone)]
pub struct RegistrationLink {
    pub url: String,
    pub expires: OffsetDateTime,
}

/// Whom a registration link is for (what the state store keeps under the token's hash).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RegistrationLinkFor {
    pub realm: String,
    pub user_id: String,
    /// Unix seconds (to restore the link when a registration attempt fails).
    pub expires: i64,
}

/// Create a one-time link (valid [`REGISTRATION_LINK_HOURS`]) with which the user registers a
/// passkey without signing in: how users without a password get their first passkey, and how
/// a user who lost every device gets a new one. Only the token's SHA-256 is stored; the link is
/// shown once. The realm's policy must use passkeys.
pub async fn create_registration_link<S: IdpStore>(
    store: &S,
    actor: &Actor,
    base_url: &str,
    realm: &str,
    username: &str,
    now: OffsetDateTime,
) -> Result<RegistrationLink> {
    realm_or_404(store, realm).await?;
    if !auth_policy(store, realm).await?.passkeys() {
        return Err(IdpError::Invalid(format!(
            "the sign-in policy of realm {realm} does not use passkeys"
        )));
    }
    let user = user_or_error(store, realm, username).await?;
    if !user.enabled {
        return Err(IdpError::Invalid(format!("{} is disabled", user.username)));
    }
    let token = random_hex().ok_or_else(|| IdpError::Crypto("no randomness".into()))?;
    let expires = now + time::Duration::hours(REGISTRATION_LINK_HOURS);
    let value = serde_json::to_string(&RegistrationLinkFor {
        realm: realm.into(),
        user_id: user.id.clone(),
        expires: expires.unix_timestamp(),
    })
    .map_err(|e| IdpError::Invalid(e.to_string()))?;
    store
        .put_state(REGISTRATION_LINK, &hex_sha256(&token), &value, expires)
        .await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!(
            "created a passkey registration link for {} (valid {REGISTRATION_LINK_HOURS} hours, once)",
            user.username
        ),
        now,
    )
    .await?;
    Ok(RegistrationLink {
        url: format!(
            "{}/realms/{realm}/login-actions/register?token={token}",
            base_url.trim_end_matches('/')
        ),
        expires,
    })
}

/// Require (or stop requiring) that a user register a passkey at the next sign-in.
pub async fn require_passkey<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    username: &str,
    on: bool,
    now: OffsetDateTime,
) -> Result<()> {
    let user = user_or_error(store, realm, username).await?;
    store
        .set_required_action(&user.id, symbolon_store::ACTION_REGISTER_PASSKEY, on)
        .await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!(
            "{} passkey registration at the next sign-in of {}",
            if on { "required" } else { "stopped requiring" },
            user.username
        ),
        now,
    )
    .await
}

/// Clear the possible-clone flag of one of the user's passkeys (an administrator who checked with
/// the user that the authenticator is theirs and not copied). Nothing is logged when the passkey
/// was not flagged.
pub async fn clear_passkey_flag<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    username: &str,
    passkey_id: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let user = user_or_error(store, realm, username).await?;
    let Some(p) = store
        .passkeys(&user.id)
        .await?
        .into_iter()
        .find(|p| p.id == passkey_id)
    else {
        return Err(IdpError::Invalid(format!(
            "{} has no passkey {passkey_id:?}",
            user.username
        )));
    };
    if p.flagged_at.is_none() {
        return Ok(());
    }
    store.clear_passkey_flag(&user.id, passkey_id).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!(
            "cleared the possible-clone flag of passkey {:?} of {}",
            p.name, user.username
        ),
        now,
    )
    .await
}

/// Check a username and password. `None` when either is wrong or the user is disabled (callers
/// do not learn which).
pub async fn check_password<S: IdpStore>(
    store: &S,
    realm: &str,
    username: &str,
    password: &str,
) -> Result<Option<User>> {
    let Some(user) = store
        .user_by_username(realm, &normalize_username(username))
        .await?
    else {
        // Spend the same effort as a real check.
        let _ = hashing::verify(
            password,
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
        .await?;
        return Ok(None);
    };
    let Some(hash) = store.password_hash(realm, &user.id).await? else {
        return Ok(None);
    };
    Ok((user.enabled && hashing::verify(password, &hash).await?).then_some(user))
}

/// Turn SP metadata into a client representation without saving it (Keycloak's
/// client-description-converter), with the metadata's lint findings.
pub fn client_from_metadata(
    realm: &str,
    metadata: &[u8],
    now: OffsetDateTime,
) -> Result<(Client, Vec<Finding>)> {
    let now = second(now);
    let md = parse_metadata_document(metadata)?;
    let mut sps: Vec<_> = md.entities.iter().filter(|e| e.sp.is_some()).collect();
    if sps.len() > 1 {
        sps.retain(|e| e.sp.as_ref().is_some_and(|s| s.is_saml2()));
    }
    let entity = match sps.as_slice() {
        [one] => *one,
        [] => {
            return Err(IdpError::Invalid(
                "the metadata has no SPSSODescriptor".into(),
            ));
        }
        more => {
            return Err(IdpError::Invalid(format!(
                "the metadata describes {} service providers; import one at a time",
                more.len()
            )));
        }
    };
    let sp = entity
        .sp
        .as_ref()
        .ok_or_else(|| IdpError::Invalid("no SPSSODescriptor".into()))?;
    let findings = lint_entity(entity, now);
    let ep = |e: &Endpoint| ClientEndpoint {
        binding: e.binding.clone(),
        location: e.location.clone(),
        index: e.index,
        is_default: e.is_default,
    };
    let supported = [
        NAMEID_EMAIL,
        NAMEID_PERSISTENT,
        NAMEID_TRANSIENT,
        NAMEID_UNSPECIFIED,
    ];
    let name_id_format = sp
        .name_id_formats
        .iter()
        .find(|f| supported.contains(&f.as_str()))
        .cloned()
        .unwrap_or_else(|| NAMEID_UNSPECIFIED.into());
    let mappers = sp
        .requested_attributes
        .iter()
        .map(|r| Mapper {
            name: r.friendly_name.clone().unwrap_or_else(|| r.name.clone()),
            saml_attribute: r.name.clone(),
            name_format: r.name_format.clone(),
            friendly_name: r.friendly_name.clone(),
            source: MapperSource::UserAttribute {
                attribute: r.friendly_name.clone().unwrap_or_else(|| r.name.clone()),
            },
        })
        .collect();
    let client = Client {
        id: uuid::Uuid::new_v4().to_string(),
        realm: realm.into(),
        client_id: entity.entity_id.clone(),
        name: None,
        description: None,
        enabled: true,
        home_url: None,
        idp_initiated_url_name: None,
        idp_initiated_relay_state: None,
        name_id_format,
        sign_documents: true,
        // Assertions are signed too by default (as SimpleSAMLphp and pysaml2 do): SP libraries
        // that insist on a signed assertion (node-saml, pysaml2's want_assertions_signed) then
        // accept it whatever their metadata says. The client setting still switches it off.
        sign_assertions: true,
        signature_algorithm: "rsa-sha256".into(),
        client_signature_required: sp.authn_requests_signed == Some(true),
        assertion_lifespan_secs: None,
        acs: sp.assertion_consumer.iter().map(ep).collect(),
        slo: sp.single_logout.iter().map(ep).collect(),
        signing_certs: sp.signing_certificates().map(<[u8]>::to_vec).collect(),
        mappers,
        restricted: false,
        created_at: now,
    };
    Ok((client, findings))
}

/// "Import a Client" from SP metadata, optionally with an IdP-initiated SSO URL name.
pub async fn import_client<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    metadata: &[u8],
    url_name: Option<&str>,
    now: OffsetDateTime,
) -> Result<(Client, Vec<Finding>)> {
    realm_or_404(store, realm).await?;
    let (mut client, findings) = client_from_metadata(realm, metadata, now)?;
    if let Some(u) = url_name {
        valid_name(u, "IdP-initiated SSO URL name")?;
        if store.client_by_url_name(realm, u).await?.is_some() {
            return Err(IdpError::Conflict(format!(
                "another client already uses the IdP-initiated SSO URL name {u:?}"
            )));
        }
        client.idp_initiated_url_name = Some(u.into());
    }
    if store.client(realm, &client.client_id).await?.is_some() {
        return Err(IdpError::Conflict(format!(
            "client {:?} already exists in realm {realm}",
            client.client_id
        )));
    }
    if !client.acs.iter().any(|a| a.binding == BINDING_POST) {
        return Err(IdpError::Invalid(
            "the SP has no HTTP-POST AssertionConsumerService: Symbolon answers by POST only"
                .into(),
        ));
    }
    store.create_client(&client).await?;
    audit(
        store,
        realm,
        actor,
        Some(&client.client_id),
        format!("imported client {} from metadata", client.client_id),
        now,
    )
    .await?;
    Ok((client, findings))
}

/// Save an edited client (recorded as an admin change).
pub async fn update_client<S: IdpStore>(
    store: &S,
    actor: &Actor,
    client: &Client,
    what: &str,
    now: OffsetDateTime,
) -> Result<()> {
    if let Some(u) = &client.idp_initiated_url_name {
        valid_name(u, "IdP-initiated SSO URL name")?;
        if let Some(other) = store.client_by_url_name(&client.realm, u).await?
            && other.id != client.id
        {
            return Err(IdpError::Conflict(format!(
                "another client already uses the IdP-initiated SSO URL name {u:?}"
            )));
        }
    }
    store.update_client(client).await?;
    audit(
        store,
        &client.realm,
        actor,
        Some(&client.client_id),
        format!("updated client {}: {what}", client.client_id),
        now,
    )
    .await
}

/// A client's ACS endpoints in the SAML core's form.
pub fn client_acs(client: &Client) -> Vec<Endpoint> {
    client
        .acs
        .iter()
        .map(|e| Endpoint {
            binding: e.binding.clone(),
            location: e.location.clone(),
            response_location: None,
            index: e.index,
            is_default: e.is_default,
        })
        .collect()
}

/// The default HTTP-POST ACS location of a client.
pub fn default_post_acs_of(client: &Client) -> Option<String> {
    symbolon_saml::metadata::default_post_acs(&client_acs(client)).map(|e| e.location.clone())
}

/// Create an admin API token. Returns its id and the token itself, shown once; only a SHA-256
/// of it is stored.
pub async fn create_admin_token<S: IdpStore>(
    store: &S,
    name: &str,
    now: OffsetDateTime,
) -> Result<(String, String)> {
    if name.trim().is_empty() || name.len() > 100 {
        return Err(IdpError::Invalid(
            "a token needs a name of 1-100 characters".into(),
        ));
    }
    let token = format!(
        "sym_{}",
        random_hex().ok_or_else(|| IdpError::Crypto("no randomness".into()))?
    );
    let id = uuid::Uuid::new_v4().to_string();
    store
        .create_token(&symbolon_store::AdminToken {
            id: id.clone(),
            name: name.trim().into(),
            token_sha256: hex_sha256(&token),
            created_at: second(now),
            revoked: false,
        })
        .await?;
    Ok((id, token))
}

/// The live token a bearer value names, if any.
pub async fn authenticate_admin_token<S: IdpStore>(
    store: &S,
    presented: &str,
) -> Result<Option<symbolon_store::AdminToken>> {
    if !presented.starts_with("sym_") || presented.len() != 68 {
        return Ok(None);
    }
    Ok(store
        .token_by_hash(&hex_sha256(presented))
        .await?
        .filter(|t| !t.revoked))
}

/// Record an admin change made outside the functions above (e.g. by the REST API).
pub async fn record_admin<S: IdpStore>(
    store: &S,
    realm: &str,
    actor: &Actor,
    client: Option<&str>,
    detail: String,
    now: OffsetDateTime,
) -> Result<()> {
    audit(store, realm, actor, client, detail, now).await
}

/// Normalise and check a group path: `/a/b`, segments of letters, digits, space, `-`, `_`, `.`.
pub fn group_path(path: &str) -> Result<String> {
    let segs: Vec<&str> = path
        .trim()
        .trim_matches('/')
        .split('/')
        .map(str::trim)
        .collect();
    let ok = !segs.is_empty()
        && segs.iter().all(|s| {
            !s.is_empty()
                && s.len() <= 64
                && s.chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
        });
    if !ok {
        return Err(IdpError::Invalid(format!(
            "group path {path:?} must look like /team or /team/sub-team"
        )));
    }
    Ok(format!("/{}", segs.join("/")))
}

/// Create a group (and any missing parent groups). Returns the group.
pub async fn add_group<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    path: &str,
    now: OffsetDateTime,
) -> Result<symbolon_store::Group> {
    realm_or_404(store, realm).await?;
    let path = group_path(path)?;
    let existing = store.groups(realm).await?;
    let mut prefix = String::new();
    let mut last = None;
    for seg in path.trim_start_matches('/').split('/') {
        prefix.push('/');
        prefix.push_str(seg);
        if let Some(g) = existing.iter().find(|g| g.path == prefix) {
            last = Some(g.clone());
            continue;
        }
        let g = symbolon_store::Group {
            id: uuid::Uuid::new_v4().to_string(),
            realm: realm.into(),
            path: prefix.clone(),
        };
        store.create_group(&g).await?;
        audit(
            store,
            realm,
            actor,
            None,
            format!("created group {prefix}"),
            now,
        )
        .await?;
        last = Some(g);
    }
    last.ok_or_else(|| IdpError::Invalid("empty group path".into()))
}

async fn user_or_error<S: IdpStore>(store: &S, realm: &str, username: &str) -> Result<User> {
    store
        .user_by_username(realm, &normalize_username(username))
        .await?
        .ok_or_else(|| IdpError::Invalid(format!("no user {username:?} in realm {realm}")))
}

async fn group_or_error<S: IdpStore>(
    store: &S,
    realm: &str,
    path: &str,
) -> Result<symbolon_store::Group> {
    let path = group_path(path)?;
    store
        .groups(realm)
        .await?
        .into_iter()
        .find(|g| g.path == path)
        .ok_or_else(|| IdpError::Invalid(format!("no group {path} in realm {realm}")))
}

/// Make a user a member of a group.
pub async fn join_group<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    username: &str,
    path: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let user = user_or_error(store, realm, username).await?;
    let group = group_or_error(store, realm, path).await?;
    store.add_member(&user.id, &group.id).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("added {} to group {}", user.username, group.path),
        now,
    )
    .await
}

/// Full paths of the groups a user is a direct member of.
pub async fn user_group_paths<S: IdpStore>(store: &S, user: &User) -> Result<Vec<String>> {
    Ok(store
        .user_groups(&user.id)
        .await?
        .into_iter()
        .map(|g| g.path)
        .collect())
}

/// Who a client is assigned to, as `user:NAME` or `group:/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    User(String),
    Group(String),
}

impl Subject {
    pub fn parse(s: &str) -> Result<Self> {
        match s.split_once(':') {
            Some(("user", u)) if !u.trim().is_empty() => Ok(Subject::User(u.trim().into())),
            Some(("group", g)) => Ok(Subject::Group(group_path(g)?)),
            _ => Err(IdpError::Invalid(format!(
                "{s:?} must be user:NAME or group:/PATH"
            ))),
        }
    }
}

async fn client_or_error<S: IdpStore>(store: &S, realm: &str, client_id: &str) -> Result<Client> {
    store
        .client(realm, client_id)
        .await?
        .ok_or_else(|| IdpError::Invalid(format!("no client {client_id:?} in realm {realm}")))
}

/// Open a client to every user of the realm, or restrict it to assigned users and groups.
pub async fn set_client_restricted<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    client_id: &str,
    restricted: bool,
    now: OffsetDateTime,
) -> Result<()> {
    let mut c = client_or_error(store, realm, client_id).await?;
    c.restricted = restricted;
    update_client(
        store,
        actor,
        &c,
        if restricted {
            "access restricted to assigned users and groups"
        } else {
            "access open to every user of the realm"
        },
        now,
    )
    .await
}

/// Assign a client to a user or a group (or take the assignment away).
pub async fn assign_client<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    client_id: &str,
    who: &Subject,
    grant: bool,
    now: OffsetDateTime,
) -> Result<()> {
    let c = client_or_error(store, realm, client_id).await?;
    let (a, label) = match who {
        Subject::User(u) => {
            let user = user_or_error(store, realm, u).await?;
            (
                symbolon_store::Assignment::User(user.id),
                format!("user {}", user.username),
            )
        }
        Subject::Group(p) => {
            let g = group_or_error(store, realm, p).await?;
            (
                symbolon_store::Assignment::Group(g.id),
                format!("group {}", g.path),
            )
        }
    };
    if grant {
        store.grant(&c.id, &a).await?;
    } else {
        store.revoke(&c.id, &a).await?;
    }
    let verb = if grant {
        "assigned to"
    } else {
        "unassigned from"
    };
    audit(
        store,
        realm,
        actor,
        Some(&c.client_id),
        format!("client {} {verb} {label}", c.client_id),
        now,
    )
    .await
}

/// Whether a user may use a client: open clients admit everyone; restricted ones admit assigned
/// users and members of assigned groups or of their subgroups.
pub async fn may_use<S: IdpStore>(store: &S, client: &Client, user: &User) -> Result<bool> {
    if !client.restricted {
        return Ok(true);
    }
    let assignments = store.assignments(&client.id).await?;
    if assignments
        .iter()
        .any(|a| *a == symbolon_store::Assignment::User(user.id.clone()))
    {
        return Ok(true);
    }
    let groups = store.groups(&client.realm).await?;
    let assigned: Vec<&str> = assignments
        .iter()
        .filter_map(|a| match a {
            symbolon_store::Assignment::Group(id) => {
                groups.iter().find(|g| g.id == *id).map(|g| g.path.as_str())
            }
            symbolon_store::Assignment::User(_) => None,
        })
        .collect();
    let mine = user_group_paths(store, user).await?;
    Ok(mine.iter().any(|p| {
        assigned
            .iter()
            .any(|a| p == a || p.starts_with(&format!("{a}/")))
    }))
}

/// Who can reach a client, for the administrator: `everyone`, or the assigned users and groups.
pub async fn client_access_summary<S: IdpStore>(store: &S, client: &Client) -> Result<Vec<String>> {
    if !client.restricted {
        return Ok(vec!["everyone in the realm".into()]);
    }
    let users = store.users(&client.realm).await?;
    let groups = store.groups(&client.realm).await?;
    Ok(store
        .assignments(&client.id)
        .await?
        .into_iter()
        .map(|a| match a {
            symbolon_store::Assignment::User(id) => format!(
                "user {}",
                users
                    .iter()
                    .find(|u| u.id == id)
                    .map_or(id.as_str(), |u| u.username.as_str())
            ),
            symbolon_store::Assignment::Group(id) => format!(
                "group {} (and subgroups)",
                groups
                    .iter()
                    .find(|g| g.id == id)
                    .map_or(id.as_str(), |g| g.path.as_str())
            ),
        })
        .collect())
}

/// Check a name (realm, URL name): 1-64 letters, digits, '-', '_' or '.'.
pub fn valid_name_pub(s: &str) -> Result<()> {
    valid_name(s, "name")
}

/// Enable or disable a user. A disabled user cannot sign in, and an existing SSO session of
/// theirs is not honoured.
pub async fn set_user_enabled<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    username: &str,
    enabled: bool,
    now: OffsetDateTime,
) -> Result<()> {
    let mut u = user_or_error(store, realm, username).await?;
    u.enabled = enabled;
    store.update_user(&u).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!(
            "{} user {}",
            if enabled { "enabled" } else { "disabled" },
            u.username
        ),
        now,
    )
    .await
}

/// Save an edited user profile (recorded as an admin change).
pub async fn update_user<S: IdpStore>(
    store: &S,
    actor: &Actor,
    user: &User,
    now: OffsetDateTime,
) -> Result<()> {
    store.update_user(user).await?;
    audit(
        store,
        &user.realm,
        actor,
        None,
        format!("updated user {}", user.username),
        now,
    )
    .await
}

/// The persistent pairwise NameID of a user for a client: random and opaque (160 bits), stored
/// the first time and the same ever after; different for every client.
pub async fn persistent_name_id<S: IdpStore>(
    store: &S,
    client: &Client,
    user: &User,
    now: OffsetDateTime,
) -> Result<String> {
    let mut raw = [0u8; 20];
    SystemRandom::new()
        .fill(&mut raw)
        .map_err(|_| IdpError::Crypto("no randomness".into()))?;
    let candidate = format!(
        "_{}",
        raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    Ok(store
        .persistent_id(
            &client.realm,
            &client.client_id,
            &user.id,
            &candidate,
            second(now),
        )
        .await?)
}
