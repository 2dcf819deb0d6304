//! A realm's branding on its sign-in pages (`BrandingStore`).

use crate::{SqliteStore, from_ts, map_err, ts};
use sqlx::Row;
use symbolon_store::branding::{Branding, BrandingStore, Logo};
use symbolon_store::{Result, StoreError};
use time::OffsetDateTime;

impl BrandingStore for SqliteStore {
    async fn branding(&self, realm: &str) -> Result<Branding> {
        let row = sqlx::query(
            "SELECT accent, logo_type, logo, updated_at FROM realm_branding WHERE realm = ?",
        )
        .bind(realm)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        let Some(r) = row else {
            return Ok(Branding::default());
        };
        let logo_type: Option<String> = r.try_get("logo_type").map_err(map_err)?;
        let logo: Option<Vec<u8>> = r.try_get("logo").map_err(map_err)?;
        Ok(Branding {
            accent: r.try_get("accent").map_err(map_err)?,
            logo: logo_type.zip(logo).map(|(content_type, bytes)| Logo {
                content_type,
                bytes,
            }),
            updated_at: Some(from_ts(r.try_get("updated_at").map_err(map_err)?)),
        })
    }

    async fn set_branding(&self, realm: &str, b: &Branding, now: OffsetDateTime) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let known = sqlx::query("SELECT 1 FROM realms WHERE name = ?")
            .bind(realm)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?;
        if known.is_none() {
            return Err(StoreError::NotFound("realm", realm.to_string()));
        }
        sqlx::query("DELETE FROM realm_branding WHERE realm = ?")
            .bind(realm)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        if !b.is_empty() {
            sqlx::query("INSERT INTO realm_branding (realm, accent, logo_type, logo, updated_at) VALUES (?, ?, ?, ?, ?)")
                .bind(realm)
                .bind(&b.accent)
                .bind(b.logo.as_ref().map(|l| &l.content_type))
                .bind(b.logo.as_ref().map(|l| &l.bytes))
                .bind(ts(now))
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }
}
