//! `symbolon demo`: the identity provider and the service provider in one process on embedded
//! SQLite, already trusting each other through the same metadata exchange a person would do
//! (the SP's metadata imported as an IdP client, the IdP's descriptor added to two SP accounts).
//! Seeded once; a restart with the same data directory keeps the data and adds nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;
use symbolon_idp::{Actor, KeyAlgorithm, NewUser};
use symbolon_store::RealmStore;
use symbolon_store_sqlite::SqliteStore;
use time::OffsetDateTime;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where the demo keeps its data (`symbolon.db`) and writes `demo.json`.
    #[arg(long, default_value = "symbolon-data")]
    data_dir: PathBuf,
    #[arg(long, default_value_t = 8080)]
    idp_port: u16,
    #[arg(long, default_value_t = 8081)]
    sp_port: u16,
    /// Start over: remove the demo's database and `demo.json` from the data directory first.
    #[arg(long)]
    reset: bool,
}

const REALM: &str = "demo";
const PASSWORD: &str = "demo password 1";
const SP_ADMIN: &str = "admin@acme.example";
const SP_ADMIN_PASSWORD: &str = "sp admin password";
const IDP_ADMIN_PASSWORD: &str = "idp admin password";

/// (username, first name, group, what happens at the SP)
const USERS: [(&str, &str, &str, &str); 3] = [
    (
        "alice",
        "Alice",
        "/engineering",
        "meets the account/role picker (Acme Production: Full Access, Acme Staging: Read Only)",
    ),
    (
        "bob",
        "Bob",
        "/sales",
        "goes straight in (Acme Production: Read Only)",
    ),
    (
        "carol",
        "Carol",
        "/contractors",
        "has no access (no group mapping)",
    ),
];

pub fn run(a: DemoArgs) -> ExitCode {
    let traces = match crate::logging::LogFormat::from_env()
        .and_then(|f| Ok((f, crate::logging::Telemetry::from_env()?)))
    {
        Ok((f, t)) => crate::logging::init(f, &t),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let code = crate::block_on(true, run_async(a));
    drop(traces);
    code
}

async fn seed(s: &SqliteStore, idp_base: &str, sp_base: &str) -> Result<(), String> {
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_idp::IdpError| e.to_string();
    let se = |e: symbolon_sp::SpError| e.to_string();
    let actor = Actor("demo".into());
    // Identity provider: the master realm's administrator, the demo realm, users and groups.
    if s.realm("master")
        .await
        .map_err(|e| e.to_string())?
        .is_none()
    {
        symbolon_idp::create_realm(
            s,
            &actor,
            "master",
            Some("Master"),
            KeyAlgorithm::Rsa2048,
            now,
        )
        .await
        .map_err(e)?;
        let admin = NewUser {
            username: "admin".into(),
            email: None,
            first_name: None,
            last_name: None,
            attributes: vec![],
        };
        symbolon_idp::add_user(s, &actor, "master", admin, Some(IDP_ADMIN_PASSWORD), now)
            .await
            .map_err(e)?;
    }
    symbolon_idp::create_realm(
        s,
        &actor,
        REALM,
        Some("Multi-Pass demo"),
        KeyAlgorithm::Rsa2048,
        now,
    )
    .await
    .map_err(e)?;
    // Multi-Pass is passwordless: the demo realm offers passkeys (registered in the account
    // console) beside the demo passwords.
    symbolon_idp::set_auth_policy(
        s,
        &actor,
        REALM,
        symbolon_idp::AuthPolicy::PasskeyOrPassword,
        now,
    )
    .await
    .map_err(e)?;
    for (user, first, group, _) in USERS {
        let new = NewUser {
            username: user.into(),
            email: Some(format!("{user}@acme.example")),
            first_name: Some(first.into()),
            last_name: None,
            attributes: vec![("locale".into(), "en".into())],
        };
        symbolon_idp::add_user(s, &actor, REALM, new, Some(PASSWORD), now)
            .await
            .map_err(e)?;
        symbolon_idp::add_group(s, &actor, REALM, group, now)
            .await
            .map_err(e)?;
        symbolon_idp::join_group(s, &actor, REALM, user, group, now)
            .await
            .map_err(e)?;
    }
    // The seed's IdP steps: import the SP's metadata as a client, set its IdP-initiated URL name.
    let sp_md = symbolon_sp::sp_metadata(s, sp_base, now)
        .await
        .map_err(se)?;
    let (mut client, _) =
        symbolon_idp::import_client(s, &actor, REALM, sp_md.as_bytes(), Some("acme"), now)
            .await
            .map_err(e)?;
    client.home_url = Some(format!(
        "{idp_base}/realms/{REALM}/protocol/saml/clients/acme"
    ));
    client.name_id_format = symbolon_saml::messages::NAMEID_EMAIL.into();
    symbolon_idp::update_client(s, &actor, &client, "demo settings", now)
        .await
        .map_err(e)?;
    for (attr, kind, param) in [
        ("groups", "group-list-full", ""),
        ("displayName", "user-property", "firstName"),
        ("locale", "user-attribute", "locale"),
    ] {
        let m = symbolon_store::Mapper {
            name: attr.into(),
            saml_attribute: attr.into(),
            name_format: None,
            friendly_name: None,
            source: symbolon_idp::roles::mapper_source(kind, param).map_err(e)?,
        };
        symbolon_idp::roles::add_mapper(s, &actor, REALM, &client.client_id, m, now)
            .await
            .map_err(e)?;
    }
    // The seed's SP steps: two accounts add the IdP from its metadata and map groups to roles.
    let idp_md = symbolon_idp::descriptor(s, &Default::default(), REALM, idp_base)
        .await
        .map_err(e)?;
    let sp_actor = symbolon_sp::Actor::cli();
    let mut accounts = Vec::new();
    for name in ["Acme Production", "Acme Staging"] {
        let acc = symbolon_sp::create_account(s, &sp_actor, name, now)
            .await
            .map_err(se)?;
        symbolon_sp::add_idp(
            s,
            &sp_actor,
            &acc.id,
            "Multi-Pass",
            Some("MPAS Identity Provider"),
            idp_md.as_bytes(),
            now,
        )
        .await
        .map_err(se)?;
        let profile = symbolon_sp::MappingProfile {
            name: Some("displayName".into()),
            locale: Some("locale".into()),
            timezone: None,
            role: Some("groups".into()),
            sp_initiated: false,
            allow_cbc: false,
        };
        symbolon_sp::set_profile(s, &sp_actor, &acc.id, "Multi-Pass", &profile, now)
            .await
            .map_err(se)?;
        accounts.push(acc);
    }
    if let [prod, staging] = accounts.as_slice() {
        symbolon_sp::map_group(
            s,
            &sp_actor,
            &prod.id,
            "Multi-Pass",
            "/engineering",
            "Full Access",
            now,
        )
        .await
        .map_err(se)?;
        symbolon_sp::map_group(
            s,
            &sp_actor,
            &prod.id,
            "Multi-Pass",
            "/sales",
            "Read Only",
            now,
        )
        .await
        .map_err(se)?;
        symbolon_sp::map_group(
            s,
            &sp_actor,
            &staging.id,
            "Multi-Pass",
            "/engineering",
            "Read Only",
            now,
        )
        .await
        .map_err(se)?;
        symbolon_sp::add_native_user(
            s,
            &sp_actor,
            &prod.id,
            SP_ADMIN,
            Some("Acme administrator"),
            SP_ADMIN_PASSWORD,
            true,
            None,
            now,
        )
        .await
        .map_err(se)?;
    }
    Ok(())
}

/// The demo's trust was set up for the URLs in `demo.json` (entity IDs and endpoints carry the
/// ports): other ports would give an IdP and an SP that no longer recognise each other. Seeded
/// data without `demo.json` is of unknown ports: refused the same way.
fn same_urls(a: &DemoArgs, idp_base: &str, sp_base: &str) -> Result<(), String> {
    let info = a.data_dir.join("demo.json");
    let reset = format!(
        "`symbolon demo --data-dir {} --reset --idp-port {} --sp-port {}` starts over there",
        a.data_dir.display(),
        a.idp_port,
        a.sp_port
    );
    let Ok(text) = std::fs::read_to_string(&info) else {
        return Err(format!(
            "{} holds demo data but no demo.json, so its ports are unknown; {reset}",
            a.data_dir.display()
        ));
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let was = (
        v.pointer("/idp/url").and_then(|u| u.as_str()),
        v.pointer("/sp/url").and_then(|u| u.as_str()),
    );
    match was {
        (Some(i), Some(s)) if i != idp_base || s != sp_base => Err(format!(
            "this data directory's demo was set up for {i} and {s}; start it with the same \
             --idp-port and --sp-port, or use another --data-dir for other ports, or {reset}"
        )),
        _ => Ok(()),
    }
}

/// `--reset`: the demo's files go (the database with its WAL, `demo.json`, a staging copy).
fn reset(dir: &std::path::Path) -> Result<(), String> {
    for name in [
        "symbolon.db",
        "symbolon.db-wal",
        "symbolon.db-shm",
        "demo.json",
    ] {
        let p = dir.join(name);
        if p.exists() {
            std::fs::remove_file(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    let _ = std::fs::remove_dir_all(dir.join(".demo-seeding"));
    Ok(())
}

async fn run_async(a: DemoArgs) -> Result<(), String> {
    // The IdP as `localhost` (a valid WebAuthn relying-party ID), the SP as 127.0.0.1: two
    // hosts, so the two servers' cookies never meet.
    let idp_base = format!("http://localhost:{}", a.idp_port);
    let sp_base = format!("http://127.0.0.1:{}", a.sp_port);
    // Both ports first: when one is taken, nothing has been written yet.
    let bind = |port: u16, flag: &'static str| async move {
        tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| {
                format!("cannot listen on 127.0.0.1:{port}: {e}; choose another port with {flag} (nothing was written)")
            })
    };
    let idp_listener = bind(a.idp_port, "--idp-port").await?;
    let sp_listener = bind(a.sp_port, "--sp-port").await?;
    if a.reset {
        reset(&a.data_dir)?;
    }
    let db = a.data_dir.join("symbolon.db");
    let new_file = !db.exists();
    if new_file {
        // Seeded aside and moved into place in one rename: an interrupted first start leaves
        // no half-seeded database behind, and the next start seeds again from scratch.
        let staging = a.data_dir.join(".demo-seeding");
        let _ = std::fs::remove_dir_all(&staging);
        let s = SqliteStore::open_dir(&staging)
            .await
            .map_err(|e| e.to_string())?;
        seed(&s, &idp_base, &sp_base).await?;
        s.close().await;
        for suffix in ["", "-wal"] {
            let from = staging.join(format!("symbolon.db{suffix}"));
            if from.exists() {
                std::fs::rename(&from, a.data_dir.join(format!("symbolon.db{suffix}")))
                    .map_err(|e| format!("{}: {e}", from.display()))?;
            }
        }
        let _ = std::fs::remove_dir_all(&staging);
    }
    let store = SqliteStore::open_dir(&a.data_dir)
        .await
        .map_err(|e| e.to_string())?;
    let fresh = new_file
        || store
            .realm(REALM)
            .await
            .map_err(|e| e.to_string())?
            .is_none();
    if fresh && !new_file {
        seed(&store, &idp_base, &sp_base).await?;
    } else if !fresh {
        same_urls(&a, &idp_base, &sp_base)?;
    }
    let home = format!("{idp_base}/realms/{REALM}/protocol/saml/clients/acme");
    let info = json!({
        "idp": {
            "url": idp_base,
            "adminConsole": format!("{idp_base}/admin/"),
            "admin": {"username": "admin", "password": IDP_ADMIN_PASSWORD},
            "realm": REALM,
            "metadata": format!("{idp_base}/realms/{REALM}/protocol/saml/descriptor"),
        },
        "sp": {
            "url": sp_base,
            "login": format!("{sp_base}/login"),
            "metadata": format!("{sp_base}/saml/metadata"),
            "masterAdministrator": {"email": SP_ADMIN, "password": SP_ADMIN_PASSWORD},
            "accounts": ["Acme Production", "Acme Staging"],
        },
        "idpInitiatedUrl": home,
        "users": USERS.iter().map(|(u, _, g, what)| json!({"username": u, "password": PASSWORD, "group": g, "atTheSp": what})).collect::<Vec<_>>(),
    });
    let path = a.data_dir.join("demo.json");
    let text = serde_json::to_string_pretty(&info).map_err(|e| e.to_string())?;
    std::fs::write(&path, format!("{text}\n")).map_err(|e| format!("{}: {e}", path.display()))?;
    println!(
        "Symbolon demo ({}).",
        if fresh {
            "new data"
        } else {
            "existing data kept"
        }
    );
    println!("  Sign in (IdP-initiated, the Home URL): {home}");
    for (u, _, _, what) in USERS {
        println!("    {u} / {PASSWORD:?}: {what}");
    }
    println!(
        "  Passkeys: sign in to {idp_base}/realms/{REALM}/account and add one; then \"Sign in with a passkey\""
    );
    println!("  IdP admin console: {idp_base}/admin/  (admin / {IDP_ADMIN_PASSWORD:?})");
    println!(
        "  SP administrator:  {sp_base}/login  ({SP_ADMIN} / {SP_ADMIN_PASSWORD:?}), then {sp_base}/account/idps"
    );
    println!("  Everything above is also in {}", path.display());
    symbolon_web::shutdown::listen_for_shutdown();
    println!("listening on {idp_base} and {sp_base}");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    let idp = symbolon_idp_web::http::serve(
        store.clone(),
        symbolon_idp_web::http::WebConfig::new(&idp_base),
        idp_listener,
    );
    let mut sp_cfg = symbolon_sp_web::http::SpConfig::new(&sp_base);
    sp_cfg.fetch_limits.public_only = !crate::logging::allow_private_from_env()?;
    sp_cfg.accounts_from_console = crate::logging::accounts_from_console_from_env()?;
    let sp = symbolon_sp_web::http::serve(store, sp_cfg, sp_listener);
    let (a, b) = tokio::join!(idp, sp);
    a.and(b).map_err(|e| e.to_string())
}
