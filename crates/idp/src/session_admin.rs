//! The administrators' view of SSO sessions: a realm's live sessions (user, started, last used,
//! clients reached), and revoking one session or all of a user's. Revocations are `ADMIN`
//! events; session IDs are never shown (a [`sessions::session_handle`] stands for each).

use crate::common::{Actor, IdpError, Result, audit};
use crate::realms::realm_or_404;
use crate::sessions::{self, SSO_SESSION, SessionView, USER_SESSION};
use crate::users::user_or_error;
use symbolon_store::IdpStore;
use time::OffsetDateTime;

/// The realm's live SSO sessions, newest first; of one user when `username` is given.
pub async fn list_sessions<S: IdpStore>(
    store: &S,
    realm: &str,
    username: Option<&str>,
    now: OffsetDateTime,
) -> Result<Vec<SessionView>> {
    realm_or_404(store, realm).await?;
    let user_id = match username {
        Some(u) => Some(user_or_error(store, realm, u).await?.id),
        None => None,
    };
    Ok(
        sessions::realm_sessions(store, realm, user_id.as_deref(), now)
            .await?
            .into_iter()
            .map(|(v, _, _)| v)
            .collect(),
    )
}

/// End one SSO session of the realm, named by its handle. Returns it.
pub async fn revoke_session<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    handle: &str,
    now: OffsetDateTime,
) -> Result<SessionView> {
    realm_or_404(store, realm).await?;
    let found = sessions::realm_sessions(store, realm, None, now)
        .await?
        .into_iter()
        .find(|(v, _, _)| symbolon_secret::secret_eq(&v.handle, handle.trim()));
    let Some((view, key, id)) = found else {
        return Err(IdpError::NotFound(format!(
            "no live session {:?} in realm {realm}",
            handle.trim()
        )));
    };
    let ending = crate::backchannel::ending(store, &id, &key).await?;
    store.delete_state(SSO_SESSION, &id).await?;
    store.delete_state(USER_SESSION, &key).await?;
    // Its clients are told over the back channel (where they take it).
    if let Some((s, e)) = ending {
        crate::backchannel::queue_notices(store, &s, &e, now).await?;
    }
    audit(
        store,
        realm,
        actor,
        None,
        format!(
            "signed out a session of {} (started {})",
            view.username,
            crate::common::utc_text(view.started)
        ),
        now,
    )
    .await?;
    Ok(view)
}

/// End every SSO session of a user. Returns how many ended (nothing is recorded for none).
pub async fn revoke_user_sessions<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    username: &str,
    now: OffsetDateTime,
) -> Result<usize> {
    let u = user_or_error(store, realm, username).await?;
    let n = sessions::sign_out_everywhere(store, &u.id, now).await?;
    if n > 0 {
        audit(
            store,
            realm,
            actor,
            None,
            format!("signed out all {n} session(s) of {}", u.username),
            now,
        )
        .await?;
    }
    Ok(n)
}
