//! `symbolon sp user ...`.

use crate::sp_account::account_id;
use clap::Subcommand;
use std::io::BufRead as _;
use symbolon_sp::Actor;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Add a native user; the password is read from standard input.
    Add {
        #[arg(long)]
        account: String,
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// A Master Administrator (cannot use SSO into this account).
        #[arg(long)]
        master: bool,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// The account's native users.
    List {
        #[arg(long)]
        account: String,
    },
    /// Set a native user's password; the new password is read from standard input.
    ResetPassword {
        #[arg(long)]
        account: String,
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove a native user (the last master administrator cannot be removed).
    Remove {
        #[arg(long)]
        account: String,
        email: String,
    },
}

pub(super) async fn run<S: symbolon_store::sp::SpStore>(s: &S, cmd: UserCmd) -> Result<(), String> {
    let actor = Actor::cli();
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_sp::SpError| e.to_string();
    match cmd {
        UserCmd::Add {
            account,
            email,
            name,
            master,
            role,
            password_stdin,
        } => {
            if !password_stdin {
                return Err("give the password on standard input with --password-stdin".into());
            }
            let mut pw = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut pw)
                .map_err(|e| e.to_string())?;
            let pw = pw.trim_end_matches(['\r', '\n']);
            let id = account_id(s, &account).await?;
            symbolon_sp::add_native_user(
                s,
                &actor,
                &id,
                &email,
                name.as_deref(),
                pw,
                master,
                role.as_deref(),
                now,
            )
            .await
            .map_err(e)?;
            println!("user {email} added");
        }
        UserCmd::List { account } => {
            let id = account_id(s, &account).await?;
            for u in symbolon_sp::native_users(s, &id).await.map_err(e)? {
                println!(
                    "{}\t{}\t{}",
                    u.email,
                    if u.master { "master" } else { "user" },
                    u.display_name.unwrap_or_default()
                );
            }
        }
        UserCmd::ResetPassword {
            account,
            email,
            password_stdin,
        } => {
            if !password_stdin {
                return Err("give the password on standard input with --password-stdin".into());
            }
            let mut pw = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut pw)
                .map_err(|e| e.to_string())?;
            let id = account_id(s, &account).await?;
            symbolon_sp::reset_native_password(
                s,
                &actor,
                &id,
                &email,
                pw.trim_end_matches(['\r', '\n']),
                now,
            )
            .await
            .map_err(e)?;
            println!("password of {email} reset");
        }
        UserCmd::Remove { account, email } => {
            let id = account_id(s, &account).await?;
            symbolon_sp::remove_native_user(s, &actor, &id, &email, now)
                .await
                .map_err(e)?;
            println!("user {email} removed");
        }
    }
    Ok(())
}
