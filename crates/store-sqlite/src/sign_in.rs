//! The statements a sign-in writes, each on a given connection so that the ACS can put them all
//! in one transaction (`commit_sign_in`) and the single-purpose trait methods (`put_state`,
//! `count_failure`, `saml_user_seen`, `audit`, `record_trace`) run the same
//! SQL on their own; and the version of what the ACS reads.

use sqlx::{Row, SqliteConnection};
use symbolon_store::Result;
use symbolon_store::sp::{AuditEntry, Rejections, SignInBatch, Trace, saml_principal};
use time::OffsetDateTime;

use crate::{SqliteStore, map_err, ts};

/// Insert or replace a state value.
pub(crate) async fn put_state(
    c: &mut SqliteConnection,
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
        .execute(&mut *c)
        .await
        .map_err(map_err)?;
    Ok(())
}

/// Count one failure under `key` in its window (a new window when the last one ended).
pub(crate) async fn count_failure(
    c: &mut SqliteConnection,
    key: &str,
    now: OffsetDateTime,
    window_ends: OffsetDateTime,
) -> Result<u32> {
    let row = sqlx::query("INSERT INTO failures (key, count, window_ends) VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE SET count = CASE WHEN failures.window_ends <= ? THEN 1 ELSE failures.count + 1 END, window_ends = CASE WHEN failures.window_ends <= ? THEN excluded.window_ends ELSE failures.window_ends END RETURNING count")
        .bind(key)
        .bind(ts(window_ends))
        .bind(ts(now))
        .bind(ts(now))
        .fetch_one(&mut *c)
        .await
        .map_err(map_err)?;
    let n: i64 = row.try_get("count").map_err(map_err)?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

pub(crate) async fn insert_audit(c: &mut SqliteConnection, e: &AuditEntry) -> Result<()> {
    sqlx::query(
        "INSERT INTO sp_audit (account_id, at, principal, action, detail) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&e.account_id)
    .bind(ts(e.at))
    .bind(&e.principal)
    .bind(&e.action)
    .bind(&e.detail)
    .execute(&mut *c)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// Insert a trace, then keep only the newest `keep` of its account and IdP.
pub(crate) async fn insert_trace(c: &mut SqliteConnection, t: &Trace, keep: u32) -> Result<()> {
    sqlx::query("INSERT INTO sp_traces (account_id, at, idp_name, code, reason, message, reference) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(&t.account_id)
        .bind(ts(t.at))
        .bind(&t.idp_name)
        .bind(&t.code)
        .bind(&t.reason)
        .bind(&t.message)
        .bind(&t.reference)
        .execute(&mut *c)
        .await
        .map_err(map_err)?;
    sqlx::query("DELETE FROM sp_traces WHERE account_id = ? AND idp_name = ? AND seq < (SELECT seq FROM sp_traces WHERE account_id = ? AND idp_name = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)")
        .bind(&t.account_id)
        .bind(&t.idp_name)
        .bind(&t.account_id)
        .bind(&t.idp_name)
        .bind(i64::from(keep.max(1)) - 1)
        .execute(&mut *c)
        .await
        .map_err(map_err)?;
    Ok(())
}

/// Create the SAML user (with `new_id`) or update role and last logon; the user's stable ID.
pub(crate) async fn saml_user_seen(
    c: &mut SqliteConnection,
    account_id: &str,
    name_id: &str,
    role: &str,
    new_id: &str,
    at: OffsetDateTime,
) -> Result<String> {
    let row = sqlx::query("INSERT INTO sp_saml_users (id, account_id, name_id, last_role, last_logon) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id, name_id) DO UPDATE SET last_role = excluded.last_role, last_logon = excluded.last_logon RETURNING id")
        .bind(new_id)
        .bind(account_id)
        .bind(name_id)
        .bind(role)
        .bind(ts(at))
        .fetch_one(&mut *c)
        .await
        .map_err(map_err)?;
    row.try_get("id").map_err(map_err)
}

/// Remember a consumed assertion: `true` the first time, `false` for a replay. One statement:
/// the primary key makes the second of two racing inserts a no-op; an expired entry is taken
/// over (the rest are purged on a schedule, by `purge_state`).
pub(crate) async fn consume(
    c: &mut SqliteConnection,
    issuer: &str,
    assertion_id: &str,
    until: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<bool> {
    let done = sqlx::query("INSERT INTO sp_consumed_assertions (issuer, assertion_id, until) VALUES (?, ?, ?) ON CONFLICT (issuer, assertion_id) DO UPDATE SET until = excluded.until WHERE sp_consumed_assertions.until <= ?")
        .bind(issuer)
        .bind(assertion_id)
        .bind(ts(until))
        .bind(ts(now))
        .execute(&mut *c)
        .await
        .map_err(map_err)?;
    Ok(done.rows_affected() == 1)
}

/// Count the batch against its rate limit; write its traces and audit entries, or only count
/// it as dropped.
async fn write_rejections(
    c: &mut SqliteConnection,
    r: &Rejections,
    now: OffsetDateTime,
) -> Result<()> {
    if count_failure(c, &r.rate_key, now, r.window_ends).await? > r.burst {
        // Every refusing account's count grows by one, in one statement per 500 accounts.
        for chunk in r.dropped_keys.chunks(500) {
            let mut sql = String::from("INSERT INTO state (kind, key, value, expires) VALUES ");
            for k in 0..chunk.len() {
                if k > 0 {
                    sql.push_str(", ");
                }
                sql.push_str("(?, ?, '1', ?)");
            }
            sql.push_str(" ON CONFLICT (kind, key) DO UPDATE SET value = CASE WHEN state.expires <= ? THEN '1' ELSE CAST(CAST(state.value AS INTEGER) + 1 AS TEXT) END, expires = excluded.expires");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for key in chunk {
                q = q
                    .bind(&r.dropped_kind)
                    .bind(key)
                    .bind(ts(r.dropped_expires));
            }
            q.bind(ts(now)).execute(&mut *c).await.map_err(map_err)?;
        }
        return Ok(());
    }
    for (t, a) in &r.entries {
        insert_trace(c, t, r.keep).await?;
        insert_audit(c, a).await?;
    }
    Ok(())
}

impl SqliteStore {
    pub(crate) async fn commit_sign_in_tx(
        &self,
        b: &SignInBatch,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let _writer = self.writer.lock().await;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        if !consume(&mut tx, &b.issuer, &b.assertion_id, b.until, now).await? {
            tx.rollback().await.map_err(map_err)?;
            return Ok(false);
        }
        if let Some(u) = &b.user {
            let id = saml_user_seen(&mut tx, &u.account_id, &u.name_id, &u.role, &u.new_id, u.at)
                .await?;
            let entry = AuditEntry {
                account_id: u.account_id.clone(),
                at: u.at,
                principal: saml_principal(&u.account_id, &id),
                action: u.action.clone(),
                detail: u.detail.clone(),
            };
            insert_audit(&mut tx, &entry).await?;
        }
        for s in &b.state {
            put_state(&mut tx, &s.kind, &s.key, &s.value, s.expires).await?;
        }
        if let Some(r) = &b.rejections {
            write_rejections(&mut tx, r, now).await?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    pub(crate) async fn record_rejections_tx(
        &self,
        r: &Rejections,
        now: OffsetDateTime,
    ) -> Result<()> {
        let _writer = self.writer.lock().await;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        write_rejections(&mut tx, r, now).await?;
        tx.commit().await.map_err(map_err)
    }

    pub(crate) async fn config_version(&self) -> Result<i64> {
        let row = sqlx::query("SELECT version FROM sp_config_version WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        row.try_get("version").map_err(map_err)
    }
}
