//! `symbolon idp ...` on a real SQLite data directory: the seed guide's IdP steps.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_symbolon"));
    cmd.arg("idp")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn ok(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> String {
    let out = run(dir, args, stdin);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn seed_guide_idp_steps_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(
        d,
        &["realm", "create", "mpas", "--display-name", "Multi-Pass"],
        None,
    );
    assert!(ok(d, &["realm", "list"], None).contains("mpas\tMulti-Pass"));
    ok(
        d,
        &[
            "user",
            "add",
            "--realm",
            "mpas",
            "Alice",
            "--email",
            "alice@example.test",
            "--password-stdin",
        ],
        Some("correct horse battery\n"),
    );
    assert!(
        ok(d, &["user", "list", "--realm", "mpas"], None).contains("alice\talice@example.test")
    );
    ok(
        d,
        &["user", "passwd", "--realm", "mpas", "alice"],
        Some("another good one\n"),
    );
    // Too short a password: refused with a reason, nothing changed.
    let out = run(
        d,
        &["user", "passwd", "--realm", "mpas", "alice"],
        Some("short\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8"));

    // Import a Client from the SP's metadata, with Home URL and IdP-initiated SSO URL name.
    let sp = Command::new(env!("CARGO_BIN_EXE_symbolon"))
        .args([
            "saml",
            "metadata",
            "sp",
            "--entity-id",
            "https://sp.test/saml/metadata",
            "--acs-url",
            "https://sp.test/saml/acs",
        ])
        .output()
        .unwrap();
    let sp_file = d.join("sp.xml");
    std::fs::write(&sp_file, sp.stdout).unwrap();
    let home = "http://localhost:8080/realms/mpas/protocol/saml/clients/trendmicro";
    ok(
        d,
        &[
            "client",
            "import",
            "--realm",
            "mpas",
            sp_file.to_str().unwrap(),
            "--url-name",
            "trendmicro",
            "--home-url",
            home,
        ],
        None,
    );
    assert!(
        ok(d, &["client", "list", "--realm", "mpas"], None)
            .contains("https://sp.test/saml/metadata\ttrendmicro")
    );
    // Importing it again is refused.
    assert_eq!(
        run(
            d,
            &[
                "client",
                "import",
                "--realm",
                "mpas",
                sp_file.to_str().unwrap()
            ],
            None
        )
        .status
        .code(),
        Some(1)
    );

    // Realm Settings > SAML 2.0 Identity Provider Metadata.
    let md = d.join("idp.xml");
    ok(
        d,
        &[
            "descriptor",
            "mpas",
            "--base-url",
            "http://localhost:8080",
            "--out",
            md.to_str().unwrap(),
        ],
        None,
    );
    let xml = std::fs::read_to_string(&md).unwrap();
    assert!(xml.contains(r#"entityID="http://localhost:8080/realms/mpas""#));
    let trust = symbolon_saml::IdpTrust::from_metadata(xml.as_bytes(), None).unwrap();
    assert_eq!(trust.certs.len(), 1);

    // Key rollover through the CLI.
    let next = ok(d, &["key", "add-next", "--realm", "mpas"], None);
    let kid = next.split_whitespace().nth(3).unwrap().to_string();
    ok(d, &["key", "promote", "--realm", "mpas", &kid], None);
    let keys = ok(d, &["key", "list", "--realm", "mpas"], None);
    assert!(
        keys.contains(&format!("{kid}\tactive")) && keys.contains("\tpassive\t"),
        "{keys}"
    );

    // Every change is in the events.
    let events = ok(d, &["events", "mpas", "--kind", "ADMIN"], None);
    for what in [
        "created realm",
        "created user alice",
        "set the password",
        "imported client",
        "Home URL",
        "added next key",
        "promoted key",
    ] {
        assert!(events.contains(what), "{what} missing from {events}");
    }
    // Errors are exit 1 with a message.
    let out = run(d, &["descriptor", "nope"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"));
}

#[test]
fn roles_and_mappers_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["realm", "create", "r"], None);
    ok(
        d,
        &["user", "add", "--realm", "r", "bob", "--password-stdin"],
        Some("long enough password\n"),
    );
    ok(d, &["group", "add", "--realm", "r", "/ops/night"], None);
    ok(
        d,
        &["group", "join", "--realm", "r", "/ops/night", "bob"],
        None,
    );
    ok(
        d,
        &[
            "role",
            "add",
            "--realm",
            "r",
            "operator",
            "--description",
            "Runs things",
        ],
        None,
    );
    ok(
        d,
        &["role", "grant", "--realm", "r", "operator", "group:/ops"],
        None,
    );
    let list = ok(d, &["role", "list", "--realm", "r"], None);
    assert!(list.contains("operator\tRuns things\tgroup /ops"), "{list}");
    // Errors are clear and change nothing.
    let dup = run(d, &["role", "add", "--realm", "r", "operator"], None);
    assert_eq!(dup.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let bad = run(
        d,
        &["role", "grant", "--realm", "r", "nope", "user:bob"],
        None,
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no role \"nope\""));

    let md = d.join("sp.xml");
    let out = Command::new(env!("CARGO_BIN_EXE_symbolon"))
        .args([
            "saml",
            "metadata",
            "sp",
            "--entity-id",
            "https://sp.test/md",
            "--acs-url",
            "https://sp.test/acs",
        ])
        .output()
        .unwrap();
    std::fs::write(&md, out.stdout).unwrap();
    ok(
        d,
        &["client", "import", "--realm", "r", md.to_str().unwrap()],
        None,
    );
    ok(
        d,
        &[
            "client",
            "add-mapper",
            "--realm",
            "r",
            "https://sp.test/md",
            "--attribute",
            "Role",
            "--source",
            "role-list",
            "--name-format",
            "uri",
        ],
        None,
    );
    let again = run(
        d,
        &[
            "client",
            "add-mapper",
            "--realm",
            "r",
            "https://sp.test/md",
            "--attribute",
            "Role",
            "--source",
            "group-list",
        ],
        None,
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has a mapper"));
    let weird = run(
        d,
        &[
            "client",
            "add-mapper",
            "--realm",
            "r",
            "https://sp.test/md",
            "--attribute",
            "X",
            "--source",
            "role-list",
            "--name-format",
            "odd",
        ],
        None,
    );
    assert!(String::from_utf8_lossy(&weird.stderr).contains("unknown NameFormat"));
    ok(
        d,
        &[
            "client",
            "remove-mapper",
            "--realm",
            "r",
            "https://sp.test/md",
            "Role",
        ],
        None,
    );
    ok(
        d,
        &["role", "revoke", "--realm", "r", "operator", "group:/ops"],
        None,
    );
    ok(d, &["role", "delete", "--realm", "r", "operator"], None);
    assert!(ok(d, &["role", "list", "--realm", "r"], None).is_empty());
    let events = ok(d, &["events", "r"], None);
    for what in [
        "created role operator",
        "granted role operator to group /ops",
        "added mapper Role",
        "removed mapper Role",
        "deleted role operator",
    ] {
        assert!(events.contains(what), "{what}: {events}");
    }
}

#[test]
fn admin_commands_find_the_servers_database_and_refuse_a_typo() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_symbolon");
    let cmd = |args: &[&str], envs: &[(&str, &str)]| {
        let mut c = Command::new(bin);
        c.args(args).env_remove("SYMBOLON_DATABASE_URL");
        c.env_remove("SYMBOLON_SERVER_DATABASE_URL")
            .env_remove("SYMBOLON_DATA_DIR");
        for (k, v) in envs {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    // A typo in --data-dir: an error that says what to do, exit 1, nothing created.
    let typo = tmp.path().join("no/such/dir");
    let out = cmd(
        &["idp", "--data-dir", typo.to_str().unwrap(), "realm", "list"],
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("holds no Symbolon database") && err.contains("--config"),
        "{err}"
    );
    assert!(!typo.exists(), "nothing created for a typo");
    let out = cmd(
        &[
            "sp",
            "--data-dir",
            typo.to_str().unwrap(),
            "account",
            "list",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    // The command that makes the first object starts a database, and says where.
    let data = tmp.path().join("data");
    let out = cmd(
        &[
            "idp",
            "--data-dir",
            data.to_str().unwrap(),
            "realm",
            "create",
            "acme",
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("creating") && err.contains("symbolon.db"),
        "{err}"
    );
    // Messages that say what to do (issue 15).
    let d = data.to_str().unwrap();
    let out = cmd(
        &["idp", "--data-dir", d, "user", "list", "--realm", "ACME"],
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a realm in the wrong case is no empty listing"
    );
    assert!(err.contains("did you mean \"acme\"?"), "{err}");
    let out = cmd(
        &[
            "idp",
            "--data-dir",
            d,
            "group",
            "add",
            "--realm",
            "acme",
            "/eng/platform",
        ],
        &[],
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("created group /eng/platform (2 groups with its parents)")
    );
    let out = cmd(
        &[
            "idp",
            "--data-dir",
            d,
            "group",
            "add",
            "--realm",
            "acme",
            "/eng",
        ],
        &[],
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("group /eng already exists; nothing changed")
    );
    let idp_md = tmp.path().join("idp.xml");
    let out = cmd(
        &[
            "idp",
            "--data-dir",
            d,
            "descriptor",
            "acme",
            "--out",
            idp_md.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let out = cmd(
        &[
            "idp",
            "--data-dir",
            d,
            "client",
            "import",
            "--realm",
            "acme",
            idp_md.to_str().unwrap(),
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("identity provider's metadata") && err.contains("symbolon sp idp add"),
        "{err}"
    );
    let sp_md = tmp.path().join("sp.xml");
    let out = cmd(&["sp", "--data-dir", d, "metadata"], &[]);
    std::fs::write(&sp_md, &out.stdout).unwrap();
    assert_eq!(
        cmd(&["sp", "--data-dir", d, "account", "create", "Acme"], &[])
            .status
            .code(),
        Some(0)
    );
    let out = cmd(
        &[
            "sp",
            "--data-dir",
            d,
            "idp",
            "add",
            "--account",
            "acme",
            "--metadata",
            sp_md.to_str().unwrap(),
            "--name",
            "X",
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("not an identity provider") && err.contains("as a client"),
        "{err}"
    );
    let bad = tmp.path().join("bad.xml");
    std::fs::write(&bad, "<x").unwrap();
    let out = cmd(
        &[
            "sp",
            "--data-dir",
            d,
            "idp",
            "add",
            "--account",
            "acme",
            "--metadata",
            bad.to_str().unwrap(),
            "--name",
            "X",
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("metadata: not acceptable XML") && !err.contains("metadata is not"),
        "{err}"
    );

    // --config: the servers' own file (and its environment overrides) names the database.
    let url = format!("sqlite://{}", data.join("symbolon.db").display());
    let cfg = tmp.path().join("symbolon.toml");
    std::fs::write(
        &cfg,
        format!(
            "[server]\ndatabase_url = {url:?}\n\n[idp]\nlisten = \"127.0.0.1:8080\"\nbase_url = \"http://localhost:8080\"\n"
        ),
    )
    .unwrap();
    let out = cmd(
        &["idp", "--config", cfg.to_str().unwrap(), "realm", "list"],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("acme"));
    // The same environment name as `serve` reads.
    let out = cmd(
        &["idp", "realm", "list"],
        &[("SYMBOLON_SERVER_DATABASE_URL", &url)],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("acme"));
    // An unknown key in the file is an error that names the file.
    std::fs::write(
        &cfg,
        "[server]\ndatabse_url = \"x\"\n[idp]\nlisten = \"127.0.0.1:8080\"\nbase_url = \"http://localhost:8080\"\n",
    )
    .unwrap();
    let out = cmd(
        &["idp", "--config", cfg.to_str().unwrap(), "realm", "list"],
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("symbolon.toml") && err.contains("databse_url"),
        "{err}"
    );
}

#[test]
fn logout_locations_are_shown_and_set() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["realm", "create", "acme"], None);
    let md = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/corpus/metadata/sp/jenkins/metadata.xml");
    ok(
        d,
        &["client", "import", "--realm", "acme", md.to_str().unwrap()],
        None,
    );
    let cid = "https://ci.adventure-works.example/securityRealm/finishLogin";
    let shown = ok(d, &["client", "logout", "--realm", "acme", cid], None);
    assert!(
        shown.starts_with(&format!("redirect\t{cid}?logoutendpoint=true\n")),
        "{shown}"
    );
    let set = ok(
        d,
        &[
            "client",
            "logout",
            "--realm",
            "acme",
            cid,
            "--redirect",
            "",
            "--post",
            "https://ci.adventure-works.example/slo",
        ],
        None,
    );
    // The SOAP endpoint of the metadata is kept when only the front channel is set.
    assert_eq!(
        set,
        format!(
            "redirect\t(none)\npost\thttps://ci.adventure-works.example/slo\nsoap\t{cid}?logoutendpoint=true\n"
        )
    );
    let bad = run(
        d,
        &[
            "client", "logout", "--realm", "acme", cid, "--post", "ftp://x",
        ],
        None,
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("single logout service (HTTP-POST)"));
    assert_eq!(
        ok(d, &["client", "logout", "--realm", "acme", cid], None),
        set,
        "unchanged"
    );
    // The back channel: set, then removed with an empty value.
    let soap = ok(
        d,
        &[
            "client",
            "logout",
            "--realm",
            "acme",
            cid,
            "--soap",
            "https://ci.adventure-works.example/soap",
        ],
        None,
    );
    assert!(
        soap.ends_with("soap\thttps://ci.adventure-works.example/soap\n"),
        "{soap}"
    );
    let none = ok(
        d,
        &["client", "logout", "--realm", "acme", cid, "--soap", ""],
        None,
    );
    assert!(none.ends_with("soap\t(none)\n"), "{none}");
    assert!(none.contains("post\thttps://ci.adventure-works.example/slo\n"));
}
