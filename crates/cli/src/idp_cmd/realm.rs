//! `symbolon idp realm ...`.

use clap::Subcommand;
use symbolon_idp::{Actor, KeyAlgorithm};
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum RealmCmd {
    /// Create a realm (an active signing key is generated).
    Create {
        name: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, default_value = "rsa2048", value_parser = ["rsa2048", "rsa3072", "ec-p256"])]
        key_alg: String,
    },
    List,
    /// Show or set the realm's sign-in policy: `password`, `second-factor` (password and a
    /// second factor, required), `passkey-or-password`, or `passkey-only` (password sign-in
    /// disabled; a password only registers a user's first passkey).
    Policy {
        name: String,
        #[arg(value_parser = ["password", "second-factor", "passkey-or-password", "passkey-only"])]
        policy: Option<String>,
    },
    /// Change a realm's display name, enable or disable it, or set its assertion lifespan.
    Update {
        name: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        enabled: Option<bool>,
        #[arg(long)]
        assertion_lifespan: Option<i64>,
    },
    /// Write the realm as one JSON document (Keycloak's realm representation): settings, roles,
    /// groups, users, SAML clients with mappers and access, key metadata.
    Export {
        name: String,
        /// Also users' password hashes and the realm's private keys (the file is then as secret
        /// as the database).
        #[arg(long)]
        with_credentials: bool,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Create or update a realm from a JSON document (an export, or a Keycloak 26 realm
    /// export with SAML clients). What exists is skipped, overwritten, or fails the import
    /// before anything is written (Keycloak's partial import).
    Import {
        /// The document (`-` for standard input).
        file: String,
        #[arg(long, default_value = "fail", value_parser = ["fail", "skip", "overwrite"])]
        if_exists: String,
        /// Say what the import would do; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete a realm and everything of it. Without --yes, prints what would go and deletes
    /// nothing.
    Delete {
        name: String,
        #[arg(long)]
        yes: bool,
    },
}

pub(super) async fn run<S: symbolon_store::IdpStore>(s: &S, cmd: RealmCmd) -> Result<(), String> {
    let actor = Actor("cli".into());
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_idp::IdpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        RealmCmd::Create {
            name,
            display_name,
            key_alg,
        } => {
            let alg = KeyAlgorithm::parse(&key_alg).unwrap_or(KeyAlgorithm::Rsa2048);
            let r = symbolon_idp::create_realm(s, &actor, &name, display_name.as_deref(), alg, now)
                .await
                .map_err(e)?;
            println!("created realm {} ({})", r.name, r.display_name);
        }
        RealmCmd::Policy { name, policy } => {
            if let Some(p) = policy.as_deref().and_then(symbolon_idp::AuthPolicy::parse) {
                symbolon_idp::set_auth_policy(s, &actor, &name, p, now)
                    .await
                    .map_err(e)?;
            }
            let p = symbolon_idp::auth_policy(s, &name).await.map_err(e)?;
            println!("{}", p.as_str());
        }
        RealmCmd::List => {
            for r in s.realms().await.map_err(st)? {
                println!(
                    "{}\t{}\t{}",
                    r.name,
                    r.display_name,
                    if r.enabled { "enabled" } else { "disabled" }
                );
            }
        }
        RealmCmd::Update {
            name,
            display_name,
            enabled,
            assertion_lifespan,
        } => {
            let change = symbolon_idp::RealmChange {
                display_name,
                enabled,
                assertion_lifespan_secs: assertion_lifespan,
            };
            let (_, changed) = symbolon_idp::update_realm(s, &actor, &name, &change, now)
                .await
                .map_err(e)?;
            println!(
                "realm {name} {}",
                if changed { "updated" } else { "unchanged" }
            );
        }
        RealmCmd::Export {
            name,
            with_credentials,
            out,
        } => {
            let rep = symbolon_idp::realm_io::export_realm(s, &name, with_credentials)
                .await
                .map_err(e)?;
            crate::apply_cmd::write_json(&rep, out.as_deref())?;
        }
        RealmCmd::Import {
            file,
            if_exists,
            dry_run,
        } => {
            let rep = crate::apply_cmd::read_json(&file, "a realm document")?;
            let if_exists = symbolon_idp::realm_io::IfExists::parse(&if_exists)
                .ok_or("--if-exists is fail, skip or overwrite")?;
            let report = crate::apply_cmd::import_realm(s, &rep, if_exists, dry_run)
                .await
                .map_err(e)?;
            crate::apply_cmd::print_report(&file, &report);
        }
        RealmCmd::Delete { name, yes } => {
            let contents = symbolon_idp::realm_contents(s, &name).await.map_err(e)?;
            if !yes {
                return Err(format!(
                    "deleting realm {name} would delete {}; run again with --yes",
                    contents.describe()
                ));
            }
            symbolon_idp::delete_realm(s, &actor, &name, now)
                .await
                .map_err(e)?;
            println!("realm {name} deleted with {}", contents.describe());
        }
    }
    Ok(())
}
