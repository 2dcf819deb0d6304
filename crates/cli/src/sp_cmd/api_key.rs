//! `symbolon sp api-key ...`.

use crate::sp_account::account_id;
use clap::Subcommand;
use symbolon_sp::Actor;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum ApiKeyCmd {
    /// Create a key (printed once; only its SHA-256 is stored).
    Create {
        #[arg(long)]
        account: String,
        #[arg(long)]
        name: String,
        /// `api` (the account's REST API) or `scim` (a SCIM provisioning token, nothing else).
        #[arg(long, default_value = "api")]
        scope: String,
    },
    List {
        #[arg(long)]
        account: String,
    },
    Revoke {
        #[arg(long)]
        account: String,
        id: String,
    },
}

pub(super) async fn run<S: symbolon_store::sp::SpStore>(
    s: &S,
    cmd: ApiKeyCmd,
) -> Result<(), String> {
    let actor = Actor::cli();
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_sp::SpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        ApiKeyCmd::Create {
            account,
            name,
            scope,
        } => {
            let id = account_id(s, &account).await?;
            let (_, key) = symbolon_sp::create_api_key(s, &actor, &id, &name, &scope, now)
                .await
                .map_err(e)?;
            println!("{key}");
        }
        ApiKeyCmd::List { account } => {
            let id = account_id(s, &account).await?;
            for k in s.api_keys(&id).await.map_err(st)? {
                println!(
                    "{}\t{}\t{}\t{}",
                    k.id,
                    k.name,
                    k.scope,
                    if k.revoked { "revoked" } else { "active" }
                );
            }
        }
        ApiKeyCmd::Revoke {
            account,
            id: key_id,
        } => {
            let id = account_id(s, &account).await?;
            symbolon_sp::revoke_api_key(s, &actor, &id, &key_id, now)
                .await
                .map_err(e)?;
            println!("API key {key_id} revoked");
        }
    }
    Ok(())
}
