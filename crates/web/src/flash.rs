//! Post/redirect/get: a change answers with `303 See Other`, and the notice it produced
//! ("Saved.") waits in the shared state store for the page the browser loads next. Keyed by a
//! digest of the session's form token, so it reaches only that session, on any instance; read
//! once; gone after five minutes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use symbolon_store::StateStore;
use time::OffsetDateTime;

/// The state kind of waiting notices.
pub const FLASH: &str = "flash";

fn key(session_token: &str) -> String {
    symbolon_secret::hex_sha256(&format!("flash:{session_token}"))
}

/// Leave a notice for the session's next page.
pub async fn set<S: StateStore>(store: &S, session_token: &str, notice: &str) {
    let now = OffsetDateTime::now_utc();
    if let Err(e) = store
        .put_state(
            FLASH,
            &key(session_token),
            notice,
            now + time::Duration::minutes(5),
        )
        .await
    {
        // The change is done; only its notice is lost.
        tracing::warn!("keeping a notice for the next page: {e}");
    }
}

/// The notice waiting for this session, once.
pub async fn take<S: StateStore>(store: &S, session_token: &str) -> Option<String> {
    store
        .take_state(FLASH, &key(session_token), OffsetDateTime::now_utc())
        .await
        .ok()
        .flatten()
}

/// `303 See Other` to `location` (a path of this server).
pub fn see_other(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Leave `notice` for the session and send the browser to `location` with `303 See Other`.
pub async fn redirect_with<S: StateStore>(
    store: &S,
    session_token: &str,
    location: &str,
    notice: &str,
) -> Response {
    set(store, session_token, notice).await;
    see_other(location)
}
