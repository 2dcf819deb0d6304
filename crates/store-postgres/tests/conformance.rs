//! The shared conformance suite (`symbolon-store-conformance`) on PostgreSQL. Each test gets a
//! database of its own on the server named by `SYMBOLON_TEST_PG` (default: the local
//! server with trust authentication), dropped afterwards. No server is a failure, not a skip:
//! `scripts/test.sh` starts PostgreSQL when it is not running.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection as _;
use symbolon_store::{RealmStore, StoreError};
use symbolon_store_postgres::{PgSettings, PgStore};

fn admin_url() -> String {
    let server = std::env::var("SYMBOLON_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    format!("{}/postgres", server.trim_end_matches('/'))
}

/// A new, empty database; dropped when the guard goes.
struct TestDb {
    name: String,
    url: String,
}

static N: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    async fn new() -> TestDb {
        let name = format!(
            "symbolon_test_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            time::OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000
        );
        let mut c = sqlx::PgConnection::connect(&admin_url())
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {} is needed: {e}", admin_url()));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut c)
            .await
            .unwrap();
        let base = admin_url();
        let url = match base.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("bad SYMBOLON_TEST_PG"),
        };
        TestDb { name, url }
    }

    async fn drop_db(self) {
        let mut c = sqlx::PgConnection::connect(&admin_url()).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        )))
        .execute(&mut c)
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn postgres_conforms_for_the_identity_provider_and_keeps_data() {
    let db = TestDb::new().await;
    symbolon_store_conformance::idp(PgStore::open(&db.url).await.unwrap()).await;
    let again = PgStore::open(&db.url).await.unwrap();
    assert_eq!(
        again.realms().await.unwrap().len(),
        2,
        "migrations are idempotent and data persists"
    );
    again.close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn postgres_conforms_for_idp_day2_changes() {
    let db = TestDb::new().await;
    symbolon_store_conformance::idp_day2(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conforms_for_account_domains() {
    let db = TestDb::new().await;
    symbolon_store_conformance::domains(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conforms_for_day2_changes() {
    let db = TestDb::new().await;
    symbolon_store_conformance::sp_day2(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test]
async fn postgres_seals_outbound_scim_tokens() {
    let db = TestDb::new().await;
    let cipher =
        symbolon_store::seal::KeyCipher::from_secret("0123456789abcdef0123456789abcdef!").unwrap();
    let sealed = PgStore::open(&db.url)
        .await
        .unwrap()
        .with_key_cipher(cipher);
    let plain = PgStore::open(&db.url).await.unwrap();
    symbolon_store_conformance::idp_provisioning_sealed(sealed, plain).await;
    db.drop_db().await;
}

#[tokio::test]
async fn postgres_conforms_for_idp_provisioning() {
    let db = TestDb::new().await;
    symbolon_store_conformance::idp_provisioning(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conforms_for_scim_provisioning() {
    let db = TestDb::new().await;
    symbolon_store_conformance::scim(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test]
async fn postgres_conforms_for_the_service_provider() {
    let db = TestDb::new().await;
    symbolon_store_conformance::sp(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test]
async fn postgres_writes_a_sign_in_at_once() {
    let db = TestDb::new().await;
    symbolon_store_conformance::sign_in(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test]
async fn postgres_conforms_for_shared_state() {
    let db = TestDb::new().await;
    symbolon_store_conformance::state(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_consumers_accept_an_assertion_once() {
    let db = TestDb::new().await;
    symbolon_store_conformance::concurrent_consume(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_state_takes_counts_and_leases() {
    let db = TestDb::new().await;
    symbolon_store_conformance::concurrent_state(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test]
async fn an_unreachable_database_is_unavailable_not_a_crash() {
    // Nothing listens on port 1: connecting lazily succeeds, every call is `Unavailable`.
    let settings = PgSettings {
        acquire_timeout: std::time::Duration::from_millis(500),
        ..PgSettings::default()
    };
    let s = PgStore::connect("postgres://postgres@127.0.0.1:1/none", settings)
        .await
        .unwrap();
    assert!(matches!(s.realms().await, Err(StoreError::Unavailable(_))));
    assert!(PgStore::open("mysql://nope").await.is_err());
}

#[tokio::test]
async fn export_covers_every_table_and_imports_from_sqlite_format() {
    let db = TestDb::new().await;
    let s = PgStore::open(&db.url).await.unwrap();
    let mut tables = symbolon_store::export::TABLES.to_vec();
    tables.sort_unstable();
    assert_eq!(
        s.table_names().await.unwrap(),
        tables,
        "a table is missing from the export"
    );
    symbolon_store_conformance::idp(s.clone()).await;
    symbolon_store_conformance::sp(s.clone()).await;
    let mut out = Vec::new();
    let n = s.export(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let db2 = TestDb::new().await;
    let target = PgStore::open(&db2.url).await.unwrap();
    let mut lines = text.lines().map(str::to_string);
    assert_eq!(target.import(&mut lines).await.unwrap(), n);
    let mut again = Vec::new();
    target.export(&mut again).await.unwrap();
    assert_eq!(
        String::from_utf8(again).unwrap(),
        text,
        "export -> import -> export is stable"
    );
    // Identity columns continue after the imported rows.
    symbolon_store::EventStore::record(
        &target,
        &symbolon_store::Event {
            realm: "r".into(),
            at: time::OffsetDateTime::now_utc(),
            kind: "X".into(),
            actor: None,
            client_id: None,
            detail: "after import".into(),
        },
    )
    .await
    .unwrap();
    s.close().await;
    target.close().await;
    db.drop_db().await;
    db2.drop_db().await;
}

#[tokio::test]
async fn postgres_conforms_for_second_factors() {
    let db = TestDb::new().await;
    let cipher =
        symbolon_store::seal::KeyCipher::from_secret("0123456789abcdef0123456789abcdef!").unwrap();
    symbolon_store_conformance::credentials(
        PgStore::open(&db.url)
            .await
            .unwrap()
            .with_key_cipher(cipher),
    )
    .await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conforms_for_webhooks() {
    let db = TestDb::new().await;
    symbolon_store_conformance::webhooks(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conforms_for_client_keys() {
    let db = TestDb::new().await;
    symbolon_store_conformance::client_keys(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conforms_for_sso_version() {
    let db = TestDb::new().await;
    symbolon_store_conformance::sso_version(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conforms_for_users_page() {
    let db = TestDb::new().await;
    symbolon_store_conformance::users_page(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conforms_for_clients_page() {
    let db = TestDb::new().await;
    symbolon_store_conformance::clients_page(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conforms_for_branding() {
    let db = TestDb::new().await;
    symbolon_store_conformance::branding(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conforms_for_events_page() {
    let db = TestDb::new().await;
    symbolon_store_conformance::events_page(PgStore::open(&db.url).await.unwrap()).await;
    db.drop_db().await;
}
