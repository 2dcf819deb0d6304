//! `symbolon serve --config FILE` (the identity provider, the service provider, or both in one
//! process) and `symbolon config check FILE`. The configuration is TOML; every key can be
//! overridden by an environment variable `SYMBOLON_{SECTION}_{KEY}` (e.g. `SYMBOLON_IDP_BASE_URL`);
//! unknown keys are errors that name the key.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde::Deserialize;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The configuration file (TOML). See `symbolon.sample.toml`.
    #[arg(long)]
    config: PathBuf,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// The configuration file whose `server.database_url` to migrate...
    #[arg(
        long,
        conflicts_with = "database_url",
        required_unless_present = "database_url"
    )]
    config: Option<PathBuf>,
    /// ...or the database URL itself (`sqlite://PATH` or `postgres://...`).
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The configuration file to check.
    file: PathBuf,
}

#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerSection,
    pub idp: Option<RoleSection>,
    pub sp: Option<RoleSection>,
}

#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// `sqlite://PATH` (created if missing) or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`.
    #[serde(default = "default_db")]
    pub database_url: String,
    /// PostgreSQL: connections per instance.
    #[serde(default = "default_pool")]
    pub pool_size: u32,
    /// PostgreSQL: how long a request waits for a connection before a 503.
    #[serde(default = "default_acquire")]
    pub acquire_timeout_secs: u64,
    /// PostgreSQL: `statement_timeout` for every statement.
    #[serde(default = "default_statement")]
    pub statement_timeout_secs: u64,
    /// `text` or `json`.
    #[serde(default = "default_log")]
    pub log_format: String,
    /// Reverse proxies (addresses or CIDR blocks) whose `X-Forwarded-For` names the client.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Seals the private keys in the database (AES-256-GCM under a key derived from it); at
    /// least 32 characters of random data. Best given in the environment
    /// (`SYMBOLON_SERVER_KEY_ENCRYPTION_SECRET`); every instance and admin command needs it.
    #[serde(default)]
    pub key_encryption_secret: Option<Redacted>,
    /// How often expired sessions, flows and counters are purged (seconds; one instance does it).
    #[serde(default = "default_purge")]
    pub purge_interval_secs: u64,
    /// An address of its own for `GET /metrics` (Prometheus), answered to whoever reaches it:
    /// bind it to a private network. Without it, each role's own listener answers `/metrics`
    /// to loopback clients only.
    #[serde(default)]
    pub metrics_listen: Option<String>,
    /// OpenTelemetry: the OTLP/HTTP collector traces are sent to (`http(s)://HOST:PORT`, the
    /// spans go to `/v1/traces` under it). Off when not set.
    #[serde(default)]
    pub otlp_endpoint: Option<String>,
    /// The share of traces kept (0.0 to 1.0; a caller's sampled `traceparent` is followed).
    #[serde(default = "default_ratio")]
    pub otlp_sample_ratio: f64,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            database_url: default_db(),
            pool_size: default_pool(),
            acquire_timeout_secs: default_acquire(),
            statement_timeout_secs: default_statement(),
            log_format: default_log(),
            trusted_proxies: Vec::new(),
            purge_interval_secs: default_purge(),
            key_encryption_secret: None,
            metrics_listen: None,
            otlp_endpoint: None,
            otlp_sample_ratio: default_ratio(),
        }
    }
}

fn default_db() -> String {
    "sqlite://symbolon-data/symbolon.db".into()
}

fn default_ratio() -> f64 {
    1.0
}

fn default_pool() -> u32 {
    16
}

fn default_acquire() -> u64 {
    5
}

fn default_statement() -> u64 {
    10
}

fn default_purge() -> u64 {
    600
}

fn default_log() -> String {
    "text".into()
}

/// A secret from the configuration: never shown by `Debug`.
#[derive(Deserialize, Clone, PartialEq)]
#[serde(transparent)]
pub struct Redacted(String);

impl Redacted {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

/// One role's listener and public URL.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RoleSection {
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub listen: String,
    /// The public base URL users and peers see, e.g. `https://idp.example.com`.
    pub base_url: String,
    /// PEM certificate chain and private key: serve HTTPS here (rustls) instead of plain HTTP
    /// behind a reverse proxy that terminates TLS.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// SP only: accept an assertion at most this many seconds after its IssueInstant (plus the
    /// clock skew), whatever its NotOnOrAfter says (default 300, at most 86400).
    pub max_assertion_lifetime_secs: Option<u64>,
    /// SP only: how long traces of rejected responses are kept, in seconds (default 7 days).
    pub trace_retention_secs: Option<u64>,
    /// Metadata URLs are fetched again after this many seconds (default 21600, six hours; a
    /// document's cacheDuration or validUntil may ask for sooner, never below five minutes or
    /// this value).
    pub metadata_refresh_secs: Option<u64>,
    /// How often the scheduler looks for metadata URLs that are due, in seconds (default 300).
    pub metadata_check_secs: Option<u64>,
    /// A metadata fetch gives up after this many seconds (default 20).
    pub metadata_fetch_timeout_secs: Option<u64>,
    /// SP only: the token that opens the tenant API (`/api/v1/accounts`) to the operator's own
    /// code; at least 32 characters of random data, best given as `SYMBOLON_SP_OPERATOR_TOKEN`.
    /// Unset, the tenant API is off.
    pub operator_token: Option<Redacted>,
    /// SP only: the name server (`IP:PORT`) asked for the TXT records that prove an account's
    /// email domain (home-realm discovery); unset, the system's resolver.
    pub dns_server: Option<std::net::SocketAddr>,
    /// SP only: let metadata URLs and webhooks of the accounts reach private, loopback and
    /// link-local addresses (default false: public addresses only, so that a tenant cannot make
    /// the server call into the operator's network).
    pub allow_private_addresses: Option<bool>,
    /// SP only: a master administrator may create another account from the console's account
    /// settings, and becomes its master administrator (default true). Set false when accounts
    /// are made only by the operator (the tenant API or the CLI).
    pub accounts_from_console: Option<bool>,
    /// IdP only: single logout asks the other applications of a session in frames of one IdP
    /// page, all at once, and moves on after `logout_frame_wait_secs` whoever has not answered
    /// (default false: one full-page redirect after another, which every SP supports but which
    /// leaves the user at an application that never answers). Frames suit SPs that end a
    /// session by its SessionIndex without their own cookie (a cookie is not sent to a frame of
    /// another site).
    pub logout_frames: Option<bool>,
    /// IdP only: how long the logout page waits for the applications in frames (default 10
    /// seconds, 1 to 120).
    pub logout_frame_wait_secs: Option<u64>,
}

/// The keys of `[idp]` and `[sp]` (`RoleSection`).
const ROLE_KEYS: &[&str] = &[
    "listen",
    "base_url",
    "tls_cert",
    "tls_key",
    "max_assertion_lifetime_secs",
    "trace_retention_secs",
    "metadata_refresh_secs",
    "metadata_check_secs",
    "metadata_fetch_timeout_secs",
    "operator_token",
    "dns_server",
    "allow_private_addresses",
    "accounts_from_console",
    "logout_frames",
    "logout_frame_wait_secs",
];

/// Read, apply environment overrides, and check a configuration.
pub fn load(path: &Path, env: &[(String, String)]) -> Result<Config, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut value: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("{}: {}", path.display(), e.message()))?;
    for (k, v) in env {
        let Some(rest) = k.strip_prefix("SYMBOLON_") else {
            continue;
        };
        let lower = rest.to_ascii_lowercase();
        let Some((section, key)) = ["server", "idp", "sp"].iter().find_map(|s| {
            lower
                .strip_prefix(&format!("{s}_"))
                .map(|k| (*s, k.to_string()))
        }) else {
            continue;
        };
        if matches!(key.as_str(), "data_dir" | "database_url") && section != "server" {
            continue;
        }
        // A role the file does not serve is made from the environment only when it says where
        // to listen; otherwise a setting for it (SYMBOLON_SP_ALLOW_PRIVATE_ADDRESSES beside an
        // IdP-only file) changes nothing.
        // (An unknown key is still put in, so that it is refused by name.)
        if section != "server"
            && ROLE_KEYS.contains(&key.as_str())
            && !value.contains_key(section)
            && !env
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(&format!("SYMBOLON_{section}_LISTEN")))
        {
            continue;
        }
        let table = value
            .entry(section.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Table(t) = table {
            let value = if key == "trusted_proxies" {
                toml::Value::Array(
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| toml::Value::String(s.to_string()))
                        .collect(),
                )
            } else if let Ok(n) = v.parse::<i64>()
                && (key.ends_with("_secs") || key == "pool_size")
            {
                toml::Value::Integer(n)
            } else if let Ok(f) = v.parse::<f64>()
                && key.ends_with("_ratio")
            {
                toml::Value::Float(f)
            } else if let Ok(b) = v.parse::<bool>()
                && (key.starts_with("allow_") || key == "logout_frames")
            {
                toml::Value::Boolean(b)
            } else {
                toml::Value::String(v.clone())
            };
            t.insert(key, value);
        }
    }
    let cfg: Config = toml::Value::Table(value)
        .try_into()
        .map_err(|e: toml::de::Error| format!("{}: {}", path.display(), e.message()))?;
    check(&cfg)?;
    Ok(cfg)
}

fn check(cfg: &Config) -> Result<(), String> {
    if cfg.idp.is_none() && cfg.sp.is_none() {
        return Err(
            "the configuration has neither an [idp] nor an [sp] section: nothing to serve".into(),
        );
    }
    if !cfg.server.database_url.starts_with("sqlite:")
        && !crate::db::is_postgres(&cfg.server.database_url)
    {
        return Err(format!(
            "server.database_url {:?}: use sqlite://PATH or postgres://USER@HOST/DATABASE",
            crate::db::redact(&cfg.server.database_url)
        ));
    }
    for (k, v) in [
        ("pool_size", u64::from(cfg.server.pool_size)),
        ("acquire_timeout_secs", cfg.server.acquire_timeout_secs),
        ("statement_timeout_secs", cfg.server.statement_timeout_secs),
    ] {
        if v == 0 {
            return Err(format!("server.{k} must be at least 1"));
        }
    }
    if !matches!(cfg.server.log_format.as_str(), "text" | "json") {
        return Err(format!(
            "server.log_format {:?} must be \"text\" or \"json\"",
            cfg.server.log_format
        ));
    }
    crate::logging::Telemetry::of(&cfg.server).check()?;
    for (name, s) in [("idp", &cfg.idp), ("sp", &cfg.sp)] {
        if let Some(s) = s {
            if s.listen.parse::<std::net::SocketAddr>().is_err() {
                return Err(format!(
                    "{name}.listen {:?} must be an address and port, e.g. 127.0.0.1:8080",
                    s.listen
                ));
            }
            if !(s.base_url.starts_with("https://") || s.base_url.starts_with("http://")) {
                return Err(format!(
                    "{name}.base_url {:?} must start with https:// (or http:// for local testing)",
                    s.base_url
                ));
            }
        }
    }
    if let Some(i) = &cfg.idp
        && (i.max_assertion_lifetime_secs.is_some()
            || i.trace_retention_secs.is_some()
            || i.operator_token.is_some()
            || i.dns_server.is_some()
            || i.allow_private_addresses.is_some()
            || i.accounts_from_console.is_some())
    {
        return Err(
            "max_assertion_lifetime_secs, trace_retention_secs, operator_token, dns_server, allow_private_addresses and accounts_from_console belong in [sp], not [idp]"
                .into(),
        );
    }
    if let Some(s) = &cfg.sp
        && (s.logout_frames.is_some() || s.logout_frame_wait_secs.is_some())
    {
        return Err("logout_frames and logout_frame_wait_secs belong in [idp], not [sp]".into());
    }
    if let Some(w) = cfg.idp.as_ref().and_then(|i| i.logout_frame_wait_secs)
        && !(1..=120).contains(&w)
    {
        return Err(format!(
            "idp.logout_frame_wait_secs {w} must be 1 to 120 seconds"
        ));
    }
    if let Some(t) = cfg.sp.as_ref().and_then(|s| s.operator_token.as_ref())
        && t.expose().trim().chars().count() < 32
    {
        return Err("sp.operator_token must be at least 32 characters of random data".into());
    }
    for (name, r) in [("idp", &cfg.idp), ("sp", &cfg.sp)] {
        let Some(r) = r else { continue };
        if let Some(v) = r.metadata_refresh_secs
            && !(1..=7 * 86_400).contains(&v)
        {
            return Err(format!(
                "{name}.metadata_refresh_secs {v} must be between 1 and 604800 (7 days)"
            ));
        }
        if let Some(v) = r.metadata_check_secs
            && !(1..=3_600).contains(&v)
        {
            return Err(format!(
                "{name}.metadata_check_secs {v} must be between 1 and 3600"
            ));
        }
        if let Some(v) = r.metadata_fetch_timeout_secs
            && !(1..=300).contains(&v)
        {
            return Err(format!(
                "{name}.metadata_fetch_timeout_secs {v} must be between 1 and 300"
            ));
        }
    }
    if let Some(s) = &cfg.sp {
        if let Some(v) = s.max_assertion_lifetime_secs
            && !(1..=86_400).contains(&v)
        {
            return Err(format!(
                "sp.max_assertion_lifetime_secs {v} must be between 1 and 86400"
            ));
        }
        if let Some(v) = s.trace_retention_secs
            && !(3_600..=366 * 86_400).contains(&v)
        {
            return Err(format!(
                "sp.trace_retention_secs {v} must be between 3600 (an hour) and 31622400 (366 days)"
            ));
        }
    }
    if let (Some(i), Some(s)) = (&cfg.idp, &cfg.sp)
        && i.listen == s.listen
    {
        return Err("idp.listen and sp.listen must differ".into());
    }
    if let Some(m) = &cfg.server.metrics_listen {
        if m.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!(
                "server.metrics_listen {m:?} must be an address and port, e.g. 127.0.0.1:9464"
            ));
        }
        for (name, r) in [("idp", &cfg.idp), ("sp", &cfg.sp)] {
            if r.as_ref().is_some_and(|r| &r.listen == m) {
                return Err(format!(
                    "server.metrics_listen and {name}.listen must differ"
                ));
            }
        }
    }
    symbolon_web::front::TrustedProxies::parse(&cfg.server.trusted_proxies)
        .map_err(|e| format!("server.trusted_proxies: {e}"))?;
    crate::db::cipher(
        cfg.server
            .key_encryption_secret
            .as_ref()
            .map(Redacted::expose),
    )?;
    if cfg.server.purge_interval_secs == 0 {
        return Err("server.purge_interval_secs must be at least 1".into());
    }
    for (name, s) in [("idp", &cfg.idp), ("sp", &cfg.sp)] {
        if let Some(s) = s {
            tls_of(name, s)?;
        }
    }
    Ok(())
}

/// The role's TLS configuration, if it serves HTTPS itself; checks both files now.
fn tls_of(
    name: &str,
    s: &RoleSection,
) -> Result<Option<std::sync::Arc<tokio_rustls::rustls::ServerConfig>>, String> {
    match (&s.tls_cert, &s.tls_key) {
        (None, None) => Ok(None),
        (Some(c), Some(k)) => {
            if !s.base_url.starts_with("https://") {
                return Err(format!(
                    "{name}.base_url {:?} must start with https:// when {name}.tls_cert is set",
                    s.base_url
                ));
            }
            crate::tls::server_config(c, k)
                .map(Some)
                .map_err(|e| format!("{name}.tls_cert/tls_key: {e}"))
        }
        _ => Err(format!(
            "{name}.tls_cert and {name}.tls_key go together: set both or neither"
        )),
    }
}

fn env_vars() -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("SYMBOLON_"))
        .collect();
    // The systemd credential stands for the environment variable when that is not set.
    if !env.iter().any(|(k, _)| k == crate::db::SECRET_ENV)
        && let Some(secret) = crate::db::credential_secret()
    {
        env.push((crate::db::SECRET_ENV.to_string(), secret));
    }
    env
}

pub fn migrate_cmd(a: MigrateArgs) -> ExitCode {
    let url = match (&a.config, a.database_url) {
        (_, Some(u)) => u,
        (Some(path), None) => match load(path, &env_vars()) {
            Ok(c) => c.server.database_url,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(1);
            }
        },
        (None, None) => {
            eprintln!("give --config FILE or --database-url URL");
            return ExitCode::from(2);
        }
    };
    crate::block_on(false, async move {
        // Opening applies what is missing (in order, each in a transaction; on PostgreSQL under
        // an advisory lock, so instances starting at once do not race).
        crate::db::open_url(&url, symbolon_store_postgres::PgSettings::default()).await?;
        println!("{}: migrations applied", crate::db::redact(&url));
        Ok(())
    })
}

pub fn check_cmd(a: CheckArgs) -> ExitCode {
    match load(&a.file, &env_vars()) {
        Ok(cfg) => {
            let roles: Vec<&str> = [
                cfg.idp.as_ref().map(|_| "idp"),
                cfg.sp.as_ref().map(|_| "sp"),
            ]
            .into_iter()
            .flatten()
            .collect();
            println!("{}: OK (roles: {})", a.file.display(), roles.join(", "));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

pub fn run(a: ServeArgs) -> ExitCode {
    let cfg = match load(&a.config, &env_vars()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    // Logs go to standard error; standard output carries only the "listening on" lines.
    let traces = crate::logging::init(
        if cfg.server.log_format == "json" {
            crate::logging::LogFormat::Json
        } else {
            crate::logging::LogFormat::Text
        },
        &crate::logging::Telemetry::of(&cfg.server),
    );
    let code = crate::block_on(true, serve(cfg));
    // Spans still in the batch are sent before the process ends.
    drop(traces);
    code
}

async fn serve(cfg: Config) -> Result<(), String> {
    let pg = symbolon_store_postgres::PgSettings {
        max_connections: cfg.server.pool_size,
        acquire_timeout: std::time::Duration::from_secs(cfg.server.acquire_timeout_secs),
        statement_timeout: std::time::Duration::from_secs(cfg.server.statement_timeout_secs),
    };
    let db = crate::db::open_url_sealed(
        &cfg.server.database_url,
        pg,
        cfg.server
            .key_encryption_secret
            .as_ref()
            .map(Redacted::expose),
    )
    .await?;
    crate::db::with_db!(db, store => serve_with(store, cfg).await)
}

async fn serve_with<S>(store: S, cfg: Config) -> Result<(), String>
where
    S: symbolon_store::IdpStore + symbolon_store::sp::SpStore,
{
    let mut tasks = Vec::new();
    let trusted = symbolon_web::front::TrustedProxies::parse(&cfg.server.trusted_proxies)?;
    // Before any "listening on" line: a SIGTERM from then on stops every server gracefully.
    symbolon_web::shutdown::listen_for_shutdown();
    symbolon_web::metrics::install();
    if let Some(m) = &cfg.server.metrics_listen {
        let l = tokio::net::TcpListener::bind(m)
            .await
            .map_err(|e| format!("server.metrics_listen {m}: {e}"))?;
        println!("metrics listening on http://{m}/metrics");
        tasks.push(tokio::spawn(symbolon_web::metrics::serve_metrics(l)));
    }
    if let Some(i) = &cfg.idp {
        let tls = tls_of("idp", i)?;
        let l = tokio::net::TcpListener::bind(&i.listen)
            .await
            .map_err(|e| format!("idp.listen {}: {e}", i.listen))?;
        println!(
            "idp listening on {}://{} (base URL {})",
            if tls.is_some() { "https" } else { "http" },
            i.listen,
            i.base_url
        );
        let st = store.clone();
        let mut wc = symbolon_idp_web::http::WebConfig::new(&i.base_url);
        wc.shown_jobs = crate::jobs_cmd::all_jobs();
        wc.trusted_proxies = trusted.clone();
        wc.purge_every = std::time::Duration::from_secs(cfg.server.purge_interval_secs);
        if let Some(secs) = i.metadata_refresh_secs {
            wc.metadata_refresh.interval = time::Duration::seconds(secs as i64);
        }
        if let Some(secs) = i.metadata_check_secs {
            wc.metadata_check_every = std::time::Duration::from_secs(secs);
        }
        if let Some(secs) = i.metadata_fetch_timeout_secs {
            wc.fetch_limits.timeout = std::time::Duration::from_secs(secs);
        }
        wc.logout_frames = i.logout_frames.unwrap_or(false);
        if let Some(secs) = i.logout_frame_wait_secs {
            wc.logout_frame_wait = std::time::Duration::from_secs(secs);
        }
        tasks.push(match tls {
            Some(t) => {
                let l = crate::tls::TlsListener::new(l, t).map_err(|e| e.to_string())?;
                tokio::spawn(async move { symbolon_idp_web::http::serve(st, wc, l).await })
            }
            None => tokio::spawn(async move { symbolon_idp_web::http::serve(st, wc, l).await }),
        });
    }
    if let Some(s) = &cfg.sp {
        let tls = tls_of("sp", s)?;
        let l = tokio::net::TcpListener::bind(&s.listen)
            .await
            .map_err(|e| format!("sp.listen {}: {e}", s.listen))?;
        symbolon_sp::sp_key(&store, &s.base_url, time::OffsetDateTime::now_utc())
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "sp listening on {}://{} (base URL {})",
            if tls.is_some() { "https" } else { "http" },
            s.listen,
            s.base_url
        );
        let st = store.clone();
        let mut sc = symbolon_sp_web::http::SpConfig::new(&s.base_url);
        sc.trusted_proxies = trusted.clone();
        sc.purge_every = std::time::Duration::from_secs(cfg.server.purge_interval_secs);
        if let Some(secs) = s.max_assertion_lifetime_secs {
            sc.acs.max_assertion_lifetime = time::Duration::seconds(secs as i64);
        }
        if let Some(secs) = s.trace_retention_secs {
            sc.trace_retention = time::Duration::seconds(secs as i64);
        }
        if let Some(secs) = s.metadata_refresh_secs {
            sc.metadata_refresh.interval = time::Duration::seconds(secs as i64);
        }
        if let Some(secs) = s.metadata_check_secs {
            sc.metadata_check_every = std::time::Duration::from_secs(secs);
        }
        if let Some(secs) = s.metadata_fetch_timeout_secs {
            sc.fetch_limits.timeout = std::time::Duration::from_secs(secs);
        }
        sc.operator_token_sha256 = s
            .operator_token
            .as_ref()
            .map(|t| symbolon_sp_web::tenants::token_sha256(t.expose().trim()));
        sc.dns_server = s.dns_server;
        sc.fetch_limits.public_only = !s.allow_private_addresses.unwrap_or(false);
        sc.accounts_from_console = s.accounts_from_console.unwrap_or(true);
        tasks.push(match tls {
            Some(t) => {
                let l = crate::tls::TlsListener::new(l, t).map_err(|e| e.to_string())?;
                tokio::spawn(async move { symbolon_sp_web::http::serve(st, sc, l).await })
            }
            None => tokio::spawn(async move { symbolon_sp_web::http::serve(st, sc, l).await }),
        });
    }
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    for t in tasks {
        t.await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("c.toml");
        std::fs::write(&p, text).unwrap();
        (d, p)
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let (_d, p) = write(
            "[idp]\nlisten = \"127.0.0.1:1\"\nbase_url = \"https://idp\"\ncolour = \"red\"\n",
        );
        assert!(load(&p, &[]).unwrap_err().contains("colour"));
        let (_d, p) = write(
            "[server]\nlog_format = \"xml\"\n[sp]\nlisten = \"127.0.0.1:1\"\nbase_url = \"https://sp\"\n",
        );
        assert!(load(&p, &[]).unwrap_err().contains("log_format"));
        let (_d, p) = write("[server]\n");
        assert!(load(&p, &[]).unwrap_err().contains("nothing to serve"));
        let (_d, p) = write("[sp]\nlisten = \"nowhere\"\nbase_url = \"https://sp\"\n");
        assert!(load(&p, &[]).unwrap_err().contains("sp.listen"));
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let (_d, p) = write("[idp]\nlisten = \"127.0.0.1:1\"\nbase_url = \"https://idp\"\n");
        let env = vec![(
            "SYMBOLON_SERVER_KEY_ENCRYPTION_SECRET".to_string(),
            "0123456789abcdef0123456789abcdef-very-secret".to_string(),
        )];
        let c = load(&p, &env).unwrap();
        assert_eq!(
            c.server
                .key_encryption_secret
                .as_ref()
                .map(Redacted::expose),
            Some("0123456789abcdef0123456789abcdef-very-secret")
        );
        assert!(!format!("{c:?}").contains("very-secret"));
    }

    #[test]
    fn logout_frames_belong_to_the_idp_with_a_bounded_wait() {
        let dir = std::env::temp_dir().join(format!("symbolon-cfg-frames-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("c.toml");
        let load_text = |text: &str| {
            std::fs::write(&path, text).map_err(|e| e.to_string())?;
            load(&path, &[])
        };
        let idp = "[idp]\nlisten = \"127.0.0.1:1\"\nbase_url = \"https://idp\"\n";
        let c = load_text(&format!(
            "{idp}logout_frames = true\nlogout_frame_wait_secs = 5\n"
        ));
        let i = c.ok().and_then(|c| c.idp);
        assert_eq!(i.as_ref().and_then(|i| i.logout_frames), Some(true));
        assert_eq!(i.and_then(|i| i.logout_frame_wait_secs), Some(5));
        let e = load_text(&format!("{idp}logout_frame_wait_secs = 0\n")).err();
        assert!(e.is_some_and(|e| e.contains("1 to 120")));
        let e = load_text(&format!("{idp}logout_frame_wait_secs = 121\n")).err();
        assert!(e.is_some_and(|e| e.contains("1 to 120")));
        let sp =
            "[sp]\nlisten = \"127.0.0.1:2\"\nbase_url = \"https://sp\"\nlogout_frames = true\n";
        let e = load_text(sp).err();
        assert!(e.is_some_and(|e| e.contains("belong in [idp]")));
        // From the environment, as a boolean.
        let env = [("SYMBOLON_IDP_LOGOUT_FRAMES".to_string(), "true".to_string())];
        std::fs::write(&path, idp).ok();
        let c = load(&path, &env).ok().and_then(|c| c.idp);
        assert_eq!(c.and_then(|i| i.logout_frames), Some(true));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn role_keys_are_the_sections_keys() {
        for key in ROLE_KEYS {
            let value = match *key {
                "listen" | "base_url" => continue,
                "allow_private_addresses" | "accounts_from_console" | "logout_frames" => "true",
                k if k.ends_with("_secs") => "1",
                "dns_server" => "\"127.0.0.1:53\"",
                _ => "\"x\"",
            };
            let text = format!(
                "[sp]\nlisten = \"127.0.0.1:1\"\nbase_url = \"https://sp\"\n{key} = {value}\n"
            );
            if let Err(e) = toml::from_str::<Config>(&text) {
                assert!(!e.message().contains("unknown field"), "{key}: {e}");
            }
        }
    }

    #[test]
    fn environment_overrides_keys() {
        let (_d, p) = write("[idp]\nlisten = \"127.0.0.1:1\"\nbase_url = \"https://idp\"\n");
        let env = vec![
            (
                "SYMBOLON_IDP_BASE_URL".to_string(),
                "https://login.example.com".to_string(),
            ),
            (
                "SYMBOLON_SERVER_DATABASE_URL".to_string(),
                "sqlite://x.db".to_string(),
            ),
            ("OTHER".to_string(), "x".to_string()),
        ];
        let c = load(&p, &env).unwrap();
        assert_eq!(c.idp.unwrap().base_url, "https://login.example.com");
        assert_eq!(c.server.database_url, "sqlite://x.db");
        let proxies = vec![(
            "SYMBOLON_SERVER_TRUSTED_PROXIES".to_string(),
            "10.0.0.0/8, ::1".to_string(),
        )];
        assert_eq!(
            load(&p, &proxies).unwrap().server.trusted_proxies,
            vec!["10.0.0.0/8", "::1"],
            "a list from the environment is comma-separated"
        );
        let bad_proxy = vec![(
            "SYMBOLON_SERVER_TRUSTED_PROXIES".to_string(),
            "10.0.0.0/99".to_string(),
        )];
        assert!(
            load(&p, &bad_proxy)
                .unwrap_err()
                .contains("server.trusted_proxies")
        );
        // A setting of a role the file does not serve changes nothing; with its LISTEN (and
        // base URL) the environment makes the role.
        let sp_only = vec![(
            "SYMBOLON_SP_ALLOW_PRIVATE_ADDRESSES".to_string(),
            "true".to_string(),
        )];
        assert!(load(&p, &sp_only).unwrap().sp.is_none());
        let sp_env = vec![
            ("SYMBOLON_SP_LISTEN".to_string(), "127.0.0.1:2".to_string()),
            ("SYMBOLON_SP_BASE_URL".to_string(), "https://sp".to_string()),
            (
                "SYMBOLON_SP_ALLOW_PRIVATE_ADDRESSES".to_string(),
                "true".to_string(),
            ),
        ];
        let sp = load(&p, &sp_env).unwrap().sp.unwrap();
        assert_eq!(
            (sp.base_url.as_str(), sp.allow_private_addresses),
            ("https://sp", Some(true))
        );
        let bad = vec![("SYMBOLON_SP_PORT".to_string(), "1".to_string())];
        assert!(
            load(&p, &bad).unwrap_err().contains("port"),
            "an unknown key from the environment is named too"
        );
    }
}
