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
    /// Point a mapped group at another role (also repairs a mapping to a deleted role).
    RemapGroup {
        #[arg(long)]
        account: String,
        idp: String,
        group: String,
        role: String,
    },
    /// Remove the mapping of a group.
    UnmapGroup {
        #[arg(long)]
        account: String,
        idp: String,
        group: String,
    },
    /// The group -> role mappings of an identity provider (a deleted role is marked).
    Mappings {
        #[arg(long)]
        account: String,
        idp: String,
    },
    /// Rename an identity provider or change its description.
    Rename {
        #[arg(long)]
        account: String,
        idp: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Replace an identity provider's metadata (a certificate rollover, a moved endpoint); the
    /// profile and mappings stay.
    ReplaceMetadata {
        #[arg(long)]
        account: String,
        idp: String,
        #[arg(long)]
        metadata: PathBuf,
    },
    /// Delete an identity provider and its group mappings.
    Delete {
        #[arg(long)]
        account: String,
        idp: String,
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
        IdpCmd::RemapGroup {
            account,
            idp,
            group,
            role,
        } => {
            let id = account_id(s, &account).await?;
            if symbolon_sp::remap_group(s, &actor, &id, &idp, &group, &role, now)
                .await
                .map_err(e)?
            {
                println!("group {group} -> role {role}");
            } else {
                println!("group {group} already maps to {role}; nothing changed");
            }
        }
        IdpCmd::UnmapGroup {
            account,
            idp,
            group,
        } => {
            let id = account_id(s, &account).await?;
            symbolon_sp::unmap_group(s, &actor, &id, &idp, &group, now)
                .await
                .map_err(e)?;
            println!("mapping of group {group} removed");
        }
        IdpCmd::Mappings { account, idp } => {
            let id = account_id(s, &account).await?;
            let c = symbolon_sp::idp_named(s, &id, &idp).await.map_err(e)?;
            let roles = s.account_roles(&id).await.map_err(st)?;
            for m in s.mappings(&c.id).await.map_err(st)? {
                let live = roles.iter().any(|r| r.id == m.role_id);
                println!(
                    "{}\t{}{}",
                    m.group,
                    m.role_name,
                    if live { "" } else { "\t(deleted role)" }
                );
            }
        }
        IdpCmd::Rename {
            account,
            idp,
            name,
            description,
        } => {
            let id = account_id(s, &account).await?;
            let c = symbolon_sp::idp_named(s, &id, &idp).await.map_err(e)?;
            let new_name = name.unwrap_or_else(|| c.name.clone());
            let description = description.or(c.description);
            let c = symbolon_sp::rename_idp(
                s,
                &actor,
                &id,
                &idp,
                &new_name,
                description.as_deref(),
                now,
            )
            .await
            .map_err(e)?;
            println!("identity provider {} saved", c.name);
        }
        IdpCmd::ReplaceMetadata {
            account,
            idp,
            metadata,
        } => {
            let id = account_id(s, &account).await?;
            let xml =
                std::fs::read(&metadata).map_err(|err| format!("{}: {err}", metadata.display()))?;
            let summary = symbolon_sp::replace_idp_metadata(s, &actor, &id, &idp, &xml, now)
                .await
                .map_err(e)?;
            println!("metadata of {idp} replaced");
            for c in summary.certificates {
                println!("certificate: {c}");
            }
        }
        IdpCmd::Delete { account, idp } => {
            let id = account_id(s, &account).await?;
            symbolon_sp::delete_idp(s, &actor, &id, &idp, now)
                .await
                .map_err(e)?;
            println!("identity provider {idp} deleted");
        }
    }
    Ok(())
}
