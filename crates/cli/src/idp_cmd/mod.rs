//! `symbolon idp ...`: administer the identity provider's store from the command line (works on
//! the same database as a running server).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use symbolon_idp::Actor;

use time::OffsetDateTime;

mod client;
mod group;
mod key;
mod provisioning;
mod realm;
mod role;
mod session;
mod token;
mod user;

use client::ClientCmd;
use group::GroupCmd;
use key::KeyCmd;
use provisioning::ProvisioningCmd;
use realm::RealmCmd;
use role::RoleCmd;
use session::SessionCmd;
use token::TokenCmd;
use user::UserCmd;

#[derive(Args, Debug)]
pub struct IdpArgs {
    #[command(flatten)]
    store: crate::db::StoreArgs,
    #[command(subcommand)]
    command: IdpCommand,
}

#[derive(Subcommand, Debug)]
pub enum IdpCommand {
    /// Realms.
    #[command(subcommand)]
    Realm(RealmCmd),
    /// Users of a realm.
    #[command(subcommand)]
    User(UserCmd),
    /// SAML clients (service providers) of a realm.
    #[command(subcommand)]
    Client(ClientCmd),
    /// Realm signing keys and their rollover.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Groups (hierarchical, by full path) and membership.
    #[command(subcommand)]
    Group(GroupCmd),
    /// Realm roles, granted to users and groups (the role-list mapper sends them).
    #[command(subcommand)]
    Role(RoleCmd),
    /// Write the realm's "SAML 2.0 Identity Provider Metadata" (signed).
    Descriptor {
        realm: String,
        /// The server's public base URL, e.g. https://idp.example.com
        #[arg(long, default_value = "http://localhost:8080")]
        base_url: String,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Admin REST API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Provisioning of a client's users to its SCIM service provider.
    #[command(subcommand)]
    Provisioning(ProvisioningCmd),
    /// Webhooks of a realm: endpoints that receive its events, signed (Standard Webhooks).
    Webhook {
        #[arg(long)]
        realm: String,
        #[command(subcommand)]
        cmd: crate::webhook_cmd::WebhookCmd,
    },
    /// Live SSO sessions of a realm, and ending them.
    #[command(subcommand)]
    Session(SessionCmd),
    /// Run the identity provider's HTTP server on this store (single instance).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Public base URL (default: http:// and the bound address).
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Recent events of a realm.
    Events {
        realm: String,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

pub fn run(a: IdpArgs) -> ExitCode {
    crate::block_on(false, run_async(a))
}

async fn run_async(a: IdpArgs) -> Result<(), String> {
    // Commands that make the first object (or serve) may start a new database.
    let creates = matches!(
        a.command,
        IdpCommand::Realm(RealmCmd::Create { .. } | RealmCmd::Import { .. })
            | IdpCommand::Serve { .. }
    );
    let db = a.store.open(creates).await?;
    crate::db::with_db!(db, store => run_with(store, a).await)
}

async fn run_with<S: symbolon_store::IdpStore>(store: S, a: IdpArgs) -> Result<(), String> {
    let _actor = Actor("cli".into());
    let _now = OffsetDateTime::now_utc();
    let s = &store;
    let e = |e: symbolon_idp::IdpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match a.command {
        IdpCommand::Realm(c) => realm::run(s, c).await?,
        IdpCommand::User(c) => user::run(s, c).await?,
        IdpCommand::Client(c) => client::run(s, c).await?,
        IdpCommand::Group(c) => group::run(s, c).await?,
        IdpCommand::Role(c) => role::run(s, c).await?,
        IdpCommand::Key(c) => key::run(s, c).await?,
        IdpCommand::Token(c) => token::run(s, c).await?,
        IdpCommand::Provisioning(c) => provisioning::run(s, c).await?,
        IdpCommand::Session(c) => session::run(s, c).await?,
        IdpCommand::Webhook { realm, cmd } => webhook(s, &realm, cmd).await?,
        IdpCommand::Descriptor {
            realm,
            base_url,
            out,
        } => {
            let xml = symbolon_idp::descriptor(s, &Default::default(), &realm, &base_url)
                .await
                .map_err(e)?;
            match out {
                Some(p) => std::fs::write(&p, xml.as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", p.display()))?,
                None => println!("{xml}"),
            }
        }
        IdpCommand::Serve { listen, base_url } => {
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
            symbolon_web::shutdown::listen_for_shutdown();
            println!("listening on http://{addr} (base URL {base})");
            use std::io::Write as _;
            let _ = std::io::stdout().flush();
            symbolon_idp_web::http::serve(
                store,
                symbolon_idp_web::http::WebConfig::new(&base),
                listener,
            )
            .await
            .map_err(|e| e.to_string())?;
        }
        IdpCommand::Events { realm, kind, limit } => {
            existing_realm(s, &realm).await?;
            for ev in s.events(&realm, kind.as_deref(), limit).await.map_err(st)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    symbolon_saml::time::format_instant(ev.at),
                    ev.kind,
                    ev.actor.unwrap_or_default(),
                    ev.client_id.unwrap_or_default(),
                    ev.detail
                );
            }
        }
    }
    Ok(())
}

/// The realm a listing names must exist: a name in the wrong case (realm names are
/// case-sensitive, as Keycloak's) gets "did you mean", anything else the command that lists
/// realms, instead of an empty listing.
pub(crate) async fn existing_realm<S: symbolon_store::IdpStore>(
    s: &S,
    realm: &str,
) -> Result<(), String> {
    if s.realm(realm).await.map_err(|e| e.to_string())?.is_some() {
        return Ok(());
    }
    let realms = s.realms().await.map_err(|e| e.to_string())?;
    match realms.iter().find(|r| r.name.eq_ignore_ascii_case(realm)) {
        Some(r) => Err(format!(
            "realm {realm:?} not found; did you mean {:?}? (realm names are case-sensitive)",
            r.name
        )),
        None => Err(format!(
            "realm {realm:?} not found (`symbolon idp realm list` shows the realms)"
        )),
    }
}

async fn webhook<S: symbolon_store::IdpStore>(
    s: &S,
    realm: &str,
    cmd: crate::webhook_cmd::WebhookCmd,
) -> Result<(), String> {
    use crate::webhook_cmd::{WebhookCmd as W, print_added, print_deliveries, print_hooks};
    use symbolon_idp::webhooks as wh;
    let (actor, now) = (Actor("cli".into()), OffsetDateTime::now_utc());
    let e = |e: symbolon_idp::IdpError| e.to_string();
    match cmd {
        W::Add {
            url,
            events,
            allow_http,
        } => {
            let check = symbolon_web::fetch::url_check;
            let w = wh::add_webhook(s, &actor, realm, &url, allow_http, &events, &check, now)
                .await
                .map_err(e)?;
            print_added(&w);
        }
        W::List => print_hooks(&wh::webhooks(s, realm).await.map_err(e)?),
        W::Remove { id } => {
            wh::remove_webhook(s, &actor, realm, &id, now)
                .await
                .map_err(e)?;
            println!("webhook {id} removed");
        }
        W::Test { id } => {
            let d = wh::send_test(s, &actor, realm, &id, now).await.map_err(e)?;
            println!("test message {} queued", d.id);
        }
        W::Deliveries { limit } => {
            print_deliveries(&wh::deliveries(s, realm, limit).await.map_err(e)?)
        }
    }
    Ok(())
}
