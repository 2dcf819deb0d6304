//! `symbolon sp ...`: the multi-tenant service provider's administration and server, on the same
//! store as a running server.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use symbolon_sp::Actor;
use time::OffsetDateTime;

mod account;
mod api_key;
mod audit;
mod domain;
mod idp;
mod provisioning;
pub(crate) use idp::{fetcher, read_cert};
mod role;
mod saml_account;
mod saml_users;
mod user;

use account::AccountCmd;
use api_key::ApiKeyCmd;
use audit::AuditCmd;
use domain::DomainCmd;
use idp::IdpCmd;
use provisioning::ProvisioningCmd;
use role::RoleCmd;
use saml_account::SamlAccountCmd;
use saml_users::SamlUsersCmd;
use user::UserCmd;

#[derive(Args, Debug)]
pub struct SpArgs {
    #[command(flatten)]
    store: crate::db::StoreArgs,
    #[command(subcommand)]
    command: SpCommand,
}

#[derive(Subcommand, Debug)]
pub enum SpCommand {
    /// Accounts (tenants).
    #[command(subcommand)]
    Account(AccountCmd),
    /// Roles of an account.
    #[command(subcommand)]
    Role(RoleCmd),
    /// Native users (email + password) of an account.
    #[command(subcommand)]
    User(UserCmd),
    /// Pre-registered SAML accounts (NameID + role).
    #[command(subcommand)]
    SamlAccount(SamlAccountCmd),
    /// Identity providers of an account.
    #[command(subcommand)]
    Idp(IdpCmd),
    /// Email domains of an account: people of a verified domain are sent to its identity
    /// provider by the sign-in page (home-realm discovery).
    #[command(subcommand)]
    Domain(DomainCmd),
    /// The SAML users who reached an account (read-only).
    #[command(subcommand)]
    SamlUsers(SamlUsersCmd),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// API keys for the REST API and SCIM tokens (one account each).
    #[command(subcommand)]
    ApiKey(ApiKeyCmd),
    /// How the account takes users provisioned by SCIM.
    #[command(subcommand)]
    Provisioning(ProvisioningCmd),
    /// Write the SP metadata.
    /// Webhooks of an account: endpoints that receive its events, signed (Standard Webhooks).
    Webhook {
        #[arg(long)]
        account: String,
        #[command(subcommand)]
        cmd: crate::webhook_cmd::WebhookCmd,
    },
    /// The SP's own key (signs AuthnRequests, decrypts assertions): export it as PEM, or give
    /// a new SP the key of the one it replaces, so identity providers notice nothing.
    #[command(subcommand)]
    Key(KeyCmd),
    Metadata {
        #[arg(long, default_value = "http://localhost:8081")]
        base_url: String,
    },
    /// Run the service provider.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: String,
        /// Public base URL (default: http://LISTEN-ADDRESS).
        #[arg(long)]
        base_url: Option<String>,
    },
}

pub fn run(a: SpArgs) -> ExitCode {
    crate::block_on(false, run_async(a))
}

async fn run_async(a: SpArgs) -> Result<(), String> {
    // Commands that make the first object (an account, the SP's key for its metadata) or serve
    // may start a new database.
    let creates = matches!(
        a.command,
        SpCommand::Account(AccountCmd::Create { .. } | AccountCmd::Import { .. })
            | SpCommand::Metadata { .. }
            | SpCommand::Key(KeyCmd::Import { .. })
            | SpCommand::Serve { .. }
    );
    let db = a.store.open(creates).await?;
    crate::db::with_db!(db, store => run_with(store, a).await)
}

async fn run_with<S: symbolon_store::sp::SpStore>(store: S, a: SpArgs) -> Result<(), String> {
    let s = &store;
    let _actor = Actor::cli();
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_sp::SpError| e.to_string();
    let _st = |e: symbolon_store::StoreError| e.to_string();
    match a.command {
        SpCommand::Account(c) => account::run(s, c).await?,
        SpCommand::Role(c) => role::run(s, c).await?,
        SpCommand::User(c) => user::run(s, c).await?,
        SpCommand::SamlAccount(c) => saml_account::run(s, c).await?,
        SpCommand::Idp(c) => idp::run(s, c).await?,
        SpCommand::Domain(c) => domain::run(s, c).await?,
        SpCommand::SamlUsers(c) => saml_users::run(s, c).await?,
        SpCommand::Audit(c) => audit::run(s, c).await?,
        SpCommand::ApiKey(c) => api_key::run(s, c).await?,
        SpCommand::Provisioning(c) => provisioning::run(s, c).await?,
        SpCommand::Webhook { account, cmd } => {
            let id = crate::sp_account::account_id(s, &account).await?;
            webhook(s, &id, cmd).await?;
        }
        SpCommand::Key(KeyCmd::Export { out }) => {
            let pem = symbolon_sp::export_sp_key(s).await.map_err(e)?;
            match out {
                Some(p) => std::fs::write(&p, pem)
                    .map_err(|e| format!("cannot write {}: {e}", p.display()))?,
                None => print!("{pem}"),
            }
        }
        SpCommand::Key(KeyCmd::Import { file }) => {
            let bytes = crate::input::read_input(&file).map_err(|f| f.1)?;
            let k = symbolon_sp::import_sp_key(s, &String::from_utf8_lossy(&bytes), now)
                .await
                .map_err(e)?;
            println!("the SP's key is {}", k.kid);
        }
        SpCommand::Metadata { base_url } => {
            print!(
                "{}",
                symbolon_sp::sp_metadata(s, &base_url, now)
                    .await
                    .map_err(e)?
            );
        }
        SpCommand::Serve { listen, base_url } => {
            // Traces need the exporter set up before the runtime starts: `symbolon serve`
            // and `symbolon demo` have them; this development server does not.
            let _traces = crate::logging::init(
                crate::logging::LogFormat::from_env()?,
                &crate::logging::Telemetry::off(),
            );
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            let base = base_url.unwrap_or_else(|| format!("http://{addr}"));
            // The key exists before the first request.
            symbolon_sp::sp_key(s, &base, now).await.map_err(e)?;
            symbolon_web::shutdown::listen_for_shutdown();
            println!("listening on http://{addr} (base URL {base})");
            use std::io::Write as _;
            let _ = std::io::stdout().flush();
            let mut cfg = symbolon_sp_web::http::SpConfig::new(&base);
            cfg.fetch_limits.public_only = !crate::logging::allow_private_from_env()?;
            cfg.accounts_from_console = crate::logging::accounts_from_console_from_env()?;
            symbolon_sp_web::http::serve(store, cfg, listener)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

async fn webhook<S: symbolon_store::sp::SpStore>(
    s: &S,
    account: &str,
    cmd: crate::webhook_cmd::WebhookCmd,
) -> Result<(), String> {
    use crate::webhook_cmd::{WebhookCmd as W, print_added, print_deliveries, print_hooks};
    use symbolon_sp::webhooks as wh;
    let (actor, now) = (Actor::cli(), OffsetDateTime::now_utc());
    let e = |e: symbolon_sp::SpError| e.to_string();
    match cmd {
        W::Add {
            url,
            events,
            allow_http,
        } => {
            let check = symbolon_web::fetch::url_check;
            let w = wh::add_webhook(s, &actor, account, &url, allow_http, &events, &check, now)
                .await
                .map_err(e)?;
            print_added(&w);
        }
        W::List => print_hooks(&wh::webhooks(s, account).await.map_err(e)?),
        W::Remove { id } => {
            wh::remove_webhook(s, &actor, account, &id, now)
                .await
                .map_err(e)?;
            println!("webhook {id} removed");
        }
        W::Test { id } => {
            let d = wh::send_test(s, &actor, account, &id, now)
                .await
                .map_err(e)?;
            println!("test message {} queued", d.id);
        }
        W::Deliveries { limit } => {
            print_deliveries(&wh::deliveries(s, account, limit).await.map_err(e)?)
        }
    }
    Ok(())
}

#[derive(clap::Subcommand, Debug)]
pub enum KeyCmd {
    /// Write the key and its certificate as PEM (secret: it signs as this SP).
    Export {
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Give this SP a key (PEM: PKCS#8 private key and certificate) before it makes its own.
    Import {
        /// The PEM file (`-` for standard input).
        file: String,
    },
}
