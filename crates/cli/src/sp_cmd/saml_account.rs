//! `symbolon sp saml-account ...`.

use crate::sp_account::account_id;
use clap::Subcommand;
use symbolon_sp::Actor;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum SamlAccountCmd {
    Add {
        #[arg(long)]
        account: String,
        /// Email or username, matched against the NameID.
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        description: Option<String>,
    },
}

pub(super) async fn run<S: symbolon_store::sp::SpStore>(
    s: &S,
    cmd: SamlAccountCmd,
) -> Result<(), String> {
    let actor = Actor::cli();
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_sp::SpError| e.to_string();
    match cmd {
        SamlAccountCmd::Add {
            account,
            name,
            role,
            description,
        } => {
            let id = account_id(s, &account).await?;
            symbolon_sp::add_saml_account(
                s,
                &actor,
                &id,
                &name,
                &role,
                description.as_deref(),
                now,
            )
            .await
            .map_err(e)?;
            println!("SAML account {name} added");
        }
    }
    Ok(())
}
