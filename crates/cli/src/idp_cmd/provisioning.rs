//! `symbolon idp provisioning ...`: push a client's users to its SCIM service provider.

use clap::Subcommand;
use symbolon_idp::Actor;
use symbolon_store::provisioning::Provisioning;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum ProvisioningCmd {
    /// Provision the client's users (those its access rules admit) to a SCIM service provider.
    /// The token is read from standard input.
    Set {
        #[arg(long)]
        realm: String,
        client_id: String,
        /// The SCIM base URL, e.g. https://sp.example/scim/v2.
        #[arg(long)]
        url: String,
        /// Delete users who may no longer use the client (default: deactivate them).
        #[arg(long)]
        delete_removed: bool,
        /// Allow a plain http:// URL (tests, a private network).
        #[arg(long)]
        allow_http: bool,
    },
    /// Stop provisioning (what was provisioned stays at the service provider).
    Off {
        #[arg(long)]
        realm: String,
        client_id: String,
    },
    /// How provisioning of the client went.
    Status {
        #[arg(long)]
        realm: String,
        client_id: String,
    },
}

pub(super) async fn run<S: symbolon_store::IdpStore>(
    s: &S,
    cmd: ProvisioningCmd,
) -> Result<(), String> {
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_idp::IdpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        ProvisioningCmd::Set {
            realm,
            client_id,
            url,
            delete_removed,
            allow_http,
        } => {
            let token = crate::input::read_secret()?;
            let t = Provisioning {
                url,
                token,
                delete_removed,
                allow_http,
            };
            symbolon_idp::provisioning::set_provisioning(
                s,
                &Actor("cli".into()),
                &realm,
                &client_id,
                Some(t),
                now,
            )
            .await
            .map_err(e)?;
            println!(
                "provisioning on: changes reach the service provider within seconds while the IdP runs"
            );
        }
        ProvisioningCmd::Off { realm, client_id } => {
            symbolon_idp::provisioning::set_provisioning(
                s,
                &Actor("cli".into()),
                &realm,
                &client_id,
                None,
                now,
            )
            .await
            .map_err(e)?;
            println!("provisioning off");
        }
        ProvisioningCmd::Status { realm, client_id } => {
            let c = s
                .client(&realm, &client_id)
                .await
                .map_err(st)?
                .ok_or_else(|| format!("no client {client_id:?} in realm {realm}"))?;
            let Some(t) = &c.provisioning else {
                println!("provisioning: off");
                return Ok(());
            };
            let p = s.provisioning_status(&c.id).await.map_err(st)?;
            let at = |t: Option<OffsetDateTime>| {
                t.map(symbolon_saml::time::format_instant)
                    .unwrap_or_else(|| "never".into())
            };
            println!(
                "provisioning: to {} ({} removed users)",
                t.url,
                if t.delete_removed {
                    "deleting"
                } else {
                    "deactivating"
                }
            );
            println!(
                "last run: {}\nlast success: {}",
                at(p.last_run),
                at(p.last_success)
            );
            println!(
                "users: {} ({} active), groups: {}",
                p.users, p.active_users, p.groups
            );
            println!(
                "changes in the last run: {}, pending: {}",
                p.changed, p.pending
            );
            println!(
                "last reconcile: {} (drift: {})",
                at(p.last_reconcile),
                p.drift
            );
            if let Some(err) = &p.last_error {
                println!(
                    "last error: {err} (failures in a row: {}, next attempt: {})",
                    p.failures,
                    at(p.next_attempt)
                );
            }
        }
    }
    Ok(())
}
