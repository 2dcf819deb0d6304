//! `symbolon`: the one binary. Subcommands: `saml` tools (verify-response, sign, c14n).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Saml(cmd) => saml_cmd::run(cmd),
    }
}
