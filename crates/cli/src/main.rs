//! `symbolon`: the one binary. Subcommands: `saml` tools, `idp` and `sp` administration and servers.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod demo_cmd;
mod idp_cmd;
mod saml_cmd;
mod saml_idp_tools;
mod saml_tools;
mod serve_cmd;
mod sp_cmd;

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
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Check a configuration file (with the environment's overrides applied).
    Check(serve_cmd::CheckArgs),
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
    }
}
