//! `symbolon idp ...`: administer the identity provider's store from the command line (works on
//! the same database as a running server).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use symbolon_idp::{Actor, KeyAlgorithm, NewUser};

use time::OffsetDateTime;

#[derive(Args, Debug)]
pub struct IdpArgs {
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
    command: IdpCommand,
}

#[derive(Subcommand, Debug)]
pub enum IdpCommand {
    /// Realms.
    #[command(subcommand)]
    Realm(RealmCmd),
    /// Users of a realm.
    #[command(subcommand)]
    User(UserCmd),
    /// SAML clients (service providers) of a realm.
    #[command(subcommand)]
    Client(ClientCmd),
    /// Realm signing keys and their rollover.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Groups (hierarchical, by full path) and membership.
    #[command(subcommand)]
    Group(GroupCmd),
    /// Realm roles, granted to users and groups (the role-list mapper sends them).
    #[command(subcommand)]
    Role(RoleCmd),
    /// Write the realm's "SAML 2.0 Identity Provider Metadata" (signed).
    Descriptor {
        realm: String,
        /// The server's public base URL, e.g. https://idp.example.com
        #[arg(long, default_value = "http://localhost:8080")]
        base_url: String,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Admin REST API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Run the identity provider's HTTP server on this store (single instance).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Public base URL (default: http:// and the bound address).
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Recent events of a realm.
    Events {
        realm: String,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

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
}

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
}

#[derive(Subcommand, Debug)]
pub enum ClientCmd {
    /// Import a client from SP metadata ("Import a Client").
    Import {
        #[arg(long)]
        realm: String,
        /// SP metadata file (`-` for standard input).
        file: String,
        /// IDP-Initiated SSO URL Name: /realms/{realm}/protocol/saml/clients/{name}
        #[arg(long)]
        url_name: Option<String>,
        /// Home URL.
        #[arg(long)]
        home_url: Option<String>,
    },
    List {
        #[arg(long)]
        realm: String,
    },
    /// Limit the client to assigned users and groups.
    Restrict {
        #[arg(long)]
        realm: String,
        client_id: String,
    },
    /// Open the client to every user of the realm.
    Open {
        #[arg(long)]
        realm: String,
        client_id: String,
    },
    /// Assign the client to `user:NAME` or `group:/PATH` (members of subgroups included).
    Assign {
        #[arg(long)]
        realm: String,
        client_id: String,
        subject: String,
    },
    Unassign {
        #[arg(long)]
        realm: String,
        client_id: String,
        subject: String,
    },
    /// Who can reach the client.
    Access {
        #[arg(long)]
        realm: String,
        client_id: String,
    },
    /// Add a protocol mapper. --source user-attribute:NAME | user-property:username|email|firstName|lastName
    /// | group-list | group-list-full | role-list | hardcoded:VALUE
    AddMapper {
        #[arg(long)]
        realm: String,
        client_id: String,
        /// The SAML attribute name.
        #[arg(long)]
        attribute: String,
        #[arg(long)]
        source: String,
        /// basic, uri or unspecified (or the full URI).
        #[arg(long)]
        name_format: Option<String>,
    },
    /// Remove a protocol mapper by name.
    RemoveMapper {
        #[arg(long)]
        realm: String,
        client_id: String,
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum RoleCmd {
    /// Create a realm role.
    Add {
        #[arg(long)]
        realm: String,
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// The realm's roles and who holds them.
    List {
        #[arg(long)]
        realm: String,
    },
    /// Delete a role and every grant of it.
    Delete {
        #[arg(long)]
        realm: String,
        name: String,
    },
    /// Grant a role to user:NAME or group:/PATH (members of subgroups hold it too).
    Grant {
        #[arg(long)]
        realm: String,
        role: String,
        who: String,
    },
    /// Take a role back from user:NAME or group:/PATH.
    Revoke {
        #[arg(long)]
        realm: String,
        role: String,
        who: String,
    },
}

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

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Create a bearer token for the admin REST API (printed once, stored only as a hash).
    Create {
        #[arg(long)]
        name: String,
    },
    List,
    Revoke {
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeyCmd {
    List {
        #[arg(long)]
        realm: String,
    },
    /// Rollover step 1: add a next key (published, not yet signing).
    AddNext {
        #[arg(long)]
        realm: String,
        #[arg(long, default_value = "rsa2048", value_parser = ["rsa2048", "rsa3072", "ec-p256"])]
        alg: String,
    },
    /// Rollover step 2: the key signs; the previous active key stays published as passive.
    Promote {
        #[arg(long)]
        realm: String,
        kid: String,
    },
    /// Rollover step 3: stop publishing a passive key.
    Retire {
        #[arg(long)]
        realm: String,
        kid: String,
    },
}

fn read_secret() -> Result<String, String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    Ok(s.trim_end_matches(['\r', '\n']).to_string())
}

pub fn run(a: IdpArgs) -> ExitCode {
    crate::block_on(false, run_async(a))
}

async fn run_async(a: IdpArgs) -> Result<(), String> {
    let db = crate::db::open(a.database_url.as_deref(), &a.data_dir).await?;
    crate::db::with_db!(db, store => run_with(store, a).await)
}

async fn run_with<S: symbolon_store::IdpStore>(store: S, a: IdpArgs) -> Result<(), String> {
    let actor = Actor("cli".into());
    let now = OffsetDateTime::now_utc();
    let s = &store;
    let e = |e: symbolon_idp::IdpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match a.command {
        IdpCommand::Realm(RealmCmd::Create {
            name,
            display_name,
            key_alg,
        }) => {
            let alg = KeyAlgorithm::parse(&key_alg).unwrap_or(KeyAlgorithm::Rsa2048);
            let r = symbolon_idp::create_realm(s, &actor, &name, display_name.as_deref(), alg, now)
                .await
                .map_err(e)?;
            println!("created realm {} ({})", r.name, r.display_name);
        }
        IdpCommand::Realm(RealmCmd::Policy { name, policy }) => {
            if let Some(p) = policy.as_deref().and_then(symbolon_idp::AuthPolicy::parse) {
                symbolon_idp::set_auth_policy(s, &actor, &name, p, now)
                    .await
                    .map_err(e)?;
            }
            let p = symbolon_idp::auth_policy(s, &name).await.map_err(e)?;
            println!("{}", p.as_str());
        }
        IdpCommand::Realm(RealmCmd::List) => {
            for r in s.realms().await.map_err(st)? {
                println!(
                    "{}\t{}\t{}",
                    r.name,
                    r.display_name,
                    if r.enabled { "enabled" } else { "disabled" }
                );
            }
        }
        IdpCommand::User(UserCmd::Add {
            realm,
            username,
            email,
            first_name,
            last_name,
            attrs,
            password_stdin,
        }) => {
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
        IdpCommand::User(UserCmd::Passwd { realm, username }) => {
            let pw = read_secret()?;
            symbolon_idp::set_password(s, &actor, &realm, &username, &pw, now)
                .await
                .map_err(e)?;
            println!("password set for {username}");
        }
        IdpCommand::User(UserCmd::TotpEnrol { realm, username }) => {
            let en = symbolon_idp::enrol_totp(s, &actor, &realm, &username, now)
                .await
                .map_err(e)?;
            println!("uri\t{}", en.uri);
            println!("secret\t{}", en.secret_base32);
            for c in en.recovery_codes {
                println!("recovery\t{c}");
            }
        }
        IdpCommand::User(UserCmd::TotpRemove { realm, username }) => {
            symbolon_idp::remove_totp(s, &actor, &realm, &username, now)
                .await
                .map_err(e)?;
            println!("second factor removed for {username}");
        }
        IdpCommand::User(UserCmd::Credentials { realm, username }) => {
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
        IdpCommand::User(UserCmd::ResetCredentials { realm, username }) => {
            let r = symbolon_idp::reset_credentials(s, &actor, &realm, &username, now)
                .await
                .map_err(e)?;
            println!(
                "reset {username}: second factor and {} passkey(s) removed, {} session(s) signed out",
                r.passkeys_removed, r.sessions_signed_out
            );
        }
        IdpCommand::User(UserCmd::RegistrationLink {
            realm,
            username,
            base_url,
        }) => {
            let l = symbolon_idp::create_registration_link(
                s, &actor, &base_url, &realm, &username, now,
            )
            .await
            .map_err(e)?;
            println!("{}", l.url);
        }
        IdpCommand::User(UserCmd::RequirePasskey {
            realm,
            username,
            off,
        }) => {
            symbolon_idp::require_passkey(s, &actor, &realm, &username, !off, now)
                .await
                .map_err(e)?;
            println!(
                "{username} {} register a passkey at the next sign-in",
                if off { "need not" } else { "must" }
            );
        }
        IdpCommand::User(UserCmd::Disable { realm, username }) => {
            symbolon_idp::set_user_enabled(s, &actor, &realm, &username, false, now)
                .await
                .map_err(e)?;
            println!("user {username} disabled");
        }
        IdpCommand::User(UserCmd::Enable { realm, username }) => {
            symbolon_idp::set_user_enabled(s, &actor, &realm, &username, true, now)
                .await
                .map_err(e)?;
            println!("user {username} enabled");
        }
        IdpCommand::User(UserCmd::List { realm }) => {
            for u in s.users(&realm).await.map_err(st)? {
                println!(
                    "{}\t{}\t{}",
                    u.username,
                    u.email.unwrap_or_default(),
                    if u.enabled { "enabled" } else { "disabled" }
                );
            }
        }
        IdpCommand::Client(ClientCmd::Import {
            realm,
            file,
            url_name,
            home_url,
        }) => {
            let bytes = crate::input::read_input(&file).map_err(|f| f.1)?;
            let (mut c, findings) =
                symbolon_idp::import_client(s, &actor, &realm, &bytes, url_name.as_deref(), now)
                    .await
                    .map_err(e)?;
            if let Some(h) = home_url {
                c.home_url = Some(h.clone());
                symbolon_idp::update_client(s, &actor, &c, &format!("Home URL {h}"), now)
                    .await
                    .map_err(e)?;
            }
            println!(
                "imported client {} ({} ACS endpoint(s), NameID format {})",
                c.client_id,
                c.acs.len(),
                c.name_id_format
            );
            for f in findings {
                println!("  {:?} {}: {}", f.severity, f.code, f.message);
            }
        }
        IdpCommand::Client(ClientCmd::List { realm }) => {
            for c in s.clients(&realm).await.map_err(st)? {
                println!(
                    "{}\t{}\t{}",
                    c.client_id,
                    c.idp_initiated_url_name.unwrap_or_default(),
                    if c.enabled { "enabled" } else { "disabled" }
                );
            }
        }
        IdpCommand::Group(GroupCmd::Add { realm, path }) => {
            let g = symbolon_idp::add_group(s, &actor, &realm, &path, now)
                .await
                .map_err(e)?;
            println!("group {} exists", g.path);
        }
        IdpCommand::Group(GroupCmd::List { realm }) => {
            for g in s.groups(&realm).await.map_err(st)? {
                println!("{}", g.path);
            }
        }
        IdpCommand::Client(ClientCmd::RemoveMapper {
            realm,
            client_id,
            name,
        }) => {
            symbolon_idp::roles::remove_mapper(s, &actor, &realm, &client_id, &name, now)
                .await
                .map_err(e)?;
            println!("{client_id}: mapper {name} removed");
        }
        IdpCommand::Role(RoleCmd::Add {
            realm,
            name,
            description,
        }) => {
            symbolon_idp::roles::add_role(s, &actor, &realm, &name, description.as_deref(), now)
                .await
                .map_err(e)?;
            println!("role {name} created in {realm}");
        }
        IdpCommand::Role(RoleCmd::List { realm }) => {
            let holders = symbolon_idp::roles::role_holders(s, &realm)
                .await
                .map_err(e)?;
            for r in s.roles(&realm).await.map_err(st)? {
                let who: Vec<&str> = holders
                    .iter()
                    .filter(|(n, _)| *n == r.name)
                    .map(|(_, w)| w.as_str())
                    .collect();
                println!(
                    "{}\t{}\t{}",
                    r.name,
                    r.description.as_deref().unwrap_or(""),
                    who.join(", ")
                );
            }
        }
        IdpCommand::Role(RoleCmd::Delete { realm, name }) => {
            symbolon_idp::roles::delete_role(s, &actor, &realm, &name, now)
                .await
                .map_err(e)?;
            println!("role {name} deleted from {realm}");
        }
        IdpCommand::Role(RoleCmd::Grant { realm, role, who }) => {
            let subject = symbolon_idp::Subject::parse(&who).map_err(e)?;
            symbolon_idp::roles::grant_role(s, &actor, &realm, &role, &subject, true, now)
                .await
                .map_err(e)?;
            println!("role {role} granted to {who}");
        }
        IdpCommand::Role(RoleCmd::Revoke { realm, role, who }) => {
            let subject = symbolon_idp::Subject::parse(&who).map_err(e)?;
            symbolon_idp::roles::grant_role(s, &actor, &realm, &role, &subject, false, now)
                .await
                .map_err(e)?;
            println!("role {role} revoked from {who}");
        }
        IdpCommand::Group(GroupCmd::Join {
            realm,
            path,
            username,
        }) => {
            symbolon_idp::join_group(s, &actor, &realm, &username, &path, now)
                .await
                .map_err(e)?;
            println!("{username} is a member of {path}");
        }
        IdpCommand::Client(ClientCmd::Restrict { realm, client_id }) => {
            symbolon_idp::set_client_restricted(s, &actor, &realm, &client_id, true, now)
                .await
                .map_err(e)?;
            println!("{client_id}: only assigned users and groups");
        }
        IdpCommand::Client(ClientCmd::Open { realm, client_id }) => {
            symbolon_idp::set_client_restricted(s, &actor, &realm, &client_id, false, now)
                .await
                .map_err(e)?;
            println!("{client_id}: open to every user of {realm}");
        }
        IdpCommand::Client(ClientCmd::Assign {
            realm,
            client_id,
            subject,
        }) => {
            let who = symbolon_idp::Subject::parse(&subject).map_err(e)?;
            symbolon_idp::assign_client(s, &actor, &realm, &client_id, &who, true, now)
                .await
                .map_err(e)?;
            println!("{client_id} assigned to {subject}");
        }
        IdpCommand::Client(ClientCmd::Unassign {
            realm,
            client_id,
            subject,
        }) => {
            let who = symbolon_idp::Subject::parse(&subject).map_err(e)?;
            symbolon_idp::assign_client(s, &actor, &realm, &client_id, &who, false, now)
                .await
                .map_err(e)?;
            println!("{client_id} unassigned from {subject}");
        }
        IdpCommand::Client(ClientCmd::Access { realm, client_id }) => {
            let c = s
                .client(&realm, &client_id)
                .await
                .map_err(st)?
                .ok_or_else(|| format!("no client {client_id:?} in realm {realm}"))?;
            for line in symbolon_idp::client_access_summary(s, &c)
                .await
                .map_err(e)?
            {
                println!("{line}");
            }
        }
        IdpCommand::Client(ClientCmd::AddMapper {
            realm,
            client_id,
            attribute,
            source,
            name_format,
        }) => {
            let (kind, param) = source.split_once(':').unwrap_or((source.as_str(), ""));
            let kind = if kind == "property" {
                "user-property"
            } else {
                kind
            };
            let mapper = symbolon_store::Mapper {
                name: attribute.clone(),
                saml_attribute: attribute.clone(),
                name_format: symbolon_idp::roles::name_format(name_format.as_deref().unwrap_or(""))
                    .map_err(e)?,
                friendly_name: None,
                source: symbolon_idp::roles::mapper_source(kind, param).map_err(e)?,
            };
            symbolon_idp::roles::add_mapper(s, &actor, &realm, &client_id, mapper, now)
                .await
                .map_err(e)?;
            println!("{client_id}: mapper {attribute} added");
        }
        IdpCommand::Key(KeyCmd::List { realm }) => {
            for k in s.keys(&realm).await.map_err(st)? {
                let c = symbolon_dsig::describe_certificate(&k.certificate_der)
                    .map_err(|e| e.to_string())?;
                println!(
                    "{}\t{}\t{}\tvalid until {}",
                    k.kid,
                    k.status.as_str(),
                    k.algorithm,
                    crate::input::unix_to_rfc3339(c.not_after)
                );
            }
        }
        IdpCommand::Key(KeyCmd::AddNext { realm, alg }) => {
            let alg = KeyAlgorithm::parse(&alg).unwrap_or(KeyAlgorithm::Rsa2048);
            let kid = symbolon_idp::add_next_key(s, &actor, &realm, alg, now)
                .await
                .map_err(e)?;
            println!("added next key {kid} (published, not signing)");
        }
        IdpCommand::Key(KeyCmd::Promote { realm, kid }) => {
            symbolon_idp::promote_key(s, &actor, &realm, &kid, now)
                .await
                .map_err(e)?;
            println!("key {kid} now signs; the previous key stays published as passive");
        }
        IdpCommand::Key(KeyCmd::Retire { realm, kid }) => {
            symbolon_idp::retire_key(s, &actor, &realm, &kid, now)
                .await
                .map_err(e)?;
            println!("key {kid} retired");
        }
        IdpCommand::Descriptor {
            realm,
            base_url,
            out,
        } => {
            let xml = symbolon_idp::descriptor(s, &realm, &base_url)
                .await
                .map_err(e)?;
            match out {
                Some(p) => std::fs::write(&p, xml)
                    .map_err(|e| format!("cannot write {}: {e}", p.display()))?,
                None => println!("{xml}"),
            }
        }
        IdpCommand::Token(TokenCmd::Create { name }) => {
            let (id, token) = symbolon_idp::create_admin_token(s, &name, now)
                .await
                .map_err(e)?;
            eprintln!("token {id} created; it is shown once:");
            println!("{token}");
        }
        IdpCommand::Token(TokenCmd::List) => {
            for t in s.tokens().await.map_err(st)? {
                println!(
                    "{}	{}	{}	{}",
                    t.id,
                    t.name,
                    symbolon_saml::time::format_instant(t.created_at),
                    if t.revoked { "revoked" } else { "active" }
                );
            }
        }
        IdpCommand::Token(TokenCmd::Revoke { id }) => {
            s.revoke_token(&id).await.map_err(st)?;
            println!("token {id} revoked");
        }
        IdpCommand::Serve { listen, base_url } => {
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            let base = base_url.unwrap_or_else(|| format!("http://{addr}"));
            symbolon_web::shutdown::listen_for_shutdown();
            println!("listening on http://{addr} (base URL {base})");
            use std::io::Write as _;
            let _ = std::io::stdout().flush();
            symbolon_idp_web::http::serve(
                store,
                symbolon_idp_web::http::WebConfig::new(&base),
                listener,
            )
            .await
            .map_err(|e| e.to_string())?;
        }
        IdpCommand::Events { realm, kind, limit } => {
            for ev in s.events(&realm, kind.as_deref(), limit).await.map_err(st)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    symbolon_saml::time::format_instant(ev.at),
                    ev.kind,
                    ev.actor.unwrap_or_default(),
                    ev.client_id.unwrap_or_default(),
                    ev.detail
                );
            }
        }
    }
    Ok(())
}
