//! The SQLite implementation of Symbolon's store traits (embedded, the default): WAL mode,
//! foreign keys on, migrations in `migrations/` applied on open.
//!
//! Invariants: only this crate speaks SQL for SQLite; every multi-statement write is one
//! transaction; unique violations surface as `StoreError::Conflict`.

mod branding;
mod client_keys;
mod clients;
mod domains;
mod idp_change;
mod provisioning;
mod scim;
mod sign_in;
mod sp;
mod state;
pub mod transfer;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;
use symbolon_store::codec::{assignment_of, assignment_parts};

use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use symbolon_store::{
    AccessStore, AdminToken, AdminTokenStore, Assignment, Client, Event, EventStore, Group,
    GroupStore, KeyStatus, KeyStore, PersistentIdStore, Realm, RealmKey, RealmStore, Result, Role,
    RoleStore, StoreError, User, UserOrder, UserPage, UserStore,
};
use time::OffsetDateTime;

/// A SQLite-backed store. Cheap to clone (a pool).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Seals private keys at rest when the deployment sets a key encryption secret.
    pub(crate) cipher: Option<std::sync::Arc<symbolon_store::seal::KeyCipher>>,
    pub(crate) pool: SqlitePool,
    /// Taken by the sign-in transactions before they begin. SQLite has one writer at a time; a
    /// connection that finds the database locked sleeps and polls (1, 2, 5, 10... ms, up to the
    /// busy timeout), which under concurrent sign-ins cost most of their latency. Queued here,
    /// the next writer starts the moment the last one commits.
    pub(crate) writer: std::sync::Arc<tokio::sync::Mutex<()>>,
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

    /// A client row, its outbound SCIM token opened when sealed.
    pub(crate) fn open_client(&self, r: &SqliteRow) -> Result<Client> {
        symbolon_store::codec::open_client(clients::client_row(r)?, self.cipher.as_deref())
    }

    pub(crate) fn open_key(&self, kid: &str, stored: &str) -> Result<String> {
        symbolon_store::seal::open_from_store(self.cipher.as_deref(), kid, stored)
    }

    /// Open (creating if missing) `sqlite://path` or `sqlite::memory:`, and migrate.
    ///
    /// The journal is a write-ahead log with `synchronous=NORMAL`: a committed transaction
    /// survives the process being killed, and the WAL is synced at each checkpoint rather than at
    /// each commit, so the last transactions before a power loss or OS crash may be lost (the
    /// database stays consistent). `?synchronous=full` at the end of the URL syncs every commit
    /// (see docs/deployment.md for what that trades).
    pub async fn open(url: &str) -> Result<Self> {
        let (url, synchronous) = match url.rsplit_once('?') {
            Some((u, "synchronous=full")) => (u, SqliteSynchronous::Full),
            Some((u, "synchronous=normal")) => (u, SqliteSynchronous::Normal),
            Some((_, q)) if q.starts_with("synchronous=") => {
                return Err(StoreError::Backend(format!(
                    "bad database URL: {q:?} (use synchronous=normal or synchronous=full)"
                )));
            }
            _ => (url, SqliteSynchronous::Normal),
        };
        create_private(url)?;
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("bad database URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
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
        Ok(SqliteStore {
            pool,
            cipher: None,
            writer: Default::default(),
        })
    }

    /// Open the database file `symbolon.db` in a directory (created if missing, private to the
    /// user: 0700).
    pub async fn open_dir(dir: &std::path::Path) -> Result<Self> {
        private_dir(dir)?;
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

    async fn sso_version(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT version FROM idp_sso_version WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)
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
    symbolon_store::codec::realm_row(&crate::Cols(r))
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
                symbolon_store::codec::key_row(&Cols(r), |kid, stored| self.open_key(kid, stored))
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
    symbolon_store::codec::user_row(&crate::Cols(r))
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

    async fn users_page(&self, realm: &str, page: &UserPage) -> Result<(Vec<User>, u64)> {
        let rows = match page.order {
            UserOrder::Username => {
                "SELECT * FROM users WHERE realm = ?1 AND (?2 = '' OR username LIKE ?3 ESCAPE '\\' OR COALESCE(email, '') LIKE ?3 ESCAPE '\\' OR (COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')) LIKE ?3 ESCAPE '\\') ORDER BY username LIMIT ?4 OFFSET ?5"
            }
            UserOrder::Email => {
                "SELECT * FROM users WHERE realm = ?1 AND (?2 = '' OR username LIKE ?3 ESCAPE '\\' OR COALESCE(email, '') LIKE ?3 ESCAPE '\\' OR (COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')) LIKE ?3 ESCAPE '\\') ORDER BY email IS NULL, email, username LIMIT ?4 OFFSET ?5"
            }
            UserOrder::Name => {
                "SELECT * FROM users WHERE realm = ?1 AND (?2 = '' OR username LIKE ?3 ESCAPE '\\' OR COALESCE(email, '') LIKE ?3 ESCAPE '\\' OR (COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')) LIKE ?3 ESCAPE '\\') ORDER BY first_name IS NULL, first_name, last_name, username LIMIT ?4 OFFSET ?5"
            }
            UserOrder::Enabled => {
                "SELECT * FROM users WHERE realm = ?1 AND (?2 = '' OR username LIKE ?3 ESCAPE '\\' OR COALESCE(email, '') LIKE ?3 ESCAPE '\\' OR (COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')) LIKE ?3 ESCAPE '\\') ORDER BY enabled DESC, username LIMIT ?4 OFFSET ?5"
            }
        };
        const COUNT: &str = "SELECT COUNT(*) FROM users WHERE realm = ?1 AND (?2 = '' OR username LIKE ?3 ESCAPE '\\' OR COALESCE(email, '') LIKE ?3 ESCAPE '\\' OR (COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')) LIKE ?3 ESCAPE '\\')";
        let (rows, total) = self.list_page(rows, COUNT, realm, page).await?;
        let users = rows.iter().map(user_row).collect::<Result<Vec<_>>>()?;
        Ok((users, total))
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
            .map(|r| symbolon_store::codec::event_row(&Cols(r)))
            .collect()
    }

    async fn events_page(
        &self,
        realm: &str,
        kind: Option<&str>,
        search: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Event>, u64)> {
        let pattern = symbolon_store::like_pattern(search);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows = sqlx::query("SELECT * FROM events WHERE realm = ?1 AND (?2 IS NULL OR kind = ?2) AND (?3 = '' OR detail LIKE ?4 ESCAPE '\\' OR COALESCE(actor, '') LIKE ?4 ESCAPE '\\' OR COALESCE(client_id, '') LIKE ?4 ESCAPE '\\') ORDER BY at DESC, id DESC LIMIT ?5 OFFSET ?6")
            .bind(realm)
            .bind(kind)
            .bind(search)
            .bind(&pattern)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        let events = rows
            .iter()
            .map(|r| symbolon_store::codec::event_row(&Cols(r)))
            .collect::<Result<Vec<_>>>()?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE realm = ?1 AND (?2 IS NULL OR kind = ?2) AND (?3 = '' OR detail LIKE ?4 ESCAPE '\\' OR COALESCE(actor, '') LIKE ?4 ESCAPE '\\' OR COALESCE(client_id, '') LIKE ?4 ESCAPE '\\')")
            .bind(realm)
            .bind(kind)
            .bind(search)
            .bind(&pattern)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok((events, u64::try_from(total).unwrap_or(0)))
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
    symbolon_store::codec::token_row(&crate::Cols(r))
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
    symbolon_store::codec::group_row(&crate::Cols(r))
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

/// A row as `symbolon_store::codec` reads it (flags as integers, times as Unix seconds).
pub(crate) struct Cols<'a>(pub(crate) &'a sqlx::sqlite::SqliteRow);

impl symbolon_store::codec::Columns for Cols<'_> {
    fn text(&self, col: &str) -> Result<String> {
        self.0.try_get(col).map_err(map_err)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        self.0.try_get(col).map_err(map_err)
    }
    fn int(&self, col: &str) -> Result<i64> {
        self.0.try_get(col).map_err(map_err)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        self.0.try_get(col).map_err(map_err)
    }
    fn flag(&self, col: &str) -> Result<bool> {
        let r = self.0;
        Ok(r.try_get::<i64, _>(col).map_err(map_err)? != 0)
    }
    fn bytes(&self, col: &str) -> Result<Vec<u8>> {
        self.0.try_get(col).map_err(map_err)
    }
}

/// A directory made for the database is private to the user (0700 on Unix); an existing one is
/// left as its owner set it.
fn private_dir(dir: &std::path::Path) -> Result<()> {
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
        .map_err(|e| StoreError::Unavailable(format!("{}: {e}", dir.display())))
}

/// A new database file holds private keys and password hashes: create it readable by its owner
/// only (0600 on Unix) before SQLite opens it; SQLite gives its WAL and shared-memory files the
/// database file's mode. An existing file is left as its owner set it.
fn create_private(url: &str) -> Result<()> {
    let Some(path) = url.strip_prefix("sqlite://") else {
        return Ok(());
    };
    let path = std::path::Path::new(path);
    if path.as_os_str().is_empty() || path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        private_dir(dir)?;
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    match o.open(path) {
        Ok(_) => Ok(()),
        // Made meanwhile by another process: SQLite opens it as it is.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Unavailable(format!("{}: {e}", path.display()))),
    }
}
