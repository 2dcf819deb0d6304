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
    }
    Ok(())
}
