//! A client's own signing keys (`ClientKeyStore`), sealed like the realm keys.

use crate::{Cols, SqliteStore, map_err, ts};
use sqlx::Row;
use symbolon_store::{ClientKeyStore, KeyStatus, RealmKey, Result, StoreError};

impl ClientKeyStore for SqliteStore {
    async fn add_client_key(&self, client: &str, k: &RealmKey) -> Result<()> {
        sqlx::query("INSERT INTO client_keys (kid, client, realm, status, algorithm, private_key_pem, certificate_der, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(&k.kid)
            .bind(client)
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

    async fn client_keys(&self, client: &str) -> Result<Vec<RealmKey>> {
        let rows =
            sqlx::query("SELECT * FROM client_keys WHERE client = ? ORDER BY created_at, kid")
                .bind(client)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                symbolon_store::codec::key_row(&Cols(r), |kid, stored| self.open_key(kid, stored))
            })
            .collect()
    }

    async fn promote_client_key(&self, client: &str, kid: &str) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let exists = sqlx::query("SELECT status FROM client_keys WHERE client = ? AND kid = ?")
            .bind(client)
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
        sqlx::query("UPDATE client_keys SET status = 'passive' WHERE client = ? AND status = 'active' AND kid <> ?")
            .bind(client)
            .bind(kid)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("UPDATE client_keys SET status = 'active' WHERE client = ? AND kid = ?")
            .bind(client)
            .bind(kid)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn set_client_key_status(
        &self,
        client: &str,
        kid: &str,
        status: KeyStatus,
    ) -> Result<()> {
        let done = sqlx::query("UPDATE client_keys SET status = ? WHERE client = ? AND kid = ?")
            .bind(status.as_str())
            .bind(client)
            .bind(kid)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("key", kid.to_string()));
        }
        Ok(())
    }

    async fn remove_client_key(&self, client: &str, kid: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM client_keys WHERE client = ? AND kid = ? AND status IN ('retired', 'next')")
            .bind(client)
            .bind(kid)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 1 {
            return Ok(());
        }
        let exists = sqlx::query("SELECT status FROM client_keys WHERE client = ? AND kid = ?")
            .bind(client)
            .bind(kid)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        match exists {
            None => Err(StoreError::NotFound("key", kid.to_string())),
            Some(_) => Err(StoreError::Conflict(format!(
                "key {kid} is in use (active or passive): retire it first"
            ))),
        }
    }
}
