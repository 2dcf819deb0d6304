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
    let actor = symbolon_idp::Actor("cli".into());
    match cmd {
        TokenCmd::Create { name } => {
            let (id, token) = symbolon_idp::create_admin_token(s, &actor, &name, now)
                .await
                .map_err(e)?;
            eprintln!("token {id} created; it is shown once:");
            println!("{token}");
        }
        TokenCmd::List => {
            for t in symbolon_idp::admin_tokens(s).await.map_err(e)? {
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
            let t = symbolon_idp::revoke_admin_token(s, &actor, &id, now)
                .await
                .map_err(e)?;
            println!("token {id} ({}) revoked", t.name);
        }
    }
    Ok(())
}
