//! PostgreSQL implementation of [`ScimStore`] (migration 0010).

use sqlx::postgres::PgRow;
use symbolon_store::codec::found;
use symbolon_store::scim::{ScimGroup, ScimSettings, ScimStore, ScimUser, user_name_key};
use symbolon_store::{Result, StoreError};

use crate::{PgStore, map_err, ts};

fn user_row(r: &PgRow) -> Result<ScimUser> {
    symbolon_store::codec::scim_user_row(&crate::Cols(r))
}

fn group_row(r: &PgRow) -> Result<ScimGroup> {
    symbolon_store::codec::scim_group_row(&crate::Cols(r))
}

async fn add_members(
    tx: &mut sqlx::PgConnection,
    account_id: &str,
    group_id: &str,
    members: &[String],
) -> Result<()> {
    let next: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM sp_scim_members WHERE group_id = $1",
    )
    .bind(group_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(map_err)?;
    // One statement for any number of members (a group of 10,000 is one round trip).
    sqlx::query("INSERT INTO sp_scim_members (account_id, group_id, user_id, seq) SELECT $1, $2, t.u, $3 + t.n FROM UNNEST($4::text[]) WITH ORDINALITY AS t(u, n) ON CONFLICT DO NOTHING")
        .bind(account_id)
        .bind(group_id)
        .bind(next)
        .bind(members)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    Ok(())
}

async fn bump_members(
    tx: &mut sqlx::PgConnection,
    account_id: &str,
    group_id: &str,
    at: i64,
) -> Result<()> {
    sqlx::query("UPDATE sp_scim_users SET version = version + 1, modified_at = $1 WHERE account_id = $2 AND id IN (SELECT user_id FROM sp_scim_members WHERE group_id = $3)")
        .bind(at)
        .bind(account_id)
        .bind(group_id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    Ok(())
}

async fn bump_users(
    tx: &mut sqlx::PgConnection,
    account_id: &str,
    ids: &[String],
    at: i64,
) -> Result<()> {
    sqlx::query("UPDATE sp_scim_users SET version = version + 1, modified_at = $1 WHERE account_id = $2 AND id = ANY($3)")
        .bind(at)
        .bind(account_id)
        .bind(ids)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    Ok(())
}

impl ScimStore for PgStore {
    async fn scim_users(&self, account_id: &str) -> Result<Vec<ScimUser>> {
        let rows = sqlx::query(
            "SELECT * FROM sp_scim_users WHERE account_id = $1 ORDER BY created_at, id",
        )
        .bind(account_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        rows.iter().map(user_row).collect()
    }

    async fn scim_user(&self, account_id: &str, id: &str) -> Result<Option<ScimUser>> {
        let row = sqlx::query("SELECT * FROM sp_scim_users WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.map(|r| user_row(&r)).transpose()
    }

    async fn scim_user_by_name(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<ScimUser>> {
        let row =
            sqlx::query("SELECT * FROM sp_scim_users WHERE account_id = $1 AND user_name_key = $2")
                .bind(account_id)
                .bind(user_name_key(user_name))
                .fetch_optional(&mut *self.conn().await?)
                .await
                .map_err(map_err)?;
        row.map(|r| user_row(&r)).transpose()
    }

    async fn create_scim_user(&self, u: &ScimUser) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM sp_scim_removed WHERE account_id = $1 AND name_id = $2")
            .bind(&u.account_id)
            .bind(&u.name_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("INSERT INTO sp_scim_users (id, account_id, user_name, user_name_key, external_id, name_id, active, version, created_at, modified_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(&u.id)
            .bind(&u.account_id)
            .bind(&u.user_name)
            .bind(user_name_key(&u.user_name))
            .bind(&u.external_id)
            .bind(&u.name_id)
            .bind(u.active)
            .bind(u.version)
            .bind(ts(u.created_at))
            .bind(ts(u.modified_at))
            .bind(&u.doc)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn replace_scim_user(&self, u: &ScimUser, expected_version: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE sp_scim_users SET user_name = $1, user_name_key = $2, external_id = $3, name_id = $4, active = $5, version = $6, modified_at = $7, doc = $8 WHERE account_id = $9 AND id = $10 AND version = $11")
            .bind(&u.user_name)
            .bind(user_name_key(&u.user_name))
            .bind(&u.external_id)
            .bind(&u.name_id)
            .bind(u.active)
            .bind(u.version)
            .bind(ts(u.modified_at))
            .bind(&u.doc)
            .bind(&u.account_id)
            .bind(&u.id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 1 {
            tx.commit().await.map_err(map_err)?;
            return Ok(true);
        }
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM sp_scim_users WHERE account_id = $1 AND id = $2",
        )
        .bind(&u.account_id)
        .bind(&u.id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        match exists {
            None => Err(StoreError::NotFound("SCIM user", u.id.clone())),
            Some(_) => Ok(false),
        }
    }

    async fn delete_scim_user(&self, account_id: &str, id: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        let name_id: Option<String> = sqlx::query_scalar(
            "DELETE FROM sp_scim_users WHERE account_id = $1 AND id = $2 RETURNING name_id",
        )
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let name_id = name_id.ok_or_else(|| StoreError::NotFound("SCIM user", id.into()))?;
        sqlx::query("INSERT INTO sp_scim_removed (account_id, name_id, removed_at) VALUES ($1, $2, $3) ON CONFLICT (account_id, name_id) DO UPDATE SET removed_at = excluded.removed_at")
            .bind(account_id)
            .bind(&name_id)
            .bind(ts(time::OffsetDateTime::now_utc()))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn scim_removed(&self, account_id: &str) -> Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT name_id FROM sp_scim_removed WHERE account_id = $1 ORDER BY name_id",
        )
        .bind(account_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(map_err)
    }

    async fn scim_groups(&self, account_id: &str) -> Result<Vec<ScimGroup>> {
        let rows = sqlx::query(
            "SELECT * FROM sp_scim_groups WHERE account_id = $1 ORDER BY created_at, id",
        )
        .bind(account_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        rows.iter().map(group_row).collect()
    }

    async fn scim_group(&self, account_id: &str, id: &str) -> Result<Option<ScimGroup>> {
        let row = sqlx::query("SELECT * FROM sp_scim_groups WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.map(|r| group_row(&r)).transpose()
    }

    async fn scim_memberships(&self, account_id: &str) -> Result<Vec<(String, String)>> {
        sqlx::query_as(
            "SELECT group_id, user_id FROM sp_scim_members WHERE account_id = $1 ORDER BY group_id, seq",
        )
        .bind(account_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(map_err)
    }

    async fn scim_groups_of(
        &self,
        account_id: &str,
        user_id: &str,
    ) -> Result<Vec<(String, String)>> {
        sqlx::query_as(
            "SELECT g.id, g.display_name FROM sp_scim_members m JOIN sp_scim_groups g ON g.id = m.group_id WHERE m.account_id = $1 AND m.user_id = $2 ORDER BY g.display_name, g.id",
        )
        .bind(account_id)
        .bind(user_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(map_err)
    }

    async fn scim_group_members(&self, account_id: &str, group_id: &str) -> Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT user_id FROM sp_scim_members WHERE account_id = $1 AND group_id = $2 ORDER BY seq",
        )
        .bind(account_id)
        .bind(group_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(map_err)
    }

    async fn create_scim_group(&self, g: &ScimGroup, members: &[String]) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO sp_scim_groups (id, account_id, display_name, external_id, version, created_at, modified_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&g.id)
            .bind(&g.account_id)
            .bind(&g.display_name)
            .bind(&g.external_id)
            .bind(g.version)
            .bind(ts(g.created_at))
            .bind(ts(g.modified_at))
            .bind(&g.doc)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        add_members(&mut tx, &g.account_id, &g.id, members).await?;
        bump_members(&mut tx, &g.account_id, &g.id, ts(g.modified_at)).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn replace_scim_group(
        &self,
        g: &ScimGroup,
        expected_version: i64,
        add: &[String],
        remove: &[String],
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE sp_scim_groups SET display_name = $1, external_id = $2, version = $3, modified_at = $4, doc = $5 WHERE account_id = $6 AND id = $7 AND version = $8")
            .bind(&g.display_name)
            .bind(&g.external_id)
            .bind(g.version)
            .bind(ts(g.modified_at))
            .bind(&g.doc)
            .bind(&g.account_id)
            .bind(&g.id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() != 1 {
            let exists: Option<i64> = sqlx::query_scalar(
                "SELECT version FROM sp_scim_groups WHERE account_id = $1 AND id = $2",
            )
            .bind(&g.account_id)
            .bind(&g.id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?;
            return match exists {
                None => Err(StoreError::NotFound("SCIM group", g.id.clone())),
                Some(_) => Ok(false),
            };
        }
        sqlx::query("DELETE FROM sp_scim_members WHERE group_id = $1 AND user_id = ANY($2)")
            .bind(&g.id)
            .bind(remove)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        add_members(&mut tx, &g.account_id, &g.id, add).await?;
        bump_members(&mut tx, &g.account_id, &g.id, ts(g.modified_at)).await?;
        bump_users(&mut tx, &g.account_id, remove, ts(g.modified_at)).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    async fn delete_scim_group(
        &self,
        account_id: &str,
        id: &str,
        at: time::OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        bump_members(&mut tx, account_id, id, ts(at)).await?;
        let done = sqlx::query("DELETE FROM sp_scim_groups WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        found(done.rows_affected(), "SCIM group", id)?;
        tx.commit().await.map_err(map_err)
    }

    async fn scim_settings(&self, account_id: &str) -> Result<ScimSettings> {
        let row: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT name_source, default_role_id FROM sp_scim_settings WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(match row {
            Some((name_source, default_role_id)) => ScimSettings {
                account_id: account_id.into(),
                name_source,
                default_role_id,
            },
            None => ScimSettings::default_for(account_id),
        })
    }

    async fn set_scim_settings(&self, s: &ScimSettings) -> Result<()> {
        sqlx::query("INSERT INTO sp_scim_settings (account_id, name_source, default_role_id) VALUES ($1, $2, $3) ON CONFLICT (account_id) DO UPDATE SET name_source = excluded.name_source, default_role_id = excluded.default_role_id")
            .bind(&s.account_id)
            .bind(&s.name_source)
            .bind(&s.default_role_id)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
