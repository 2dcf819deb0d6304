//! `symbolon idp session ...`: a realm's live SSO sessions, and ending them.

use clap::Subcommand;
use symbolon_idp::Actor;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum SessionCmd {
    /// The realm's live SSO sessions, newest first: handle, user, started, last used, method,
    /// clients reached.
    List {
        #[arg(long)]
        realm: String,
        /// Only this user's.
        #[arg(long)]
        user: Option<String>,
    },
    /// End one session (by the handle `list` shows), or every session of a user with --user.
    Revoke {
        #[arg(long)]
        realm: String,
        #[arg(required_unless_present = "user", conflicts_with = "user")]
        handle: Option<String>,
        #[arg(long)]
        user: Option<String>,
    },
}

pub(super) async fn run<S: symbolon_store::IdpStore>(s: &S, cmd: SessionCmd) -> Result<(), String> {
    let actor = Actor("cli".into());
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_idp::IdpError| e.to_string();
    match cmd {
        SessionCmd::List { realm, user } => {
            super::existing_realm(s, &realm).await?;
            for v in symbolon_idp::list_sessions(s, &realm, user.as_deref(), now)
                .await
                .map_err(e)?
            {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    v.handle,
                    v.username,
                    symbolon_idp::utc_text(v.started),
                    v.last_used
                        .map(symbolon_idp::utc_text)
                        .unwrap_or_else(|| "-".into()),
                    v.method,
                    v.clients.join(" ")
                );
            }
        }
        SessionCmd::Revoke {
            realm,
            handle,
            user,
        } => match (handle, user) {
            (_, Some(user)) => {
                let n = symbolon_idp::revoke_user_sessions(s, &actor, &realm, &user, now)
                    .await
                    .map_err(e)?;
                println!("{n} session(s) of {user} ended");
            }
            (Some(h), None) => {
                let v = symbolon_idp::revoke_session(s, &actor, &realm, &h, now)
                    .await
                    .map_err(e)?;
                println!("session of {} ended", v.username);
            }
            (None, None) => return Err("give a session handle or --user".into()),
        },
    }
    Ok(())
}
