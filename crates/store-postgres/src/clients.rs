//! PostgreSQL implementation of [`ClientStore`]: a client is its columns and a JSON document
//! (`data`); the list's search and order read the display name from that document.

use sqlx::postgres::PgRow;
use symbolon_store::{Client, ClientOrder, ClientPage, ClientStore, ListPage, Result, StoreError};

use crate::{PgStore, map_err, ts};

pub(crate) fn client_row(r: &PgRow) -> Result<Client> {
    symbolon_store::codec::client_row(&crate::Cols(r))
}

impl ClientStore for PgStore {
    async fn create_client(&self, c: &Client) -> Result<()> {
        sqlx::query("INSERT INTO clients (id, realm, client_id, url_name, data, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&c.id)
            .bind(&c.realm)
            .bind(&c.client_id)
            .bind(&c.idp_initiated_url_name)
            .bind(symbolon_store::codec::client_data_sealed(c, self.cipher.as_deref())?)
            .bind(ts(c.created_at))
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn update_client(&self, c: &Client) -> Result<()> {
        let done = sqlx::query(
            "UPDATE clients SET client_id = $1, url_name = $2, data = $3 WHERE realm = $4 AND id = $5",
        )
        .bind(&c.client_id)
        .bind(&c.idp_initiated_url_name)
        .bind(symbolon_store::codec::client_data_sealed(c, self.cipher.as_deref())?)
        .bind(&c.realm)
        .bind(&c.id)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("client", c.client_id.clone()));
        }
        Ok(())
    }

    async fn client(&self, realm: &str, client_id: &str) -> Result<Option<Client>> {
        let row = sqlx::query("SELECT * FROM clients WHERE realm = $1 AND client_id = $2")
            .bind(realm)
            .bind(client_id)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.map(|r| self.open_client(&r)).transpose()
    }

    async fn client_by_url_name(&self, realm: &str, url_name: &str) -> Result<Option<Client>> {
        let row = sqlx::query("SELECT * FROM clients WHERE realm = $1 AND url_name = $2")
            .bind(realm)
            .bind(url_name)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.map(|r| self.open_client(&r)).transpose()
    }

    async fn clients(&self, realm: &str) -> Result<Vec<Client>> {
        let rows = sqlx::query("SELECT * FROM clients WHERE realm = $1 ORDER BY client_id")
            .bind(realm)
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(|r| self.open_client(r)).collect()
    }

    async fn clients_page(&self, realm: &str, page: &ClientPage) -> Result<(Vec<Client>, u64)> {
        let rows = match page.order {
            ClientOrder::ClientId => {
                "SELECT * FROM clients WHERE realm = $1 AND ($2 = '' OR client_id ILIKE $3 ESCAPE '\\' OR COALESCE(url_name, '') ILIKE $3 ESCAPE '\\' OR COALESCE((data::json ->> 'name'), '') ILIKE $3 ESCAPE '\\') ORDER BY client_id LIMIT $4 OFFSET $5"
            }
            ClientOrder::Name => {
                "SELECT * FROM clients WHERE realm = $1 AND ($2 = '' OR client_id ILIKE $3 ESCAPE '\\' OR COALESCE(url_name, '') ILIKE $3 ESCAPE '\\' OR COALESCE((data::json ->> 'name'), '') ILIKE $3 ESCAPE '\\') ORDER BY (data::json ->> 'name') IS NULL, (data::json ->> 'name'), client_id LIMIT $4 OFFSET $5"
            }
            ClientOrder::UrlName => {
                "SELECT * FROM clients WHERE realm = $1 AND ($2 = '' OR client_id ILIKE $3 ESCAPE '\\' OR COALESCE(url_name, '') ILIKE $3 ESCAPE '\\' OR COALESCE((data::json ->> 'name'), '') ILIKE $3 ESCAPE '\\') ORDER BY url_name IS NULL, url_name, client_id LIMIT $4 OFFSET $5"
            }
        };
        const COUNT: &str = "SELECT COUNT(*) FROM clients WHERE realm = $1 AND ($2 = '' OR client_id ILIKE $3 ESCAPE '\\' OR COALESCE(url_name, '') ILIKE $3 ESCAPE '\\' OR COALESCE((data::json ->> 'name'), '') ILIKE $3 ESCAPE '\\')";
        let (rows, total) = self.list_page(rows, COUNT, realm, page).await?;
        let clients = rows
            .iter()
            .map(|r| self.open_client(r))
            .collect::<Result<Vec<_>>>()?;
        Ok((clients, total))
    }
}

impl PgStore {
    /// One page of a realm's list: `rows` (binds: the realm, the search, its `LIKE` pattern, the
    /// limit and the offset) and `count` (the first three): the page's rows and how many match.
    pub(crate) async fn list_page<O>(
        &self,
        rows: &'static str,
        count: &'static str,
        realm: &str,
        page: &ListPage<O>,
    ) -> Result<(Vec<PgRow>, u64)> {
        let pattern = page.like_pattern();
        let (limit, offset) = page.bounds();
        let found = sqlx::query(rows)
            .bind(realm)
            .bind(page.search.as_str())
            .bind(&pattern)
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        let total: i64 = sqlx::query_scalar(count)
            .bind(realm)
            .bind(page.search.as_str())
            .bind(&pattern)
            .fetch_one(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok((found, u64::try_from(total).unwrap_or(0)))
    }
}
