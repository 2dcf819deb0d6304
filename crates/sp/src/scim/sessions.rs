//! Which browser sessions a person has in an account, so that provisioning can end them: one
//! index entry per (account, NameID, session), written with the session at sign-in and
//! expiring with it, in the store every instance shares.

use symbolon_store::StateStore;
use symbolon_store::sp::StateWrite;
use time::OffsetDateTime;

/// The state kind of the SP's browser sessions.
pub const SESSION_STATE: &str = "sp-session";

/// The state kind of the index from (account, NameID) to sessions.
pub const USER_SESSIONS: &str = "sp-user-sessions";

/// `|` and `%` escaped, so that one NameID's prefix never reaches another's entries.
fn escape(s: &str) -> String {
    s.to_lowercase().replace('%', "%25").replace('|', "%7C")
}

fn prefix(account_id: &str, name_id: &str) -> String {
    format!("{}|{}|", escape(account_id), escape(name_id))
}

/// The index entries of a new session (one per account it may enter).
pub fn session_index_entries(
    accounts: &[&str],
    name_id: &str,
    session_key: &str,
    expires: OffsetDateTime,
) -> Vec<StateWrite> {
    let mut accounts: Vec<&str> = accounts.to_vec();
    accounts.sort_unstable();
    accounts.dedup();
    accounts
        .into_iter()
        .map(|a| StateWrite {
            kind: USER_SESSIONS.into(),
            key: format!("{}{session_key}", prefix(a, name_id)),
            value: session_key.into(),
            expires,
        })
        .collect()
}

/// End every session of `name_id` that may enter the account (the whole browser session: a
/// person deprovisioned from one account signs in again for the others). Returns how many.
pub async fn end_sessions<S: StateStore>(
    store: &S,
    account_id: &str,
    name_id: &str,
    now: OffsetDateTime,
) -> symbolon_store::Result<usize> {
    let entries = store
        .list_state(USER_SESSIONS, &prefix(account_id, name_id), now)
        .await?;
    let n = entries.len();
    for (key, session) in entries {
        store.delete_state(SESSION_STATE, &session).await?;
        store.delete_state(USER_SESSIONS, &key).await?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_do_not_overlap() {
        let t = OffsetDateTime::UNIX_EPOCH;
        let a = session_index_entries(&["acc"], "a|x", "s1", t);
        assert!(!a[0].key.starts_with(&prefix("acc", "a")));
        assert!(a[0].key.starts_with(&prefix("acc", "A|X")));
        assert_eq!(
            session_index_entries(&["b", "a", "b"], "n", "s", t).len(),
            2
        );
    }
}
