//! `symbolon sp account ...`.

use clap::Subcommand;
use symbolon_sp::Actor;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum AccountCmd {
    /// Create an account (with the built-in roles); prints its ID.
    Create {
        name: String,
    },
    List,
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
            println!("{}", acc.id);
        }
        AccountCmd::List => {
            for acc in s.accounts().await.map_err(st)? {
                println!("{}\t{}", acc.id, acc.name);
            }
        }
    }
    Ok(())
}
