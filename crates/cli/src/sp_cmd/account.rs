//! `symbolon sp account ...`.

use crate::sp_account::account_id;
use clap::Subcommand;
use symbolon_sp::Actor;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum AccountCmd {
    /// Create an account (with the built-in roles); prints its ID. Account names are unique,
    /// whatever their case.
    Create {
        name: String,
    },
    List,
    /// Rename an account.
    Rename {
        account: String,
        name: String,
    },
    /// Delete an account and everything of it (users, SAML accounts, identity providers with
    /// their mappings, roles, API keys, SAML users, failed sign-ins, the audit log). Without
    /// --yes, prints what would go and deletes nothing.
    Delete {
        account: String,
        #[arg(long)]
        yes: bool,
    },
}

pub(super) async fn run<S: symbolon_store::sp::SpStore>(
    s: &S,
    cmd: AccountCmd,
) -> Result<(), String> {
    let actor = Actor::cli();
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_sp::SpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        AccountCmd::Create { name } => {
            let acc = symbolon_sp::create_account(s, &actor, &name, now)
                .await
                .map_err(e)?;
            eprintln!(
                "created account {:?} with the built-in roles; its ID (use it or the name with --account):",
                acc.name
            );
            println!("{}", acc.id);
        }
        AccountCmd::List => {
            for acc in s.accounts().await.map_err(st)? {
                println!("{}\t{}", acc.id, acc.name);
            }
        }
        AccountCmd::Rename { account, name } => {
            let id = account_id(s, &account).await?;
            symbolon_sp::rename_account(s, &actor, &id, &name, now)
                .await
                .map_err(e)?;
            println!("account {id} is named {}", name.trim());
        }
        AccountCmd::Delete { account, yes } => {
            let id = account_id(s, &account).await?;
            let contents = symbolon_sp::account_contents(s, &id).await.map_err(e)?;
            if !yes {
                return Err(format!(
                    "deleting account {account} would delete {}; run again with --yes to delete it",
                    contents.describe()
                ));
            }
            let gone = symbolon_sp::delete_account(s, &actor, &id)
                .await
                .map_err(e)?;
            println!(
                "account {} ({}) deleted with {}",
                gone.name,
                gone.id,
                contents.describe()
            );
        }
    }
    Ok(())
}
