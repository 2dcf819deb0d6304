//! Back-channel single logout (SOAP binding, SAML profiles 4.4.3.1): when an SSO session ends
//! without its browser (an administrator revokes it, or every session of a user ends after a
//! credential reset or a removal), each client the session reached is told, by the server,
//! with a signed LogoutRequest to the SOAP logout endpoint it publishes.
//!
//! Ending a session queues one notice per client in the store ([`LOGOUT_NOTICE`]); the
//! `idp:backchannel-logout` job of any instance sends them (HTTP is not this crate's), a few
//! attempts each, and records every outcome as a `LOGOUT` event of the realm: confirmed, not
//! confirmed, failed, or no back channel (that client may keep its own session).

use serde::{Deserialize, Serialize};
use symbolon_store::{StateStore, StoreError};
use time::{Duration, OffsetDateTime};

use crate::sessions::{SsoSession, UserSession, get_state, put_state, session_handle};

/// State kind of a notice waiting to be sent.
pub const LOGOUT_NOTICE: &str = "idp-logout-notice";
/// A notice not sent within this long is dropped.
pub const NOTICE_LIFETIME: Duration = Duration::hours(1);
/// Attempts per notice (the job runs every few seconds).
pub const MAX_ATTEMPTS: u32 = 3;
/// Notices sent per job run.
pub const BATCH: usize = 100;

/// One client to tell that a session ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutNotice {
    pub realm: String,
    pub username: String,
    /// The client's entity ID.
    pub client_id: String,
    /// The NameID (and format) this client was given.
    pub name_id: String,
    pub format: Option<String>,
    pub session_index: String,
    #[serde(default)]
    pub attempts: u32,
}

/// Queue a notice for every client `entry` says the session reached.
pub async fn queue_notices<S: StateStore>(
    store: &S,
    session: &SsoSession,
    entry: &UserSession,
    now: OffsetDateTime,
) -> Result<usize, StoreError> {
    let handle = session_handle(&session.id);
    for client in &entry.clients {
        let (name_id, format) = entry
            .name_ids
            .get(client)
            .cloned()
            .unwrap_or_else(|| (session.username.clone(), None));
        let notice = LogoutNotice {
            realm: session.realm.clone(),
            username: session.username.clone(),
            client_id: client.clone(),
            name_id,
            format,
            session_index: session.session_index.clone(),
            attempts: 0,
        };
        put_state(
            store,
            LOGOUT_NOTICE,
            &format!("{handle}|{client}"),
            &notice,
            now + NOTICE_LIFETIME,
        )
        .await?;
    }
    Ok(entry.clients.len())
}

/// The session (`SSO_SESSION` under `id`) and its index entry, read before they are deleted, so
/// that its clients can be told.
pub async fn ending<S: StateStore>(
    store: &S,
    session_id: &str,
    index_key: &str,
) -> Result<Option<(SsoSession, UserSession)>, StoreError> {
    let s: Option<SsoSession> = get_state(store, crate::sessions::SSO_SESSION, session_id).await?;
    let e: Option<UserSession> = get_state(store, crate::sessions::USER_SESSION, index_key).await?;
    Ok(s.zip(e).map(|(mut s, e)| {
        if s.id.is_empty() {
            s.id = session_id.to_string();
        }
        (s, e)
    }))
}

/// Notices due now, each taken (so that two instances never send the same one), at most
/// [`BATCH`].
pub async fn take_due<S: StateStore>(
    store: &S,
    now: OffsetDateTime,
) -> Result<Vec<(String, LogoutNotice)>, StoreError> {
    let mut out = Vec::new();
    for (key, _) in store.list_state(LOGOUT_NOTICE, "", now).await? {
        if out.len() >= BATCH {
            break;
        }
        if let Some(v) = store.take_state(LOGOUT_NOTICE, &key, now).await?
            && let Ok(n) = serde_json::from_str::<LogoutNotice>(&v)
        {
            out.push((key, n));
        }
    }
    Ok(out)
}

/// Put a notice back for another attempt; `false` when it has had its attempts.
pub async fn retry<S: StateStore>(
    store: &S,
    key: &str,
    mut notice: LogoutNotice,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    notice.attempts = notice.attempts.saturating_add(1);
    if notice.attempts >= MAX_ATTEMPTS {
        return Ok(false);
    }
    put_state(store, LOGOUT_NOTICE, key, &notice, now + NOTICE_LIFETIME).await?;
    Ok(true)
}
