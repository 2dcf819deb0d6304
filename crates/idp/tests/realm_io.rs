//! A realm as one document, on real SQLite stores: export, import into an empty store, partial
//! import (fail / skip / overwrite), dry runs, refusals that write nothing, and a Keycloak 26
//! export with SAML clients.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use symbolon_idp::realm_io::{
    Action, IfExists, ImportOptions, ImportReport, RealmDoc, export_realm, import_realm,
};
use symbolon_idp::*;
use symbolon_store::{
    ClientStore, EventStore, IdpStore, KeyStatus, KeyStore, RealmStore, UserStore,
};
use symbolon_store_sqlite::SqliteStore;
use time::OffsetDateTime;

async fn store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (SqliteStore::open_dir(dir.path()).await.unwrap(), dir)
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn cli() -> Actor {
    Actor("cli".into())
}

fn repo(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(p)
}

fn no_fetch(_: &str, _: bool) -> std::result::Result<(), String> {
    Ok(())
}

async fn import<S: IdpStore>(
    s: &S,
    doc: &RealmDoc,
    if_exists: IfExists,
    dry_run: bool,
) -> symbolon_idp::Result<ImportReport> {
    let opts = ImportOptions {
        if_exists,
        dry_run,
        check_url: &no_fetch,
    };
    import_realm(s, &cli(), doc, &opts, now()).await
}

/// A realm with something of everything: users with passwords and attributes in nested
/// groups, roles granted to a user and to a group, a client from real SP metadata with an
/// IdP-initiated URL name, extra mappers and restricted access.
async fn seeded() -> (SqliteStore, tempfile::TempDir) {
    let (s, dir) = store().await;
    create_realm(
        &s,
        &cli(),
        "acme",
        Some("Acme"),
        KeyAlgorithm::Rsa2048,
        now(),
    )
    .await
    .unwrap();
    for (u, g) in [("alice", "/eng/platform"), ("bob", "/sales")] {
        add_user(
            &s,
            &cli(),
            "acme",
            NewUser {
                username: u.into(),
                email: Some(format!("{u}@acme.example")),
                first_name: Some(u.to_uppercase()),
                attributes: vec![
                    ("department".into(), "R&D".into()),
                    ("tag".into(), "a".into()),
                    ("tag".into(), "b".into()),
                ],
                ..Default::default()
            },
            Some(&format!("{u} password 1")),
            now(),
        )
        .await
        .unwrap();
        add_group(&s, &cli(), "acme", g, now()).await.unwrap();
        join_group(&s, &cli(), "acme", u, g, now()).await.unwrap();
    }
    roles::add_role(&s, &cli(), "acme", "admin", Some("Administrators"), now())
        .await
        .unwrap();
    roles::add_role(&s, &cli(), "acme", "viewer", None, now())
        .await
        .unwrap();
    roles::grant_role(
        &s,
        &cli(),
        "acme",
        "admin",
        &Subject::User("alice".into()),
        true,
        now(),
    )
    .await
    .unwrap();
    roles::grant_role(
        &s,
        &cli(),
        "acme",
        "viewer",
        &Subject::Group("/eng".into()),
        true,
        now(),
    )
    .await
    .unwrap();
    let md = std::fs::read(repo("testdata/corpus/metadata/sp/samael/metadata.xml")).unwrap();
    let (c, _) = import_client(&s, &cli(), "acme", &md, Some("samael"), now())
        .await
        .unwrap();
    roles::add_mapper(
        &s,
        &cli(),
        "acme",
        &c.client_id,
        symbolon_store::Mapper {
            name: "roles".into(),
            saml_attribute: "Role".into(),
            name_format: None,
            friendly_name: None,
            source: symbolon_store::MapperSource::RoleList,
        },
        now(),
    )
    .await
    .unwrap();
    set_client_restricted(&s, &cli(), "acme", &c.client_id, true, now())
        .await
        .unwrap();
    assign_client(
        &s,
        &cli(),
        "acme",
        &c.client_id,
        &Subject::Group("/eng".into()),
        true,
        now(),
    )
    .await
    .unwrap();
    (s, dir)
}

/// A document without what differs between stores by construction (IDs).
fn comparable(doc: &RealmDoc) -> serde_json::Value {
    let mut v = serde_json::to_value(doc).unwrap();
    for u in v["users"].as_array_mut().unwrap() {
        u.as_object_mut().unwrap().remove("id");
    }
    v
}

fn actions(r: &ImportReport, action: Action) -> Vec<String> {
    r.results
        .iter()
        .filter(|i| i.action == action)
        .map(|i| format!("{} {}", i.resource_type, i.resource_name))
        .collect()
}

#[tokio::test]
async fn export_then_import_into_an_empty_store_gives_the_same_realm() {
    let (a, _d1) = seeded().await;
    let doc = export_realm(&a, "acme", true).await.unwrap();
    assert_eq!(doc.users.len(), 2);
    assert_eq!(doc.clients.len(), 1);
    assert!(doc.keys.iter().all(|k| k.private_key.is_some()));
    // Through JSON, as a file would carry it.
    let text = serde_json::to_string(&doc).unwrap();
    let doc: RealmDoc = serde_json::from_str(&text).unwrap();

    let (b, _d2) = store().await;
    let r = import(&b, &doc, IfExists::Fail, false).await.unwrap();
    assert_eq!(r.skipped, 0, "{r:?}");
    assert!(actions(&r, Action::Added).contains(&"REALM acme".to_string()));
    assert!(actions(&r, Action::Added).contains(&"GROUP /eng".to_string()));
    let again = export_realm(&b, "acme", true).await.unwrap();
    assert_eq!(comparable(&again), comparable(&doc));

    // The same signing key, and passwords that still work.
    let ka = a.keys("acme").await.unwrap();
    let kb = b.keys("acme").await.unwrap();
    assert_eq!(ka, kb);
    let alice = b.user_by_username("acme", "alice").await.unwrap().unwrap();
    let hash = b.password_hash("acme", &alice.id).await.unwrap().unwrap();
    assert!(verify_password("alice password 1", &hash));
    // Access: restricted to /eng, so alice (in /eng/platform) may use it and bob may not.
    let c = b.clients("acme").await.unwrap().remove(0);
    assert!(c.restricted);
    let bob = b.user_by_username("acme", "bob").await.unwrap().unwrap();
    assert!(may_use(&b, &c, &alice).await.unwrap());
    assert!(!may_use(&b, &c, &bob).await.unwrap());
    // Every import is recorded.
    let events = b.events("acme", Some("ADMIN"), 100).await.unwrap();
    assert!(events.iter().any(|e| e.detail == "imported user alice"));
}

#[tokio::test]
async fn overwriting_with_the_same_document_changes_nothing_and_writes_nothing() {
    let (s, _d) = seeded().await;
    let doc = export_realm(&s, "acme", false).await.unwrap();
    let before = s.events("acme", None, 1000).await.unwrap().len();
    let r = import(&s, &doc, IfExists::Overwrite, false).await.unwrap();
    assert!(!r.changed(), "{r:?}");
    assert_eq!(r.overwritten + r.added, 0);
    assert!(r.unchanged >= 7, "{r:?}");
    assert_eq!(s.events("acme", None, 1000).await.unwrap().len(), before);
}

#[tokio::test]
async fn overwrite_makes_the_realm_what_the_document_says() {
    let (s, _d) = seeded().await;
    let mut doc = export_realm(&s, "acme", false).await.unwrap();
    doc.display_name = Some("Acme Corp".into());
    let alice = doc
        .users
        .iter_mut()
        .find(|u| u.username == "alice")
        .unwrap();
    alice.groups = vec!["/sales".into()];
    alice.realm_roles.clear();
    alice
        .credentials
        .push(symbolon_idp::realm_io::CredentialDoc {
            kind: "password".into(),
            value: Some("a new password 2".into()),
            secret_data: None,
            credential_data: None,
        });
    doc.clients[0]
        .client
        .attributes
        .insert("saml_name_id_format".into(), "email".into());
    doc.clients[0].access = None;

    // A dry run says so, and writes nothing.
    let dry = import(&s, &doc, IfExists::Overwrite, true).await.unwrap();
    assert!(dry.dry_run && dry.changed());
    assert_eq!(
        export_realm(&s, "acme", false).await.unwrap().display_name,
        Some("Acme".into())
    );

    let r = import(&s, &doc, IfExists::Overwrite, false).await.unwrap();
    assert_eq!(
        actions(&r, Action::Overwritten),
        actions(&dry, Action::Overwritten)
    );
    let over = actions(&r, Action::Overwritten);
    assert!(over.contains(&"REALM acme".into()), "{over:?}");
    assert!(over.contains(&"USER alice".into()), "{over:?}");
    assert!(!over.iter().any(|o| o.contains("bob")), "{over:?}");
    let a = s.user_by_username("acme", "alice").await.unwrap().unwrap();
    assert_eq!(user_group_paths(&s, &a).await.unwrap(), vec!["/sales"]);
    assert!(roles::user_roles(&s, &a).await.unwrap().is_empty());
    let hash = s.password_hash("acme", &a.id).await.unwrap().unwrap();
    assert!(verify_password("a new password 2", &hash));
    let c = s.clients("acme").await.unwrap().remove(0);
    assert_eq!(c.name_id_format, symbolon_saml::messages::NAMEID_EMAIL);
    assert!(!c.restricted);

    // Once more: nothing left to change (the clear-text password matches the stored hash).
    let r = import(&s, &doc, IfExists::Overwrite, false).await.unwrap();
    assert!(!r.changed(), "{r:?}");
}

#[tokio::test]
async fn fail_and_skip_on_what_exists() {
    let (s, _d) = seeded().await;
    let mut doc = export_realm(&s, "acme", false).await.unwrap();
    doc.users[0].first_name = Some("Changed".into());
    let events = s.events("acme", None, 1000).await.unwrap().len();
    let e = import(&s, &doc, IfExists::Fail, false).await.unwrap_err();
    assert!(matches!(e, IdpError::Conflict(_)), "{e}");
    assert!(e.to_string().contains("user alice"), "{e}");
    let r = import(&s, &doc, IfExists::Skip, false).await.unwrap();
    assert!(!r.changed());
    assert!(actions(&r, Action::Skipped).contains(&"USER alice".into()));
    assert_eq!(s.events("acme", None, 1000).await.unwrap().len(), events);
    let a = s.user_by_username("acme", "alice").await.unwrap().unwrap();
    assert_eq!(a.first_name.as_deref(), Some("ALICE"));
}

#[tokio::test]
async fn a_bad_document_writes_nothing() {
    let (s, _d) = store().await;
    let good: RealmDoc = serde_json::from_value(serde_json::json!({
        "realm": "new",
        "roles": {"realm": [{"name": "r"}]},
        "groups": [{"name": "g"}],
        "users": [{"username": "u", "groups": ["/g"], "realmRoles": ["r"]}]
    }))
    .unwrap();
    let cases: Vec<(&str, serde_json::Value)> = vec![
        (
            "a group nobody has",
            serde_json::json!({"users": [{"username": "u", "groups": ["/nope"]}]}),
        ),
        (
            "a role nobody has",
            serde_json::json!({"users": [{"username": "u", "realmRoles": ["nope"]}]}),
        ),
        (
            "twice",
            serde_json::json!({"users": [{"username": "u"}, {"username": "U"}]}),
        ),
        (
            "a short password",
            serde_json::json!({"users": [{"username": "u", "credentials": [{"type": "password", "value": "short"}]}]}),
        ),
        (
            "a bad group path",
            serde_json::json!({"groups": [{"name": "a/b/../<x>"}]}),
        ),
        (
            "a bad realm name",
            serde_json::json!({"realm": "no spaces"}),
        ),
        (
            "a client without ACS",
            serde_json::json!({"clients": [{"clientId": "https://sp", "protocol": "saml"}]}),
        ),
        (
            "a bad certificate",
            serde_json::json!({"clients": [{"clientId": "https://sp", "attributes": {"saml_assertion_consumer_url_post": "https://sp/acs", "saml.signing.certificate": "bm90IGEgY2VydA=="}}]}),
        ),
        (
            "an unknown mapper",
            serde_json::json!({"clients": [{"clientId": "https://sp", "attributes": {"saml_assertion_consumer_url_post": "https://sp/acs"}, "protocolMappers": [{"name": "x", "protocolMapper": "oidc-thing"}]}]}),
        ),
        (
            "a key whose private key is another's",
            serde_json::json!({"keys": [{"kid": "k", "status": "active", "algorithm": "rsa2048",
            "certificate": symbolon_dsig::encode_base64(&symbolon_dsig::pem_blocks(&std::fs::read_to_string(repo("testdata/keys/idp-rsa.crt.pem")).unwrap())[0].1),
            "privateKey": std::fs::read_to_string(repo("testdata/keys/attacker-rsa.key.pem")).unwrap()}]}),
        ),
    ];
    for (what, patch) in cases {
        let mut v = serde_json::to_value(&good).unwrap();
        for (k, val) in patch.as_object().unwrap() {
            v[k] = val.clone();
        }
        let doc: RealmDoc = serde_json::from_value(v).unwrap();
        let e = import(&s, &doc, IfExists::Fail, false).await;
        assert!(matches!(e, Err(IdpError::Invalid(_))), "{what}: {e:?}");
        assert!(
            s.realms().await.unwrap().is_empty(),
            "{what}: something was written"
        );
    }
    // The good one goes in, with a key made for it.
    let r = import(&s, &good, IfExists::Fail, false).await.unwrap();
    assert_eq!(r.added, 4, "{r:?}");
    let keys = s.keys("new").await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].status, KeyStatus::Active);
}

#[tokio::test]
async fn a_keycloak_26_export_with_a_saml_client() {
    let (s, _d) = store().await;
    let text = std::fs::read(repo("testdata/keycloak/acme-realm-export.json")).unwrap();
    let doc: RealmDoc = serde_json::from_slice(&text).unwrap();
    let r = import(&s, &doc, IfExists::Fail, false).await.unwrap();
    let skipped = actions(&r, Action::Skipped);
    assert_eq!(skipped.len(), 6, "the OpenID Connect clients: {skipped:?}");
    assert!(skipped.iter().all(|c| c.starts_with("CLIENT ")));
    let realm = s.realm("acme").await.unwrap().unwrap();
    assert_eq!(realm.display_name, "Acme Corporation");

    let c = s
        .client("acme", "https://billing.example.com/saml/metadata")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.name.as_deref(), Some("Acme Billing"));
    assert_eq!(c.acs[0].location, "https://billing.example.com/saml/acs");
    assert_eq!(c.name_id_format, symbolon_saml::messages::NAMEID_EMAIL);
    assert_eq!(c.idp_initiated_url_name.as_deref(), Some("billing"));
    assert_eq!(c.idp_initiated_relay_state.as_deref(), Some("/dashboard"));
    assert!(c.client_signature_required);
    assert_eq!(c.signing_certs.len(), 1);
    assert_eq!(
        logout_location(&c, symbolon_saml::metadata::BINDING_REDIRECT),
        Some("https://billing.example.com/saml/slo")
    );
    assert_eq!(c.mappers.len(), 4);
    assert_eq!(c.home_url.as_deref(), Some("https://billing.example.com/"));

    // alice's Keycloak Argon2 hash became a PHC string that checks her password; bob's clear
    // initial password was hashed.
    let alice = s.user_by_username("acme", "alice").await.unwrap().unwrap();
    assert_eq!(
        user_group_paths(&s, &alice).await.unwrap(),
        vec!["/engineering/platform"]
    );
    let hash = s.password_hash("acme", &alice.id).await.unwrap().unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{hash}");
    assert!(verify_password("alice keycloak password", &hash));
    let bob = s.user_by_username("acme", "bob").await.unwrap().unwrap();
    let hash = s.password_hash("acme", &bob.id).await.unwrap().unwrap();
    assert!(verify_password("bob's initial password", &hash));
    let roles = roles::user_roles(&s, &bob).await.unwrap();
    assert!(roles.contains(&"billing-admin".to_string()), "{roles:?}");

    // Importing it again with overwrite changes nothing.
    let r = import(&s, &doc, IfExists::Overwrite, false).await.unwrap();
    assert!(!r.changed(), "{:?}", actions(&r, Action::Overwritten));
}
