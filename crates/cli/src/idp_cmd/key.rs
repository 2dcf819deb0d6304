//! `symbolon idp key ...`: the realm's signing keys, or with `--client` a client's own keys
//! (per-client keys: the client signs with its active key instead of the realm's).

use clap::Subcommand;
use symbolon_idp::{Actor, KeyAlgorithm};
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum KeyCmd {
    List {
        #[arg(long)]
        realm: String,
        /// A client's own keys (its client ID) instead of the realm's.
        #[arg(long)]
        client: Option<String>,
    },
    /// Rollover step 1: add a next key (published, not yet signing).
    AddNext {
        #[arg(long)]
        realm: String,
        /// A key of the client's own (its client ID), published in the client's descriptor.
        #[arg(long)]
        client: Option<String>,
        #[arg(long, default_value = "rsa2048", value_parser = ["rsa2048", "rsa3072", "ec-p256"])]
        alg: String,
    },
    /// Rollover step 2: the key signs; the previous active key stays published as passive.
    Promote {
        #[arg(long)]
        realm: String,
        #[arg(long)]
        client: Option<String>,
        kid: String,
    },
    /// Rollover step 3: stop publishing a passive key. A client's active key may be retired
    /// too: the client then signs with the realm's key again.
    Retire {
        #[arg(long)]
        realm: String,
        #[arg(long)]
        client: Option<String>,
        kid: String,
    },
    /// Delete a client's retired or never promoted key.
    Remove {
        #[arg(long)]
        realm: String,
        #[arg(long)]
        client: String,
        kid: String,
    },
}

pub(super) async fn run<S: symbolon_store::IdpStore>(s: &S, cmd: KeyCmd) -> Result<(), String> {
    let actor = Actor("cli".into());
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_idp::IdpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        KeyCmd::List { realm, client } => {
            super::existing_realm(s, &realm).await?;
            let keys = match &client {
                Some(c) => symbolon_idp::client_keys(s, &realm, c).await.map_err(e)?,
                None => s.keys(&realm).await.map_err(st)?,
            };
            for k in keys {
                let c = symbolon_dsig::describe_certificate(&k.certificate_der)
                    .map_err(|e| e.to_string())?;
                let days = symbolon_store::expiry::days_left(
                    &k.certificate_der,
                    time::OffsetDateTime::now_utc(),
                )
                .unwrap_or_default();
                println!(
                    "{}\t{}\t{}\tvalid until {}\t{days} days left",
                    k.kid,
                    k.status.as_str(),
                    k.algorithm,
                    crate::input::unix_to_rfc3339(c.not_after)
                );
            }
        }
        KeyCmd::AddNext { realm, client, alg } => {
            let alg = KeyAlgorithm::parse(&alg).unwrap_or(KeyAlgorithm::Rsa2048);
            let kid = match &client {
                Some(c) => symbolon_idp::add_client_key(s, &actor, &realm, c, alg, now)
                    .await
                    .map(|k| k.kid),
                None => symbolon_idp::add_next_key(s, &actor, &realm, alg, now).await,
            }
            .map_err(e)?;
            println!("added next key {kid} (published, not signing)");
        }
        KeyCmd::Promote { realm, client, kid } => {
            match &client {
                Some(c) => symbolon_idp::promote_client_key(s, &actor, &realm, c, &kid, now).await,
                None => symbolon_idp::promote_key(s, &actor, &realm, &kid, now).await,
            }
            .map_err(e)?;
            println!("key {kid} now signs; the previous key stays published as passive");
        }
        KeyCmd::Retire { realm, client, kid } => {
            match &client {
                Some(c) => symbolon_idp::retire_client_key(s, &actor, &realm, c, &kid, now).await,
                None => symbolon_idp::retire_key(s, &actor, &realm, &kid, now).await,
            }
            .map_err(e)?;
            println!("key {kid} retired");
        }
        KeyCmd::Remove { realm, client, kid } => {
            symbolon_idp::remove_client_key(s, &actor, &realm, &client, &kid, now)
                .await
                .map_err(e)?;
            println!("key {kid} removed");
        }
    }
    Ok(())
}
