//! Whole-deployment export and import, in the JSON-lines format the SQLite store writes (see
//! `symbolon_store_sqlite::transfer`): the way a deployment moves from SQLite to PostgreSQL.

use serde_json::{Map, Value, json};
use sqlx::Row;
use symbolon_store::export::{TABLES, bytes_of, bytes_value, check_header, header, parse_row};
use symbolon_store::{Result, StoreError};

use crate::{PgStore, map_err};

fn bad(msg: impl Into<String>) -> StoreError {
    StoreError::Backend(msg.into())
}

/// (column, data type, is identity) in table order.
async fn columns(s: &PgStore, table: &str) -> Result<Vec<(String, String, bool)>> {
    let rows = sqlx::query("SELECT column_name::TEXT AS name, data_type::TEXT AS ty, is_identity::TEXT AS ident FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position")
        .bind(table)
        .fetch_all(&s.pool)
        .await
        .map_err(map_err)?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("name").map_err(map_err)?,
                r.try_get("ty").map_err(map_err)?,
                r.try_get::<String, _>("ident").map_err(map_err)? == "YES",
            ))
        })
        .collect()
}

impl PgStore {
    /// Write every row as JSON lines to `out` (one snapshot); returns the number of rows.
    pub async fn export(&self, out: &mut (dyn std::io::Write + Send)) -> Result<u64> {
        let io = |e: std::io::Error| bad(e.to_string());
        let mut types = Vec::new();
        for t in TABLES {
            types.push((t, columns(self, t).await?));
        }
        writeln!(out, "{}", header()).map_err(io)?;
        let mut tx = self.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let mut n = 0;
        for (table, cols) in types {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM \"{table}\"")))
                .fetch_all(&mut *tx)
                .await
                .map_err(map_err)?;
            for r in rows {
                let mut row = Map::new();
                for (name, ty, _) in &cols {
                    let c = name.as_str();
                    let v = match ty.as_str() {
                        "bigint" | "integer" => r
                            .try_get::<Option<i64>, _>(c)
                            .map_err(map_err)?
                            .map_or(Value::Null, Value::from),
                        // Flags leave as 0/1, as SQLite writes them.
                        "boolean" => r
                            .try_get::<Option<bool>, _>(c)
                            .map_err(map_err)?
                            .map_or(Value::Null, |b| Value::from(i64::from(b))),
                        "bytea" => r
                            .try_get::<Option<Vec<u8>>, _>(c)
                            .map_err(map_err)?
                            .map_or(Value::Null, |b| bytes_value(&b)),
                        _ => r
                            .try_get::<Option<String>, _>(c)
                            .map_err(map_err)?
                            .map_or(Value::Null, Value::from),
                    };
                    row.insert(name.clone(), v);
                }
                writeln!(out, "{}", json!({"table": table, "row": row})).map_err(io)?;
                n += 1;
            }
        }
        tx.commit().await.map_err(map_err)?;
        Ok(n)
    }

    /// Read an export into this database, all or nothing, in one transaction; the database must
    /// hold no realm and no account yet. Identity sequences continue after the imported rows.
    pub async fn import(&self, lines: &mut dyn Iterator<Item = String>) -> Result<u64> {
        check_header(&lines.next().ok_or_else(|| bad("the export is empty"))?)?;
        let mut types = std::collections::HashMap::new();
        for t in TABLES {
            types.insert(t, columns(self, t).await?);
        }
        let mut tx = self.begin().await?;
        let used: i64 = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM realms) + (SELECT COUNT(*) FROM sp_accounts) AS n",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?
        .try_get("n")
        .map_err(map_err)?;
        if used > 0 {
            return Err(StoreError::Conflict(
                "the target database already holds data; import into an empty one".into(),
            ));
        }
        let mut n = 0;
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let (table, row) = parse_row(&line)?;
            let table = TABLES
                .iter()
                .find(|t| **t == table)
                .ok_or_else(|| bad("unknown table"))?;
            let cols = types.get(table).ok_or_else(|| bad("unknown table"))?;
            let present: Vec<_> = cols.iter().filter(|c| row.contains_key(&c.0)).collect();
            let identity = present.iter().any(|c| c.2);
            let sql = format!(
                "INSERT INTO \"{table}\" ({}) {}VALUES ({})",
                present
                    .iter()
                    .map(|c| format!("\"{}\"", c.0))
                    .collect::<Vec<_>>()
                    .join(", "),
                if identity {
                    "OVERRIDING SYSTEM VALUE "
                } else {
                    ""
                },
                (1..=present.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (c, ty, _) in present {
                let val = row.get(c).unwrap_or(&Value::Null);
                let what = || bad(format!("{table}.{c}: unexpected value {val}"));
                q = match (ty.as_str(), val) {
                    ("boolean", Value::Null) => q.bind(None::<bool>),
                    ("boolean", Value::Bool(b)) => q.bind(*b),
                    ("boolean", Value::Number(x)) => q.bind(x.as_i64().ok_or_else(what)? != 0),
                    ("bigint" | "integer", Value::Null) => q.bind(None::<i64>),
                    ("bigint" | "integer", Value::Number(x)) => {
                        q.bind(x.as_i64().ok_or_else(what)?)
                    }
                    ("bytea", Value::Null) => q.bind(None::<Vec<u8>>),
                    ("bytea", Value::Object(_)) => q.bind(bytes_of(val)?),
                    (_, Value::Null) => q.bind(None::<String>),
                    (_, Value::String(s)) => q.bind(s.clone()),
                    _ => return Err(what()),
                };
            }
            q.execute(&mut *tx).await.map_err(map_err)?;
            n += 1;
        }
        for (table, cols) in &types {
            for (c, _, ident) in cols {
                if *ident {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT setval(pg_get_serial_sequence('\"{table}\"', '{c}'), COALESCE((SELECT MAX(\"{c}\") FROM \"{table}\"), 0) + 1, false)"
                    )))
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                }
            }
        }
        tx.commit().await.map_err(map_err)?;
        Ok(n)
    }

    /// The tables this database has (to check `TABLES` is complete).
    pub async fn table_names(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT table_name::TEXT AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx%' ORDER BY table_name")
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        // Tables the database derives itself are not part of an export.
        let mut names = Vec::with_capacity(rows.len());
        for r in &rows {
            let name: String = r.try_get("name").map_err(map_err)?;
            if !symbolon_store::export::DERIVED.contains(&name.as_str()) {
                names.push(name);
            }
        }
        Ok(names)
    }
}
