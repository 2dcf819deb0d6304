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
    /// Write the account as one JSON document: custom roles, identity providers with their
    /// metadata, mapping profile and group mappings, SAML accounts, native users.
    Export {
        account: String,
        /// Also native users' password hashes (the file is then secret).
        #[arg(long)]
        with_credentials: bool,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Create or update an account from a JSON document (as `export` writes it). What exists
    /// is skipped, overwritten, or fails the import before anything is written.
    Import {
        /// The document (`-` for standard input).
        file: String,
        #[arg(long, default_value = "fail", value_parser = ["fail", "skip", "overwrite"])]
        if_exists: String,
        /// Say what the import would do; write nothing.
        #[arg(long)]
        dry_run: bool,
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
        AccountCmd::Export {
            account,
            with_credentials,
            out,
        } => {
            let id = account_id(s, &account).await?;
            let doc = symbolon_sp::account_io::export_account(s, &id, with_credentials)
                .await
                .map_err(e)?;
            crate::apply_cmd::write_json(&doc, out.as_deref())?;
        }
        AccountCmd::Import {
            file,
            if_exists,
            dry_run,
        } => {
            let doc = crate::apply_cmd::read_json(&file, "an account document")?;
            let if_exists = symbolon_store::portable::IfExists::parse(&if_exists)
                .ok_or("--if-exists is fail, skip or overwrite")?;
            let report = crate::apply_cmd::import_account(s, &doc, if_exists, dry_run).await?;
            crate::apply_cmd::print_report(&file, &report);
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
