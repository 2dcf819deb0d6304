//! `symbolon sp idp ...`.

use crate::sp_account::account_id;
use clap::Subcommand;
use std::path::PathBuf;
use symbolon_sp::{Actor, MappingProfile};
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum IdpCmd {
    /// "Add Identity Provider" from the IdP's metadata.
    Add {
        #[arg(long)]
        account: String,
        #[arg(long)]
        metadata: PathBuf,
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    List {
        #[arg(long)]
        account: String,
    },
    /// The mapping profile and SSO mode.
    Profile {
        #[arg(long)]
        account: String,
        idp: String,
        #[arg(long)]
        name_attribute: Option<String>,
        #[arg(long)]
        locale_attribute: Option<String>,
        #[arg(long)]
        timezone_attribute: Option<String>,
        /// The claim that carries the user's groups.
        #[arg(long)]
        role_attribute: Option<String>,
        /// Require SP-initiated sign-in (unsolicited responses are refused).
        #[arg(long)]
        sp_initiated: bool,
    },
    /// Map a group to a role (a group maps to at most one role per account).
    MapGroup {
        #[arg(long)]
        account: String,
        idp: String,
        group: String,
        role: String,
    },
}

pub(super) async fn run<S: symbolon_store::sp::SpStore>(s: &S, cmd: IdpCmd) -> Result<(), String> {
    let actor = Actor::cli();
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_sp::SpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        IdpCmd::Add {
            account,
            metadata,
            name,
            description,
        } => {
            let id = account_id(s, &account).await?;
            let xml =
                std::fs::read(&metadata).map_err(|err| format!("{}: {err}", metadata.display()))?;
            let summary =
                symbolon_sp::add_idp(s, &actor, &id, &name, description.as_deref(), &xml, now)
                    .await
                    .map_err(e)?;
            println!(
                "identity provider {name} added: {}",
                summary.config.entity_id
            );
            for c in summary.certificates {
                println!("certificate: {c}");
            }
            for (sev, msg) in summary.findings {
                eprintln!("{sev}: {msg}");
            }
        }
        IdpCmd::List { account } => {
            let id = account_id(s, &account).await?;
            for i in s.idps(&id).await.map_err(st)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    i.id,
                    i.name,
                    i.entity_id,
                    if i.sp_initiated {
                        "sp-initiated"
                    } else {
                        "idp-initiated"
                    },
                    i.description.unwrap_or_default()
                );
            }
        }
        IdpCmd::Profile {
            account,
            idp,
            name_attribute,
            locale_attribute,
            timezone_attribute,
            role_attribute,
            sp_initiated,
        } => {
            let id = account_id(s, &account).await?;
            let p = MappingProfile {
                name: name_attribute,
                locale: locale_attribute,
                timezone: timezone_attribute,
                role: role_attribute,
                sp_initiated,
            };
            symbolon_sp::set_profile(s, &actor, &id, &idp, &p, now)
                .await
                .map_err(e)?;
            println!("mapping profile of {idp} saved");
        }
        IdpCmd::MapGroup {
            account,
            idp,
            group,
            role,
        } => {
            let id = account_id(s, &account).await?;
            symbolon_sp::map_group(s, &actor, &id, &idp, &group, &role, now)
                .await
                .map_err(e)?;
            println!("group {group} -> role {role}");
        }
    }
    Ok(())
}
