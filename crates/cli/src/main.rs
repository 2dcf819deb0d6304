//! `symbolon`: the one binary. Subcommands: `saml` tools, `idp` and `sp` administration and servers.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod apply_cmd;
mod db;
mod demo_cmd;
mod idp_cmd;
mod input;
mod jobs_cmd;
mod logging;
mod saml_cmd;
mod saml_idp_tools;
mod saml_tools;
mod serve_cmd;
mod sp_account;
mod sp_cmd;
mod tls;
mod transfer_cmd;
mod webhook_cmd;

#[derive(Parser, Debug)]
#[command(
    name = "symbolon",
    version,
    about = "Symbolon: SAML 2.0 single sign-on, identity provider and service provider"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// SAML tools: verify a response, inspect a message, keys, metadata lint, signing, c14n.
    #[command(subcommand)]
    Saml(saml_cmd::SamlCommand),
    /// Identity provider administration: realms, users, clients, keys, descriptor, events.
    Idp(idp_cmd::IdpArgs),
    /// Service provider administration and server: accounts, roles, users, identity providers,
    /// SAML users, audit log.
    Sp(sp_cmd::SpArgs),
    /// Start a demo: the IdP (localhost:8080) and the SP (127.0.0.1:8081) on embedded SQLite,
    /// already trusting each other, with users, accounts and group mappings.
    Demo(demo_cmd::DemoArgs),
    /// Run the identity provider, the service provider, or both, from a configuration file.
    Serve(serve_cmd::ServeArgs),
    /// Configuration tools.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Apply the database migrations that are not applied yet, and say which version it is at.
    Migrate(serve_cmd::MigrateArgs),
    /// The scheduled jobs (state purge, SAML-user pruning): last run, instance, outcome.
    Jobs(jobs_cmd::JobsArgs),
    /// Reconcile a directory of realm documents (`*.json`, as `idp realm export` writes them)
    /// with the store: what the files say is created or overwritten, what already matches is
    /// left alone (a second run changes nothing and says so); `--dry-run` says what would change.
    Apply(apply_cmd::ApplyArgs),
    /// Write a whole deployment (keys, users, clients, accounts, history) as JSON lines.
    Export(transfer_cmd::ExportArgs),
    /// Fill an empty database from an export (e.g. move from SQLite to PostgreSQL).
    Import(transfer_cmd::ImportArgs),
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Check a configuration file (with the environment's overrides applied).
    Check(serve_cmd::CheckArgs),
}

/// Run an async command on a fresh runtime: exit 0, or 1 with its message on stderr.
pub(crate) fn block_on(
    multi_thread: bool,
    fut: impl std::future::Future<Output = Result<(), String>>,
) -> ExitCode {
    let rt = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let rt = match rt {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(fut) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Saml(cmd) => saml_cmd::run(cmd),
        Command::Idp(args) => idp_cmd::run(args),
        Command::Sp(args) => sp_cmd::run(args),
        Command::Demo(args) => demo_cmd::run(args),
        Command::Serve(args) => serve_cmd::run(args),
        Command::Config(ConfigCommand::Check(args)) => serve_cmd::check_cmd(args),
        Command::Migrate(args) => serve_cmd::migrate_cmd(args),
        Command::Jobs(args) => jobs_cmd::run(args),
        Command::Apply(args) => apply_cmd::run(args),
        Command::Export(args) => transfer_cmd::export(args),
        Command::Import(args) => transfer_cmd::import(args),
    }
}
