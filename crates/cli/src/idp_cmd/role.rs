//! `symbolon idp role ...`.

use clap::Subcommand;
use symbolon_idp::Actor;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum RoleCmd {
    /// Create a realm role.
    Add {
        #[arg(long)]
        realm: String,
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// The realm's roles and who holds them.
    List {
        #[arg(long)]
        realm: String,
    },
    /// Rename a role (its grants stay).
    Rename {
        #[arg(long)]
        realm: String,
        name: String,
        new_name: String,
    },
    /// Delete a role and every grant of it.
    Delete {
        #[arg(long)]
        realm: String,
        name: String,
    },
    /// Grant a role to user:NAME or group:/PATH (members of subgroups hold it too).
    Grant {
        #[arg(long)]
        realm: String,
        role: String,
        who: String,
    },
    /// Take a role back from user:NAME or group:/PATH.
    Revoke {
        #[arg(long)]
        realm: String,
        role: String,
        who: String,
    },
}

pub(super) async fn run<S: symbolon_store::IdpStore>(s: &S, cmd: RoleCmd) -> Result<(), String> {
    let actor = Actor("cli".into());
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_idp::IdpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        RoleCmd::Add {
            realm,
            name,
            description,
        } => {
            symbolon_idp::roles::add_role(s, &actor, &realm, &name, description.as_deref(), now)
                .await
                .map_err(e)?;
            println!("role {name} created in {realm}");
        }
        RoleCmd::List { realm } => {
            super::existing_realm(s, &realm).await?;
            let holders = symbolon_idp::roles::role_holders(s, &realm)
                .await
                .map_err(e)?;
            for r in s.roles(&realm).await.map_err(st)? {
                let who: Vec<&str> = holders
                    .iter()
                    .filter(|(n, _)| *n == r.name)
                    .map(|(_, w)| w.as_str())
                    .collect();
                println!(
                    "{}\t{}\t{}",
                    r.name,
                    r.description.as_deref().unwrap_or(""),
                    who.join(", ")
                );
            }
        }
        RoleCmd::Rename {
            realm,
            name,
            new_name,
        } => {
            let changed =
                symbolon_idp::roles::rename_role(s, &actor, &realm, &name, &new_name, now)
                    .await
                    .map_err(e)?;
            println!(
                "role {name} {}",
                if changed { "renamed" } else { "unchanged" }
            );
        }
        RoleCmd::Delete { realm, name } => {
            symbolon_idp::roles::delete_role(s, &actor, &realm, &name, now)
                .await
                .map_err(e)?;
            println!("role {name} deleted from {realm}");
        }
        RoleCmd::Grant { realm, role, who } => {
            let subject = symbolon_idp::Subject::parse(&who).map_err(e)?;
            symbolon_idp::roles::grant_role(s, &actor, &realm, &role, &subject, true, now)
                .await
                .map_err(e)?;
            println!("role {role} granted to {who}");
        }
        RoleCmd::Revoke { realm, role, who } => {
            let subject = symbolon_idp::Subject::parse(&who).map_err(e)?;
            symbolon_idp::roles::grant_role(s, &actor, &realm, &role, &subject, false, now)
                .await
                .map_err(e)?;
            println!("role {role} revoked from {who}");
        }
    }
    Ok(())
}
