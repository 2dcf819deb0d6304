//! SQLite implementation of [`WebhookStore`] (migration 0021).

use symbolon_store::webhooks::{
    Delivery, DeliveryStatus, Owner, Webhook, WebhookStore, owner_columns, owner_of,
};
use symbolon_store::{Result, Secret, StoreError};
use time::OffsetDateTime;

use crate::{SqliteStore, from_ts, map_err, ts};

type HookRow = (
    String,
    Option<String>,
    Option<String>,
    String,
    bool,
    String,
    String,
    bool,
    i64,
);
type DeliveryRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    i64,
    Option<i64>,
);

impl SqliteStore {
    fn hook_of(&self, r: HookRow) -> Result<Webhook> {
        let events: Vec<String> = serde_json::from_str(&r.6)
            .map_err(|e| StoreError::Backend(format!("webhook events: {e}")))?;
        Ok(Webhook {
            secret: Secret(self.open_key(&r.0, &r.5)?),
            id: r.0,
            owner: owner_of(r.1, r.2),
            url: r.3,
            allow_http: r.4,
            events,
            enabled: r.7,
            created_at: from_ts(r.8),
        })
    }
}

fn delivery_of(r: DeliveryRow) -> Result<Delivery> {
    Ok(Delivery {
        id: r.0,
        webhook_id: r.1,
        event_type: r.2,
        payload: r.3,
        status: DeliveryStatus::parse(&r.4)
            .ok_or_else(|| StoreError::Backend(format!("delivery status {:?}", r.4)))?,
        attempts: u32::try_from(r.5).unwrap_or(u32::MAX),
        next_at: from_ts(r.6),
        last_code: r.7.and_then(|c| u16::try_from(c).ok()),
        last_error: r.8,
        created_at: from_ts(r.9),
        finished_at: r.10.map(from_ts),
    })
}

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
        let rows: Vec<HookRow> = sqlx::query_as(
            "SELECT id, realm, account_id, url, allow_http, secret, events, enabled, created_at \
             FROM webhooks WHERE realm IS ? AND account_id IS ? ORDER BY created_at, id",
        )
        .bind(realm)
        .bind(account)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.into_iter().map(|r| self.hook_of(r)).collect()
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
            let d: Option<DeliveryRow> = sqlx::query_as(
                "SELECT d.id, d.webhook_id, d.event_type, d.payload, d.status, d.attempts, d.next_at, d.last_code, d.last_error, d.created_at, d.finished_at FROM webhook_deliveries d WHERE d.id = ?",
            )
            .bind(&id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
            let h: Option<HookRow> =
                sqlx::query_as("SELECT id, realm, account_id, url, allow_http, secret, events, enabled, created_at FROM webhooks WHERE id = ?")
                    .bind(&hook)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
            if let (Some(d), Some(h)) = (d, h) {
                out.push((delivery_of(d)?, self.hook_of(h)?));
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
        let rows: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT d.id, d.webhook_id, d.event_type, d.payload, d.status, d.attempts, d.next_at, d.last_code, d.last_error, d.created_at, d.finished_at FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE w.realm IS ? AND w.account_id IS ? ORDER BY d.created_at DESC, d.id DESC LIMIT ?",
        )
        .bind(realm)
        .bind(account)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.into_iter().map(delivery_of).collect()
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
