//! Per-client signing keys: a client may sign with a key of its own instead of the realm's,
//! with the realm keys' three-step rollover (add a *next* key, published in the client's
//! descriptor ahead of use; promote it, the previous one staying published as *passive*; retire
//! it). A client without an active key of its own signs with the realm's active key, and so
//! does one whose own active key is retired: retiring it is how a client goes back to the realm
//! key. Removal deletes only a retired or never-used key.
//!
//! What the client's descriptor (`/realms/{realm}/protocol/saml/clients/{name}/descriptor`)
//! publishes: the client's next, active and passive keys; while the client has no active key
//! of its own, the realm's published keys too (they are what it signs with).

use crate::clients::client_or_error;
use crate::common::{Actor, IdpError, Result, audit, second};
use crate::realms::kid;
use symbolon_secret::KeyAlgorithm;
use symbolon_store::{Client, IdpStore, KeyStatus, RealmKey};
use time::OffsetDateTime;

/// Rollover step 1: a new *next* key for the client (published, not signing yet). Returns it.
pub async fn add_client_key<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    client_id: &str,
    alg: KeyAlgorithm,
    now: OffsetDateTime,
) -> Result<RealmKey> {
    let c = client_or_error(store, realm, client_id).await?;
    let now = second(now);
    let (pem, der) = crate::realms::generate_key(
        alg,
        &format!("{realm} signing key for {}", c.client_id),
        now,
    )?;
    let key = RealmKey {
        kid: kid(&der),
        realm: realm.into(),
        status: KeyStatus::Next,
        algorithm: alg.as_str().into(),
        private_key_pem: pem,
        certificate_der: der,
        created_at: now,
    };
    store.add_client_key(&c.id, &key).await?;
    audit(
        store,
        realm,
        actor,
        Some(&c.client_id),
        format!(
            "added next signing key {} ({}) for client {}",
            key.kid,
            alg.as_str(),
            c.client_id
        ),
        now,
    )
    .await?;
    Ok(key)
}

/// The client's keys, oldest first.
pub async fn client_keys<S: IdpStore>(
    store: &S,
    realm: &str,
    client_id: &str,
) -> Result<Vec<RealmKey>> {
    let c = client_or_error(store, realm, client_id).await?;
    Ok(store.client_keys(&c.id).await?)
}

async fn client_key<S: IdpStore>(store: &S, c: &Client, kid: &str) -> Result<RealmKey> {
    store
        .client_keys(&c.id)
        .await?
        .into_iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| IdpError::NotFound(format!("client {} has no key {kid}", c.client_id)))
}

/// Rollover step 2: the key signs this client's messages from now on; the client's previous
/// active key stays published as passive.
pub async fn promote_client_key<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    client_id: &str,
    kid: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let c = client_or_error(store, realm, client_id).await?;
    let k = client_key(store, &c, kid).await?;
    if k.status == KeyStatus::Active {
        return Ok(());
    }
    store.promote_client_key(&c.id, kid).await?;
    audit(
        store,
        realm,
        actor,
        Some(&c.client_id),
        format!(
            "promoted signing key {kid} of client {} to active",
            c.client_id
        ),
        now,
    )
    .await
}

/// Rollover step 3: the key is no longer published. Retiring the active key makes the client
/// sign with the realm's key again.
pub async fn retire_client_key<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    client_id: &str,
    kid: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let c = client_or_error(store, realm, client_id).await?;
    let k = client_key(store, &c, kid).await?;
    if k.status == KeyStatus::Retired {
        return Ok(());
    }
    store
        .set_client_key_status(&c.id, kid, KeyStatus::Retired)
        .await?;
    let detail = if k.status == KeyStatus::Active {
        format!(
            "retired signing key {kid} of client {}: it signs with the realm's key again",
            c.client_id
        )
    } else {
        format!("retired signing key {kid} of client {}", c.client_id)
    };
    audit(store, realm, actor, Some(&c.client_id), detail, now).await
}

/// Delete a retired (or never promoted) key of the client.
pub async fn remove_client_key<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    client_id: &str,
    kid: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let c = client_or_error(store, realm, client_id).await?;
    store.remove_client_key(&c.id, kid).await?;
    audit(
        store,
        realm,
        actor,
        Some(&c.client_id),
        format!("removed signing key {kid} of client {}", c.client_id),
        now,
    )
    .await
}

/// The active key among `keys` (a client's own, or a realm's), if any.
pub fn active_in(keys: &[RealmKey]) -> Option<&RealmKey> {
    keys.iter().find(|k| k.status == KeyStatus::Active)
}

/// The client's own active key, if it has one (else it signs with the realm's).
pub async fn client_active_key<S: IdpStore>(
    store: &S,
    client: &Client,
) -> Result<Option<RealmKey>> {
    Ok(active_in(&store.client_keys(&client.id).await?).cloned())
}

/// The key that signs for `client`: its own active key, else its realm's active key (read from
/// the store; the SAML endpoints use the SSO cache's copy of the same rule).
pub async fn client_signing_key<S: IdpStore>(
    store: &S,
    client: &Client,
) -> Result<Option<RealmKey>> {
    if let Some(k) = client_active_key(store, client).await? {
        return Ok(Some(k));
    }
    Ok(active_in(&store.keys(&client.realm).await?).cloned())
}

/// The keys the client's descriptor publishes (see the module documentation), with the one
/// that signs it first.
pub async fn client_published_keys<S: IdpStore>(
    store: &S,
    client: &Client,
) -> Result<Vec<RealmKey>> {
    let own: Vec<RealmKey> = store
        .client_keys(&client.id)
        .await?
        .into_iter()
        .filter(|k| k.status != KeyStatus::Retired)
        .collect();
    let mut out: Vec<RealmKey> = Vec::new();
    let has_active = own.iter().any(|k| k.status == KeyStatus::Active);
    if !has_active {
        out.extend(
            store
                .keys(&client.realm)
                .await?
                .into_iter()
                .filter(|k| k.status != KeyStatus::Retired),
        );
    }
    out.extend(own);
    // The signing key first.
    out.sort_by_key(|k| k.status != KeyStatus::Active);
    Ok(out)
}
