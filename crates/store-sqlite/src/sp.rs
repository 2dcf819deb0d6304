//! SQLite implementation of the service provider's store traits (migration 0006).

use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use symbolon_store::codec::{certs_text, found};
use symbolon_store::sp::{
    Account, AccountRole, AccountStore, ApiKey, AuditEntry, GroupMapping, IdpConfig, NativeUser,
    SamlAccount, SamlUser, SamlUserOrder, SpActivityStore, SpIdpStore, SpKey, SpKeyStore, Trace,
};
use symbolon_store::{Result, Secret, StoreError};
use time::OffsetDateTime;

use crate::{SqliteStore, from_ts, map_err, ts};

fn get<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    r: &'r SqliteRow,
    col: &str,
) -> Result<T> {
    r.try_get(col).map_err(map_err)
}

fn role_row(r: &SqliteRow) -> Result<AccountRole> {
    symbolon_store::codec::role_row(&crate::Cols(r))
}

fn user_row(r: &SqliteRow) -> Result<NativeUser> {
    symbolon_store::codec::native_user_row(&crate::Cols(r))
}

fn idp_row(r: &SqliteRow) -> Result<IdpConfig> {
    symbolon_store::codec::idp_row(&crate::Cols(r))
}

fn api_key_row(r: &SqliteRow) -> Result<ApiKey> {
    symbolon_store::codec::api_key_row(&crate::Cols(r))
}

impl AccountStore for SqliteStore {
    async fn rename_account(&self, id: &str, name: &str) -> Result<()> {
        let done = sqlx::query("UPDATE sp_accounts SET name = ?, name_key = ? WHERE id = ?")
            .bind(name)
            .bind(symbolon_store::sp::account_name_key(name))
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        found(done.rows_affected(), "account", id)
    }

    async fn delete_account(&self, id: &str) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        // Mappings and the audit log have no foreign key to the account; the rest cascades.
        for sql in [
            "DELETE FROM sp_group_mappings WHERE account_id = ?",
            "DELETE FROM sp_audit WHERE account_id = ?",
        ] {
            sqlx::query(sql)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        let done = sqlx::query("DELETE FROM sp_accounts WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        found(done.rows_affected(), "account", id)?;
        tx.commit().await.map_err(map_err)
    }

    async fn rename_account_role(&self, account_id: &str, role_id: &str, name: &str) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let done = sqlx::query("UPDATE sp_roles SET name = ? WHERE account_id = ? AND id = ?")
            .bind(name)
            .bind(account_id)
            .bind(role_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        found(done.rows_affected(), "role", role_id)?;
        sqlx::query(
            "UPDATE sp_group_mappings SET role_name = ? WHERE account_id = ? AND role_id = ?",
        )
        .bind(name)
        .bind(account_id)
        .bind(role_id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn native_users(&self, account_id: &str) -> Result<Vec<NativeUser>> {
        let rows = sqlx::query("SELECT * FROM sp_users WHERE account_id = ? ORDER BY email")
            .bind(account_id)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(user_row).collect()
    }

    async fn remove_native_user(&self, account_id: &str, id: &str) -> Result<bool> {
        // One statement, so two concurrent removals cannot both pass the last-master check.
        let done = sqlx::query(
            "DELETE FROM sp_users WHERE account_id = ? AND id = ? AND (master = 0 OR \
             (SELECT COUNT(*) FROM sp_users WHERE account_id = ? AND master = 1) > 1)",
        )
        .bind(account_id)
        .bind(id)
        .bind(account_id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if done.rows_affected() > 0 {
            return Ok(true);
        }
        let exists = sqlx::query("SELECT 1 FROM sp_users WHERE account_id = ? AND id = ?")
            .bind(account_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        match exists {
            Some(_) => Ok(false),
            None => Err(StoreError::NotFound("user", id.into())),
        }
    }

    async fn set_native_password(
        &self,
        account_id: &str,
        id: &str,
        password_hash: &str,
    ) -> Result<()> {
        let done =
            sqlx::query("UPDATE sp_users SET password_hash = ? WHERE account_id = ? AND id = ?")
                .bind(password_hash)
                .bind(account_id)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
        found(done.rows_affected(), "user", id)
    }

    async fn update_saml_account(&self, a: &SamlAccount) -> Result<()> {
        let done = sqlx::query("UPDATE sp_saml_accounts SET role_id = ?, description = ? WHERE account_id = ? AND name = ?")
            .bind(&a.role_id)
            .bind(&a.description)
            .bind(&a.account_id)
            .bind(&a.name)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        found(done.rows_affected(), "SAML account", &a.name)
    }

    async fn remove_saml_account(&self, account_id: &str, name: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM sp_saml_accounts WHERE account_id = ? AND name = ?")
            .bind(account_id)
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        found(done.rows_affected(), "SAML account", name)
    }

    async fn create_account(&self, a: &Account, roles: &[AccountRole]) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query("INSERT INTO sp_accounts (id, name, name_key, created_at) VALUES (?, ?, ?, ?)")
            .bind(&a.id)
            .bind(&a.name)
            .bind(symbolon_store::sp::account_name_key(&a.name))
            .bind(ts(a.created_at))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        for r in roles {
            sqlx::query("INSERT INTO sp_roles (id, account_id, name, builtin) VALUES (?, ?, ?, ?)")
                .bind(&r.id)
                .bind(&r.account_id)
                .bind(&r.name)
                .bind(i64::from(r.builtin))
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn accounts(&self) -> Result<Vec<Account>> {
        let rows = sqlx::query("SELECT * FROM sp_accounts ORDER BY name, id")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(Account {
                    id: get(r, "id")?,
                    name: get(r, "name")?,
                    created_at: from_ts(get(r, "created_at")?),
                })
            })
            .collect()
    }

    async fn account(&self, id: &str) -> Result<Option<Account>> {
        let row = sqlx::query("SELECT * FROM sp_accounts WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| {
            Ok(Account {
                id: get(&r, "id")?,
                name: get(&r, "name")?,
                created_at: from_ts(get(&r, "created_at")?),
            })
        })
        .transpose()
    }

    async fn create_account_role(&self, r: &AccountRole) -> Result<()> {
        sqlx::query("INSERT INTO sp_roles (id, account_id, name, builtin) VALUES (?, ?, ?, ?)")
            .bind(&r.id)
            .bind(&r.account_id)
            .bind(&r.name)
            .bind(i64::from(r.builtin))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn account_roles(&self, account_id: &str) -> Result<Vec<AccountRole>> {
        let rows =
            sqlx::query("SELECT * FROM sp_roles WHERE account_id = ? ORDER BY builtin DESC, name")
                .bind(account_id)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        rows.iter().map(role_row).collect()
    }

    async fn delete_account_role(&self, account_id: &str, role_id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM sp_roles WHERE account_id = ? AND id = ?")
            .bind(account_id)
            .bind(role_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("role", role_id.into()));
        }
        Ok(())
    }

    async fn create_native_user(&self, u: &NativeUser, password_hash: &str) -> Result<()> {
        sqlx::query("INSERT INTO sp_users (id, account_id, email, display_name, master, role_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(&u.id)
            .bind(&u.account_id)
            .bind(&u.email)
            .bind(&u.display_name)
            .bind(i64::from(u.master))
            .bind(&u.role_id)
            .bind(password_hash)
            .bind(ts(u.created_at))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn native_users_by_email(&self, email: &str) -> Result<Vec<(NativeUser, String)>> {
        let rows = sqlx::query("SELECT * FROM sp_users WHERE email = ? ORDER BY account_id")
            .bind(email)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| Ok((user_row(r)?, get(r, "password_hash")?)))
            .collect()
    }

    async fn add_saml_account(&self, a: &SamlAccount) -> Result<()> {
        sqlx::query("INSERT INTO sp_saml_accounts (account_id, name, role_id, description) VALUES (?, ?, ?, ?)")
            .bind(&a.account_id)
            .bind(&a.name)
            .bind(&a.role_id)
            .bind(&a.description)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn saml_accounts(&self, account_id: &str) -> Result<Vec<SamlAccount>> {
        let rows = sqlx::query("SELECT * FROM sp_saml_accounts WHERE account_id = ? ORDER BY name")
            .bind(account_id)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(SamlAccount {
                    account_id: get(r, "account_id")?,
                    name: get(r, "name")?,
                    role_id: get(r, "role_id")?,
                    description: get(r, "description")?,
                })
            })
            .collect()
    }
}

impl SpIdpStore for SqliteStore {
    async fn create_idp(&self, i: &IdpConfig) -> Result<()> {
        sqlx::query("INSERT INTO sp_idps (id, account_id, name, description, entity_id, certs, sso_url, metadata_xml, name_attribute, locale_attribute, timezone_attribute, role_attribute, sp_initiated, allow_cbc, metadata_source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(&i.id)
            .bind(&i.account_id)
            .bind(&i.name)
            .bind(&i.description)
            .bind(&i.entity_id)
            .bind(certs_text(&i.certs)?)
            .bind(&i.sso_url)
            .bind(&i.metadata_xml)
            .bind(&i.name_attribute)
            .bind(&i.locale_attribute)
            .bind(&i.timezone_attribute)
            .bind(&i.role_attribute)
            .bind(i64::from(i.sp_initiated))
            .bind(i64::from(i.allow_cbc))
            .bind(symbolon_store::codec::source_text(&i.metadata_source)?)
            .bind(ts(i.created_at))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn update_idp(&self, i: &IdpConfig) -> Result<()> {
        let done = sqlx::query("UPDATE sp_idps SET name = ?, description = ?, entity_id = ?, certs = ?, sso_url = ?, metadata_xml = ?, name_attribute = ?, locale_attribute = ?, timezone_attribute = ?, role_attribute = ?, sp_initiated = ?, allow_cbc = ?, metadata_source = ? WHERE id = ? AND account_id = ?")
            .bind(&i.name)
            .bind(&i.description)
            .bind(&i.entity_id)
            .bind(certs_text(&i.certs)?)
            .bind(&i.sso_url)
            .bind(&i.metadata_xml)
            .bind(&i.name_attribute)
            .bind(&i.locale_attribute)
            .bind(&i.timezone_attribute)
            .bind(&i.role_attribute)
            .bind(i64::from(i.sp_initiated))
            .bind(i64::from(i.allow_cbc))
            .bind(symbolon_store::codec::source_text(&i.metadata_source)?)
            .bind(&i.id)
            .bind(&i.account_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("identity provider", i.id.clone()));
        }
        Ok(())
    }

    async fn delete_idp(&self, account_id: &str, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM sp_idps WHERE account_id = ? AND id = ?")
            .bind(account_id)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("identity provider", id.into()));
        }
        Ok(())
    }

    async fn idps(&self, account_id: &str) -> Result<Vec<IdpConfig>> {
        let rows = sqlx::query("SELECT * FROM sp_idps WHERE account_id = ? ORDER BY name")
            .bind(account_id)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(idp_row).collect()
    }

    async fn idps_with_source(&self) -> Result<Vec<IdpConfig>> {
        let rows = sqlx::query(
            "SELECT * FROM sp_idps WHERE metadata_source IS NOT NULL ORDER BY account_id, name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(idp_row).collect()
    }

    async fn idp_by_id(&self, id: &str) -> Result<Option<IdpConfig>> {
        let row = sqlx::query("SELECT * FROM sp_idps WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| idp_row(&r)).transpose()
    }

    async fn idps_by_entity_id(&self, entity_id: &str) -> Result<Vec<IdpConfig>> {
        let rows =
            sqlx::query("SELECT * FROM sp_idps WHERE entity_id = ? ORDER BY account_id, name")
                .bind(entity_id)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        rows.iter().map(idp_row).collect()
    }

    async fn add_mapping(&self, m: &GroupMapping) -> Result<()> {
        sqlx::query("INSERT INTO sp_group_mappings (idp_id, account_id, group_name, role_id, role_name) VALUES (?, ?, ?, ?, ?)")
            .bind(&m.idp_id)
            .bind(&m.account_id)
            .bind(&m.group)
            .bind(&m.role_id)
            .bind(&m.role_name)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn remove_mapping(&self, account_id: &str, group: &str) -> Result<()> {
        let done =
            sqlx::query("DELETE FROM sp_group_mappings WHERE account_id = ? AND group_name = ?")
                .bind(account_id)
                .bind(group)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
        found(done.rows_affected(), "mapping", group)
    }

    async fn set_mapping_role(
        &self,
        account_id: &str,
        group: &str,
        role_id: &str,
        role_name: &str,
    ) -> Result<()> {
        let done = sqlx::query("UPDATE sp_group_mappings SET role_id = ?, role_name = ? WHERE account_id = ? AND group_name = ?")
            .bind(role_id)
            .bind(role_name)
            .bind(account_id)
            .bind(group)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        found(done.rows_affected(), "mapping", group)
    }

    async fn mappings(&self, idp_id: &str) -> Result<Vec<GroupMapping>> {
        let rows =
            sqlx::query("SELECT * FROM sp_group_mappings WHERE idp_id = ? ORDER BY group_name")
                .bind(idp_id)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(GroupMapping {
                    idp_id: get(r, "idp_id")?,
                    account_id: get(r, "account_id")?,
                    group: get(r, "group_name")?,
                    role_id: get(r, "role_id")?,
                    role_name: get(r, "role_name")?,
                })
            })
            .collect()
    }
}

impl SpActivityStore for SqliteStore {
    async fn saml_user_seen(
        &self,
        account_id: &str,
        name_id: &str,
        role: &str,
        new_id: &str,
        at: OffsetDateTime,
    ) -> Result<String> {
        crate::sign_in::saml_user_seen(
            &mut *self.pool.acquire().await.map_err(map_err)?,
            account_id,
            name_id,
            role,
            new_id,
            at,
        )
        .await
    }

    async fn saml_users(&self, account_id: &str) -> Result<Vec<SamlUser>> {
        let rows = sqlx::query("SELECT * FROM sp_saml_users WHERE account_id = ? ORDER BY name_id")
            .bind(account_id)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| symbolon_store::codec::saml_user_row(&crate::Cols(r)))
            .collect()
    }

    async fn saml_user(&self, account_id: &str, name_id: &str) -> Result<Option<SamlUser>> {
        let row = sqlx::query("SELECT * FROM sp_saml_users WHERE account_id = ? AND name_id = ?")
            .bind(account_id)
            .bind(name_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| symbolon_store::codec::saml_user_row(&crate::Cols(&r)))
            .transpose()
    }

    async fn saml_users_page(
        &self,
        account_id: &str,
        search: &str,
        order: SamlUserOrder,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<SamlUser>, u64)> {
        let pattern = symbolon_store::like_pattern(search);
        let q = match order {
            SamlUserOrder::NameId => sqlx::query(
                "SELECT * FROM sp_saml_users WHERE account_id = ?1 AND (?2 = '' OR name_id LIKE ?3 ESCAPE '\\' OR last_role LIKE ?3 ESCAPE '\\') ORDER BY name_id LIMIT ?4 OFFSET ?5",
            ),
            SamlUserOrder::LastRole => sqlx::query(
                "SELECT * FROM sp_saml_users WHERE account_id = ?1 AND (?2 = '' OR name_id LIKE ?3 ESCAPE '\\' OR last_role LIKE ?3 ESCAPE '\\') ORDER BY last_role, name_id LIMIT ?4 OFFSET ?5",
            ),
            SamlUserOrder::LastLogon => sqlx::query(
                "SELECT * FROM sp_saml_users WHERE account_id = ?1 AND (?2 = '' OR name_id LIKE ?3 ESCAPE '\\' OR last_role LIKE ?3 ESCAPE '\\') ORDER BY last_logon DESC, name_id LIMIT ?4 OFFSET ?5",
            ),
        };
        let rows = q
            .bind(account_id)
            .bind(search)
            .bind(&pattern)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .bind(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        let users = rows
            .iter()
            .map(|r| symbolon_store::codec::saml_user_row(&crate::Cols(r)))
            .collect::<Result<Vec<_>>>()?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sp_saml_users WHERE account_id = ?1 AND (?2 = '' OR name_id LIKE ?3 ESCAPE '\\' OR last_role LIKE ?3 ESCAPE '\\')")
            .bind(account_id)
            .bind(search)
            .bind(&pattern)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok((users, u64::try_from(total).unwrap_or(0)))
    }

    async fn prune_saml_users(&self, cutoff: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sp_saml_users WHERE last_logon < ?")
            .bind(ts(cutoff))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn audit(&self, e: &AuditEntry) -> Result<()> {
        crate::sign_in::insert_audit(&mut *self.pool.acquire().await.map_err(map_err)?, e).await
    }

    async fn audit_log(&self, account_id: &str) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query("SELECT * FROM sp_audit WHERE account_id = ? ORDER BY seq")
            .bind(account_id)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| symbolon_store::codec::audit_row(&crate::Cols(r)))
            .collect()
    }

    async fn audit_page(
        &self,
        account_id: &str,
        action: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<AuditEntry>, u64)> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT * FROM sp_audit WHERE account_id = ?1 AND (?2 = '' OR action = ?2) ORDER BY seq DESC LIMIT ?3 OFFSET ?4",
        )
        .bind(account_id)
        .bind(action)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let entries = rows
            .iter()
            .map(|r| symbolon_store::codec::audit_row(&crate::Cols(r)))
            .collect::<Result<Vec<_>>>()?;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sp_audit WHERE account_id = ?1 AND (?2 = '' OR action = ?2)",
        )
        .bind(account_id)
        .bind(action)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok((entries, u64::try_from(total).unwrap_or(0)))
    }

    async fn audit_actions(&self, account_id: &str) -> Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT DISTINCT action FROM sp_audit WHERE account_id = ?1 ORDER BY action",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn record_trace(&self, t: &Trace, keep: u32) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        crate::sign_in::insert_trace(&mut tx, t, keep).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn prune_traces(&self, cutoff: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sp_traces WHERE at < ?")
            .bind(ts(cutoff))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn traces(&self, account_id: &str, limit: u32) -> Result<Vec<Trace>> {
        let rows =
            sqlx::query("SELECT * FROM sp_traces WHERE account_id = ? ORDER BY seq DESC LIMIT ?")
                .bind(account_id)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(Trace {
                    account_id: get(r, "account_id")?,
                    at: from_ts(get(r, "at")?),
                    idp_name: get(r, "idp_name")?,
                    code: get(r, "code")?,
                    reason: get(r, "reason")?,
                    message: get(r, "message")?,
                    reference: get(r, "reference")?,
                })
            })
            .collect()
    }

    async fn create_api_key(&self, k: &ApiKey) -> Result<()> {
        sqlx::query("INSERT INTO sp_api_keys (id, account_id, name, key_sha256, created_at, revoked, scope) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(&k.id)
            .bind(&k.account_id)
            .bind(&k.name)
            .bind(&k.key_sha256)
            .bind(ts(k.created_at))
            .bind(i64::from(k.revoked))
            .bind(&k.scope)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn api_key_by_hash(&self, sha256_hex: &str) -> Result<Option<ApiKey>> {
        let row = sqlx::query("SELECT * FROM sp_api_keys WHERE key_sha256 = ?")
            .bind(sha256_hex)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| api_key_row(&r)).transpose()
    }

    async fn api_keys(&self, account_id: &str) -> Result<Vec<ApiKey>> {
        let rows =
            sqlx::query("SELECT * FROM sp_api_keys WHERE account_id = ? ORDER BY created_at, id")
                .bind(account_id)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        rows.iter().map(api_key_row).collect()
    }

    async fn revoke_api_key(&self, account_id: &str, id: &str) -> Result<()> {
        let done =
            sqlx::query("UPDATE sp_api_keys SET revoked = 1 WHERE account_id = ? AND id = ?")
                .bind(account_id)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("API key", id.into()));
        }
        Ok(())
    }

    async fn commit_sign_in(
        &self,
        b: &symbolon_store::sp::SignInBatch,
        now: OffsetDateTime,
    ) -> Result<bool> {
        self.commit_sign_in_tx(b, now).await
    }

    async fn record_rejections(
        &self,
        r: &symbolon_store::sp::Rejections,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.record_rejections_tx(r, now).await
    }

    async fn sp_config_version(&self) -> Result<i64> {
        self.config_version().await
    }

    async fn replay_cache_entries(&self, now: OffsetDateTime) -> Result<u64> {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM sp_consumed_assertions WHERE until > ?")
                .bind(ts(now))
                .fetch_one(&self.pool)
                .await
                .map_err(map_err)?
                .try_get("n")
                .map_err(map_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

impl SpKeyStore for SqliteStore {
    async fn sp_key(&self) -> Result<Option<SpKey>> {
        let row = sqlx::query("SELECT * FROM sp_keys ORDER BY created_at, kid LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| {
            let kid: String = get(&r, "kid")?;
            let stored: String = get(&r, "private_key_pem")?;
            Ok(SpKey {
                private_key_pem: Secret(self.open_key(&kid, &stored)?),
                kid,
                certificate_der: get(&r, "certificate_der")?,
                created_at: from_ts(get(&r, "created_at")?),
            })
        })
        .transpose()
    }

    async fn init_sp_key(&self, k: &SpKey) -> Result<SpKey> {
        if let Some(existing) = self.sp_key().await? {
            return Ok(existing);
        }
        sqlx::query("INSERT OR IGNORE INTO sp_keys (kid, private_key_pem, certificate_der, created_at) VALUES (?, ?, ?, ?)")
            .bind(&k.kid)
            .bind(self.seal_key(&k.kid, &k.private_key_pem.0)?)
            .bind(&k.certificate_der)
            .bind(ts(k.created_at))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        self.sp_key()
            .await?
            .ok_or_else(|| StoreError::Backend("the SP key was not stored".into()))
    }
}
