//! `symbolon idp group ...`.

use clap::Subcommand;
use symbolon_idp::Actor;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum GroupCmd {
    /// Create a group, e.g. /eng/platform (missing parents are created).
    Add {
        #[arg(long)]
        realm: String,
        path: String,
    },
    List {
        #[arg(long)]
        realm: String,
    },
    /// Make a user a member of a group.
    Join {
        #[arg(long)]
        realm: String,
        path: String,
        username: String,
    },
}

pub(super) async fn run<S: symbolon_store::IdpStore>(s: &S, cmd: GroupCmd) -> Result<(), String> {
    let actor = Actor("cli".into());
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_idp::IdpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        GroupCmd::Add { realm, path } => {
            let g = symbolon_idp::add_group(s, &actor, &realm, &path, now)
                .await
                .map_err(e)?;
            println!("group {} exists", g.path);
        }
        GroupCmd::List { realm } => {
            for g in s.groups(&realm).await.map_err(st)? {
                println!("{}", g.path);
            }
        }
        GroupCmd::Join {
            realm,
            path,
            username,
        } => {
            symbolon_idp::join_group(s, &actor, &realm, &username, &path, now)
                .await
                .map_err(e)?;
            println!("{username} is a member of {path}");
        }
    }
    Ok(())
}
