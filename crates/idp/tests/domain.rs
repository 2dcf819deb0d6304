//! The IdP domain on a real SQLite store: realms, key rollover, descriptor, users, client import.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use symbolon_dsig::{PinnedCert, VerifyPolicy, verify_enveloped};
use symbolon_idp::*;
use symbolon_saml::metadata::parse_metadata_document;
use symbolon_store::{ClientStore, EventStore, KeyStatus, KeyStore, RealmStore, UserStore};
use symbolon_store_sqlite::SqliteStore;
use time::OffsetDateTime;

const BASE: &str = "https://idp.example.test";

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

/// A file of the metadata corpus (`testdata/corpus/metadata`, in the repository).
fn corpus(p: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus/metadata");
    assert!(
        dir.is_dir(),
        "the metadata corpus is missing at {}: it is part of the repository (git checkout testdata)",
        dir.display()
    );
    dir.join(p)
}

/// The descriptor is signed by exactly the key `signer`, and publishes `published` keys.
fn check_descriptor(xml: &str, signer: &[u8], published: usize) {
    let doc = symbolon_xml::parse(xml, &Default::default()).unwrap();
    let cert = PinnedCert::from_der(signer).unwrap();
    verify_enveloped(doc.root_element(), &[cert], &VerifyPolicy::default()).unwrap();
    let md = parse_metadata_document(xml.as_bytes()).unwrap();
    let idp = md.entities[0].idp.as_ref().unwrap();
    assert_eq!(idp.signing_certificates().count(), published);
    assert!(idp.signing_certificates().any(|c| c == signer));
}

#[tokio::test]
async fn realm_creation_and_three_step_key_rollover() {
    let (s, _dir) = store().await;
    let realm = create_realm(
        &s,
        &cli(),
        "acme",
        Some("Acme Corp"),
        KeyAlgorithm::Rsa2048,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(realm.display_name, "Acme Corp");
    assert!(
        create_realm(&s, &cli(), "acme", None, KeyAlgorithm::Rsa2048, now())
            .await
            .is_err(),
        "no duplicate"
    );
    assert!(
        create_realm(
            &s,
            &cli(),
            "bad name/..",
            None,
            KeyAlgorithm::Rsa2048,
            now()
        )
        .await
        .is_err()
    );

    let keys = s.keys("acme").await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].status, KeyStatus::Active);
    assert!(
        !format!("{:?}", keys[0]).contains("PRIVATE KEY"),
        "Debug never prints the key"
    );
    let first = keys[0].certificate_der.clone();

    // One cache across the rollover, as a server keeps it: every step shows at once.
    let cache = DescriptorCache::default();
    let xml = descriptor(&s, &cache, "acme", BASE).await.unwrap();
    check_descriptor(&xml, &first, 1);
    // Unchanged keys: the same signed document, not signed again.
    let again = descriptor(&s, &cache, "acme", BASE).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&xml, &again));
    let md = parse_metadata_document(xml.as_bytes()).unwrap();
    assert_eq!(
        md.entities[0].entity_id,
        "https://idp.example.test/realms/acme"
    );
    let sso = &md.entities[0].idp.as_ref().unwrap().single_sign_on;
    assert!(
        sso.iter()
            .all(|e| e.location == "https://idp.example.test/realms/acme/protocol/saml")
    );

    // 1. next: published, not signing.
    let next = add_next_key(&s, &cli(), "acme", KeyAlgorithm::Rsa2048, now())
        .await
        .unwrap();
    let next_der = s
        .keys("acme")
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.kid == next)
        .unwrap()
        .certificate_der;
    check_descriptor(
        &descriptor(&s, &cache, "acme", BASE).await.unwrap(),
        &first,
        2,
    );
    // 2. promote: the new key signs, the old one stays published as passive.
    promote_key(&s, &cli(), "acme", &next, now()).await.unwrap();
    let keys = s.keys("acme").await.unwrap();
    assert_eq!(
        keys.iter()
            .filter(|k| k.status == KeyStatus::Active)
            .count(),
        1
    );
    let old = keys
        .iter()
        .find(|k| k.certificate_der == first)
        .unwrap()
        .clone();
    assert_eq!(old.status, KeyStatus::Passive);
    check_descriptor(
        &descriptor(&s, &cache, "acme", BASE).await.unwrap(),
        &next_der,
        2,
    );
    // The active key cannot be retired.
    assert!(retire_key(&s, &cli(), "acme", &next, now()).await.is_err());
    // 3. retire the passive key: no longer published.
    retire_key(&s, &cli(), "acme", &old.kid, now())
        .await
        .unwrap();
    check_descriptor(
        &descriptor(&s, &cache, "acme", BASE).await.unwrap(),
        &next_der,
        1,
    );
    // A retired key never signs again.
    assert!(
        promote_key(&s, &cli(), "acme", &old.kid, now())
            .await
            .is_err()
    );
    // Every change is an admin event.
    let events = s.events("acme", Some("ADMIN"), 50).await.unwrap();
    assert!(events.len() >= 4, "{events:?}");
    assert!(events.iter().all(|e| e.actor.as_deref() == Some("cli")));
    assert!(s.realm("nope").await.unwrap().is_none());
    assert!(matches!(
        descriptor(&s, &Default::default(), "nope", BASE).await,
        Err(IdpError::NoRealm(_))
    ));
}

#[tokio::test]
async fn ecdsa_realm() {
    let (s, _dir) = store().await;
    create_realm(&s, &cli(), "ec", None, KeyAlgorithm::EcP256, now())
        .await
        .unwrap();
    let key = s.keys("ec").await.unwrap().remove(0);
    check_descriptor(
        &descriptor(&s, &Default::default(), "ec", BASE)
            .await
            .unwrap(),
        &key.certificate_der,
        1,
    );
}

#[tokio::test]
async fn users_and_passwords() {
    let (s, _dir) = store().await;
    create_realm(&s, &cli(), "acme", None, KeyAlgorithm::Rsa2048, now())
        .await
        .unwrap();
    let u = add_user(
        &s,
        &cli(),
        "acme",
        NewUser {
            username: "Alice".into(),
            email: Some("alice@acme.test".into()),
            attributes: vec![("dept".into(), "eng".into()), ("dept".into(), "ops".into())],
            ..Default::default()
        },
        Some("correct horse"),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(u.username, "alice", "usernames are case-insensitive");
    assert!(
        add_user(
            &s,
            &cli(),
            "acme",
            NewUser {
                username: "ALICE".into(),
                ..Default::default()
            },
            None,
            now()
        )
        .await
        .is_err()
    );
    assert!(
        add_user(
            &s,
            &cli(),
            "acme",
            NewUser {
                username: "bob".into(),
                ..Default::default()
            },
            Some("short"),
            now()
        )
        .await
        .is_err(),
        "password policy"
    );
    assert_eq!(
        check_password(&s, "acme", "ALICE", "correct horse")
            .await
            .unwrap()
            .unwrap()
            .id,
        u.id
    );
    assert!(
        check_password(&s, "acme", "alice", "wrong horse")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        check_password(&s, "acme", "nobody", "correct horse")
            .await
            .unwrap()
            .is_none()
    );
    set_password(&s, &cli(), "acme", "alice", "battery staple", now())
        .await
        .unwrap();
    assert!(
        check_password(&s, "acme", "alice", "correct horse")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        check_password(&s, "acme", "alice", "battery staple")
            .await
            .unwrap()
            .is_some()
    );
    let hash = symbolon_store::UserStore::password_hash(&s, "acme", &u.id)
        .await
        .unwrap()
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let users = symbolon_store::UserStore::users(&s, "acme").await.unwrap();
    assert_eq!(
        users[0].attributes,
        vec![("dept".into(), "eng".into()), ("dept".into(), "ops".into())]
    );
}

#[tokio::test]
async fn every_corpus_sp_imports_as_a_client() {
    let (s, _dir) = store().await;
    create_realm(&s, &cli(), "acme", None, KeyAlgorithm::Rsa2048, now())
        .await
        .unwrap();
    let mut imported = 0;
    for entry in std::fs::read_dir(corpus("sp")).unwrap() {
        let dir = entry.unwrap().path();
        let bytes = std::fs::read(dir.join("metadata.xml")).unwrap();
        let x: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
        let (client, _findings) = import_client(&s, &cli(), "acme", &bytes, None, now())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        assert_eq!(client.client_id, x["entityID"].as_str().unwrap());
        assert_eq!(
            client.acs.len(),
            x["sp"]["AssertionConsumerService"]
                .as_array()
                .unwrap()
                .len()
        );
        assert_eq!(
            client.client_signature_required,
            x["sp"]["AuthnRequestsSigned"].as_str() == Some("true")
        );
        // Assertions are signed by default whatever WantAssertionsSigned says (issue 14, item 8:
        // SP libraries that require a signed assertion accept ours out of the box).
        assert!(client.sign_assertions);
        assert_eq!(
            client.mappers.len(),
            x["sp"]["RequestedAttribute_names"]
                .as_array()
                .unwrap()
                .len()
        );
        let stored = s.client("acme", &client.client_id).await.unwrap().unwrap();
        assert_eq!(stored, client, "stored as imported");
        imported += 1;
    }
    assert_eq!(imported, 9);
    // The same SP twice: refused.
    let pysaml2 = std::fs::read(corpus("sp/pysaml2/metadata.xml")).unwrap();
    assert!(
        import_client(&s, &cli(), "acme", &pysaml2, None, now())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn import_with_url_name_and_update() {
    let (s, _dir) = store().await;
    create_realm(&s, &cli(), "acme", None, KeyAlgorithm::Rsa2048, now())
        .await
        .unwrap();
    let md = std::fs::read(corpus("sp/samael/metadata.xml")).unwrap();
    let (mut c, _) = import_client(&s, &cli(), "acme", &md, Some("trendmicro"), now())
        .await
        .unwrap();
    assert_eq!(
        s.client_by_url_name("acme", "trendmicro")
            .await
            .unwrap()
            .unwrap()
            .client_id,
        c.client_id
    );
    let other = std::fs::read(corpus("sp/jenkins/metadata.xml")).unwrap();
    assert!(
        import_client(&s, &cli(), "acme", &other, Some("trendmicro"), now())
            .await
            .is_err(),
        "URL names are unique"
    );
    assert!(
        import_client(&s, &cli(), "acme", &other, Some("bad name"), now())
            .await
            .is_err()
    );
    c.home_url =
        Some("https://idp.example.test/realms/acme/protocol/saml/clients/trendmicro".into());
    s.update_client(&c).await.unwrap();
    assert_eq!(
        s.client("acme", &c.client_id)
            .await
            .unwrap()
            .unwrap()
            .home_url,
        c.home_url
    );
    // Not SP metadata: a clear error.
    let idp_md = std::fs::read(corpus("idp/okta/metadata.xml")).unwrap();
    assert!(
        matches!(import_client(&s, &cli(), "acme", &idp_md, None, now()).await, Err(IdpError::Invalid(m)) if m.contains("SPSSODescriptor"))
    );
}

#[tokio::test]
async fn groups_and_client_access() {
    let (s, _dir) = store().await;
    create_realm(&s, &cli(), "acme", None, KeyAlgorithm::Rsa2048, now())
        .await
        .unwrap();
    let g = add_group(&s, &cli(), "acme", "eng/platform/", now())
        .await
        .unwrap();
    assert_eq!(g.path, "/eng/platform");
    let paths: Vec<String> = symbolon_store::GroupStore::groups(&s, "acme")
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.path)
        .collect();
    assert_eq!(paths, ["/eng", "/eng/platform"], "parents are created");
    add_group(&s, &cli(), "acme", "/ops", now()).await.unwrap();
    assert!(
        add_group(&s, &cli(), "acme", "/bad//x", now())
            .await
            .is_err()
    );
    for name in ["alice", "bob", "carol"] {
        add_user(
            &s,
            &cli(),
            "acme",
            NewUser {
                username: name.into(),
                ..Default::default()
            },
            None,
            now(),
        )
        .await
        .unwrap();
    }
    join_group(&s, &cli(), "acme", "alice", "/eng/platform", now())
        .await
        .unwrap();
    join_group(&s, &cli(), "acme", "bob", "/ops", now())
        .await
        .unwrap();
    assert!(
        join_group(&s, &cli(), "acme", "alice", "/nope", now())
            .await
            .is_err()
    );
    let user = |n: &str| {
        let s = s.clone();
        let n = n.to_string();
        async move {
            symbolon_store::UserStore::user_by_username(&s, "acme", &n)
                .await
                .unwrap()
                .unwrap()
        }
    };
    assert_eq!(
        user_group_paths(&s, &user("alice").await).await.unwrap(),
        ["/eng/platform"]
    );

    let md = std::fs::read(corpus("sp/samael/metadata.xml")).unwrap();
    let (c, _) = import_client(&s, &cli(), "acme", &md, None, now())
        .await
        .unwrap();
    // Open by default: everyone.
    for n in ["alice", "bob", "carol"] {
        assert!(may_use(&s, &c, &user(n).await).await.unwrap());
    }
    set_client_restricted(&s, &cli(), "acme", &c.client_id, true, now())
        .await
        .unwrap();
    let c = s.client("acme", &c.client_id).await.unwrap().unwrap();
    assert!(
        !may_use(&s, &c, &user("alice").await).await.unwrap(),
        "restricted, nobody assigned"
    );
    // A group assignment admits members of its subgroups; a user assignment admits that user.
    assign_client(
        &s,
        &cli(),
        "acme",
        &c.client_id,
        &Subject::parse("group:/eng").unwrap(),
        true,
        now(),
    )
    .await
    .unwrap();
    assign_client(
        &s,
        &cli(),
        "acme",
        &c.client_id,
        &Subject::parse("user:carol").unwrap(),
        true,
        now(),
    )
    .await
    .unwrap();
    assert!(may_use(&s, &c, &user("alice").await).await.unwrap());
    assert!(!may_use(&s, &c, &user("bob").await).await.unwrap());
    assert!(may_use(&s, &c, &user("carol").await).await.unwrap());
    let summary = client_access_summary(&s, &c).await.unwrap();
    assert!(
        summary.contains(&"group /eng (and subgroups)".to_string())
            && summary.contains(&"user carol".to_string()),
        "{summary:?}"
    );
    assign_client(
        &s,
        &cli(),
        "acme",
        &c.client_id,
        &Subject::parse("user:carol").unwrap(),
        false,
        now(),
    )
    .await
    .unwrap();
    assert!(!may_use(&s, &c, &user("carol").await).await.unwrap());
    assert!(Subject::parse("team:x").is_err());
    // A group named like a prefix is not a subgroup.
    add_group(&s, &cli(), "acme", "/engineering", now())
        .await
        .unwrap();
    join_group(&s, &cli(), "acme", "bob", "/engineering", now())
        .await
        .unwrap();
    assert!(
        !may_use(&s, &c, &user("bob").await).await.unwrap(),
        "/engineering is not under /eng"
    );
}

#[tokio::test]
async fn persistent_name_ids_are_stored_random_and_pairwise() {
    let (s, _dir) = store().await;
    create_realm(&s, &cli(), "acme", None, KeyAlgorithm::Rsa2048, now())
        .await
        .unwrap();
    let u = add_user(
        &s,
        &cli(),
        "acme",
        NewUser {
            username: "alice".into(),
            ..Default::default()
        },
        None,
        now(),
    )
    .await
    .unwrap();
    let a = import_client(
        &s,
        &cli(),
        "acme",
        &std::fs::read(corpus("sp/samael/metadata.xml")).unwrap(),
        None,
        now(),
    )
    .await
    .unwrap()
    .0;
    let b = import_client(
        &s,
        &cli(),
        "acme",
        &std::fs::read(corpus("sp/jenkins/metadata.xml")).unwrap(),
        None,
        now(),
    )
    .await
    .unwrap()
    .0;
    let first = persistent_name_id(&s, &a, &u, now()).await.unwrap();
    assert_eq!(
        first,
        persistent_name_id(&s, &a, &u, now()).await.unwrap(),
        "stable"
    );
    assert_ne!(
        first,
        persistent_name_id(&s, &b, &u, now()).await.unwrap(),
        "pairwise"
    );
    assert_eq!(first.len(), 41);
    assert!(!first.contains("alice") && !first.contains(&u.id), "opaque");
    // Stable across a reopened store.
    let again = SqliteStore::open_dir(_dir.path()).await.unwrap();
    assert_eq!(
        first,
        persistent_name_id(&again, &a, &u, now()).await.unwrap()
    );
}

/// A session records its last use and the clients reached, writing only when a client is new
/// or the last use is older than a minute (the SSO path does not write on every assertion).
#[tokio::test]
async fn a_session_records_use_without_writing_on_every_assertion() {
    use symbolon_idp::sessions::{
        SSO_SESSION, SsoSession, USER_SESSION, UserSession, put_state, realm_sessions,
        touch_session,
    };
    let s = symbolon_store_sqlite::SqliteStore::open("sqlite::memory:")
        .await
        .unwrap();
    // The state store reads expiry against the real clock: times near now.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let t0 = time::OffsetDateTime::from_unix_timestamp(now).unwrap();
    let id = "a".repeat(64);
    let session = SsoSession {
        id: id.clone(),
        realm: "r".into(),
        user_id: "u1".into(),
        username: "alice".into(),
        session_index: format!("_{}", &id[..32]),
        authn_instant: t0,
        expires: t0 + time::Duration::hours(8),
        class: symbolon_idp::sessions::password_class(),
        csrf: String::new(),
        passkey: false,
    };
    let far = t0 + time::Duration::hours(8);
    put_state(&s, SSO_SESSION, &id, &session, far)
        .await
        .unwrap();
    let index = UserSession {
        session_id: id.clone(),
        started: t0.unix_timestamp(),
        method: "password".into(),
        last_used: 0,
        clients: vec![],
        name_ids: Default::default(),
    };
    put_state(&s, USER_SESSION, &format!("u1:{id}"), &index, far)
        .await
        .unwrap();
    let view = |at| {
        let s = s.clone();
        async move {
            realm_sessions(&s, "r", None, at).await.unwrap()[0]
                .0
                .clone()
        }
    };
    touch_session(&s, &session, "https://sp1", None, t0)
        .await
        .unwrap();
    let v = view(t0).await;
    assert_eq!(v.clients, ["https://sp1"]);
    assert_eq!(v.last_used, Some(t0));
    // Within a minute, the same client: nothing written.
    let t1 = t0 + time::Duration::seconds(30);
    touch_session(&s, &session, "https://sp1", None, t1)
        .await
        .unwrap();
    assert_eq!(view(t1).await.last_used, Some(t0));
    // A new client is written at once; an old last use is refreshed.
    touch_session(&s, &session, "https://sp2", None, t1)
        .await
        .unwrap();
    assert_eq!(view(t1).await.clients, ["https://sp1", "https://sp2"]);
    let t2 = t0 + time::Duration::minutes(5);
    touch_session(&s, &session, "https://sp1", None, t2)
        .await
        .unwrap();
    assert_eq!(view(t2).await.last_used, Some(t2));
}

#[tokio::test]
async fn certificate_expiry_notices_come_once_per_threshold() {
    let (s, _dir) = store().await;
    let t0 = now();
    create_realm(&s, &cli(), "exp", None, KeyAlgorithm::EcP256, t0)
        .await
        .unwrap();
    // Realm keys are valid for three years: nothing to say for a long while.
    assert!(
        check_certificates(&s, t0 + time::Duration::days(30))
            .await
            .unwrap()
            .is_empty()
    );
    let soon = t0 + time::Duration::days(3 * 365 - 10);
    let given = check_certificates(&s, soon).await.unwrap();
    assert_eq!(given.len(), 1, "{given:?}");
    assert!(
        given[0].contains("the realm's active signing key")
            && given[0].contains("expires in 10 days")
    );
    // Once per threshold: the next day says nothing, three days before says it again.
    assert!(
        check_certificates(&s, soon + time::Duration::days(1))
            .await
            .unwrap()
            .is_empty()
    );
    let later = check_certificates(&s, soon + time::Duration::days(7))
        .await
        .unwrap();
    assert!(
        later.len() == 1 && later[0].contains("expires in 3 days"),
        "{later:?}"
    );
    let expired = check_certificates(&s, soon + time::Duration::days(12))
        .await
        .unwrap();
    assert!(expired[0].contains("expired"), "{expired:?}");
    let events = s.events("exp", None, 50).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == "CERTIFICATE_EXPIRY")
            .count(),
        3
    );
    // What monitoring sees: the same key, with the time it has left at any instant (no notice
    // state involved), negative once expired.
    let watched = symbolon_idp::watched_certificates(&s, soon).await.unwrap();
    assert_eq!(watched.len(), 1, "{watched:?}");
    assert_eq!(watched[0].kind, "realm-key");
    assert!(watched[0].owner.starts_with("exp/"));
    let left = watched[0].seconds_left;
    assert!((9 * 86_400..=11 * 86_400).contains(&left), "{left}");
    let after = symbolon_idp::watched_certificates(&s, soon + time::Duration::days(12))
        .await
        .unwrap();
    assert!(after[0].seconds_left < 0);
}

/// A password hashed with the former parameters (Argon2id 19 MiB, 2 passes) still signs in, and
/// is then stored again with the current ones; a wrong password changes nothing.
#[tokio::test]
async fn an_older_password_hash_is_upgraded_at_the_next_sign_in() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let (s, _dir) = store().await;
    create_realm(&s, &cli(), "acme", None, KeyAlgorithm::Rsa2048, now())
        .await
        .unwrap();
    let u = add_user(
        &s,
        &cli(),
        "acme",
        NewUser {
            username: "olga".into(),
            ..Default::default()
        },
        Some("an old password"),
        now(),
    )
    .await
    .unwrap();
    let old = argon2::Argon2::default()
        .hash_password(
            b"an old password",
            &SaltString::encode_b64(b"0123456789abcdef").unwrap(),
        )
        .unwrap()
        .to_string();
    assert!(old.contains("m=19456,t=2"));
    s.set_password_hash("acme", &u.id, &old).await.unwrap();
    assert!(
        check_password(&s, "acme", "olga", "a wrong password")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(s.password_hash("acme", &u.id).await.unwrap().unwrap(), old);
    assert!(
        check_password(&s, "acme", "olga", "an old password")
            .await
            .unwrap()
            .is_some()
    );
    let new = s.password_hash("acme", &u.id).await.unwrap().unwrap();
    assert!(new.starts_with("$argon2id$v=19$m=12288,t=3,p=1$"), "{new}");
    assert!(
        check_password(&s, "acme", "olga", "an old password")
            .await
            .unwrap()
            .is_some()
    );
    // An unknown user is checked against a hash of the current cost, and is no user.
    assert!(
        check_password(&s, "acme", "nobody", "an old password")
            .await
            .unwrap()
            .is_none()
    );
}

/// An administrator sets a client's logout locations by hand: Redirect and POST replaced,
/// other bindings from its metadata kept, the Redirect one used for logout; a bad URL changes
/// nothing and says which binding and why.
#[tokio::test]
async fn logout_endpoints_are_edited_by_hand() {
    use symbolon_saml::metadata::{BINDING_POST, BINDING_REDIRECT};
    let (s, _dir) = store().await;
    create_realm(&s, &cli(), "acme", None, KeyAlgorithm::Rsa2048, now())
        .await
        .unwrap();
    let md = std::fs::read(corpus("sp/jenkins/metadata.xml")).unwrap();
    let (mut c, _) = import_client(&s, &cli(), "acme", &md, None, now())
        .await
        .unwrap();
    assert_eq!(
        c.slo.len(),
        4,
        "POST, SimpleSign, Redirect and SOAP from its metadata"
    );
    let before = c.slo.clone();
    for (redirect, post, why) in [
        (
            Some("ftp://sp.example/slo"),
            None,
            "must start with https://",
        ),
        (Some("https://sp.example/slo#x"), None, "fragment"),
        (None, Some("https:///slo"), "no host"),
        (Some("https://sp.example/a b"), None, "spaces"),
    ] {
        let err = set_logout_endpoints(&mut c, redirect, post, None).unwrap_err();
        assert!(err.to_string().contains(why), "{err}");
        assert_eq!(c.slo, before, "nothing changed");
    }
    let err = set_logout_endpoints(&mut c, None, Some("https:///slo"), None).unwrap_err();
    assert!(err.to_string().contains("HTTP-POST"), "{err}");
    let err = set_logout_endpoints(&mut c, None, None, Some("soap.example/slo")).unwrap_err();
    assert!(err.to_string().contains("SOAP"), "{err}");
    let soap = logout_location(&c, symbolon_saml::soap::BINDING_SOAP).map(str::to_string);
    assert!(soap.is_some(), "the metadata's SOAP endpoint was imported");
    set_logout_endpoints(
        &mut c,
        Some("https://sp.example/logout?via=redirect"),
        Some(""),
        soap.as_deref(),
    )
    .unwrap();
    assert_eq!(
        logout_location(&c, BINDING_REDIRECT),
        Some("https://sp.example/logout?via=redirect")
    );
    assert_eq!(logout_location(&c, BINDING_POST), None, "emptied");
    assert_eq!(c.slo.len(), 3, "SimpleSign and SOAP kept: {:?}", c.slo);
    assert_eq!(
        client_slo(&c).unwrap().location,
        "https://sp.example/logout?via=redirect",
        "logout goes there"
    );
    update_client(&s, &cli(), &c, "logout endpoints", now())
        .await
        .unwrap();
    let stored = s.client("acme", &c.client_id).await.unwrap().unwrap();
    assert_eq!(stored.slo, c.slo);
    let events = s.events("acme", None, 10).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "ADMIN" && e.detail.contains("logout")),
        "{events:?}"
    );
}
