//! PostgreSQL implementation of [`DomainStore`] (migration 0013).

use symbolon_store::Result;
use symbolon_store::domains::{AccountDomain, DomainStore};

use crate::{PgStore, from_ts, map_err, ts};

type Row = (String, String, String, String, Option<i64>, i64);

fn domain_of(r: Row) -> AccountDomain {
    AccountDomain {
        account_id: r.0,
        domain: r.1,
        idp_id: r.2,
        token: r.3,
        verified_at: r.4.map(from_ts),
        created_at: from_ts(r.5),
    }
}

impl DomainStore for PgStore {
    async fn put_domain(&self, d: &AccountDomain) -> Result<()> {
        sqlx::query(
            "INSERT INTO sp_domains (account_id, domain, idp_id, token, verified_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, domain) DO UPDATE SET \
             idp_id = excluded.idp_id, token = excluded.token, verified_at = excluded.verified_at",
        )
        .bind(&d.account_id)
        .bind(&d.domain)
        .bind(&d.idp_id)
        .bind(&d.token)
        .bind(d.verified_at.map(ts))
        .bind(ts(d.created_at))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn account_domains(&self, account_id: &str) -> Result<Vec<AccountDomain>> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT account_id, domain, idp_id, token, verified_at, created_at FROM sp_domains WHERE account_id = $1 ORDER BY domain",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows.into_iter().map(domain_of).collect())
    }

    async fn verified_domain(&self, domain: &str) -> Result<Option<AccountDomain>> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT account_id, domain, idp_id, token, verified_at, created_at FROM sp_domains WHERE domain = $1 AND verified_at IS NOT NULL",
        )
        .bind(domain)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row.map(domain_of))
    }

    async fn has_verified_domains(&self) -> Result<bool> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT 1::BIGINT FROM sp_domains WHERE verified_at IS NOT NULL LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row.is_some())
    }

    async fn delete_domain(&self, account_id: &str, domain: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM sp_domains WHERE account_id = $1 AND domain = $2")
            .bind(account_id)
            .bind(domain)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected() > 0)
    }
}
