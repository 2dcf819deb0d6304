//! What every part of the IdP domain shares: its error type (with kinds), the actor of a change
//! and the audit record every admin change leaves.

use symbolon_secret::hashing;
use symbolon_store::{Event, IdpStore, StoreError};
use time::OffsetDateTime;

/// Why an operation failed. Messages are safe to show to an administrator.
#[derive(Debug, thiserror::Error)]
pub enum IdpError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("realm {0:?} not found")]
    NoRealm(String),
    #[error("{0}")]
    Invalid(String),
    /// The object named does not exist (in this realm).
    #[error("{0}")]
    NotFound(String),
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
            IdpError::NotFound(_) => ErrorKind::NotFound,
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

pub(crate) async fn audit<S: IdpStore>(
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
            detail: detail.clone(),
        })
        .await?;
    crate::webhooks::notify(
        store,
        realm,
        "configuration.changed",
        serde_json::json!({ "actor": actor.0, "client": client, "change": detail }),
        now,
    )
    .await;
    Ok(())
}

pub(crate) fn valid_name(s: &str, what: &str) -> Result<()> {
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

/// Stored times have whole-second precision; records are created with it so that a record
/// returned by a call equals the one read back later.
pub(crate) fn second(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

/// A time as pages show it: RFC 3339 in UTC, to the second.
pub fn utc_text(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Check a name (realm, URL name): 1-64 letters, digits, '-', '_' or '.'.
pub fn valid_name_pub(s: &str) -> Result<()> {
    valid_name(s, "name")
}
