//! Per-client signing keys in the domain, on a real SQLite store: the rollover, what signs,
//! what the client's descriptor publishes (and that it verifies with the key it names), and
//! that realm keys and other clients are untouched.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use symbolon_idp::*;
use symbolon_store::{EventStore, KeyStatus, KeyStore};
use symbolon_store_sqlite::SqliteStore;
use time::OffsetDateTime;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn cli() -> Actor {
    Actor("cli".into())
}

async fn setup() -> (
    SqliteStore,
    tempfile::TempDir,
    symbolon_store::Client,
    symbolon_store::Client,
) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).await.unwrap();
    create_realm(&s, &cli(), "acme", None, KeyAlgorithm::Rsa2048, now())
        .await
        .unwrap();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let md = std::fs::read(root.join("testdata/corpus/metadata/sp/samael/metadata.xml")).unwrap();
    let (a, _) = import_client(&s, &cli(), "acme", &md, Some("samael"), now())
        .await
        .unwrap();
    let other = String::from_utf8(md)
        .unwrap()
        .replace(&a.client_id, "https://other.example/metadata");
    let (b, _) = import_client(&s, &cli(), "acme", other.as_bytes(), Some("other"), now())
        .await
        .unwrap();
    (s, dir, a, b)
}

fn certs_in(xml: &str) -> usize {
    // One certificate per published key, plus the one in the signature's KeyInfo.
    xml.matches("<ds:X509Certificate>").count()
}

#[tokio::test]
async fn rollover_what_signs_and_what_is_published() {
    let (s, _dir, a, b) = setup().await;
    let realm_key = s.keys("acme").await.unwrap().remove(0);
    let cache = DescriptorCache::default();
    let base = "https://idp.example.test";
    assert!(client_active_key(&s, &a).await.unwrap().is_none());
    assert_eq!(
        certs_in(&client_descriptor(&s, &cache, &a, base).await.unwrap()),
        2
    );

    // Next: published beside the realm key; nothing signs with it yet.
    let kid = add_client_key(
        &s,
        &cli(),
        "acme",
        &a.client_id,
        KeyAlgorithm::EcP256,
        now(),
    )
    .await
    .unwrap()
    .kid;
    assert!(client_active_key(&s, &a).await.unwrap().is_none());
    let published = client_published_keys(&s, &a).await.unwrap();
    assert_eq!(published.len(), 2);
    assert_eq!(published[0].kid, realm_key.kid, "the signing key first");
    assert_eq!(published[1].kid, kid);
    assert_eq!(
        certs_in(&client_descriptor(&s, &cache, &a, base).await.unwrap()),
        3
    );

    // Promoted: the client's key signs; the descriptor has only the client's keys and is
    // signed with that key (it verifies with the key's certificate).
    promote_client_key(&s, &cli(), "acme", &a.client_id, &kid, now())
        .await
        .unwrap();
    let active = client_active_key(&s, &a).await.unwrap().unwrap();
    assert_eq!(active.kid, kid);
    let published = client_published_keys(&s, &a).await.unwrap();
    assert_eq!(
        published.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
        [kid.as_str()]
    );
    let xml = client_descriptor(&s, &cache, &a, base).await.unwrap();
    let pinned = symbolon_dsig::PinnedCert::from_der(&active.certificate_der).unwrap();
    let doc = symbolon_xml::parse(&xml, &Default::default()).unwrap();
    symbolon_dsig::verify_enveloped(doc.root_element(), &[pinned], &Default::default()).unwrap();
    // From the cache while unchanged.
    assert!(std::sync::Arc::ptr_eq(
        &xml,
        &client_descriptor(&s, &cache, &a, base).await.unwrap()
    ));

    // The other client and the realm are untouched.
    assert!(client_active_key(&s, &b).await.unwrap().is_none());
    assert_eq!(s.keys("acme").await.unwrap().len(), 1);
    assert_eq!(s.keys("acme").await.unwrap()[0].status, KeyStatus::Active);

    // Retiring the active key: the realm's key signs for the client again.
    retire_client_key(&s, &cli(), "acme", &a.client_id, &kid, now())
        .await
        .unwrap();
    assert!(client_active_key(&s, &a).await.unwrap().is_none());
    let published = client_published_keys(&s, &a).await.unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].kid, realm_key.kid);
    // Retired keys are never promoted again; removed, it is gone; unknown keys are errors.
    assert!(
        promote_client_key(&s, &cli(), "acme", &a.client_id, &kid, now())
            .await
            .is_err()
    );
    remove_client_key(&s, &cli(), "acme", &a.client_id, &kid, now())
        .await
        .unwrap();
    assert!(
        client_keys(&s, "acme", &a.client_id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        retire_client_key(&s, &cli(), "acme", &a.client_id, &kid, now()).await,
        Err(IdpError::NotFound(_))
    ));
    assert!(matches!(
        add_client_key(
            &s,
            &cli(),
            "acme",
            "https://nobody",
            KeyAlgorithm::Rsa2048,
            now()
        )
        .await,
        Err(IdpError::NotFound(_))
    ));
    // Every step is in the realm's events.
    let events = s.events("acme", None, 100).await.unwrap();
    for what in [
        "added next signing key",
        "promoted signing key",
        "retired signing key",
        "removed signing key",
    ] {
        assert!(events.iter().any(|e| e.detail.contains(what)), "{what}");
    }
    // Watched for expiry like the realm's keys.
    let watched = watched_certificates(&s, now()).await.unwrap();
    assert!(
        !watched.iter().any(|w| w.kind == "client-key"),
        "the removed key is not watched"
    );
    let k2 = add_client_key(
        &s,
        &cli(),
        "acme",
        &b.client_id,
        KeyAlgorithm::Rsa2048,
        now(),
    )
    .await
    .unwrap()
    .kid;
    let watched = watched_certificates(&s, now()).await.unwrap();
    assert!(
        watched
            .iter()
            .any(|w| w.kind == "client-key" && w.owner.ends_with(&k2))
    );
}
