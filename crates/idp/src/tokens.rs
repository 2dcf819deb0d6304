//! Admin API tokens (stored as SHA-256) and the record of an admin change.

use crate::common::{Actor, IdpError, Result, audit, second};
use symbolon_secret::hex_sha256;
use symbolon_secret::random_hex;
use symbolon_store::IdpStore;
use time::OffsetDateTime;

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
