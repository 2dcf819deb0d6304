//! Test support for the servers: real HTTP on 127.0.0.1, no mocks.
//!
//! - [`Stack::start`] seeds one store (SQLite in a temporary directory, or a fresh database on
//!   the PostgreSQL server `SYMBOLON_TEST_PG` when `SYMBOLON_TEST_BACKEND=postgres`, as the
//!   Python suites do) the way the two vendor guides set things up (a
//!   realm with users, the SP imported as a client, an SP account trusting the realm), and
//!   serves the IdP and the SP from it on free loopback ports, in this process.
//! - [`Browser`] is a small HTTP/1.1 client with a cookie jar, following no redirect by itself,
//!   that reads the hidden fields of the forms the pages carry.
//!
//! Every function panics on a broken setup: this crate is for tests only.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod browser;

pub use browser::{Browser, Page, form_fields};

use std::net::SocketAddr;

use symbolon_idp::{Actor, AuthPolicy, KeyAlgorithm, NewUser};
use symbolon_store::IdpStore;
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

/// The realm the stack creates.
pub const REALM: &str = "acme";
/// The IdP-initiated SSO URL name of the SP's client.
pub const CLIENT_URL_NAME: &str = "trend";
/// A user of the realm and their password.
pub const USER: &str = "alice";
pub const PASSWORD: &str = "correct horse battery";
/// The IdP configuration's name in the SP account.
pub const IDP_NAME: &str = "MPAS";

/// The store the stack serves from.
#[derive(Debug, Clone)]
enum AnyStore {
    Sqlite(symbolon_store_sqlite::SqliteStore),
    Postgres(symbolon_store_postgres::PgStore),
}

/// The IdP and SP of one test, serving from one store until dropped.
#[derive(Debug)]
pub struct Stack {
    pub idp: String,
    pub sp: String,
    pub account_id: String,
    store: AnyStore,
    tasks: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
    _db: Option<FreshDatabase>,
}

/// A new empty database on the test PostgreSQL server (`psql`, trust authentication), dropped
/// with the stack.
#[derive(Debug)]
struct FreshDatabase {
    server: String,
    name: String,
}

fn psql(server: &str, sql: &str) -> bool {
    std::process::Command::new("psql")
        .args([
            &format!("{server}/postgres"),
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            sql,
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}

impl FreshDatabase {
    fn create() -> Self {
        let server = std::env::var("SYMBOLON_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let name = format!(
            "symbolon_testkit_{}",
            symbolon_web::random_hex()
                .expect("randomness")
                .get(..12)
                .unwrap_or_default()
        );
        assert!(
            psql(&server, &format!("CREATE DATABASE \"{name}\"")),
            "CREATE DATABASE on {server}"
        );
        FreshDatabase { server, name }
    }
    fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        psql(
            &self.server,
            &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
        );
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn listener() -> (tokio::net::TcpListener, String) {
    let l = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("a free loopback port");
    let addr = l.local_addr().expect("bound address");
    (l, format!("http://{addr}"))
}

impl Stack {
    /// Start the IdP and the SP with the realm's sign-in policy set to `policy`.
    pub async fn start(policy: AuthPolicy) -> Stack {
        match std::env::var("SYMBOLON_TEST_BACKEND").as_deref() {
            Ok("postgres") => {
                let db = FreshDatabase::create();
                let store = symbolon_store_postgres::PgStore::open(&db.url())
                    .await
                    .expect("PostgreSQL store");
                let mut stack =
                    Self::start_on(store.clone(), AnyStore::Postgres(store), policy, None).await;
                stack._db = Some(db);
                stack
            }
            _ => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let store = symbolon_store_sqlite::SqliteStore::open_dir(dir.path())
                    .await
                    .expect("SQLite store");
                Self::start_on(store.clone(), AnyStore::Sqlite(store), policy, Some(dir)).await
            }
        }
    }

    async fn start_on<S>(
        store: S,
        any: AnyStore,
        policy: AuthPolicy,
        dir: Option<tempfile::TempDir>,
    ) -> Stack
    where
        S: IdpStore + SpStore,
    {
        let (idp_l, idp) = listener().await;
        let (sp_l, sp) = listener().await;
        let account_id = seed(&store, &idp, &sp, policy).await;
        let idp_cfg = symbolon_idp_web::WebConfig::new(&idp);
        let sp_cfg = symbolon_sp_web::SpConfig::new(&sp);
        let trusted = symbolon_web::front::TrustedProxies::default();
        let tasks = vec![
            tokio::spawn(symbolon_web::serve(
                "idp",
                symbolon_idp_web::router(store.clone(), idp_cfg),
                symbolon_idp_web::error_pages(),
                trusted.clone(),
                idp_l,
            )),
            tokio::spawn(symbolon_web::serve(
                "sp",
                symbolon_sp_web::router(store, sp_cfg),
                symbolon_sp_web::error_pages(),
                trusted,
                sp_l,
            )),
        ];
        Stack {
            idp,
            sp,
            account_id,
            store: any,
            tasks,
            _dir: dir,
            _db: None,
        }
    }

    /// Give the realm's user an authenticator app (as the account console would); returns its
    /// secret.
    pub async fn enrol_totp(&self, username: &str) -> Vec<u8> {
        let actor = Actor("testkit".into());
        let now = OffsetDateTime::now_utc();
        let e = match &self.store {
            AnyStore::Sqlite(s) => symbolon_idp::enrol_totp(s, &actor, REALM, username, now).await,
            AnyStore::Postgres(s) => {
                symbolon_idp::enrol_totp(s, &actor, REALM, username, now).await
            }
        }
        .expect("TOTP enrolment");
        symbolon_idp::totp::from_base32(&e.secret_base32).expect("base32 secret")
    }

    /// A response the IdP issued, with its assertion decrypted as the SP does (with the SP's
    /// key from the store): the client is imported from the SP's metadata, which publishes an
    /// encryption key, so assertions travel encrypted.
    pub async fn decrypted(&self, response_xml: &str) -> String {
        let keys = symbolon_sp::SpKeys::default();
        let pair = match &self.store {
            AnyStore::Sqlite(s) => keys.existing(s).await,
            AnyStore::Postgres(s) => keys.existing(s).await,
        }
        .expect("the SP key")
        .expect("an SP key exists");
        let limits = symbolon_xml::Limits::default();
        let doc = symbolon_xml::parse(response_xml, &limits).expect("a response");
        if !symbolon_saml::encrypted::has_encrypted_assertion(&doc) {
            return response_xml.to_string();
        }
        symbolon_saml::encrypted::decrypt_assertion(
            &doc,
            &pair.decryption,
            &symbolon_dsig::enc::DecryptPolicy::default(),
        )
        .expect("the SP decrypts it")
        .xml
    }

    /// The IdP-initiated SSO URL of the SP's client.
    pub fn idp_initiated_url(&self) -> String {
        format!(
            "{}/realms/{REALM}/protocol/saml/clients/{CLIENT_URL_NAME}",
            self.idp
        )
    }
}

/// Both guides' setup on one store; returns the SP account's ID.
async fn seed<S: IdpStore + SpStore>(s: &S, idp: &str, sp: &str, policy: AuthPolicy) -> String {
    let now = OffsetDateTime::now_utc();
    let actor = Actor("testkit".into());
    // Every stack has its own store (a temporary directory or a fresh database).
    symbolon_idp::create_realm(s, &actor, REALM, Some("Acme"), KeyAlgorithm::EcP256, now)
        .await
        .expect("realm");
    symbolon_idp::set_auth_policy(s, &actor, REALM, policy, now)
        .await
        .expect("policy");
    let user = NewUser {
        username: USER.into(),
        email: Some(format!("{USER}@acme.test")),
        first_name: Some("Alice".into()),
        last_name: None,
        attributes: vec![],
    };
    symbolon_idp::add_user(s, &actor, REALM, user, Some(PASSWORD), now)
        .await
        .expect("user");
    let sp_md = symbolon_sp::sp_metadata(s, sp, now)
        .await
        .expect("SP metadata");
    let (mut client, _) = symbolon_idp::import_client(
        s,
        &actor,
        REALM,
        sp_md.as_bytes(),
        Some(CLIENT_URL_NAME),
        now,
    )
    .await
    .expect("client from SP metadata");
    client.name_id_format = symbolon_saml::messages::NAMEID_EMAIL.into();
    symbolon_idp::update_client(s, &actor, &client, "testkit", now)
        .await
        .expect("client settings");
    let idp_md = symbolon_idp::descriptor(s, &Default::default(), REALM, idp)
        .await
        .expect("descriptor");
    let sp_actor = symbolon_sp::Actor::cli();
    let account = symbolon_sp::create_account(s, &sp_actor, "Acme Production", now)
        .await
        .expect("account");
    symbolon_sp::add_idp(
        s,
        &sp_actor,
        &account.id,
        IDP_NAME,
        None,
        idp_md.as_bytes(),
        now,
    )
    .await
    .expect("IdP from metadata");
    // The guide's SAML account: the user's email address with a role of the account.
    symbolon_sp::add_saml_account(
        s,
        &sp_actor,
        &account.id,
        &format!("{USER}@acme.test"),
        "Read Only",
        None,
        now,
    )
    .await
    .expect("SAML account");
    account.id
}
