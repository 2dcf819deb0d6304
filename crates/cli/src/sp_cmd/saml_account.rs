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
    /// The account's SAML accounts: name, role, description (and a warning for a master
    /// administrator's email).
    List {
        #[arg(long)]
        account: String,
    },
    /// Change a SAML account's role and/or description.
    Edit {
        #[arg(long)]
        account: String,
        name: String,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Remove a SAML account (offboarding).
    Remove {
        #[arg(long)]
        account: String,
        name: String,
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
            let warning = symbolon_sp::add_saml_account(
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
            if let Some(w) = warning {
                eprintln!("warning: {w}");
            }
            println!("SAML account {name} added");
        }
        SamlAccountCmd::List { account } => {
            let id = account_id(s, &account).await?;
            for v in symbolon_sp::saml_account_views(s, &id).await.map_err(e)? {
                println!(
                    "{}\t{}\t{}{}",
                    v.account.name,
                    v.role.as_deref().unwrap_or("(deleted role)"),
                    v.account.description.as_deref().unwrap_or(""),
                    if v.master_conflict {
                        "\t(master administrator: SSO refused)"
                    } else {
                        ""
                    }
                );
            }
        }
        SamlAccountCmd::Edit {
            account,
            name,
            role,
            description,
        } => {
            if role.is_none() && description.is_none() {
                return Err("give --role and/or --description".into());
            }
            let id = account_id(s, &account).await?;
            let changed = symbolon_sp::edit_saml_account(
                s,
                &actor,
                &id,
                &name,
                role.as_deref(),
                description.as_deref(),
                now,
            )
            .await
            .map_err(e)?;
            if changed {
                println!("SAML account {name} saved");
            } else {
                println!("SAML account {name} unchanged");
            }
        }
        SamlAccountCmd::Remove { account, name } => {
            let id = account_id(s, &account).await?;
            symbolon_sp::remove_saml_account(s, &actor, &id, &name, now)
                .await
                .map_err(e)?;
            println!("SAML account {name} removed");
        }
    }
    Ok(())
}
