//! `symbolon sp role ...`.

use crate::sp_account::account_id;
use clap::Subcommand;
use symbolon_sp::Actor;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum RoleCmd {
    Add {
        #[arg(long)]
        account: String,
        name: String,
    },
    /// Delete a role (its group mappings stay, marked as pointing at a deleted role).
    Delete {
        #[arg(long)]
        account: String,
        name: String,
    },
    List {
        #[arg(long)]
        account: String,
    },
    /// Rename a custom role (built-in roles keep their names); mappings follow it.
    Rename {
        #[arg(long)]
        account: String,
        name: String,
        new_name: String,
    },
}

pub(super) async fn run<S: symbolon_store::sp::SpStore>(s: &S, cmd: RoleCmd) -> Result<(), String> {
    let actor = Actor::cli();
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_sp::SpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        RoleCmd::Add { account, name } => {
            let id = account_id(s, &account).await?;
            symbolon_sp::add_role(s, &actor, &id, &name, now)
                .await
                .map_err(e)?;
            println!("role {name} added");
        }
        RoleCmd::Delete { account, name } => {
            let id = account_id(s, &account).await?;
            symbolon_sp::delete_role(s, &actor, &id, &name, now)
                .await
                .map_err(e)?;
            println!("role {name} deleted");
        }
        RoleCmd::Rename {
            account,
            name,
            new_name,
        } => {
            let id = account_id(s, &account).await?;
            symbolon_sp::rename_role(s, &actor, &id, &name, &new_name, now)
                .await
                .map_err(e)?;
            println!("role {name} is now {}", new_name.trim());
        }
        RoleCmd::List { account } => {
            let id = account_id(s, &account).await?;
            for r in s.account_roles(&id).await.map_err(st)? {
                println!(
                    "{}\t{}",
                    r.name,
                    if r.builtin { "built-in" } else { "custom" }
                );
            }
        }
    }
    Ok(())
}
