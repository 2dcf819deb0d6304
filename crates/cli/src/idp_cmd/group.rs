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
    /// The direct members of a group.
    Members {
        #[arg(long)]
        realm: String,
        path: String,
    },
    /// Rename or move a group (its subgroups move with it), e.g. /eng to /rnd/eng.
    Move {
        #[arg(long)]
        realm: String,
        path: String,
        new_path: String,
    },
    /// Delete a group and its subgroups, with their memberships, role grants and client
    /// assignments. Without --yes, prints what would go and deletes nothing.
    Delete {
        #[arg(long)]
        realm: String,
        path: String,
        #[arg(long)]
        yes: bool,
    },
}

pub(super) async fn run<S: symbolon_store::IdpStore>(s: &S, cmd: GroupCmd) -> Result<(), String> {
    let actor = Actor("cli".into());
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_idp::IdpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        GroupCmd::Add { realm, path } => {
            let before = s.groups(&realm).await.map_err(st)?.len();
            let g = symbolon_idp::add_group(s, &actor, &realm, &path, now)
                .await
                .map_err(e)?;
            let made = s
                .groups(&realm)
                .await
                .map_err(st)?
                .len()
                .saturating_sub(before);
            match made {
                0 => println!("group {} already exists; nothing changed", g.path),
                1 => println!("created group {}", g.path),
                n => println!("created group {} ({} groups with its parents)", g.path, n),
            }
        }
        GroupCmd::List { realm } => {
            super::existing_realm(s, &realm).await?;
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
        GroupCmd::Members { realm, path } => {
            for u in symbolon_idp::group_members(s, &realm, &path)
                .await
                .map_err(e)?
            {
                println!("{}", u.username);
            }
        }
        GroupCmd::Move {
            realm,
            path,
            new_path,
        } => {
            if symbolon_idp::move_group(s, &actor, &realm, &path, &new_path, now)
                .await
                .map_err(e)?
            {
                println!("group {path} moved to {new_path}");
            } else {
                println!("group {path} unchanged");
            }
        }
        GroupCmd::Delete { realm, path, yes } => {
            let (paths, members) = symbolon_idp::group_delete_preview(s, &realm, &path)
                .await
                .map_err(e)?;
            if !yes {
                return Err(format!(
                    "deleting {path} would delete the group(s) {} and {members} membership(s); run again with --yes",
                    paths.join(", ")
                ));
            }
            let gone = symbolon_idp::delete_group(s, &actor, &realm, &path, now)
                .await
                .map_err(e)?;
            println!("deleted {}", gone.join(", "));
        }
    }
    Ok(())
}
