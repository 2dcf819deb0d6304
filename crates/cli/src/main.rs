//! `symbolon`: the one binary. Subcommands: `saml` tools, `idp` administration.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod idp_cmd;
mod saml_cmd;
mod saml_idp_tools;
mod saml_tools;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Saml(cmd) => saml_cmd::run(cmd),
        Command::Idp(args) => idp_cmd::run(args),
    }
}
