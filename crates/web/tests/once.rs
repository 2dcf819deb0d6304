//! One-time submission tokens on a real (in-memory) SQLite state store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use symbolon_store_sqlite::SqliteStore;
use symbolon_web::once::{issue, redeem};

#[tokio::test]
async fn a_form_is_taken_once_by_its_own_session() {
    let s = SqliteStore::open("sqlite::memory:").await.unwrap();
    let a = issue(&s, "session-a").await;
    assert_eq!(a.len(), 64);
    assert_ne!(a, issue(&s, "session-a").await, "a new token each time");
    // Another session's token is not this one's, and a foreign use does not spend it.
    assert!(!redeem(&s, "session-b", Some(&a)).await);
    assert!(redeem(&s, "session-a", Some(&a)).await);
    // Sent again: refused.
    assert!(!redeem(&s, "session-a", Some(&a)).await);
    // Missing, empty, unknown, oversized.
    for bad in [None, Some(""), Some("0123"), Some(&*"f".repeat(65))] {
        assert!(!redeem(&s, "session-a", bad).await);
    }
}

#[tokio::test]
async fn two_posts_of_one_form_at_once_make_one() {
    let s = SqliteStore::open("sqlite::memory:").await.unwrap();
    let t = issue(&s, "session").await;
    let (x, y) = tokio::join!(
        redeem(&s, "session", Some(&t)),
        redeem(&s, "session", Some(&t))
    );
    assert!(x ^ y, "exactly one of two concurrent posts is taken");
}
