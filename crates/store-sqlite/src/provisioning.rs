//! SQLite implementation of [`ProvisioningStore`] (migration 0018).

use symbolon_store::Result;
use symbolon_store::provisioning::{ProvisioningStatus, ProvisioningStore, ScimLink};

use crate::{SqliteStore, map_err};

fn link_row(r: &sqlx::sqlite::SqliteRow) -> Result<ScimLink> {
    symbolon_store::codec::scim_link_row(&crate::Cols(r))
}

impl ProvisioningStore for SqliteStore {
    async fn scim_links(&self, client_id: &str) -> Result<Vec<ScimLink>> {
        let rows = sqlx::query(
            "SELECT * FROM idp_scim_links WHERE client_id = ? ORDER BY kind DESC, local_id",
        )
        .bind(client_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(link_row).collect()
    }

    async fn put_scim_link(&self, l: &ScimLink) -> Result<()> {
        sqlx::query("INSERT INTO idp_scim_links (client_id, kind, local_id, remote_id, digest, active) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (client_id, kind, local_id) DO UPDATE SET remote_id = excluded.remote_id, digest = excluded.digest, active = excluded.active")
            .bind(&l.client_id)
            .bind(&l.kind)
            .bind(&l.local_id)
            .bind(&l.remote_id)
            .bind(&l.digest)
            .bind(l.active)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn delete_scim_link(&self, client_id: &str, kind: &str, local_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM idp_scim_links WHERE client_id = ? AND kind = ? AND local_id = ?")
            .bind(client_id)
            .bind(kind)
            .bind(local_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn provisioning_status(&self, client_id: &str) -> Result<ProvisioningStatus> {
        let data: Option<String> =
            sqlx::query_scalar("SELECT data FROM idp_scim_status WHERE client_id = ?")
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        symbolon_store::codec::provisioning_status_of(data.as_deref())
    }

    async fn idp_config_version(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT version FROM idp_config_version WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn set_provisioning_status(&self, client_id: &str, s: &ProvisioningStatus) -> Result<()> {
        sqlx::query("INSERT INTO idp_scim_status (client_id, data) VALUES (?, ?) ON CONFLICT (client_id) DO UPDATE SET data = excluded.data")
            .bind(client_id)
            .bind(symbolon_store::codec::provisioning_status_text(s)?)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
