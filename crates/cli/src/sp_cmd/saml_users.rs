//! `symbolon sp saml-users ...`.

use crate::sp_account::account_id;
use clap::Subcommand;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum SamlUsersCmd {
    List {
        #[arg(long)]
        account: String,
    },
    /// Drop SAML users not seen for 365 days (the server does this daily).
    Prune,
}

pub(super) async fn run<S: symbolon_store::sp::SpStore>(
    s: &S,
    cmd: SamlUsersCmd,
) -> Result<(), String> {
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_sp::SpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        SamlUsersCmd::List { account } => {
            let id = account_id(s, &account).await?;
            for u in s.saml_users(&id).await.map_err(st)? {
                println!("{}\t{}\t{}\t{}", u.name_id, u.last_role, u.last_logon, u.id);
            }
        }
        SamlUsersCmd::Prune => {
            let n = symbolon_sp::prune_saml_users(s, now).await.map_err(e)?;
            println!("{n} SAML users not seen for 365 days removed");
        }
    }
    Ok(())
}
