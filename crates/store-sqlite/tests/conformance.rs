//! The shared conformance suite (`symbolon-store-conformance`) on SQLite, file and memory.
#![allow(clippy::unwrap_used)]

use symbolon_store::RealmStore;
use symbolon_store_sqlite::SqliteStore;

#[tokio::test]
async fn sqlite_file_conforms_and_keeps_data_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    symbolon_store_conformance::idp(SqliteStore::open_dir(dir.path()).await.unwrap()).await;
    let again = SqliteStore::open_dir(dir.path()).await.unwrap();
    assert_eq!(
        again.realms().await.unwrap().len(),
        2,
        "migrations are idempotent and data persists"
    );
}

#[tokio::test]
async fn sqlite_memory_conforms() {
    symbolon_store_conformance::idp(SqliteStore::open("sqlite::memory:").await.unwrap()).await;
}

#[tokio::test]
async fn sqlite_conforms_for_the_service_provider() {
    symbolon_store_conformance::sp(SqliteStore::open("sqlite::memory:").await.unwrap()).await;
}

#[tokio::test]
async fn sqlite_writes_a_sign_in_at_once() {
    symbolon_store_conformance::sign_in(SqliteStore::open("sqlite::memory:").await.unwrap()).await;
}

#[tokio::test]
async fn sqlite_conforms_for_shared_state() {
    symbolon_store_conformance::state(SqliteStore::open("sqlite::memory:").await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_consumers_accept_an_assertion_once() {
    let dir = tempfile::tempdir().unwrap();
    symbolon_store_conformance::concurrent_consume(
        SqliteStore::open_dir(dir.path()).await.unwrap(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_state_takes_counts_and_leases() {
    let dir = tempfile::tempdir().unwrap();
    symbolon_store_conformance::concurrent_state(SqliteStore::open_dir(dir.path()).await.unwrap())
        .await;
}

#[tokio::test]
async fn bad_urls_are_clear_errors() {
    assert!(SqliteStore::open("postgres://nope").await.is_err());
    assert!(
        SqliteStore::open_dir(std::path::Path::new("/proc/definitely/not/here"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn export_covers_every_table_and_round_trips() {
    let s = SqliteStore::open("sqlite::memory:").await.unwrap();
    let mut tables = symbolon_store::export::TABLES.to_vec();
    tables.sort_unstable();
    assert_eq!(
        s.table_names().await.unwrap(),
        tables,
        "a table is missing from the export"
    );
    symbolon_store_conformance::idp(s.clone()).await;
    let mut out = Vec::new();
    let n = s.export(&mut out).await.unwrap();
    assert!(n > 10);
    let text = String::from_utf8(out).unwrap();
    let target = SqliteStore::open("sqlite::memory:").await.unwrap();
    let mut lines = text.lines().map(str::to_string);
    assert_eq!(target.import(&mut lines).await.unwrap(), n);
    let mut again = Vec::new();
    target.export(&mut again).await.unwrap();
    assert_eq!(
        String::from_utf8(again).unwrap(),
        text,
        "export -> import -> export is stable"
    );
    // Never into a database that holds data; nothing is written then.
    let mut lines = text.lines().map(str::to_string);
    assert!(matches!(
        target.import(&mut lines).await,
        Err(symbolon_store::StoreError::Conflict(_))
    ));
}

#[tokio::test]
async fn sqlite_conforms_for_second_factors_sealed_and_plain() {
    symbolon_store_conformance::credentials(SqliteStore::open("sqlite::memory:").await.unwrap())
        .await;
    let cipher =
        symbolon_store::seal::KeyCipher::from_secret("0123456789abcdef0123456789abcdef!").unwrap();
    symbolon_store_conformance::credentials(
        SqliteStore::open("sqlite::memory:")
            .await
            .unwrap()
            .with_key_cipher(cipher),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms_for_account_domains() {
    let dir = tempfile::tempdir().unwrap();
    symbolon_store_conformance::domains(SqliteStore::open_dir(dir.path()).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms_for_day2_changes() {
    let dir = tempfile::tempdir().unwrap();
    symbolon_store_conformance::sp_day2(SqliteStore::open_dir(dir.path()).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms_for_scim_provisioning() {
    let dir = tempfile::tempdir().unwrap();
    symbolon_store_conformance::scim(SqliteStore::open_dir(dir.path()).await.unwrap()).await;
}

#[tokio::test]
async fn sqlite_conforms_for_idp_provisioning() {
    let dir = tempfile::tempdir().unwrap();
    symbolon_store_conformance::idp_provisioning(SqliteStore::open_dir(dir.path()).await.unwrap())
        .await;
}

#[tokio::test]
async fn sqlite_seals_outbound_scim_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let cipher =
        symbolon_store::seal::KeyCipher::from_secret("0123456789abcdef0123456789abcdef!").unwrap();
    let sealed = SqliteStore::open_dir(dir.path())
        .await
        .unwrap()
        .with_key_cipher(cipher);
    let plain = SqliteStore::open_dir(dir.path()).await.unwrap();
    symbolon_store_conformance::idp_provisioning_sealed(sealed, plain).await;
}

#[tokio::test]
async fn sqlite_conforms_for_idp_day2_changes() {
    symbolon_store_conformance::idp_day2(SqliteStore::open("sqlite::memory:").await.unwrap()).await;
}

/// The database holds private keys and password hashes: a new one is readable by its owner only.
#[cfg(unix)]
#[tokio::test]
async fn a_new_database_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new/data");
    let s = SqliteStore::open_dir(&dir).await.unwrap();
    s.create_realm(&symbolon_store::Realm {
        name: "r".into(),
        display_name: "r".into(),
        enabled: true,
        assertion_lifespan_secs: 300,
        created_at: time::OffsetDateTime::UNIX_EPOCH,
    })
    .await
    .unwrap();
    let mode = |p: std::path::PathBuf| std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir.clone()), 0o700);
    assert_eq!(mode(dir.join("symbolon.db")), 0o600);
    assert_eq!(
        mode(dir.join("symbolon.db-wal")),
        0o600,
        "the WAL takes the database's mode"
    );
    s.close().await;
    // By URL too.
    let file = tmp.path().join("other/x.db");
    let s = SqliteStore::open(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    assert_eq!(mode(file), 0o600);
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms_for_webhooks() {
    let dir = tempfile::tempdir().unwrap();
    symbolon_store_conformance::webhooks(SqliteStore::open_dir(dir.path()).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms_for_client_keys() {
    let dir = tempfile::tempdir().unwrap();
    symbolon_store_conformance::client_keys(SqliteStore::open_dir(dir.path()).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms_for_sso_version() {
    let dir = tempfile::tempdir().unwrap();
    symbolon_store_conformance::sso_version(SqliteStore::open_dir(dir.path()).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms_for_users_page() {
    let dir = tempfile::tempdir().unwrap();
    symbolon_store_conformance::users_page(SqliteStore::open_dir(dir.path()).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms_for_clients_page() {
    let dir = tempfile::tempdir().unwrap();
    symbolon_store_conformance::clients_page(SqliteStore::open_dir(dir.path()).await.unwrap())
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms_for_branding() {
    let dir = tempfile::tempdir().unwrap();
    symbolon_store_conformance::branding(SqliteStore::open_dir(dir.path()).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms_for_events_page() {
    let dir = tempfile::tempdir().unwrap();
    symbolon_store_conformance::events_page(SqliteStore::open_dir(dir.path()).await.unwrap()).await;
}
