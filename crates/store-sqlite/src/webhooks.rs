//! SQLite implementation of [`WebhookStore`] (migration 0021).

use symbolon_store::webhooks::{
    Delivery, Owner, Webhook, WebhookStore, delivery_row, owner_columns, webhook_row,
};
use symbolon_store::{Result, StoreError};
use time::OffsetDateTime;

use crate::{Cols, SqliteStore, map_err, ts};

impl WebhookStore for SqliteStore {
    async fn create_webhook(&self, w: &Webhook) -> Result<()> {
        let (realm, account) = owner_columns(&w.owner);
        let events =
            serde_json::to_string(&w.events).map_err(|e| StoreError::Backend(e.to_string()))?;
        sqlx::query(
            "INSERT INTO webhooks (id, realm, account_id, url, allow_http, secret, events, enabled, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&w.id)
        .bind(realm)
        .bind(account)
        .bind(&w.url)
        .bind(w.allow_http)
        .bind(self.seal_key(&w.id, &w.secret.0)?)
        .bind(events)
        .bind(w.enabled)
        .bind(ts(w.created_at))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn webhooks(&self, owner: &Owner) -> Result<Vec<Webhook>> {
        let (realm, account) = owner_columns(owner);
        let rows = sqlx::query(
            "SELECT id, realm, account_id, url, allow_http, secret, events, enabled, created_at \
             FROM webhooks WHERE realm IS ? AND account_id IS ? ORDER BY created_at, id",
        )
        .bind(realm)
        .bind(account)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| webhook_row(&Cols(r), |id, stored| self.open_key(id, stored)))
            .collect()
    }

    async fn delete_webhook(&self, owner: &Owner, id: &str) -> Result<bool> {
        let (realm, account) = owner_columns(owner);
        let r = sqlx::query("DELETE FROM webhooks WHERE id = ? AND realm IS ? AND account_id IS ?")
            .bind(id)
            .bind(realm)
            .bind(account)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected() > 0)
    }

    async fn enqueue(&self, deliveries: &[Delivery]) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        for d in deliveries {
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, webhook_id, event_type, payload, status, attempts, \
                 next_at, last_code, last_error, created_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&d.id)
            .bind(&d.webhook_id)
            .bind(&d.event_type)
            .bind(&d.payload)
            .bind(d.status.as_str())
            .bind(i64::from(d.attempts))
            .bind(ts(d.next_at))
            .bind(d.last_code.map(i64::from))
            .bind(&d.last_error)
            .bind(ts(d.created_at))
            .bind(d.finished_at.map(ts))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn due_deliveries(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<(Delivery, Webhook)>> {
        let ids: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, webhook_id FROM webhook_deliveries WHERE status = 'pending' AND next_at <= ? \
             ORDER BY next_at, created_at LIMIT ?",
        )
        .bind(ts(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut out = Vec::with_capacity(ids.len());
        for (id, hook) in ids {
            let d = sqlx::query(
                "SELECT d.id, d.webhook_id, d.event_type, d.payload, d.status, d.attempts, d.next_at, d.last_code, d.last_error, d.created_at, d.finished_at FROM webhook_deliveries d WHERE d.id = ?",
            )
            .bind(&id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
            let h =
                sqlx::query("SELECT id, realm, account_id, url, allow_http, secret, events, enabled, created_at FROM webhooks WHERE id = ?")
                    .bind(&hook)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
            if let (Some(d), Some(h)) = (d, h) {
                out.push((
                    delivery_row(&Cols(&d))?,
                    webhook_row(&Cols(&h), |id, stored| self.open_key(id, stored))?,
                ));
            }
        }
        Ok(out)
    }

    async fn update_delivery(&self, d: &Delivery) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_at = ?, last_code = ?, \
             last_error = ?, finished_at = ? WHERE id = ?",
        )
        .bind(d.status.as_str())
        .bind(i64::from(d.attempts))
        .bind(ts(d.next_at))
        .bind(d.last_code.map(i64::from))
        .bind(&d.last_error)
        .bind(d.finished_at.map(ts))
        .bind(&d.id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn deliveries(&self, owner: &Owner, limit: u32) -> Result<Vec<Delivery>> {
        let (realm, account) = owner_columns(owner);
        let rows = sqlx::query(
            "SELECT d.id, d.webhook_id, d.event_type, d.payload, d.status, d.attempts, d.next_at, d.last_code, d.last_error, d.created_at, d.finished_at FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE w.realm IS ? AND w.account_id IS ? ORDER BY d.created_at DESC, d.id DESC LIMIT ?",
        )
        .bind(realm)
        .bind(account)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(|r| delivery_row(&Cols(r))).collect()
    }

    async fn prune_deliveries(&self, before: OffsetDateTime) -> Result<u64> {
        let r = sqlx::query(
            "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < ?",
        )
        .bind(ts(before))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected())
    }
}

impl symbolon_store::PoolStore for SqliteStore {
    fn pool_stats(&self) -> symbolon_store::PoolStats {
        let size = self.pool.size();
        symbolon_store::PoolStats {
            size,
            idle: u32::try_from(self.pool.num_idle())
                .unwrap_or(size)
                .min(size),
            max: self.pool.options().get_max_connections(),
        }
    }
}
