//! The SSO cache on a real SQLite store: what it gives is what the store holds, a change made
//! through another handle of the database (another instance) is seen at the next request, the
//! version is read once per request, and names that match nothing are not kept.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use symbolon_idp::sso_cache::{SsoCache, request_scope};
use symbolon_idp::*;
use symbolon_store::{ClientStore, IdpChangeStore, KeyStatus, KeyStore, RealmStore};
use symbolon_store_sqlite::SqliteStore;
use time::OffsetDateTime;

fn cli() -> Actor {
    Actor("cli".into())
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

async fn setup() -> (SqliteStore, SqliteStore, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).await.unwrap();
    create_realm(&s, &cli(), "acme", None, KeyAlgorithm::Rsa2048, now())
        .await
        .unwrap();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let md = std::fs::read(root.join("testdata/corpus/metadata/sp/samael/metadata.xml")).unwrap();
    let (c, _) = import_client(&s, &cli(), "acme", &md, Some("samael"), now())
        .await
        .unwrap();
    // A second handle on the same database: another instance.
    let other = SqliteStore::open_dir(dir.path()).await.unwrap();
    (s, other, dir, c.client_id)
}

#[tokio::test]
async fn a_change_by_another_instance_is_seen_at_the_next_request() {
    let (s, other, _dir, client_id) = setup().await;
    let cache = SsoCache::default();
    let r1 = request_scope(cache.realm(&s, "acme"))
        .await
        .unwrap()
        .unwrap();
    let r2 = request_scope(cache.realm(&s, "acme"))
        .await
        .unwrap()
        .unwrap();
    assert!(Arc::ptr_eq(&r1, &r2), "unchanged: kept");
    assert_eq!(r1.policy, AuthPolicy::Password);
    let c1 = request_scope(cache.client_by_url_name(&s, "acme", "samael"))
        .await
        .unwrap()
        .unwrap();
    let c2 = request_scope(cache.client(&s, "acme", &client_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c1.id, c2.id);
    assert!(c1.enabled);

    // Another instance disables the client and changes the realm's policy.
    let mut c = other.client("acme", &client_id).await.unwrap().unwrap();
    c.enabled = false;
    other.update_client(&c).await.unwrap();
    other
        .set_auth_policy("acme", "second-factor")
        .await
        .unwrap();
    let c3 = request_scope(cache.client_by_url_name(&s, "acme", "samael"))
        .await
        .unwrap()
        .unwrap();
    assert!(!c3.enabled, "a disabled client is seen at once");
    let r3 = request_scope(cache.realm(&s, "acme"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r3.policy, AuthPolicy::SecondFactor);
    // Gone: gone from the cache too.
    other.delete_client("acme", &c.id).await.unwrap();
    assert!(
        request_scope(cache.client(&s, "acme", &client_id))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_signing_key_follows_the_rollover() {
    let (s, other, _dir, client_id) = setup().await;
    let cache = SsoCache::default();
    let client = s.client("acme", &client_id).await.unwrap().unwrap();
    let realm_key = request_scope(cache.signing_key(&s, &client))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(realm_key.status, KeyStatus::Active);
    assert!(
        s.keys("acme")
            .await
            .unwrap()
            .iter()
            .any(|k| k.kid == realm_key.kid)
    );
    // Another instance gives the client a key of its own and promotes it.
    let own = add_client_key(
        &other,
        &cli(),
        "acme",
        &client_id,
        KeyAlgorithm::EcP256,
        now(),
    )
    .await
    .unwrap();
    let still = request_scope(cache.signing_key(&s, &client))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.kid, realm_key.kid, "a next key does not sign");
    promote_client_key(&other, &cli(), "acme", &client_id, &own.kid, now())
        .await
        .unwrap();
    let now_own = request_scope(cache.signing_key(&s, &client))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now_own.kid, own.kid);
    retire_client_key(&other, &cli(), "acme", &client_id, &own.kid, now())
        .await
        .unwrap();
    let back = request_scope(cache.signing_key(&s, &client))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        back.kid, realm_key.kid,
        "retired: the realm key signs again"
    );
}

#[tokio::test]
async fn one_request_works_at_one_version() {
    let (s, other, _dir, _) = setup().await;
    let cache = SsoCache::default();
    request_scope(async {
        let before = cache.realm(&s, "acme").await.unwrap().unwrap();
        other
            .set_auth_policy("acme", "second-factor")
            .await
            .unwrap();
        // Within the request, the version it read first holds.
        let again = cache.realm(&s, "acme").await.unwrap().unwrap();
        assert!(Arc::ptr_eq(&before, &again));
    })
    .await;
    let next = request_scope(cache.realm(&s, "acme"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.policy, AuthPolicy::SecondFactor);
    // Outside a request scope every lookup reads the version.
    other.set_auth_policy("acme", "password").await.unwrap();
    assert_eq!(
        cache.realm(&s, "acme").await.unwrap().unwrap().policy,
        AuthPolicy::Password
    );
}

#[tokio::test]
async fn names_that_match_nothing_are_not_kept() {
    let (s, _other, _dir, _) = setup().await;
    let cache = SsoCache::default();
    for i in 0..50 {
        let name = format!("nothing-{i}");
        assert!(cache.realm(&s, &name).await.unwrap().is_none());
        assert!(cache.client(&s, "acme", &name).await.unwrap().is_none());
        assert!(
            cache
                .client_by_url_name(&s, "acme", &name)
                .await
                .unwrap()
                .is_none()
        );
        assert!(cache.realm_keys(&s, &name).await.unwrap().is_empty());
    }
    assert_eq!(cache.entries(), 0);
    cache.realm(&s, "acme").await.unwrap().unwrap();
    assert_eq!(cache.entries(), 1);
}
