//! PostgreSQL implementation of the identity provider's day-2 changes (`IdpChangeStore`).

use symbolon_store::codec::found;
use symbolon_store::{IdpChangeStore, Realm, Result};

use crate::{PgStore, map_err};

impl IdpChangeStore for PgStore {
    async fn update_realm(&self, r: &Realm) -> Result<()> {
        let done = sqlx::query(
            "UPDATE realms SET display_name = $1, enabled = $2, assertion_lifespan_secs = $3 WHERE name = $4",
        )
        .bind(&r.display_name)
        .bind(r.enabled)
        .bind(r.assertion_lifespan_secs)
        .bind(&r.name)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        found(done.rows_affected(), "realm", &r.name)
    }

    async fn delete_realm(&self, name: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        // Events have no foreign key to the realm; everything else cascades.
        sqlx::query("DELETE FROM events WHERE realm = $1")
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let done = sqlx::query("DELETE FROM realms WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        found(done.rows_affected(), "realm", name)?;
        tx.commit().await.map_err(map_err)
    }

    async fn delete_user(&self, realm: &str, id: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        // Role grants and client assignments name the user without a foreign key.
        for sql in [
            "DELETE FROM role_grants WHERE kind = 'user' AND subject_id = $1",
            "DELETE FROM client_access WHERE kind = 'user' AND subject_id = $1",
        ] {
            sqlx::query(sql)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        let done = sqlx::query("DELETE FROM users WHERE realm = $1 AND id = $2")
            .bind(realm)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        found(done.rows_affected(), "user", id)?;
        tx.commit().await.map_err(map_err)
    }

    async fn delete_client(&self, realm: &str, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM clients WHERE realm = $1 AND id = $2")
            .bind(realm)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        found(done.rows_affected(), "client", id)
    }

    async fn remove_member(&self, user_id: &str, group_id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM user_groups WHERE user_id = $1 AND group_id = $2")
            .bind(user_id)
            .bind(group_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        found(done.rows_affected(), "membership", group_id)
    }

    async fn group_member_ids(&self, group_id: &str) -> Result<Vec<String>> {
        sqlx::query_scalar("SELECT user_id FROM user_groups WHERE group_id = $1 ORDER BY user_id")
            .bind(group_id)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn delete_groups(&self, realm: &str, ids: &[String]) -> Result<()> {
        let mut tx = self.begin().await?;
        for id in ids {
            for sql in [
                "DELETE FROM role_grants WHERE kind = 'group' AND subject_id = $1",
                "DELETE FROM client_access WHERE kind = 'group' AND subject_id = $1",
            ] {
                sqlx::query(sql)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
            }
            let done = sqlx::query("DELETE FROM groups WHERE realm = $1 AND id = $2")
                .bind(realm)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            found(done.rows_affected(), "group", id)?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn rename_role(&self, realm: &str, name: &str, new_name: &str) -> Result<()> {
        let done = sqlx::query("UPDATE roles SET name = $1 WHERE realm = $2 AND name = $3")
            .bind(new_name)
            .bind(realm)
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        found(done.rows_affected(), "role", name)
    }

    async fn move_group(&self, realm: &str, old_path: &str, new_path: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        let prefix = format!("{old_path}/");
        let done = sqlx::query(
            "UPDATE groups SET path = $1 || substr(path, $2) WHERE realm = $3 AND (path = $4 OR substr(path, 1, $5) = $6)",
        )
        .bind(new_path)
        .bind(i32::try_from(old_path.chars().count() + 1).unwrap_or(i32::MAX))
        .bind(realm)
        .bind(old_path)
        .bind(i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX))
        .bind(&prefix)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        found(done.rows_affected(), "group", old_path)?;
        tx.commit().await.map_err(map_err)
    }
}
