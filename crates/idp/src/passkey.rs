//! Passkeys (WebAuthn discoverable credentials) at the identity provider, on webauthn-rs.
//!
//! Registration (from the account console, or as a required action during a sign-in) and
//! passwordless sign-in with discoverable credentials (a button, or the browser's autofill:
//! conditional UI). The ceremony state is serialised JSON that the HTTP layer keeps in the
//! `StateStore` and *takes* once at the end, so a challenge is answered at most once and any
//! instance can finish a ceremony another began.
//!
//! Checks, each refused with its own [`PasskeyError`]: the origin and RP ID (webauthn-rs), the
//! challenge, user verification (required: a passkey stands for two factors), the credential's
//! owner (the user handle must name the user the credential was registered to, in this realm),
//! the signature, the backup-eligible flag (fixed at registration), and the signature counter:
//! it must move forward, or stay at zero for authenticators without one, and the use is recorded
//! by compare-and-set in the store, so two uses with the same counter cannot both succeed.

use data_encoding::BASE64URL_NOPAD;
use serde_json::Value;
use symbolon_store::{IdpStore, PasskeyRecord, PasskeyUse, StoreError, User};
use time::OffsetDateTime;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};

/// Longest accepted passkey name.
pub const MAX_NAME: usize = 64;
/// Most passkeys a user may have.
pub const MAX_PER_USER: usize = 20;
/// Largest accepted browser response (JSON), before parsing.
pub const MAX_RESPONSE: usize = 64 * 1024;

/// Why a passkey ceremony was refused.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    #[error(
        "passkeys need the identity provider's base URL to name a host (not an IP address): {0}"
    )]
    Unavailable(String),
    #[error("the browser's answer is not a WebAuthn credential: {0}")]
    BadResponse(String),
    #[error("unknown passkey (no such credential is registered in this realm)")]
    UnknownCredential,
    #[error("the passkey does not belong to the user it names (user handle mismatch)")]
    WrongUser,
    #[error("the user is disabled")]
    UserDisabled,
    #[error("the request came from another site (origin mismatch)")]
    WrongOrigin,
    #[error("the passkey is for another site (RP ID hash mismatch)")]
    WrongRpId,
    #[error("the answer is for another challenge (expired, replayed, or from another sign-in)")]
    WrongChallenge,
    #[error("user verification (PIN or biometrics) was not performed")]
    UserNotVerified,
    #[error(
        "the authenticator's signature counter did not move forward: a cloned or replayed credential"
    )]
    CounterNotForward,
    #[error(
        "this passkey is suspended: an earlier use showed a signature counter that did not move forward (a possible clone); the user or an administrator must clear the flag"
    )]
    Flagged,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("this passkey is registered already")]
    AlreadyRegistered,
    #[error("a user may have at most {MAX_PER_USER} passkeys")]
    TooMany,
    #[error("{0}")]
    BadName(&'static str),
    #[error("refused by WebAuthn: {0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PasskeyError {
    /// A short code for events and tests.
    pub fn code(&self) -> &'static str {
        match self {
            PasskeyError::Unavailable(_) => "unavailable",
            PasskeyError::BadResponse(_) => "bad-response",
            PasskeyError::UnknownCredential => "unknown-credential",
            PasskeyError::WrongUser => "wrong-user",
            PasskeyError::UserDisabled => "user-disabled",
            PasskeyError::WrongOrigin => "wrong-origin",
            PasskeyError::WrongRpId => "wrong-rp-id",
            PasskeyError::WrongChallenge => "wrong-challenge",
            PasskeyError::UserNotVerified => "user-not-verified",
            PasskeyError::CounterNotForward => "counter-not-forward",
            PasskeyError::Flagged => "flagged",
            PasskeyError::BadSignature => "bad-signature",
            PasskeyError::AlreadyRegistered => "already-registered",
            PasskeyError::TooMany => "too-many",
            PasskeyError::BadName(_) => "bad-name",
            PasskeyError::Refused(_) => "refused",
            PasskeyError::Store(_) => "store",
        }
    }
}

fn refused(e: WebauthnError) -> PasskeyError {
    match e {
        WebauthnError::InvalidRPOrigin => PasskeyError::WrongOrigin,
        WebauthnError::InvalidRPIDHash => PasskeyError::WrongRpId,
        WebauthnError::MismatchedChallenge => PasskeyError::WrongChallenge,
        WebauthnError::UserNotVerified => PasskeyError::UserNotVerified,
        WebauthnError::CredentialPossibleCompromise => PasskeyError::CounterNotForward,
        WebauthnError::CredentialNotFound => PasskeyError::UnknownCredential,
        WebauthnError::AuthenticationFailure => PasskeyError::BadSignature,
        other => PasskeyError::Refused(format!("{other:?}")),
    }
}

/// The relying party: this identity provider, named by its base URL's host.
#[derive(Debug, Clone)]
pub struct RelyingParty {
    webauthn: Webauthn,
    rp_id: String,
}

/// A passkey sign-in that verified: the user, the passkey used (as it is now).
#[derive(Debug, Clone)]
pub struct PasskeySignIn {
    pub user: User,
    pub passkey: PasskeyRecord,
}

/// What a finished ceremony start gives: options for the browser (JSON) and the state to keep
/// server-side (JSON) until the browser answers.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub options: String,
    pub state: String,
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, PasskeyError> {
    serde_json::to_string(v).map_err(|e| PasskeyError::Refused(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Result<T, PasskeyError> {
    if json.len() > MAX_RESPONSE {
        return Err(PasskeyError::BadResponse(format!("{what} is too large")));
    }
    serde_json::from_str(json).map_err(|e| PasskeyError::BadResponse(format!("{what}: {e}")))
}

/// The user handle WebAuthn stores on the authenticator: the user's ID (a UUID).
fn user_handle(user: &User) -> Result<Uuid, PasskeyError> {
    Uuid::parse_str(&user.id)
        .map_err(|_| PasskeyError::Refused("the user's ID is not a UUID".into()))
}

/// Check a passkey name: trimmed, 1 to [`MAX_NAME`] characters, no control characters.
pub fn check_name(name: &str) -> Result<String, PasskeyError> {
    let n = name.trim();
    if n.is_empty() {
        return Err(PasskeyError::BadName("Give the passkey a name."));
    }
    if n.chars().count() > MAX_NAME {
        return Err(PasskeyError::BadName(
            "The name is too long (64 characters at most).",
        ));
    }
    if n.chars().any(char::is_control) {
        return Err(PasskeyError::BadName("The name has control characters."));
    }
    Ok(n.to_string())
}

impl RelyingParty {
    /// The relying party for a base URL such as `https://idp.example.com` (RP ID
    /// `idp.example.com`, that origin only). A base URL naming an IP address has no RP ID.
    pub fn new(base_url: &str, name: &str) -> Result<Self, PasskeyError> {
        let url = Url::parse(base_url).map_err(|e| PasskeyError::Unavailable(e.to_string()))?;
        let rp_id = url
            .domain()
            .ok_or_else(|| PasskeyError::Unavailable(base_url.to_string()))?
            .to_string();
        let origin = Url::parse(&url.origin().ascii_serialization())
            .map_err(|e| PasskeyError::Unavailable(e.to_string()))?;
        let webauthn = WebauthnBuilder::new(&rp_id, &origin)
            .and_then(|b| b.rp_name(name).build())
            .map_err(|e| PasskeyError::Unavailable(format!("{e:?}")))?;
        Ok(RelyingParty { webauthn, rp_id })
    }

    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// Start registering a passkey for `user`, excluding the credentials they have already. The
    /// options ask for a discoverable credential (a passkey signs in without a username) and
    /// user verification.
    pub fn start_registration(
        &self,
        user: &User,
        existing: &[PasskeyRecord],
    ) -> Result<Challenge, PasskeyError> {
        let exclude: Vec<_> = existing
            .iter()
            .filter_map(|p| BASE64URL_NOPAD.decode(p.credential_id.as_bytes()).ok())
            .collect();
        let display = match (&user.first_name, &user.last_name) {
            (Some(f), Some(l)) => format!("{f} {l}"),
            (Some(f), None) => f.clone(),
            _ => user.email.clone().unwrap_or_else(|| user.username.clone()),
        };
        let (ccr, state) = self
            .webauthn
            .start_passkey_registration(
                user_handle(user)?,
                &user.username,
                &display,
                (!exclude.is_empty()).then_some(exclude),
            )
            .map_err(refused)?;
        // A passkey must be discoverable: ask for a resident key (the finish does not depend on
        // this request; it is what makes username-less sign-in possible).
        let mut options =
            serde_json::to_value(&ccr).map_err(|e| PasskeyError::Refused(e.to_string()))?;
        if let Some(sel) = options
            .pointer_mut("/publicKey/authenticatorSelection")
            .and_then(Value::as_object_mut)
        {
            sel.insert("residentKey".into(), Value::from("required"));
            sel.insert("requireResidentKey".into(), Value::from(true));
        }
        Ok(Challenge {
            options: to_json(&options)?,
            state: to_json(&state)?,
        })
    }

    /// Finish a registration: the browser's answer against the kept state. Returns the record
    /// to store (not stored here); `id` is Symbolon's ID for it.
    pub fn finish_registration(
        &self,
        user: &User,
        response: &str,
        state: &str,
        name: &str,
        id: String,
        now: OffsetDateTime,
    ) -> Result<PasskeyRecord, PasskeyError> {
        let name = check_name(name)?;
        let reg: RegisterPublicKeyCredential = parse(response, "the registration")?;
        let state: PasskeyRegistration = parse(state, "the registration state")?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&reg, &state)
            .map_err(refused)?;
        let json =
            serde_json::to_value(&passkey).map_err(|e| PasskeyError::Refused(e.to_string()))?;
        let flag = |k: &str| {
            json.pointer(&format!("/cred/{k}"))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        let counter = json
            .pointer("/cred/counter")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0);
        Ok(PasskeyRecord {
            id,
            user_id: user.id.clone(),
            credential_id: BASE64URL_NOPAD.encode(passkey.cred_id().as_ref()),
            name,
            passkey: to_json(&passkey)?,
            sign_count: counter,
            backup_eligible: flag("backup_eligible"),
            backup_state: flag("backup_state"),
            created_at: now,
            last_used: None,
            flagged_at: None,
        })
    }

    /// Start a discoverable sign-in (the browser offers the passkeys it has for this site).
    pub fn start_sign_in(&self) -> Result<Challenge, PasskeyError> {
        let (rcr, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(refused)?;
        Ok(Challenge {
            options: to_json(&rcr)?,
            state: to_json(&state)?,
        })
    }

    /// Finish a discoverable sign-in in `realm`: find the credential, check that the user
    /// handle names its owner, verify the assertion against the kept state, and record the use
    /// (counter forward only, atomically). The state must have been taken from the store by
    /// the caller, so that it is used once.
    pub async fn finish_sign_in<S: IdpStore>(
        &self,
        store: &S,
        realm: &str,
        response: &str,
        state: &str,
        now: OffsetDateTime,
    ) -> Result<PasskeySignIn, PasskeyError> {
        let cred: PublicKeyCredential = parse(response, "the sign-in")?;
        let state: DiscoverableAuthentication = parse(state, "the sign-in state")?;
        let (handle, raw_id) = self
            .webauthn
            .identify_discoverable_authentication(&cred)
            .map_err(|_| PasskeyError::WrongUser)?;
        let credential_id = BASE64URL_NOPAD.encode(raw_id);
        let record = store
            .passkey_by_credential_id(&credential_id)
            .await?
            .ok_or(PasskeyError::UnknownCredential)?;
        let user = store
            .user_by_id(realm, &record.user_id)
            .await?
            .ok_or(PasskeyError::UnknownCredential)?;
        if user_handle(&user)? != handle {
            return Err(PasskeyError::WrongUser);
        }
        if !user.enabled {
            return Err(PasskeyError::UserDisabled);
        }
        let mut passkey: Passkey = parse(&record.passkey, "the stored passkey")?;
        let result = match self
            .webauthn
            .finish_discoverable_authentication_v2(&cred, state, &passkey)
            .map_err(refused)
        {
            Ok(r) => r,
            Err(PasskeyError::CounterNotForward) => {
                // A clone (or a replay): refused now and from now on, until the flag is cleared.
                store.flag_passkey(&record.id, now).await?;
                return Err(PasskeyError::CounterNotForward);
            }
            Err(e) => return Err(e),
        };
        // Genuine and fresh, but suspended since a use that looked like a clone.
        if record.flagged_at.is_some() {
            return Err(PasskeyError::Flagged);
        }
        // webauthn-rs has checked user verification (required), that the backup-eligible flag
        // is unchanged, and that the counter moved forward against the stored credential; the
        // MFA claim rests on the first, so it is asserted here too. The store's compare-and-set
        // below decides between concurrent uses of the same counter (on any instance).
        if !result.user_verified() {
            return Err(PasskeyError::UserNotVerified);
        }
        let counter = result.counter();
        passkey.update_credential(&result);
        let json = to_json(&passkey)?;
        let recorded = store
            .use_passkey(
                &record.id,
                &PasskeyUse {
                    passkey: &json,
                    sign_count: counter,
                    backup_state: result.backup_state(),
                    at: now,
                },
            )
            .await?;
        if !recorded {
            store.flag_passkey(&record.id, now).await?;
            return Err(PasskeyError::CounterNotForward);
        }
        Ok(PasskeySignIn {
            user,
            passkey: PasskeyRecord {
                passkey: json,
                sign_count: counter,
                backup_state: result.backup_state(),
                last_used: Some(now),
                ..record
            },
        })
    }

    /// Finish a registration and store the passkey: the browser's answer against the state the
    /// caller took from the store (`None`: it was used or expired), then [`add_passkey`]; the
    /// user's `register-passkey` required action is done.
    pub async fn register<S: IdpStore>(
        &self,
        store: &S,
        user: &User,
        response: &str,
        state: Option<String>,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<PasskeyRecord, PasskeyError> {
        let state = state.ok_or(PasskeyError::WrongChallenge)?;
        let id = Uuid::new_v4().to_string();
        let rec = self.finish_registration(user, response, &state, name, id, now)?;
        add_passkey(store, &rec).await?;
        store
            .set_required_action(&user.id, symbolon_store::ACTION_REGISTER_PASSKEY, false)
            .await?;
        Ok(rec)
    }
}

/// Register a finished passkey for the user: at most [`MAX_PER_USER`], a credential ID never
/// registered before (to anyone).
pub async fn add_passkey<S: IdpStore>(
    store: &S,
    record: &PasskeyRecord,
) -> Result<(), PasskeyError> {
    if store.passkeys(&record.user_id).await?.len() >= MAX_PER_USER {
        return Err(PasskeyError::TooMany);
    }
    match store.add_passkey(record).await {
        Err(StoreError::Conflict(..)) => Err(PasskeyError::AlreadyRegistered),
        other => Ok(other?),
    }
}
