//! Admin API tokens (stored as SHA-256) and the record of an admin change.

use crate::common::{Actor, IdpError, Result, audit, second};
use symbolon_secret::hex_sha256;
use symbolon_secret::random_hex;
use symbolon_store::IdpStore;
use time::OffsetDateTime;

/// Where changes to admin tokens (which are not a realm's) are recorded: the master realm's
/// admin events, as Keycloak records its administrators' changes.
pub const TOKEN_EVENTS_REALM: &str = "master";

/// Create an admin API token (recorded as an admin event of [`TOKEN_EVENTS_REALM`]). Returns
/// its id and the token itself, shown once; only a SHA-256 of it is stored.
pub async fn create_admin_token<S: IdpStore>(
    store: &S,
    actor: &Actor,
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
    audit(
        store,
        TOKEN_EVENTS_REALM,
        actor,
        None,
        format!("created admin token {:?} ({id})", name.trim()),
        second(now),
    )
    .await?;
    Ok((id, token))
}

/// Every admin token, live and revoked, oldest first (never the token itself: only its hash is
/// kept).
pub async fn admin_tokens<S: IdpStore>(store: &S) -> Result<Vec<symbolon_store::AdminToken>> {
    let mut t = store.tokens().await?;
    t.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    Ok(t)
}

/// Revoke an admin token at once (every call with it is refused from now on). Revoking a revoked
/// token changes nothing and records nothing; an unknown id is `NotFound`. Returns the token.
pub async fn revoke_admin_token<S: IdpStore>(
    store: &S,
    actor: &Actor,
    id: &str,
    now: OffsetDateTime,
) -> Result<symbolon_store::AdminToken> {
    let Some(t) = store.tokens().await?.into_iter().find(|t| t.id == id) else {
        return Err(IdpError::NotFound(format!(
            "there is no admin token {id:?}"
        )));
    };
    if t.revoked {
        return Ok(t);
    }
    store.revoke_token(id).await?;
    audit(
        store,
        TOKEN_EVENTS_REALM,
        actor,
        None,
        format!("revoked admin token {:?} ({id})", t.name),
        second(now),
    )
    .await?;
    Ok(symbolon_store::AdminToken { revoked: true, ..t })
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
