//! `symbolon sp provisioning ...`: how an account takes users provisioned by SCIM.

use crate::sp_account::account_id;
use clap::Subcommand;
use symbolon_sp::Actor;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum ProvisioningCmd {
    /// Show the account's provisioning settings and its provisioned users.
    Show {
        #[arg(long)]
        account: String,
    },
    /// Set where the NameID of a provisioned user comes from and the default role.
    Set {
        #[arg(long)]
        account: String,
        /// `userName`, `emails` (the primary email) or `externalId`.
        #[arg(long, default_value = "userName")]
        name_source: String,
        /// The role of a provisioned user whom no group mapping gives one (none when omitted).
        #[arg(long)]
        default_role: Option<String>,
    },
}

pub(super) async fn run<S: symbolon_store::sp::SpStore>(
    s: &S,
    cmd: ProvisioningCmd,
) -> Result<(), String> {
    let now = OffsetDateTime::now_utc();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        ProvisioningCmd::Show { account } => {
            let id = account_id(s, &account).await?;
            let set = s.scim_settings(&id).await.map_err(st)?;
            let roles = s.account_roles(&id).await.map_err(st)?;
            let role = set
                .default_role_id
                .as_ref()
                .and_then(|r| roles.iter().find(|x| &x.id == r))
                .map(|r| r.name.as_str())
                .unwrap_or("none");
            println!("NameID from: {}\ndefault role: {role}", set.name_source);
            for u in s.scim_users(&id).await.map_err(st)? {
                println!(
                    "{}\t{}\t{}",
                    u.user_name,
                    u.name_id,
                    if u.active { "active" } else { "inactive" }
                );
            }
        }
        ProvisioningCmd::Set {
            account,
            name_source,
            default_role,
        } => {
            let id = account_id(s, &account).await?;
            symbolon_sp::scim::set_scim_settings(
                s,
                &Actor::cli(),
                &id,
                &name_source,
                default_role.as_deref(),
                now,
            )
            .await
            .map_err(|e| e.to_string())?;
            println!("provisioning settings saved");
        }
    }
    Ok(())
}
