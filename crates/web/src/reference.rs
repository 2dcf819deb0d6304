//! One reference per request, made only when something needs it: the error page shows it with
//! the time, and the events or log lines written while answering the request carry it, so that an
//! administrator finds what happened from what the person reports.

use std::cell::OnceCell;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

tokio::task_local! {
    static REFERENCE: OnceCell<String>;
}

/// A new reference: 10 random hex digits in capitals (40 bits: unique enough to look up, short
/// to read out over the phone). The one format of both servers' references.
pub fn new_reference() -> String {
    symbolon_secret::random_hex()
        .map(|h| h.chars().take(10).collect::<String>().to_uppercase())
        .unwrap_or_default()
}

/// This request's reference (made at the first call, the same after); `None` outside a request
/// served through [`scope`].
pub fn current() -> Option<String> {
    REFERENCE
        .try_with(|r| r.get_or_init(new_reference).clone())
        .ok()
        .filter(|r| !r.is_empty())
}

/// Middleware: run the rest of the request with a reference of its own.
pub async fn scope(req: Request, next: Next) -> Response {
    REFERENCE.scope(OnceCell::new(), next.run(req)).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn one_reference_per_request_and_none_outside() {
        assert_eq!(current(), None);
        let (a, b) = REFERENCE
            .scope(OnceCell::new(), async { (current(), current()) })
            .await;
        let a = a.unwrap();
        assert_eq!(Some(a.clone()), b);
        assert!(
            a.len() == 10
                && a.chars()
                    .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)),
            "{a}"
        );
        let c = REFERENCE.scope(OnceCell::new(), async { current() }).await;
        assert_ne!(Some(a), c);
    }
}
