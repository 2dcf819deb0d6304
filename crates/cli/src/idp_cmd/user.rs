//! `symbolon idp user ...`.

use crate::input::read_secret;
use clap::Subcommand;
use symbolon_idp::{Actor, NewUser};
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Add a user. The password is read from standard input with --password-stdin.
    Add {
        #[arg(long)]
        realm: String,
        username: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        first_name: Option<String>,
        #[arg(long)]
        last_name: Option<String>,
        /// An attribute NAME=VALUE; repeat for several values.
        #[arg(long = "attr", value_name = "NAME=VALUE")]
        attrs: Vec<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (read from standard input).
    Passwd {
        #[arg(long)]
        realm: String,
        username: String,
    },
    List {
        #[arg(long)]
        realm: String,
    },
    /// Give a user a TOTP second factor (replacing any): prints the otpauth URI, the secret and
    /// ten one-time recovery codes, once.
    TotpEnrol {
        #[arg(long)]
        realm: String,
        username: String,
    },
    /// Remove a user's TOTP second factor and recovery codes.
    TotpRemove {
        #[arg(long)]
        realm: String,
        username: String,
    },
    /// List a user's sign-in methods: password, authenticator app, passkeys.
    Credentials {
        #[arg(long)]
        realm: String,
        username: String,
    },
    /// Remove a user's second factor and every passkey, and sign out their sessions (a lost
    /// device). The password stays.
    ResetCredentials {
        #[arg(long)]
        realm: String,
        username: String,
    },
    /// Print a one-time link (valid 24 hours) with which the user registers a passkey without a
    /// password: for users who have none, or who lost every device.
    RegistrationLink {
        #[arg(long)]
        realm: String,
        username: String,
        /// The IdP's public base URL (as in its configuration), e.g. https://idp.example.com
        #[arg(long)]
        base_url: String,
    },
    /// Require the user to register a passkey at the next sign-in (`--off` to stop).
    RequirePasskey {
        #[arg(long)]
        realm: String,
        username: String,
        #[arg(long)]
        off: bool,
    },
    /// Disable a user: no sign-in, existing sessions not honoured.
    Disable {
        #[arg(long)]
        realm: String,
        username: String,
    },
    Enable {
        #[arg(long)]
        realm: String,
        username: String,
    },
    /// Delete a user (offboarding): credentials, memberships, role grants and client
    /// assignments go with them, and their SSO sessions end.
    Delete {
        #[arg(long)]
        realm: String,
        username: String,
    },
    /// Set an attribute (e.g. locale, tz) to one or more values, replacing what it had.
    SetAttr {
        #[arg(long)]
        realm: String,
        username: String,
        name: String,
        #[arg(required = true)]
        values: Vec<String>,
    },
    /// Remove an attribute.
    UnsetAttr {
        #[arg(long)]
        realm: String,
        username: String,
        name: String,
    },
    /// Take a user out of a group.
    Leave {
        #[arg(long)]
        realm: String,
        username: String,
        path: String,
    },
}

pub(super) async fn run<S: symbolon_store::IdpStore>(s: &S, cmd: UserCmd) -> Result<(), String> {
    let actor = Actor("cli".into());
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_idp::IdpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        UserCmd::Add {
            realm,
            username,
            email,
            first_name,
            last_name,
            attrs,
            password_stdin,
        } => {
            let mut attributes = Vec::new();
            for kv in attrs {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| format!("--attr {kv:?} is not NAME=VALUE"))?;
                attributes.push((k.to_string(), v.to_string()));
            }
            let password = if password_stdin {
                Some(read_secret()?)
            } else {
                None
            };
            let u = symbolon_idp::add_user(
                s,
                &actor,
                &realm,
                NewUser {
                    username,
                    email,
                    first_name,
                    last_name,
                    attributes,
                },
                password.as_deref(),
                now,
            )
            .await
            .map_err(e)?;
            println!("created user {} ({})", u.username, u.id);
        }
        UserCmd::Passwd { realm, username } => {
            let pw = read_secret()?;
            symbolon_idp::set_password(s, &actor, &realm, &username, &pw, now)
                .await
                .map_err(e)?;
            println!("password set for {username}");
        }
        UserCmd::TotpEnrol { realm, username } => {
            let en = symbolon_idp::enrol_totp(s, &actor, &realm, &username, now)
                .await
                .map_err(e)?;
            println!("uri\t{}", en.uri);
            println!("secret\t{}", en.secret_base32);
            for c in en.recovery_codes {
                println!("recovery\t{c}");
            }
        }
        UserCmd::TotpRemove { realm, username } => {
            symbolon_idp::remove_totp(s, &actor, &realm, &username, now)
                .await
                .map_err(e)?;
            println!("second factor removed for {username}");
        }
        UserCmd::Credentials { realm, username } => {
            let u = s
                .user_by_username(&realm, &symbolon_idp::normalize_username(&username))
                .await
                .map_err(st)?
                .ok_or_else(|| format!("no user {username:?} in realm {realm}"))?;
            let m = symbolon_idp::user_methods(s, &u).await.map_err(e)?;
            println!("password\t{}", if m.password { "set" } else { "none" });
            if m.totp.is_some() {
                println!("totp\ton\t{} recovery code(s) left", m.recovery_codes_left);
            } else {
                println!("totp\toff");
            }
            for p in &m.passkeys {
                println!(
                    "passkey\t{}\t{}\tcounter {}\t{}",
                    p.id,
                    p.name,
                    p.sign_count,
                    if p.backup_state {
                        "synced"
                    } else {
                        "device-bound"
                    }
                );
            }
            if m.passkey_required {
                println!("required-action\tregister-passkey");
            }
        }
        UserCmd::ResetCredentials { realm, username } => {
            let r = symbolon_idp::reset_credentials(s, &actor, &realm, &username, now)
                .await
                .map_err(e)?;
            println!(
                "reset {username}: second factor and {} passkey(s) removed, {} session(s) signed out",
                r.passkeys_removed, r.sessions_signed_out
            );
        }
        UserCmd::RegistrationLink {
            realm,
            username,
            base_url,
        } => {
            let l = symbolon_idp::create_registration_link(
                s, &actor, &base_url, &realm, &username, now,
            )
            .await
            .map_err(e)?;
            println!("{}", l.url);
        }
        UserCmd::RequirePasskey {
            realm,
            username,
            off,
        } => {
            symbolon_idp::require_passkey(s, &actor, &realm, &username, !off, now)
                .await
                .map_err(e)?;
            println!(
                "{username} {} register a passkey at the next sign-in",
                if off { "need not" } else { "must" }
            );
        }
        UserCmd::Disable { realm, username } => {
            symbolon_idp::set_user_enabled(s, &actor, &realm, &username, false, now)
                .await
                .map_err(e)?;
            println!("user {username} disabled");
        }
        UserCmd::Enable { realm, username } => {
            symbolon_idp::set_user_enabled(s, &actor, &realm, &username, true, now)
                .await
                .map_err(e)?;
            println!("user {username} enabled");
        }
        UserCmd::List { realm } => {
            super::existing_realm(s, &realm).await?;
            for u in s.users(&realm).await.map_err(st)? {
                println!(
                    "{}\t{}\t{}",
                    u.username,
                    u.email.unwrap_or_default(),
                    if u.enabled { "enabled" } else { "disabled" }
                );
            }
        }
        UserCmd::Delete { realm, username } => {
            let u = symbolon_idp::delete_user(s, &actor, &realm, &username, now)
                .await
                .map_err(e)?;
            println!("user {} deleted", u.username);
        }
        UserCmd::SetAttr {
            realm,
            username,
            name,
            values,
        } => {
            let changed =
                symbolon_idp::set_user_attribute(s, &actor, &realm, &username, &name, &values, now)
                    .await
                    .map_err(e)?;
            println!(
                "{name} of {username} {}",
                if changed { "set" } else { "unchanged" }
            );
        }
        UserCmd::UnsetAttr {
            realm,
            username,
            name,
        } => {
            let had = symbolon_idp::unset_user_attribute(s, &actor, &realm, &username, &name, now)
                .await
                .map_err(e)?;
            println!(
                "{name} of {username} {}",
                if had { "removed" } else { "was not set" }
            );
        }
        UserCmd::Leave {
            realm,
            username,
            path,
        } => {
            symbolon_idp::leave_group(s, &actor, &realm, &username, &path, now)
                .await
                .map_err(e)?;
            println!("{username} is no longer a member of {path}");
        }
    }
    Ok(())
}
