//! Users and their credentials: passwords, authenticator apps with recovery codes, passkeys,
//! credential resets and registration links.

use crate::common::{Actor, IdpError, Result, audit, second};
use crate::realms::{auth_policy, realm_or_404};
use crate::{sessions, totp};
use symbolon_dsig::SystemRandom;
use symbolon_secret::hex_sha256;
use symbolon_secret::{hashing, random_hex};
use symbolon_store::{IdpStore, Secret, User};
use time::OffsetDateTime;

/// A new user's details.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub attributes: Vec<(String, String)>,
}

/// Argon2id (12 MiB, 3 passes: see `symbolon_secret::ARGON2_M_KIB`) with a salt from the system RNG.
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
    crate::webhooks::notify(
        store,
        realm,
        "user.created",
        serde_json::json!({ "id": user.id, "username": user.username, "email": user.email }),
        now,
    )
    .await;
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
        .ok_or_else(|| IdpError::NotFound(format!("no user {username:?} in realm {realm}")))?;
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
        .ok_or_else(|| IdpError::NotFound(format!("no user {username:?} in realm {realm}")))?;
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
        .ok_or_else(|| IdpError::NotFound(format!("no user {username:?} in realm {realm}")))?;
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
        let _ = hashing::verify(password, symbolon_secret::DUMMY_HASH).await?;
        return Ok(None);
    };
    let Some(hash) = store.password_hash(realm, &user.id).await? else {
        return Ok(None);
    };
    if !user.enabled {
        return Ok(None);
    }
    let checked = hashing::verify_upgrading(password, &hash).await?;
    if !checked.ok {
        return Ok(None);
    }
    // A hash made with older parameters is replaced now that the password is known (best
    // effort: the sign-in stands whether or not the new hash could be stored).
    if let Some(new) = checked.upgraded {
        let _ = store.set_password_hash(realm, &user.id, &new).await;
    }
    Ok(Some(user))
}

pub(crate) async fn user_or_error<S: IdpStore>(
    store: &S,
    realm: &str,
    username: &str,
) -> Result<User> {
    store
        .user_by_username(realm, &normalize_username(username))
        .await?
        .ok_or_else(|| IdpError::NotFound(format!("no user {username:?} in realm {realm}")))
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
    let Some(before) = store.user_by_id(&user.realm, &user.id).await? else {
        return Err(IdpError::NotFound(format!(
            "no user {:?} in realm {}",
            user.username, user.realm
        )));
    };
    if before == *user {
        // Saved unchanged: nothing to record.
        return Ok(());
    }
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut changes = Vec::new();
    for (what, a, b) in [
        ("email", o(&before.email), o(&user.email)),
        ("first name", o(&before.first_name), o(&user.first_name)),
        ("last name", o(&before.last_name), o(&user.last_name)),
    ] {
        if a != b {
            changes.push(format!("{what} {a:?} -> {b:?}"));
        }
    }
    if before.enabled != user.enabled {
        changes.push(format!("enabled {} -> {}", before.enabled, user.enabled));
    }
    if before.attributes != user.attributes {
        changes.push("attributes".to_string());
    }
    store.update_user(user).await?;
    audit(
        store,
        &user.realm,
        actor,
        None,
        format!("updated user {}: {}", user.username, changes.join(", ")),
        now,
    )
    .await
}
