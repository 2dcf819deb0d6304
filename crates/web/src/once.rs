//! Forms sent once. A form whose answer shows a secret once (a new API token, API key or webhook
//! secret) cannot redirect after the post, because the secret is never stored, not even for the
//! next page. A reload of that answer, or a second click, would post the form again and make a
//! second secret the administrator never meant to make. So such a form carries a one-time
//! submission token: rendering the form keeps it in the shared state store for this session (any
//! instance, an hour), and the post takes it before creating anything. A post whose token is
//! gone, already taken or never issued, creates nothing.

use symbolon_store::StateStore;
use time::OffsetDateTime;

/// The state kind of issued submission tokens.
pub const FORM_ONCE: &str = "form-once";

/// How long a rendered form may wait before it is sent.
pub const VALID_FOR: time::Duration = time::Duration::hours(1);

fn key(session_token: &str, once: &str) -> String {
    symbolon_secret::hex_sha256(&format!("form-once:{session_token}:{once}"))
}

/// A new submission token for a form of this session. If it cannot be kept, the form's post
/// will be refused as already sent, and the page it answers with offers a new one.
pub async fn issue<S: StateStore>(store: &S, session_token: &str) -> String {
    // Without randomness the form gets no token, and its post is refused.
    let Some(once) = symbolon_secret::random_hex() else {
        return String::new();
    };
    let now = OffsetDateTime::now_utc();
    if let Err(e) = store
        .put_state(FORM_ONCE, &key(session_token, &once), "", now + VALID_FOR)
        .await
    {
        tracing::warn!("keeping a form's submission token: {e}");
    }
    once
}

/// Take the token a post carries: true the first time for a token issued to this session
/// within the hour; false for a second post of the same form, another session's token, an
/// expired or a missing one, or when the store cannot answer.
pub async fn redeem<S: StateStore>(store: &S, session_token: &str, once: Option<&str>) -> bool {
    let Some(once) = once.filter(|o| !o.is_empty() && o.len() <= 64) else {
        return false;
    };
    matches!(
        store
            .take_state(
                FORM_ONCE,
                &key(session_token, once),
                OffsetDateTime::now_utc()
            )
            .await,
        Ok(Some(_))
    )
}
