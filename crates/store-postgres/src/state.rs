//! The short-lived state (sessions, flows, counters, leases) and the credentials (TOTP,
//! recovery codes, passkeys) in this backend.

use sqlx::Row;
use symbolon_store::{Result, Secret, StoreError};
use time::OffsetDateTime;

use crate::{PgStore, from_ts, map_err, ts};

impl symbolon_store::StateStore for PgStore {
    async fn put_state(
        &self,
        kind: &str,
        key: &str,
        value: &str,
        expires: OffsetDateTime,
    ) -> Result<()> {
        crate::sign_in::put_state(&mut *self.conn().await?, kind, key, value, expires).await
    }

    async fn state(&self, kind: &str, key: &str, now: OffsetDateTime) -> Result<Option<String>> {
        let row =
            sqlx::query("SELECT value FROM state WHERE kind = $1 AND key = $2 AND expires > $3")
                .bind(kind)
                .bind(key)
                .bind(ts(now))
                .fetch_optional(&mut *self.conn().await?)
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
            sqlx::query("DELETE FROM state WHERE kind = $1 AND key = $2 RETURNING value, expires")
                .bind(kind)
                .bind(key)
                .fetch_optional(&mut *self.conn().await?)
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
        sqlx::query("DELETE FROM state WHERE kind = $1 AND key = $2")
            .bind(kind)
            .bind(key)
            .execute(&mut *self.conn().await?)
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
        let rows = sqlx::query("SELECT key, value FROM state WHERE kind = $1 AND starts_with(key, $2) AND expires > $3 ORDER BY key")
            .bind(kind)
            .bind(key_prefix)
            .bind(ts(now))
            .fetch_all(&mut *self.conn().await?)
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
        let mut tx = self.begin().await?;
        let mut n = 0;
        for q in [
            "DELETE FROM state WHERE expires <= $1",
            "DELETE FROM failures WHERE window_ends <= $1",
            "DELETE FROM leases WHERE until <= $1",
            "DELETE FROM sp_consumed_assertions WHERE until <= $1",
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
        crate::sign_in::count_failure(&mut *self.conn().await?, key, now, window_ends).await
    }

    async fn clear_failures(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM failures WHERE key = $1")
            .bind(key)
            .execute(&mut *self.conn().await?)
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
        let done = sqlx::query("INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE leases.until <= $4 OR leases.holder = excluded.holder")
            .bind(name)
            .bind(holder)
            .bind(ts(until))
            .bind(ts(now))
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn release_leases(&self, holder: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM leases WHERE holder = $1")
            .bind(holder)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }
}

impl symbolon_store::CredentialStore for PgStore {
    async fn totp(&self, user_id: &str) -> Result<Option<symbolon_store::TotpCredential>> {
        let row =
            sqlx::query("SELECT secret, last_step, created_at FROM user_totp WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&mut *self.conn().await?)
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
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM user_totp WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("DELETE FROM user_recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("INSERT INTO user_totp (user_id, secret, last_step, created_at) VALUES ($1, $2, $3, $4)")
            .bind(user_id)
            .bind(sealed)
            .bind(cred.last_step)
            .bind(ts(cred.created_at))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        for h in recovery_sha256 {
            sqlx::query("INSERT INTO user_recovery_codes (user_id, code_sha256) VALUES ($1, $2)")
                .bind(user_id)
                .bind(h)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn remove_totp(&self, user_id: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        for sql in [
            "DELETE FROM user_totp WHERE user_id = $1",
            "DELETE FROM user_recovery_codes WHERE user_id = $1",
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
        let done = sqlx::query("UPDATE user_totp SET last_step = $1 WHERE user_id = $2 AND (last_step IS NULL OR last_step < $3)")
            .bind(step)
            .bind(user_id)
            .bind(step)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn use_recovery_code(&self, user_id: &str, sha256: &str) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM user_recovery_codes WHERE user_id = $1 AND code_sha256 = $2")
                .bind(user_id)
                .bind(sha256)
                .execute(&mut *self.conn().await?)
                .await
                .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn recovery_codes_left(&self, user_id: &str) -> Result<u32> {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM user_recovery_codes WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(&mut *self.conn().await?)
                .await
                .map_err(map_err)?
                .try_get("n")
                .map_err(map_err)?;
        Ok(u32::try_from(n).unwrap_or(0))
    }
    async fn passkeys(&self, user_id: &str) -> Result<Vec<symbolon_store::PasskeyRecord>> {
        let rows =
            sqlx::query("SELECT * FROM user_passkeys WHERE user_id = $1 ORDER BY created_at, id")
                .bind(user_id)
                .fetch_all(&mut *self.conn().await?)
                .await
                .map_err(map_err)?;
        rows.iter().map(passkey_row).collect()
    }

    async fn passkey_by_credential_id(
        &self,
        credential_id: &str,
    ) -> Result<Option<symbolon_store::PasskeyRecord>> {
        let row = sqlx::query("SELECT * FROM user_passkeys WHERE credential_id = $1")
            .bind(credential_id)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(passkey_row).transpose()
    }

    async fn add_passkey(&self, p: &symbolon_store::PasskeyRecord) -> Result<()> {
        sqlx::query("INSERT INTO user_passkeys (id, user_id, credential_id, name, passkey, sign_count, backup_eligible, backup_state, created_at, last_used) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&p.id)
            .bind(&p.user_id)
            .bind(&p.credential_id)
            .bind(&p.name)
            .bind(&p.passkey)
            .bind(i64::from(p.sign_count))
            .bind(p.backup_eligible)
            .bind(p.backup_state)
            .bind(ts(p.created_at))
            .bind(p.last_used.map(ts))
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn rename_passkey(&self, user_id: &str, id: &str, name: &str) -> Result<()> {
        let done = sqlx::query("UPDATE user_passkeys SET name = $1 WHERE user_id = $2 AND id = $3")
            .bind(name)
            .bind(user_id)
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("passkey", id.to_string()));
        }
        Ok(())
    }

    async fn remove_passkey(&self, user_id: &str, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM user_passkeys WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("passkey", id.to_string()));
        }
        Ok(())
    }

    async fn flag_passkey(&self, id: &str, at: OffsetDateTime) -> Result<()> {
        sqlx::query(
            "UPDATE user_passkeys SET flagged_at = $1 WHERE id = $2 AND flagged_at IS NULL",
        )
        .bind(ts(at))
        .bind(id)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn clear_passkey_flag(&self, user_id: &str, id: &str) -> Result<()> {
        let done = sqlx::query(
            "UPDATE user_passkeys SET flagged_at = NULL WHERE user_id = $1 AND id = $2",
        )
        .bind(user_id)
        .bind(id)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("passkey", id.to_string()));
        }
        Ok(())
    }

    async fn remove_passkeys(&self, user_id: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM user_passkeys WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn use_passkey(&self, id: &str, used: &symbolon_store::PasskeyUse<'_>) -> Result<bool> {
        let n = i64::from(used.sign_count);
        let done = sqlx::query("UPDATE user_passkeys SET passkey = $1, sign_count = $2, backup_state = $3, last_used = $4 WHERE id = $5 AND (sign_count < $6 OR (sign_count = 0 AND $7 = 0))")
            .bind(used.passkey)
            .bind(n)
            .bind(used.backup_state)
            .bind(ts(used.at))
            .bind(id)
            .bind(n)
            .bind(n)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn required_actions(&self, user_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT action FROM user_required_actions WHERE user_id = $1 ORDER BY action",
        )
        .bind(user_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| r.try_get("action").map_err(map_err))
            .collect()
    }

    async fn set_required_action(&self, user_id: &str, action: &str, on: bool) -> Result<()> {
        let sql = if on {
            "INSERT INTO user_required_actions (user_id, action) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM user_required_actions WHERE user_id = $1 AND action = $2"
        };
        sqlx::query(sql)
            .bind(user_id)
            .bind(action)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}

fn passkey_row(r: &sqlx::postgres::PgRow) -> Result<symbolon_store::PasskeyRecord> {
    symbolon_store::codec::passkey_row(&crate::Cols(r))
}
