//! `symbolon idp token ...`.

use clap::Subcommand;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Create a bearer token for the admin REST API (printed once, stored only as a hash).
    Create {
        #[arg(long)]
        name: String,
    },
    List,
    Revoke {
        id: String,
    },
}

pub(super) async fn run<S: symbolon_store::IdpStore>(s: &S, cmd: TokenCmd) -> Result<(), String> {
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_idp::IdpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        TokenCmd::Create { name } => {
            let (id, token) = symbolon_idp::create_admin_token(s, &name, now)
                .await
                .map_err(e)?;
            eprintln!("token {id} created; it is shown once:");
            println!("{token}");
        }
        TokenCmd::List => {
            for t in s.tokens().await.map_err(st)? {
                println!(
                    "{}	{}	{}	{}",
                    t.id,
                    t.name,
                    symbolon_saml::time::format_instant(t.created_at),
                    if t.revoked { "revoked" } else { "active" }
                );
            }
        }
        TokenCmd::Revoke { id } => {
            s.revoke_token(&id).await.map_err(st)?;
            println!("token {id} revoked");
        }
    }
    Ok(())
}
