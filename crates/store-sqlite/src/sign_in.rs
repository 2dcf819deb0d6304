//! What the ACS writes per response, in one transaction, and the version of what it reads.

use sqlx::{Row, SqliteConnection};
use symbolon_store::Result;
use symbolon_store::sp::{Rejections, SignInBatch, saml_principal};
use time::OffsetDateTime;

use crate::{SqliteStore, map_err, ts};

/// Count the batch against its rate limit; write its traces and audit entries, or only count
/// it as dropped.
async fn write_rejections(
    c: &mut SqliteConnection,
    r: &Rejections,
    now: OffsetDateTime,
) -> Result<()> {
    let row = sqlx::query("INSERT INTO failures (key, count, window_ends) VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE SET count = CASE WHEN failures.window_ends <= ? THEN 1 ELSE failures.count + 1 END, window_ends = CASE WHEN failures.window_ends <= ? THEN excluded.window_ends ELSE failures.window_ends END RETURNING count")
        .bind(&r.rate_key)
        .bind(ts(r.window_ends))
        .bind(ts(now))
        .bind(ts(now))
        .fetch_one(&mut *c)
        .await
        .map_err(map_err)?;
    let count: i64 = row.try_get("count").map_err(map_err)?;
    if count > i64::from(r.burst) {
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
            .bind(i64::from(r.keep.max(1)) - 1)
            .execute(&mut *c)
            .await
            .map_err(map_err)?;
        sqlx::query("INSERT INTO sp_audit (account_id, at, principal, action, detail) VALUES (?, ?, ?, ?, ?)")
            .bind(&a.account_id)
            .bind(ts(a.at))
            .bind(&a.principal)
            .bind(&a.action)
            .bind(&a.detail)
            .execute(&mut *c)
            .await
            .map_err(map_err)?;
    }
    Ok(())
}

impl SqliteStore {
    pub(crate) async fn commit_sign_in_tx(
        &self,
        b: &SignInBatch,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        // One statement: the primary key makes the second of two racing inserts a no-op.
        let done = sqlx::query("INSERT INTO sp_consumed_assertions (issuer, assertion_id, until) VALUES (?, ?, ?) ON CONFLICT (issuer, assertion_id) DO UPDATE SET until = excluded.until WHERE sp_consumed_assertions.until <= ?")
            .bind(&b.issuer)
            .bind(&b.assertion_id)
            .bind(ts(b.until))
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() != 1 {
            tx.rollback().await.map_err(map_err)?;
            return Ok(false);
        }
        if let Some(u) = &b.user {
            let row = sqlx::query("INSERT INTO sp_saml_users (id, account_id, name_id, last_role, last_logon) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id, name_id) DO UPDATE SET last_role = excluded.last_role, last_logon = excluded.last_logon RETURNING id")
                .bind(&u.new_id)
                .bind(&u.account_id)
                .bind(&u.name_id)
                .bind(&u.role)
                .bind(ts(u.at))
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err)?;
            let id: String = row.try_get("id").map_err(map_err)?;
            sqlx::query("INSERT INTO sp_audit (account_id, at, principal, action, detail) VALUES (?, ?, ?, ?, ?)")
                .bind(&u.account_id)
                .bind(ts(u.at))
                .bind(saml_principal(&u.account_id, &id))
                .bind(&u.action)
                .bind(&u.detail)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        if let Some(s) = &b.state {
            sqlx::query("INSERT INTO state (kind, key, value, expires) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, expires = excluded.expires")
                .bind(&s.kind)
                .bind(&s.key)
                .bind(&s.value)
                .bind(ts(s.expires))
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
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
