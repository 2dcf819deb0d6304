//! `symbolon sp ...`: the multi-tenant service provider's administration and server, on the same
//! store as a running server.

use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use symbolon_sp::{Actor, MappingProfile};
use time::OffsetDateTime;

#[derive(Args, Debug)]
pub struct SpArgs {
    /// Data directory holding `symbolon.db` (ignored when --database-url is given).
    #[arg(
        long,
        global = true,
        default_value = "symbolon-data",
        env = "SYMBOLON_DATA_DIR"
    )]
    data_dir: PathBuf,
    /// Database URL (`sqlite://path`).
    #[arg(long, global = true, env = "SYMBOLON_DATABASE_URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: SpCommand,
}

#[derive(Subcommand, Debug)]
pub enum SpCommand {
    /// Accounts (tenants).
    #[command(subcommand)]
    Account(AccountCmd),
    /// Roles of an account.
    #[command(subcommand)]
    Role(RoleCmd),
    /// Native users (email + password) of an account.
    #[command(subcommand)]
    User(UserCmd),
    /// Pre-registered SAML accounts (NameID + role).
    #[command(subcommand)]
    SamlAccount(SamlAccountCmd),
    /// Identity providers of an account.
    #[command(subcommand)]
    Idp(IdpCmd),
    /// The SAML users who reached an account (read-only).
    #[command(subcommand)]
    SamlUsers(SamlUsersCmd),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// API keys for the REST API (one account each).
    #[command(subcommand)]
    ApiKey(ApiKeyCmd),
    /// Write the SP metadata.
    Metadata {
        #[arg(long, default_value = "http://localhost:8081")]
        base_url: String,
    },
    /// Run the service provider.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: String,
        /// Public base URL (default: http://LISTEN-ADDRESS).
        #[arg(long)]
        base_url: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AccountCmd {
    /// Create an account (with the built-in roles); prints its ID.
    Create {
        name: String,
    },
    List,
}

#[derive(Subcommand, Debug)]
pub enum RoleCmd {
    Add {
        #[arg(long)]
        account: String,
        name: String,
    },
    /// Delete a role (its group mappings stay, marked as pointing at a deleted role).
    Delete {
        #[arg(long)]
        account: String,
        name: String,
    },
    List {
        #[arg(long)]
        account: String,
    },
}

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

#[derive(Subcommand, Debug)]
pub enum SamlAccountCmd {
    Add {
        #[arg(long)]
        account: String,
        /// Email or username, matched against the NameID.
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        description: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum IdpCmd {
    /// "Add Identity Provider" from the IdP's metadata.
    Add {
        #[arg(long)]
        account: String,
        #[arg(long)]
        metadata: PathBuf,
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    List {
        #[arg(long)]
        account: String,
    },
    /// The mapping profile and SSO mode.
    Profile {
        #[arg(long)]
        account: String,
        idp: String,
        #[arg(long)]
        name_attribute: Option<String>,
        #[arg(long)]
        locale_attribute: Option<String>,
        #[arg(long)]
        timezone_attribute: Option<String>,
        /// The claim that carries the user's groups.
        #[arg(long)]
        role_attribute: Option<String>,
        /// Require SP-initiated sign-in (unsolicited responses are refused).
        #[arg(long)]
        sp_initiated: bool,
    },
    /// Map a group to a role (a group maps to at most one role per account).
    MapGroup {
        #[arg(long)]
        account: String,
        idp: String,
        group: String,
        role: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum SamlUsersCmd {
    List {
        #[arg(long)]
        account: String,
    },
    /// Drop SAML users not seen for 365 days (the server does this daily).
    Prune,
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCmd {
    /// Create a key (printed once; only its SHA-256 is stored).
    Create {
        #[arg(long)]
        account: String,
        #[arg(long)]
        name: String,
    },
    List {
        #[arg(long)]
        account: String,
    },
    Revoke {
        #[arg(long)]
        account: String,
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// The account's audit log as JSON lines.
    Export {
        #[arg(long)]
        account: String,
    },
}

pub fn run(a: SpArgs) -> ExitCode {
    crate::block_on(false, run_async(a))
}

/// An account by ID or by (unique) name.
async fn account_id<S: symbolon_store::sp::SpStore>(s: &S, which: &str) -> Result<String, String> {
    let all = s.accounts().await.map_err(|e| e.to_string())?;
    if let Some(a) = all.iter().find(|a| a.id == which) {
        return Ok(a.id.clone());
    }
    let named: Vec<_> = all.iter().filter(|a| a.name == which).collect();
    match named.as_slice() {
        [a] => Ok(a.id.clone()),
        [] => Err(format!("no account {which:?}")),
        _ => Err(format!(
            "several accounts are named {which:?}; use the account ID"
        )),
    }
}

async fn run_async(a: SpArgs) -> Result<(), String> {
    let db = crate::db::open(a.database_url.as_deref(), &a.data_dir).await?;
    crate::db::with_db!(db, store => run_with(store, a).await)
}

async fn run_with<S: symbolon_store::sp::SpStore>(store: S, a: SpArgs) -> Result<(), String> {
    let s = &store;
    let actor = Actor::cli();
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_sp::SpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match a.command {
        SpCommand::Account(AccountCmd::Create { name }) => {
            let acc = symbolon_sp::create_account(s, &actor, &name, now)
                .await
                .map_err(e)?;
            println!("{}", acc.id);
        }
        SpCommand::Account(AccountCmd::List) => {
            for acc in s.accounts().await.map_err(st)? {
                println!("{}\t{}", acc.id, acc.name);
            }
        }
        SpCommand::Role(RoleCmd::Add { account, name }) => {
            let id = account_id(s, &account).await?;
            symbolon_sp::add_role(s, &actor, &id, &name, now)
                .await
                .map_err(e)?;
            println!("role {name} added");
        }
        SpCommand::Role(RoleCmd::Delete { account, name }) => {
            let id = account_id(s, &account).await?;
            symbolon_sp::delete_role(s, &actor, &id, &name, now)
                .await
                .map_err(e)?;
            println!("role {name} deleted");
        }
        SpCommand::Role(RoleCmd::List { account }) => {
            let id = account_id(s, &account).await?;
            for r in s.account_roles(&id).await.map_err(st)? {
                println!(
                    "{}\t{}",
                    r.name,
                    if r.builtin { "built-in" } else { "custom" }
                );
            }
        }
        SpCommand::User(UserCmd::Add {
            account,
            email,
            name,
            master,
            role,
            password_stdin,
        }) => {
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
        SpCommand::SamlAccount(SamlAccountCmd::Add {
            account,
            name,
            role,
            description,
        }) => {
            let id = account_id(s, &account).await?;
            symbolon_sp::add_saml_account(
                s,
                &actor,
                &id,
                &name,
                &role,
                description.as_deref(),
                now,
            )
            .await
            .map_err(e)?;
            println!("SAML account {name} added");
        }
        SpCommand::Idp(IdpCmd::Add {
            account,
            metadata,
            name,
            description,
        }) => {
            let id = account_id(s, &account).await?;
            let xml =
                std::fs::read(&metadata).map_err(|err| format!("{}: {err}", metadata.display()))?;
            let summary =
                symbolon_sp::add_idp(s, &actor, &id, &name, description.as_deref(), &xml, now)
                    .await
                    .map_err(e)?;
            println!(
                "identity provider {name} added: {}",
                summary.config.entity_id
            );
            for c in summary.certificates {
                println!("certificate: {c}");
            }
            for (sev, msg) in summary.findings {
                eprintln!("{sev}: {msg}");
            }
        }
        SpCommand::Idp(IdpCmd::List { account }) => {
            let id = account_id(s, &account).await?;
            for i in s.idps(&id).await.map_err(st)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    i.id,
                    i.name,
                    i.entity_id,
                    if i.sp_initiated {
                        "sp-initiated"
                    } else {
                        "idp-initiated"
                    },
                    i.description.unwrap_or_default()
                );
            }
        }
        SpCommand::Idp(IdpCmd::Profile {
            account,
            idp,
            name_attribute,
            locale_attribute,
            timezone_attribute,
            role_attribute,
            sp_initiated,
        }) => {
            let id = account_id(s, &account).await?;
            let p = MappingProfile {
                name: name_attribute,
                locale: locale_attribute,
                timezone: timezone_attribute,
                role: role_attribute,
                sp_initiated,
            };
            symbolon_sp::set_profile(s, &actor, &id, &idp, &p, now)
                .await
                .map_err(e)?;
            println!("mapping profile of {idp} saved");
        }
        SpCommand::Idp(IdpCmd::MapGroup {
            account,
            idp,
            group,
            role,
        }) => {
            let id = account_id(s, &account).await?;
            symbolon_sp::map_group(s, &actor, &id, &idp, &group, &role, now)
                .await
                .map_err(e)?;
            println!("group {group} -> role {role}");
        }
        SpCommand::SamlUsers(SamlUsersCmd::List { account }) => {
            let id = account_id(s, &account).await?;
            for u in s.saml_users(&id).await.map_err(st)? {
                println!("{}\t{}\t{}\t{}", u.name_id, u.last_role, u.last_logon, u.id);
            }
        }
        SpCommand::SamlUsers(SamlUsersCmd::Prune) => {
            let n = symbolon_sp::prune_saml_users(s, now).await.map_err(e)?;
            println!("{n} SAML users not seen for 365 days removed");
        }
        SpCommand::Audit(AuditCmd::Export { account }) => {
            let id = account_id(s, &account).await?;
            for a in s.audit_log(&id).await.map_err(st)? {
                let line = serde_json::json!({
                    "time": a.at.unix_timestamp(),
                    "account": a.account_id,
                    "principal": a.principal,
                    "action": a.action,
                    "detail": a.detail,
                });
                println!("{line}");
            }
        }
        SpCommand::ApiKey(ApiKeyCmd::Create { account, name }) => {
            let id = account_id(s, &account).await?;
            let (_, key) = symbolon_sp::create_api_key(s, &actor, &id, &name, now)
                .await
                .map_err(e)?;
            println!("{key}");
        }
        SpCommand::ApiKey(ApiKeyCmd::List { account }) => {
            let id = account_id(s, &account).await?;
            for k in s.api_keys(&id).await.map_err(st)? {
                println!(
                    "{}\t{}\t{}",
                    k.id,
                    k.name,
                    if k.revoked { "revoked" } else { "active" }
                );
            }
        }
        SpCommand::ApiKey(ApiKeyCmd::Revoke {
            account,
            id: key_id,
        }) => {
            let id = account_id(s, &account).await?;
            s.revoke_api_key(&id, &key_id).await.map_err(st)?;
            println!("API key {key_id} revoked");
        }
        SpCommand::Metadata { base_url } => {
            print!(
                "{}",
                symbolon_sp::sp_metadata(s, &base_url, now)
                    .await
                    .map_err(e)?
            );
        }
        SpCommand::Serve { listen, base_url } => {
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            let base = base_url.unwrap_or_else(|| format!("http://{addr}"));
            // The key exists before the first request.
            symbolon_sp::sp_key(s, &base, now).await.map_err(e)?;
            symbolon_web::shutdown::listen_for_shutdown();
            println!("listening on http://{addr} (base URL {base})");
            use std::io::Write as _;
            let _ = std::io::stdout().flush();
            symbolon_sp_web::http::serve(
                store,
                symbolon_sp_web::http::SpConfig::new(&base),
                listener,
            )
            .await
            .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
