//! The SQLite implementation of Symbolon's store traits (embedded, the default): WAL mode,
//! foreign keys on, migrations in `migrations/` applied on open.
//!
//! Invariants: only this crate speaks SQL for SQLite; every multi-statement write is one
//! transaction; unique violations surface as `StoreError::Conflict`.

mod sp;
pub mod transfer;

use std::str::FromStr;
use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
};
use symbolon_store::{
    AccessStore, AdminToken, AdminTokenStore, Assignment, Client, ClientEndpoint, ClientStore,
    Event, EventStore, Group, GroupStore, KeyStatus, KeyStore, Mapper, PersistentIdStore, Realm,
    RealmKey, RealmStore, Result, Role, RoleStore, Secret, StoreError, User, UserStore,
};
use time::OffsetDateTime;

/// A SQLite-backed store. Cheap to clone (a pool).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Seals private keys at rest when the deployment sets a key encryption secret.
    pub(crate) cipher: Option<std::sync::Arc<symbolon_store::seal::KeyCipher>>,
    pub(crate) pool: SqlitePool,
}

pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(d.message().to_string())
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::Conflict(d.message().to_string())
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

pub(crate) fn ts(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

pub(crate) fn from_ts(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl SqliteStore {
    /// Seal private keys written from now on, and open sealed ones, with this cipher.
    pub fn with_key_cipher(mut self, cipher: symbolon_store::seal::KeyCipher) -> Self {
        self.cipher = Some(std::sync::Arc::new(cipher));
        self
    }

    pub(crate) fn seal_key(&self, kid: &str, pem: &str) -> Result<String> {
        symbolon_store::seal::seal_for_store(self.cipher.as_deref(), kid, pem)
    }

    pub(crate) fn open_key(&self, kid: &str, stored: &str) -> Result<String> {
        symbolon_store::seal::open_from_store(self.cipher.as_deref(), kid, stored)
    }

    /// Open (creating if missing) `sqlite://path` or `sqlite::memory:`, and migrate.
    pub async fn open(url: &str) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("bad database URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let max = if url.contains(":memory:") { 1 } else { 8 };
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .connect_with(opts)
            .await
            .map_err(map_err)?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        Ok(SqliteStore { pool, cipher: None })
    }

    /// Open the database file `symbolon.db` in a directory (created if missing).
    pub async fn open_dir(dir: &std::path::Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Unavailable(format!("{}: {e}", dir.display())))?;
        let path = dir.join("symbolon.db");
        Self::open(&format!("sqlite://{}", path.display())).await
    }

    /// Close every connection (the WAL is checkpointed into the database file).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl RealmStore for SqliteStore {
    async fn create_realm(&self, r: &Realm) -> Result<()> {
        sqlx::query("INSERT INTO realms (name, display_name, enabled, assertion_lifespan_secs, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&r.name)
            .bind(&r.display_name)
            .bind(r.enabled)
            .bind(r.assertion_lifespan_secs)
            .bind(ts(r.created_at))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn realm(&self, name: &str) -> Result<Option<Realm>> {
        let row = sqlx::query("SELECT * FROM realms WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| realm_row(&r)).transpose()
    }

    async fn realms(&self) -> Result<Vec<Realm>> {
        let rows = sqlx::query("SELECT * FROM realms ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(realm_row).collect()
    }

    async fn auth_policy(&self, realm: &str) -> Result<String> {
        let row = sqlx::query("SELECT auth_policy FROM realms WHERE name = ?")
            .bind(realm)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        match row {
            Some(r) => r.try_get("auth_policy").map_err(map_err),
            None => Err(StoreError::NotFound("realm", realm.to_string())),
        }
    }

    async fn set_auth_policy(&self, realm: &str, policy: &str) -> Result<()> {
        let done = sqlx::query("UPDATE realms SET auth_policy = ? WHERE name = ?")
            .bind(policy)
            .bind(realm)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("realm", realm.to_string()));
        }
        Ok(())
    }
}

fn realm_row(r: &SqliteRow) -> Result<Realm> {
    Ok(Realm {
        name: r.try_get("name").map_err(map_err)?,
        display_name: r.try_get("display_name").map_err(map_err)?,
        enabled: r.try_get("enabled").map_err(map_err)?,
        assertion_lifespan_secs: r.try_get("assertion_lifespan_secs").map_err(map_err)?,
        created_at: from_ts(r.try_get("created_at").map_err(map_err)?),
    })
}

impl KeyStore for SqliteStore {
    async fn add_key(&self, k: &RealmKey) -> Result<()> {
        sqlx::query("INSERT INTO realm_keys (kid, realm, status, algorithm, private_key_pem, certificate_der, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(&k.kid)
            .bind(&k.realm)
            .bind(k.status.as_str())
            .bind(&k.algorithm)
            .bind(self.seal_key(&k.kid, &k.private_key_pem.0)?)
            .bind(&k.certificate_der)
            .bind(ts(k.created_at))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn keys(&self, realm: &str) -> Result<Vec<RealmKey>> {
        let rows = sqlx::query("SELECT * FROM realm_keys WHERE realm = ? ORDER BY created_at, kid")
            .bind(realm)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status").map_err(map_err)?;
                let kid: String = r.try_get("kid").map_err(map_err)?;
                let stored: String = r.try_get("private_key_pem").map_err(map_err)?;
                Ok(RealmKey {
                    private_key_pem: Secret(self.open_key(&kid, &stored)?),
                    kid,
                    realm: r.try_get("realm").map_err(map_err)?,
                    status: KeyStatus::parse(&status)
                        .ok_or_else(|| StoreError::Backend(format!("bad key status {status:?}")))?,
                    algorithm: r.try_get("algorithm").map_err(map_err)?,
                    certificate_der: r.try_get("certificate_der").map_err(map_err)?,
                    created_at: from_ts(r.try_get("created_at").map_err(map_err)?),
                })
            })
            .collect()
    }

    async fn promote_key(&self, realm: &str, kid: &str) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let exists = sqlx::query("SELECT status FROM realm_keys WHERE realm = ? AND kid = ?")
            .bind(realm)
            .bind(kid)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?;
        let Some(row) = exists else {
            return Err(StoreError::NotFound("key", kid.to_string()));
        };
        let status: String = row.try_get("status").map_err(map_err)?;
        if status == "retired" {
            return Err(StoreError::Conflict(format!(
                "key {kid} is retired and cannot sign again"
            )));
        }
        sqlx::query("UPDATE realm_keys SET status = 'passive' WHERE realm = ? AND status = 'active' AND kid <> ?")
            .bind(realm)
            .bind(kid)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("UPDATE realm_keys SET status = 'active' WHERE realm = ? AND kid = ?")
            .bind(realm)
            .bind(kid)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn set_key_status(&self, realm: &str, kid: &str, status: KeyStatus) -> Result<()> {
        let done = sqlx::query("UPDATE realm_keys SET status = ? WHERE realm = ? AND kid = ?")
            .bind(status.as_str())
            .bind(realm)
            .bind(kid)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("key", kid.to_string()));
        }
        Ok(())
    }
}

fn user_row(r: &SqliteRow) -> Result<User> {
    let attrs: String = r.try_get("attributes").map_err(map_err)?;
    Ok(User {
        id: r.try_get("id").map_err(map_err)?,
        realm: r.try_get("realm").map_err(map_err)?,
        username: r.try_get("username").map_err(map_err)?,
        email: r.try_get("email").map_err(map_err)?,
        first_name: r.try_get("first_name").map_err(map_err)?,
        last_name: r.try_get("last_name").map_err(map_err)?,
        enabled: r.try_get("enabled").map_err(map_err)?,
        attributes: serde_json::from_str(&attrs).map_err(|e| StoreError::Backend(e.to_string()))?,
        created_at: from_ts(r.try_get("created_at").map_err(map_err)?),
    })
}

impl UserStore for SqliteStore {
    async fn create_user(&self, u: &User, password_hash: Option<&str>) -> Result<()> {
        let attrs =
            serde_json::to_string(&u.attributes).map_err(|e| StoreError::Backend(e.to_string()))?;
        sqlx::query("INSERT INTO users (id, realm, username, email, first_name, last_name, enabled, attributes, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(&u.id)
            .bind(&u.realm)
            .bind(&u.username)
            .bind(&u.email)
            .bind(&u.first_name)
            .bind(&u.last_name)
            .bind(u.enabled)
            .bind(attrs)
            .bind(password_hash)
            .bind(ts(u.created_at))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn user_by_username(&self, realm: &str, username: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE realm = ? AND username = ?")
            .bind(realm)
            .bind(username)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| user_row(&r)).transpose()
    }

    async fn user_by_id(&self, realm: &str, id: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE realm = ? AND id = ?")
            .bind(realm)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| user_row(&r)).transpose()
    }

    async fn users(&self, realm: &str) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT * FROM users WHERE realm = ? ORDER BY username")
            .bind(realm)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(user_row).collect()
    }

    async fn set_password_hash(&self, realm: &str, user_id: &str, hash: &str) -> Result<()> {
        let done = sqlx::query("UPDATE users SET password_hash = ? WHERE realm = ? AND id = ?")
            .bind(hash)
            .bind(realm)
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("user", user_id.to_string()));
        }
        Ok(())
    }

    async fn update_user(&self, u: &User) -> Result<()> {
        let attrs =
            serde_json::to_string(&u.attributes).map_err(|e| StoreError::Backend(e.to_string()))?;
        let done = sqlx::query("UPDATE users SET email = ?, first_name = ?, last_name = ?, enabled = ?, attributes = ? WHERE realm = ? AND id = ?")
            .bind(&u.email)
            .bind(&u.first_name)
            .bind(&u.last_name)
            .bind(u.enabled)
            .bind(attrs)
            .bind(&u.realm)
            .bind(&u.id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("user", u.id.clone()));
        }
        Ok(())
    }

    async fn password_hash(&self, realm: &str, user_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT password_hash FROM users WHERE realm = ? AND id = ?")
            .bind(realm)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        match row {
            Some(r) => r.try_get("password_hash").map_err(map_err),
            None => Err(StoreError::NotFound("user", user_id.to_string())),
        }
    }
}

/// The client's settings as stored in its JSON column.
#[derive(Serialize, Deserialize)]
struct ClientData {
    name: Option<String>,
    description: Option<String>,
    enabled: bool,
    home_url: Option<String>,
    idp_initiated_relay_state: Option<String>,
    name_id_format: String,
    sign_documents: bool,
    sign_assertions: bool,
    signature_algorithm: String,
    client_signature_required: bool,
    assertion_lifespan_secs: Option<i64>,
    acs: Vec<ClientEndpoint>,
    slo: Vec<ClientEndpoint>,
    signing_certs: Vec<String>,
    mappers: Vec<Mapper>,
    restricted: bool,
}

fn client_data(c: &Client) -> Result<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    serde_json::to_string(&ClientData {
        name: c.name.clone(),
        description: c.description.clone(),
        enabled: c.enabled,
        home_url: c.home_url.clone(),
        idp_initiated_relay_state: c.idp_initiated_relay_state.clone(),
        name_id_format: c.name_id_format.clone(),
        sign_documents: c.sign_documents,
        sign_assertions: c.sign_assertions,
        signature_algorithm: c.signature_algorithm.clone(),
        client_signature_required: c.client_signature_required,
        assertion_lifespan_secs: c.assertion_lifespan_secs,
        acs: c.acs.clone(),
        slo: c.slo.clone(),
        signing_certs: c.signing_certs.iter().map(|d| b64.encode(d)).collect(),
        mappers: c.mappers.clone(),
        restricted: c.restricted,
    })
    .map_err(|e| StoreError::Backend(e.to_string()))
}

fn client_row(r: &SqliteRow) -> Result<Client> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let data: String = r.try_get("data").map_err(map_err)?;
    let d: ClientData =
        serde_json::from_str(&data).map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(Client {
        id: r.try_get("id").map_err(map_err)?,
        realm: r.try_get("realm").map_err(map_err)?,
        client_id: r.try_get("client_id").map_err(map_err)?,
        idp_initiated_url_name: r.try_get("url_name").map_err(map_err)?,
        name: d.name,
        description: d.description,
        enabled: d.enabled,
        home_url: d.home_url,
        idp_initiated_relay_state: d.idp_initiated_relay_state,
        name_id_format: d.name_id_format,
        sign_documents: d.sign_documents,
        sign_assertions: d.sign_assertions,
        signature_algorithm: d.signature_algorithm,
        client_signature_required: d.client_signature_required,
        assertion_lifespan_secs: d.assertion_lifespan_secs,
        acs: d.acs,
        slo: d.slo,
        signing_certs: d
            .signing_certs
            .iter()
            .map(|s| {
                b64.decode(s)
                    .map_err(|e| StoreError::Backend(e.to_string()))
            })
            .collect::<Result<_>>()?,
        mappers: d.mappers,
        restricted: d.restricted,
        created_at: from_ts(r.try_get("created_at").map_err(map_err)?),
    })
}

impl ClientStore for SqliteStore {
    async fn create_client(&self, c: &Client) -> Result<()> {
        sqlx::query("INSERT INTO clients (id, realm, client_id, url_name, data, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(&c.id)
            .bind(&c.realm)
            .bind(&c.client_id)
            .bind(&c.idp_initiated_url_name)
            .bind(client_data(c)?)
            .bind(ts(c.created_at))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn update_client(&self, c: &Client) -> Result<()> {
        let done = sqlx::query(
            "UPDATE clients SET client_id = ?, url_name = ?, data = ? WHERE realm = ? AND id = ?",
        )
        .bind(&c.client_id)
        .bind(&c.idp_initiated_url_name)
        .bind(client_data(c)?)
        .bind(&c.realm)
        .bind(&c.id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("client", c.client_id.clone()));
        }
        Ok(())
    }

    async fn client(&self, realm: &str, client_id: &str) -> Result<Option<Client>> {
        let row = sqlx::query("SELECT * FROM clients WHERE realm = ? AND client_id = ?")
            .bind(realm)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| client_row(&r)).transpose()
    }

    async fn client_by_url_name(&self, realm: &str, url_name: &str) -> Result<Option<Client>> {
        let row = sqlx::query("SELECT * FROM clients WHERE realm = ? AND url_name = ?")
            .bind(realm)
            .bind(url_name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| client_row(&r)).transpose()
    }

    async fn clients(&self, realm: &str) -> Result<Vec<Client>> {
        let rows = sqlx::query("SELECT * FROM clients WHERE realm = ? ORDER BY client_id")
            .bind(realm)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(client_row).collect()
    }
}

impl EventStore for SqliteStore {
    async fn record(&self, e: &Event) -> Result<()> {
        sqlx::query("INSERT INTO events (realm, at, kind, actor, client_id, detail) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(&e.realm)
            .bind(ts(e.at))
            .bind(&e.kind)
            .bind(&e.actor)
            .bind(&e.client_id)
            .bind(&e.detail)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn events(&self, realm: &str, kind: Option<&str>, limit: u32) -> Result<Vec<Event>> {
        let rows = sqlx::query("SELECT * FROM events WHERE realm = ? AND (? IS NULL OR kind = ?) ORDER BY at DESC, id DESC LIMIT ?")
            .bind(realm)
            .bind(kind)
            .bind(kind)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(Event {
                    realm: r.try_get("realm").map_err(map_err)?,
                    at: from_ts(r.try_get("at").map_err(map_err)?),
                    kind: r.try_get("kind").map_err(map_err)?,
                    actor: r.try_get("actor").map_err(map_err)?,
                    client_id: r.try_get("client_id").map_err(map_err)?,
                    detail: r.try_get("detail").map_err(map_err)?,
                })
            })
            .collect()
    }
}

impl AdminTokenStore for SqliteStore {
    async fn create_token(&self, t: &AdminToken) -> Result<()> {
        sqlx::query("INSERT INTO admin_tokens (id, name, token_sha256, created_at, revoked) VALUES (?, ?, ?, ?, ?)")
            .bind(&t.id)
            .bind(&t.name)
            .bind(&t.token_sha256)
            .bind(ts(t.created_at))
            .bind(t.revoked)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn token_by_hash(&self, sha256_hex: &str) -> Result<Option<AdminToken>> {
        let row = sqlx::query("SELECT * FROM admin_tokens WHERE token_sha256 = ?")
            .bind(sha256_hex)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| token_row(&r)).transpose()
    }

    async fn tokens(&self) -> Result<Vec<AdminToken>> {
        let rows = sqlx::query("SELECT * FROM admin_tokens ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(token_row).collect()
    }

    async fn revoke_token(&self, id: &str) -> Result<()> {
        let done = sqlx::query("UPDATE admin_tokens SET revoked = 1 WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("token", id.to_string()));
        }
        Ok(())
    }
}

fn token_row(r: &SqliteRow) -> Result<AdminToken> {
    Ok(AdminToken {
        id: r.try_get("id").map_err(map_err)?,
        name: r.try_get("name").map_err(map_err)?,
        token_sha256: r.try_get("token_sha256").map_err(map_err)?,
        created_at: from_ts(r.try_get("created_at").map_err(map_err)?),
        revoked: r.try_get("revoked").map_err(map_err)?,
    })
}

impl GroupStore for SqliteStore {
    async fn create_group(&self, g: &Group) -> Result<()> {
        sqlx::query("INSERT INTO groups (id, realm, path) VALUES (?, ?, ?)")
            .bind(&g.id)
            .bind(&g.realm)
            .bind(&g.path)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn groups(&self, realm: &str) -> Result<Vec<Group>> {
        let rows = sqlx::query("SELECT * FROM groups WHERE realm = ? ORDER BY path")
            .bind(realm)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(group_row).collect()
    }

    async fn add_member(&self, user_id: &str, group_id: &str) -> Result<()> {
        sqlx::query("INSERT OR IGNORE INTO user_groups (user_id, group_id) VALUES (?, ?)")
            .bind(user_id)
            .bind(group_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn user_groups(&self, user_id: &str) -> Result<Vec<Group>> {
        let rows = sqlx::query("SELECT g.* FROM groups g JOIN user_groups ug ON ug.group_id = g.id WHERE ug.user_id = ? ORDER BY g.path")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(group_row).collect()
    }
}

fn group_row(r: &SqliteRow) -> Result<Group> {
    Ok(Group {
        id: r.try_get("id").map_err(map_err)?,
        realm: r.try_get("realm").map_err(map_err)?,
        path: r.try_get("path").map_err(map_err)?,
    })
}

fn assignment_parts(a: &Assignment) -> (&'static str, &str) {
    match a {
        Assignment::User(id) => ("user", id.as_str()),
        Assignment::Group(id) => ("group", id.as_str()),
    }
}

impl AccessStore for SqliteStore {
    async fn grant(&self, client_row_id: &str, who: &Assignment) -> Result<()> {
        let (kind, id) = assignment_parts(who);
        sqlx::query("INSERT OR IGNORE INTO client_access (client_row_id, kind, subject_id) VALUES (?, ?, ?)")
            .bind(client_row_id)
            .bind(kind)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn revoke(&self, client_row_id: &str, who: &Assignment) -> Result<()> {
        let (kind, id) = assignment_parts(who);
        sqlx::query(
            "DELETE FROM client_access WHERE client_row_id = ? AND kind = ? AND subject_id = ?",
        )
        .bind(client_row_id)
        .bind(kind)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn assignments(&self, client_row_id: &str) -> Result<Vec<Assignment>> {
        let rows = sqlx::query("SELECT kind, subject_id FROM client_access WHERE client_row_id = ? ORDER BY kind, subject_id")
            .bind(client_row_id)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind").map_err(map_err)?;
                let id: String = r.try_get("subject_id").map_err(map_err)?;
                Ok(assignment_of(&kind, id))
            })
            .collect()
    }
}

impl PersistentIdStore for SqliteStore {
    async fn persistent_id(
        &self,
        realm: &str,
        client_id: &str,
        user_id: &str,
        candidate: &str,
        now: OffsetDateTime,
    ) -> Result<String> {
        sqlx::query("INSERT OR IGNORE INTO persistent_ids (realm, client_id, user_id, value, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(realm)
            .bind(client_id)
            .bind(user_id)
            .bind(candidate)
            .bind(ts(now))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        let row = sqlx::query(
            "SELECT value FROM persistent_ids WHERE realm = ? AND client_id = ? AND user_id = ?",
        )
        .bind(realm)
        .bind(client_id)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        row.try_get("value").map_err(map_err)
    }
}

fn assignment_of(kind: &str, id: String) -> Assignment {
    if kind == "user" {
        Assignment::User(id)
    } else {
        Assignment::Group(id)
    }
}

impl RoleStore for SqliteStore {
    async fn create_role(&self, r: &Role) -> Result<()> {
        sqlx::query("INSERT INTO roles (id, realm, name, description) VALUES (?, ?, ?, ?)")
            .bind(&r.id)
            .bind(&r.realm)
            .bind(&r.name)
            .bind(&r.description)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn roles(&self, realm: &str) -> Result<Vec<Role>> {
        let rows = sqlx::query("SELECT * FROM roles WHERE realm = ? ORDER BY name")
            .bind(realm)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(Role {
                    id: r.try_get("id").map_err(map_err)?,
                    realm: r.try_get("realm").map_err(map_err)?,
                    name: r.try_get("name").map_err(map_err)?,
                    description: r.try_get("description").map_err(map_err)?,
                })
            })
            .collect()
    }

    async fn delete_role(&self, realm: &str, name: &str) -> Result<()> {
        // Grants go with the role (ON DELETE CASCADE), in the same statement.
        let done = sqlx::query("DELETE FROM roles WHERE realm = ? AND name = ?")
            .bind(realm)
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("role", name.into()));
        }
        Ok(())
    }

    async fn grant_role(&self, role_id: &str, to: &Assignment) -> Result<()> {
        let (kind, id) = assignment_parts(to);
        sqlx::query(
            "INSERT OR IGNORE INTO role_grants (role_id, kind, subject_id) VALUES (?, ?, ?)",
        )
        .bind(role_id)
        .bind(kind)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn revoke_role(&self, role_id: &str, from: &Assignment) -> Result<()> {
        let (kind, id) = assignment_parts(from);
        sqlx::query("DELETE FROM role_grants WHERE role_id = ? AND kind = ? AND subject_id = ?")
            .bind(role_id)
            .bind(kind)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn role_grants(&self, realm: &str) -> Result<Vec<(String, Assignment)>> {
        let rows = sqlx::query("SELECT r.name, g.kind, g.subject_id FROM role_grants g JOIN roles r ON r.id = g.role_id WHERE r.realm = ? ORDER BY r.name, g.kind, g.subject_id")
            .bind(realm)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let name: String = r.try_get("name").map_err(map_err)?;
                let kind: String = r.try_get("kind").map_err(map_err)?;
                let id: String = r.try_get("subject_id").map_err(map_err)?;
                Ok((name, assignment_of(&kind, id)))
            })
            .collect()
    }
}

impl symbolon_store::StateStore for SqliteStore {
    async fn put_state(
        &self,
        kind: &str,
        key: &str,
        value: &str,
        expires: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query("INSERT INTO state (kind, key, value, expires) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, expires = excluded.expires")
            .bind(kind)
            .bind(key)
            .bind(value)
            .bind(ts(expires))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn state(&self, kind: &str, key: &str, now: OffsetDateTime) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM state WHERE kind = ? AND key = ? AND expires > ?")
            .bind(kind)
            .bind(key)
            .bind(ts(now))
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| r.try_get("value").map_err(map_err)).transpose()
    }

    async fn take_state(
        &self,
        kind: &str,
        key: &str,
        now: OffsetDateTime,
    ) -> Result<Option<String>> {
        let row =
            sqlx::query("DELETE FROM state WHERE kind = ? AND key = ? RETURNING value, expires")
                .bind(kind)
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        let Some(r) = row else { return Ok(None) };
        let expires: i64 = r.try_get("expires").map_err(map_err)?;
        if expires <= ts(now) {
            return Ok(None);
        }
        r.try_get("value").map(Some).map_err(map_err)
    }

    async fn delete_state(&self, kind: &str, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM state WHERE kind = ? AND key = ?")
            .bind(kind)
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn list_state(
        &self,
        kind: &str,
        key_prefix: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT key, value FROM state WHERE kind = ? AND substr(key, 1, length(?)) = ? AND expires > ? ORDER BY key")
            .bind(kind)
            .bind(key_prefix)
            .bind(key_prefix)
            .bind(ts(now))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("key").map_err(map_err)?,
                    r.try_get("value").map_err(map_err)?,
                ))
            })
            .collect()
    }

    async fn purge_state(&self, now: OffsetDateTime) -> Result<u64> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let mut n = 0;
        for q in [
            "DELETE FROM state WHERE expires <= ?",
            "DELETE FROM failures WHERE window_ends <= ?",
            "DELETE FROM leases WHERE until <= ?",
        ] {
            n += sqlx::query(q)
                .bind(ts(now))
                .execute(&mut *tx)
                .await
                .map_err(map_err)?
                .rows_affected();
        }
        tx.commit().await.map_err(map_err)?;
        Ok(n)
    }

    async fn count_failure(
        &self,
        key: &str,
        now: OffsetDateTime,
        window_ends: OffsetDateTime,
    ) -> Result<u32> {
        let row = sqlx::query("INSERT INTO failures (key, count, window_ends) VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE SET count = CASE WHEN failures.window_ends <= ? THEN 1 ELSE failures.count + 1 END, window_ends = CASE WHEN failures.window_ends <= ? THEN excluded.window_ends ELSE failures.window_ends END RETURNING count")
            .bind(key)
            .bind(ts(window_ends))
            .bind(ts(now))
            .bind(ts(now))
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        let n: i64 = row.try_get("count").map_err(map_err)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn clear_failures(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM failures WHERE key = ?")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool> {
        let done = sqlx::query("INSERT INTO leases (name, holder, until) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE leases.until <= ? OR leases.holder = excluded.holder")
            .bind(name)
            .bind(holder)
            .bind(ts(until))
            .bind(ts(now))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }
}

impl symbolon_store::CredentialStore for SqliteStore {
    async fn totp(&self, user_id: &str) -> Result<Option<symbolon_store::TotpCredential>> {
        let row =
            sqlx::query("SELECT secret, last_step, created_at FROM user_totp WHERE user_id = ?")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        let Some(r) = row else { return Ok(None) };
        let stored: String = r.try_get("secret").map_err(map_err)?;
        Ok(Some(symbolon_store::TotpCredential {
            secret: Secret(self.open_key(&format!("totp:{user_id}"), &stored)?),
            last_step: r.try_get("last_step").map_err(map_err)?,
            created_at: from_ts(r.try_get("created_at").map_err(map_err)?),
        }))
    }

    async fn set_totp(
        &self,
        user_id: &str,
        cred: &symbolon_store::TotpCredential,
        recovery_sha256: &[String],
    ) -> Result<()> {
        let sealed = self.seal_key(&format!("totp:{user_id}"), &cred.secret.0)?;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query("DELETE FROM user_totp WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("DELETE FROM user_recovery_codes WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query(
            "INSERT INTO user_totp (user_id, secret, last_step, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(user_id)
        .bind(sealed)
        .bind(cred.last_step)
        .bind(ts(cred.created_at))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        for h in recovery_sha256 {
            sqlx::query("INSERT INTO user_recovery_codes (user_id, code_sha256) VALUES (?, ?)")
                .bind(user_id)
                .bind(h)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn remove_totp(&self, user_id: &str) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        for sql in [
            "DELETE FROM user_totp WHERE user_id = ?",
            "DELETE FROM user_recovery_codes WHERE user_id = ?",
        ] {
            sqlx::query(sql)
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn use_totp_step(&self, user_id: &str, step: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE user_totp SET last_step = ? WHERE user_id = ? AND (last_step IS NULL OR last_step < ?)")
            .bind(step)
            .bind(user_id)
            .bind(step)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn use_recovery_code(&self, user_id: &str, sha256: &str) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM user_recovery_codes WHERE user_id = ? AND code_sha256 = ?")
                .bind(user_id)
                .bind(sha256)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn recovery_codes_left(&self, user_id: &str) -> Result<u32> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM user_recovery_codes WHERE user_id = ?")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?
            .try_get("n")
            .map_err(map_err)?;
        Ok(u32::try_from(n).unwrap_or(0))
    }

    async fn passkeys(&self, user_id: &str) -> Result<Vec<symbolon_store::PasskeyRecord>> {
        let rows =
            sqlx::query("SELECT * FROM user_passkeys WHERE user_id = ? ORDER BY created_at, id")
                .bind(user_id)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        rows.iter().map(passkey_row).collect()
    }

    async fn passkey_by_credential_id(
        &self,
        credential_id: &str,
    ) -> Result<Option<symbolon_store::PasskeyRecord>> {
        let row = sqlx::query("SELECT * FROM user_passkeys WHERE credential_id = ?")
            .bind(credential_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(passkey_row).transpose()
    }

    async fn add_passkey(&self, p: &symbolon_store::PasskeyRecord) -> Result<()> {
        sqlx::query("INSERT INTO user_passkeys (id, user_id, credential_id, name, passkey, sign_count, backup_eligible, backup_state, created_at, last_used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(&p.id)
            .bind(&p.user_id)
            .bind(&p.credential_id)
            .bind(&p.name)
            .bind(&p.passkey)
            .bind(i64::from(p.sign_count))
            .bind(i64::from(p.backup_eligible))
            .bind(i64::from(p.backup_state))
            .bind(ts(p.created_at))
            .bind(p.last_used.map(ts))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn rename_passkey(&self, user_id: &str, id: &str, name: &str) -> Result<()> {
        let done = sqlx::query("UPDATE user_passkeys SET name = ? WHERE user_id = ? AND id = ?")
            .bind(name)
            .bind(user_id)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("passkey", id.to_string()));
        }
        Ok(())
    }

    async fn remove_passkey(&self, user_id: &str, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM user_passkeys WHERE user_id = ? AND id = ?")
            .bind(user_id)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("passkey", id.to_string()));
        }
        Ok(())
    }

    async fn flag_passkey(&self, id: &str, at: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE user_passkeys SET flagged_at = ? WHERE id = ? AND flagged_at IS NULL")
            .bind(ts(at))
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn clear_passkey_flag(&self, user_id: &str, id: &str) -> Result<()> {
        let done =
            sqlx::query("UPDATE user_passkeys SET flagged_at = NULL WHERE user_id = ? AND id = ?")
                .bind(user_id)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("passkey", id.to_string()));
        }
        Ok(())
    }

    async fn remove_passkeys(&self, user_id: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM user_passkeys WHERE user_id = ?")
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn use_passkey(&self, id: &str, used: &symbolon_store::PasskeyUse<'_>) -> Result<bool> {
        let n = i64::from(used.sign_count);
        let done = sqlx::query("UPDATE user_passkeys SET passkey = ?, sign_count = ?, backup_state = ?, last_used = ? WHERE id = ? AND (sign_count < ? OR (sign_count = 0 AND ? = 0))")
            .bind(used.passkey)
            .bind(n)
            .bind(i64::from(used.backup_state))
            .bind(ts(used.at))
            .bind(id)
            .bind(n)
            .bind(n)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn required_actions(&self, user_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT action FROM user_required_actions WHERE user_id = ? ORDER BY action",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| r.try_get("action").map_err(map_err))
            .collect()
    }

    async fn set_required_action(&self, user_id: &str, action: &str, on: bool) -> Result<()> {
        let sql = if on {
            "INSERT INTO user_required_actions (user_id, action) VALUES (?, ?) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM user_required_actions WHERE user_id = ? AND action = ?"
        };
        sqlx::query(sql)
            .bind(user_id)
            .bind(action)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}

fn passkey_row(r: &sqlx::sqlite::SqliteRow) -> Result<symbolon_store::PasskeyRecord> {
    let n: i64 = r.try_get("sign_count").map_err(map_err)?;
    let last: Option<i64> = r.try_get("last_used").map_err(map_err)?;
    Ok(symbolon_store::PasskeyRecord {
        id: r.try_get("id").map_err(map_err)?,
        user_id: r.try_get("user_id").map_err(map_err)?,
        credential_id: r.try_get("credential_id").map_err(map_err)?,
        name: r.try_get("name").map_err(map_err)?,
        passkey: r.try_get("passkey").map_err(map_err)?,
        sign_count: u32::try_from(n).unwrap_or(u32::MAX),
        backup_eligible: r.try_get::<i64, _>("backup_eligible").map_err(map_err)? != 0,
        backup_state: r.try_get::<i64, _>("backup_state").map_err(map_err)? != 0,
        created_at: from_ts(r.try_get("created_at").map_err(map_err)?),
        last_used: last.map(from_ts),
        flagged_at: r
            .try_get::<Option<i64>, _>("flagged_at")
            .map_err(map_err)?
            .map(from_ts),
    })
}
