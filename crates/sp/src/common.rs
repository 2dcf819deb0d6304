//! What every part of the SP domain shares: its error type (with kinds), the actor of a change
//! (an audit principal URN) and the audit record.

use symbolon_store::StoreError;
use symbolon_store::sp::{AuditEntry, SpStore};
use time::OffsetDateTime;

/// Why an operation failed. Messages are safe to show to an administrator.
#[derive(Debug, thiserror::Error)]
pub enum SpError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
    /// The object named does not exist (in this account).
    #[error("{0}")]
    NotFound(String),
    /// The change collides with what exists (a name taken).
    #[error("{0}")]
    Conflict(String),
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("metadata: {0}")]
    Metadata(#[from] symbolon_saml::MetadataError),
    /// A metadata URL could not be used (fetch, signature, validity, lint).
    #[error("{0}")]
    Source(String),
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
            SpError::Invalid(_) | SpError::Metadata(_) | SpError::Source(_) => ErrorKind::Invalid,
            SpError::Conflict(_) => ErrorKind::Conflict,
            SpError::NotFound(_) => ErrorKind::NotFound,
            SpError::Forbidden(_) => ErrorKind::Forbidden,
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

pub use symbolon_store::sp::saml_principal;

/// The principal URN of a native user of an account.
pub fn user_principal(account_id: &str, user_id: &str) -> String {
    format!("urn:symbolon:identity:{account_id}:user/{user_id}")
}

pub(crate) fn second(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

pub(crate) async fn audit<S: SpStore>(
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
            detail: detail.clone(),
        })
        .await?;
    // What the account's webhooks may hear of it.
    let event = match action {
        "Admin" => Some("configuration.changed"),
        "CertificateExpiry" => Some("certificate.expiring"),
        "SignInFailed" => Some("sign-in.failed"),
        _ => None,
    };
    if let Some(event) = event {
        crate::webhooks::notify(
            store,
            account_id,
            event,
            serde_json::json!({ "actor": principal, "detail": detail }),
            now,
        )
        .await;
    }
    Ok(())
}

pub(crate) fn non_empty(what: &str, v: &str, max: usize) -> Result<String> {
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

/// The master role's label.
pub const MASTER_ROLE: &str = "Master Administrator";

/// An account's name (its ID when the account is gone), for pages and pairs.
pub(crate) async fn account_name<S: SpStore>(
    store: &S,
    id: &str,
) -> std::result::Result<String, StoreError> {
    Ok(store
        .account(id)
        .await?
        .map_or_else(|| id.to_string(), |a| a.name))
}
