//! `symbolon sp audit ...`.

use crate::sp_account::account_id;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// The account's audit log as JSON lines.
    Export {
        #[arg(long)]
        account: String,
    },
}

pub(super) async fn run<S: symbolon_store::sp::SpStore>(
    s: &S,
    cmd: AuditCmd,
) -> Result<(), String> {
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        AuditCmd::Export { account } => {
            let id = account_id(s, &account).await?;
            for a in s.audit_log(&id).await.map_err(st)? {
                let line = serde_json::json!({
                    "time": a.at.unix_timestamp(),
                    "account": a.account_id,
                    "principal": a.principal,
                    "action": a.action,
                    "detail": a.detail,
                });
                println!("{line}");
            }
        }
    }
    Ok(())
}
