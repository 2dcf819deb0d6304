//! Whole-deployment export and import as JSON lines (`symbolon export` / `import`): one header
//! line, then one line per row, tables in dependency order. Values: integers, text, null, and
//! `{"b64": ...}` for bytes. The same format is read and written by the PostgreSQL store, so a
//! deployment moves from SQLite to PostgreSQL (or back) with its keys, users and history.

use serde_json::{Map, Value, json};
use sqlx::Row;
use symbolon_store::export::{TABLES, bytes_of, bytes_value, check_header, header, parse_row};
use symbolon_store::{Result, StoreError};

use crate::{SqliteStore, map_err};

fn bad(msg: impl Into<String>) -> StoreError {
    StoreError::Backend(msg.into())
}

async fn columns(s: &SqliteStore, table: &str) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query("SELECT name, type FROM pragma_table_info(?) ORDER BY cid")
        .bind(table)
        .fetch_all(&s.pool)
        .await
        .map_err(map_err)?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("name").map_err(map_err)?,
                r.try_get::<String, _>("type")
                    .map_err(map_err)?
                    .to_uppercase(),
            ))
        })
        .collect()
}

impl SqliteStore {
    /// Write every row as JSON lines to `out`; returns the number of rows.
    pub async fn export(&self, out: &mut (dyn std::io::Write + Send)) -> Result<u64> {
        let io = |e: std::io::Error| bad(e.to_string());
        writeln!(out, "{}", header()).map_err(io)?;
        let mut types = Vec::new();
        for t in TABLES {
            types.push((t, columns(self, t).await?));
        }
        let mut n = 0;
        let mut tx = self.pool.begin().await.map_err(map_err)?; // one consistent snapshot
        for (table, cols) in types {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM \"{table}\"")))
                .fetch_all(&mut *tx)
                .await
                .map_err(map_err)?;
            for r in rows {
                let mut row = Map::new();
                for (name, ty) in &cols {
                    let v = if ty.contains("INT") {
                        r.try_get::<Option<i64>, _>(name.as_str())
                            .map_err(map_err)?
                            .map_or(Value::Null, Value::from)
                    } else if ty.contains("BLOB") {
                        r.try_get::<Option<Vec<u8>>, _>(name.as_str())
                            .map_err(map_err)?
                            .map_or(Value::Null, |b| bytes_value(&b))
                    } else {
                        r.try_get::<Option<String>, _>(name.as_str())
                            .map_err(map_err)?
                            .map_or(Value::Null, Value::from)
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

    /// Read an export into this store, all or nothing, in one transaction. The store must hold
    /// no realm and no account yet (an import never merges into live data).
    pub async fn import(&self, lines: &mut dyn Iterator<Item = String>) -> Result<u64> {
        check_header(&lines.next().ok_or_else(|| bad("the export is empty"))?)?;
        let mut types = std::collections::HashMap::new();
        for t in TABLES {
            types.insert(t, columns(self, t).await?);
        }
        let mut tx = self.pool.begin().await.map_err(map_err)?;
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
            let cols = types
                .get(table.as_str())
                .ok_or_else(|| bad("unknown table"))?;
            let names: Vec<&(String, String)> =
                cols.iter().filter(|(c, _)| row.contains_key(c)).collect();
            let sql = format!(
                "INSERT INTO \"{table}\" ({}) VALUES ({})",
                names
                    .iter()
                    .map(|(c, _)| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
                vec!["?"; names.len()].join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (c, ty) in names {
                let v = row.get(c).unwrap_or(&Value::Null);
                q = match v {
                    Value::Null => q.bind(None::<String>),
                    Value::Bool(b) => q.bind(i64::from(*b)),
                    Value::Number(x) => q.bind(x.as_i64().ok_or_else(|| bad("not an integer"))?),
                    Value::String(s) => q.bind(s.clone()),
                    Value::Object(_) if ty.contains("BLOB") => q.bind(bytes_of(v)?),
                    _ => return Err(bad(format!("{table}.{c}: unexpected value"))),
                };
            }
            q.execute(&mut *tx).await.map_err(map_err)?;
            n += 1;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(n)
    }

    /// The tables this database has (to check `TABLES` is complete).
    pub async fn table_names(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
        )
        .fetch_all(&self.pool)
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
