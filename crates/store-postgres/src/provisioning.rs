//! PostgreSQL implementation of [`ProvisioningStore`] (migration 0011).

use symbolon_store::Result;
use symbolon_store::provisioning::{ProvisioningStatus, ProvisioningStore, ScimLink};

use crate::{PgStore, map_err};

fn link_row(r: &sqlx::postgres::PgRow) -> Result<ScimLink> {
    symbolon_store::codec::scim_link_row(&crate::Cols(r))
}

impl ProvisioningStore for PgStore {
    async fn scim_links(&self, client_id: &str) -> Result<Vec<ScimLink>> {
        let rows = sqlx::query(
            "SELECT * FROM idp_scim_links WHERE client_id = $1 ORDER BY kind DESC, local_id",
        )
        .bind(client_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        rows.iter().map(link_row).collect()
    }

    async fn put_scim_link(&self, l: &ScimLink) -> Result<()> {
        sqlx::query("INSERT INTO idp_scim_links (client_id, kind, local_id, remote_id, digest, active) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id, kind, local_id) DO UPDATE SET remote_id = excluded.remote_id, digest = excluded.digest, active = excluded.active")
            .bind(&l.client_id)
            .bind(&l.kind)
            .bind(&l.local_id)
            .bind(&l.remote_id)
            .bind(&l.digest)
            .bind(l.active)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn delete_scim_link(&self, client_id: &str, kind: &str, local_id: &str) -> Result<()> {
        sqlx::query(
            "DELETE FROM idp_scim_links WHERE client_id = $1 AND kind = $2 AND local_id = $3",
        )
        .bind(client_id)
        .bind(kind)
        .bind(local_id)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn provisioning_status(&self, client_id: &str) -> Result<ProvisioningStatus> {
        let data: Option<String> =
            sqlx::query_scalar("SELECT data FROM idp_scim_status WHERE client_id = $1")
                .bind(client_id)
                .fetch_optional(&mut *self.conn().await?)
                .await
                .map_err(map_err)?;
        symbolon_store::codec::provisioning_status_of(data.as_deref())
    }

    async fn idp_config_version(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT version FROM idp_config_version WHERE id = 1")
            .fetch_one(&mut *self.conn().await?)
            .await
            .map_err(map_err)
    }

    async fn set_provisioning_status(&self, client_id: &str, s: &ProvisioningStatus) -> Result<()> {
        sqlx::query("INSERT INTO idp_scim_status (client_id, data) VALUES ($1, $2) ON CONFLICT (client_id) DO UPDATE SET data = excluded.data")
            .bind(client_id)
            .bind(symbolon_store::codec::provisioning_status_text(s)?)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
