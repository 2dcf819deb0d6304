//! The composition root's one choice of backend: a database URL opens the embedded SQLite store
//! (`sqlite://PATH`, or a data directory) or the PostgreSQL store (`postgres://...`). Everything
//! past this point is generic over the store traits; no handler or domain code branches on it.

use std::path::Path;

use symbolon_store::seal::KeyCipher;
use symbolon_store_postgres::{PgSettings, PgStore};
use symbolon_store_sqlite::SqliteStore;

/// An open store of either kind.
#[derive(Debug)]
pub enum Db {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Run `$body` with `$s` bound to the concrete store, whichever it is.
macro_rules! with_db {
    ($db:expr, $s:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($s) => $body,
            $crate::db::Db::Postgres($s) => $body,
        }
    };
}
pub(crate) use with_db;

pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The environment variable (and `serve`'s `server.key_encryption_secret` override) that seals
/// private keys at rest.
pub const SECRET_ENV: &str = "SYMBOLON_SERVER_KEY_ENCRYPTION_SECRET";

/// The key cipher for a configured secret; none when the secret is unset or empty.
pub fn cipher(secret: Option<&str>) -> Result<Option<KeyCipher>, String> {
    match secret.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => KeyCipher::from_secret(s)
            .map(Some)
            .map_err(|e| format!("server.key_encryption_secret: {e}")),
    }
}

/// The administration commands' secret: from the environment, as `serve` reads it too, else
/// from the systemd credential [`CREDENTIAL`].
pub fn env_secret() -> Option<String> {
    std::env::var(SECRET_ENV).ok().or_else(credential_secret)
}

/// The name of the systemd credential (`LoadCredential=key_encryption_secret:/etc/...`) that
/// holds the key-encryption secret when the environment does not.
pub const CREDENTIAL: &str = "key_encryption_secret";

/// The secret from `$CREDENTIALS_DIRECTORY/key_encryption_secret` (systemd's `LoadCredential=`:
/// a file only the service can read, never in the environment or the unit), its trailing line
/// break removed.
pub fn credential_secret() -> Option<String> {
    let dir = std::env::var_os("CREDENTIALS_DIRECTORY")?;
    let text = std::fs::read_to_string(std::path::Path::new(&dir).join(CREDENTIAL)).ok()?;
    Some(text.trim_end_matches(['\r', '\n']).to_string())
}

/// Open (and migrate) the store at `url`, sealing keys when `secret` is set; a `sqlite://`
/// file's directory is created if missing.
pub async fn open_url_sealed(
    url: &str,
    pg: PgSettings,
    secret: Option<&str>,
) -> Result<Db, String> {
    let c = cipher(secret)?;
    Ok(match open_url(url, pg).await? {
        Db::Sqlite(s) => Db::Sqlite(match c {
            Some(c) => s.with_key_cipher(c),
            None => s,
        }),
        Db::Postgres(s) => Db::Postgres(match c {
            Some(c) => s.with_key_cipher(c),
            None => s,
        }),
    })
}

/// Open (and migrate) the store at `url`; a `sqlite://` file's directory is created if missing.
pub async fn open_url(url: &str, pg: PgSettings) -> Result<Db, String> {
    if is_postgres(url) {
        return PgStore::open_with(url, pg)
            .await
            .map(Db::Postgres)
            .map_err(|e| format!("{}: {e}", redact(url)));
    }
    if !url.starts_with("sqlite:") {
        return Err(format!(
            "database URL {:?}: use sqlite://PATH or postgres://USER@HOST/DATABASE",
            redact(url)
        ));
    }
    // A missing file and directory are created by the store, private to the user.
    SqliteStore::open(url)
        .await
        .map(Db::Sqlite)
        .map_err(|e| e.to_string())
}

/// Where an administration command finds the store, the same one the servers use: the first of
/// `--database-url` (or `SYMBOLON_DATABASE_URL`), `--config FILE` (its `[server] database_url`
/// and key-encryption secret, with the `SYMBOLON_SERVER_*` overrides `serve` applies),
/// `SYMBOLON_SERVER_DATABASE_URL`, and `DIR/symbolon.db` in `--data-dir`.
#[derive(clap::Args, Debug, Clone)]
pub struct StoreArgs {
    /// Data directory holding `symbolon.db` (when no database URL or configuration is given).
    #[arg(
        long,
        global = true,
        default_value = "symbolon-data",
        env = "SYMBOLON_DATA_DIR"
    )]
    pub data_dir: std::path::PathBuf,
    /// Database URL (`sqlite://PATH` or `postgres://USER@HOST/DB`).
    #[arg(long, global = true, env = "SYMBOLON_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The servers' configuration file: use its database and key-encryption secret.
    #[arg(long, global = true, env = "SYMBOLON_CONFIG")]
    pub config: Option<std::path::PathBuf>,
}

impl StoreArgs {
    /// Open (and migrate) the store. A `--data-dir` without a database is refused, so that a
    /// typo never answers from an empty database, unless the command makes the first object
    /// (`creates`): then the new database's path is said.
    pub async fn open(&self, creates: bool) -> Result<Db, String> {
        if let Some(url) = &self.database_url {
            return open(Some(url), &self.data_dir).await;
        }
        if let Some(path) = &self.config {
            let env: Vec<(String, String)> = std::env::vars().collect();
            let cfg = crate::serve_cmd::load(path, &env)?;
            let secret = cfg
                .server
                .key_encryption_secret
                .as_ref()
                .map(|s| s.expose().to_string())
                .or_else(env_secret);
            return open_url_sealed(
                &cfg.server.database_url,
                PgSettings::default(),
                secret.as_deref(),
            )
            .await;
        }
        if let Ok(url) = std::env::var("SYMBOLON_SERVER_DATABASE_URL") {
            return open(Some(&url), &self.data_dir).await;
        }
        let file = self.data_dir.join("symbolon.db");
        if !file.exists() {
            if !creates {
                return Err(format!(
                    "{} holds no Symbolon database ({} does not exist). Give the servers' data directory with --data-dir, their configuration with --config FILE, or --database-url; `symbolon idp realm create` or `symbolon sp account create` starts a new database.",
                    self.data_dir.display(),
                    file.display()
                ));
            }
            eprintln!(
                "no database in {}: creating {}",
                self.data_dir.display(),
                file.display()
            );
        }
        open(None, &self.data_dir).await
    }
}

/// The administration commands' store: `--database-url`, else `DIR/symbolon.db`; private keys
/// sealed with the secret in the environment, if any.
pub async fn open(url: Option<&str>, data_dir: &Path) -> Result<Db, String> {
    let secret = env_secret();
    match url {
        Some(u) => open_url_sealed(u, PgSettings::default(), secret.as_deref()).await,
        None => {
            let s = SqliteStore::open_dir(data_dir)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Db::Sqlite(match cipher(secret.as_deref())? {
                Some(c) => s.with_key_cipher(c),
                None => s,
            }))
        }
    }
}

/// A URL fit for messages and logs: the password, if any, replaced.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/symbolon"),
            "postgres://app:***@db:5432/symbolon"
        );
        assert_eq!(redact("postgres://app@db/x"), "postgres://app@db/x");
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
