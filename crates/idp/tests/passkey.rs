//! Passkey ceremonies on a real SQLite store, against a software authenticator written here
//! (P-256 keys from aws-lc-rs, CBOR and authenticator data built by hand): what a correct
//! authenticator does is accepted; a wrong origin, a wrong RP ID, a replayed or foreign
//! challenge, a cloned authenticator (counter not moving forward), an unknown credential, a
//! credential presented for another user or realm, missing user verification, a bad signature
//! and garbage are each refused with their own error, and nothing is recorded for them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use data_encoding::BASE64URL_NOPAD as B64;
use serde_json::{Value, json};
use symbolon_idp::passkey::{PasskeyError, RelyingParty};
use symbolon_idp::*;
use symbolon_store::{CredentialStore, PasskeyRecord, User};
use symbolon_store_sqlite::SqliteStore;
use time::OffsetDateTime;

const BASE: &str = "http://localhost:8080";

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[path = "common/mod.rs"]
mod common;
use common::*;

// --- fixtures ----------------------------------------------------------------------------------

struct Env {
    store: SqliteStore,
    rp: RelyingParty,
    user: User,
    _dir: tempfile::TempDir,
}

async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_dir(dir.path()).await.unwrap();
    let cli = Actor("cli".into());
    for realm in ["mpas", "other"] {
        create_realm(&store, &cli, realm, None, KeyAlgorithm::EcP256, now())
            .await
            .unwrap();
    }
    let user = add_user(
        &store,
        &cli,
        "mpas",
        NewUser {
            username: "alice".into(),
            email: None,
            first_name: Some("Alice".into()),
            last_name: None,
            attributes: vec![],
        },
        None,
        now(),
    )
    .await
    .unwrap();
    Env {
        store,
        rp: RelyingParty::new(BASE, "Multi-Pass").unwrap(),
        user,
        _dir: dir,
    }
}

fn handle(user: &User) -> Vec<u8> {
    uuid::Uuid::parse_str(&user.id).unwrap().as_bytes().to_vec()
}

impl Env {
    /// Register `a` for the user; the record as stored.
    async fn register(&self, a: &Authenticator) -> PasskeyRecord {
        let c = self.rp.start_registration(&self.user, &[]).unwrap();
        let rec = self
            .rp
            .finish_registration(
                &self.user,
                &a.register(&c.options),
                &c.state,
                "Laptop",
                uuid::Uuid::new_v4().to_string(),
                now(),
            )
            .unwrap();
        passkey::add_passkey(&self.store, &rec).await.unwrap();
        rec
    }

    async fn sign_in(
        &self,
        realm: &str,
        mut answer: impl FnMut(&str) -> String,
    ) -> std::result::Result<passkey::PasskeySignIn, PasskeyError> {
        let c = self.rp.start_sign_in().unwrap();
        self.rp
            .finish_sign_in(&self.store, realm, &answer(&c.options), &c.state, now())
            .await
    }
}

// --- the ceremonies ----------------------------------------------------------------------------

#[tokio::test]
async fn a_registered_passkey_signs_in_and_its_use_is_recorded() {
    let e = env().await;
    let mut a = Authenticator::new(&handle(&e.user));
    let rec = e.register(&a).await;
    assert_eq!(rec.credential_id, B64.encode(&a.cred_id));
    assert_eq!(
        (rec.sign_count, rec.backup_eligible, rec.name.as_str()),
        (0, false, "Laptop")
    );
    // The options ask for a discoverable credential with user verification.
    let c =
        e.rp.start_registration(&e.user, std::slice::from_ref(&rec))
            .unwrap();
    let o: Value = serde_json::from_str(&c.options).unwrap();
    let sel = &o["publicKey"]["authenticatorSelection"];
    assert_eq!(
        (
            sel["residentKey"].as_str(),
            sel["userVerification"].as_str()
        ),
        (Some("required"), Some("required"))
    );
    assert_eq!(o["publicKey"]["rp"]["id"], "localhost");
    assert_eq!(
        o["publicKey"]["excludeCredentials"][0]["id"].as_str(),
        Some(B64.encode(&a.cred_id).as_str()),
        "a passkey the user has is not registered twice"
    );

    let mut answers = Vec::new();
    for _ in 0..2 {
        let c = e.rp.start_sign_in().unwrap();
        let answer = a.assert(&c.options);
        let ok =
            e.rp.finish_sign_in(&e.store, "mpas", &answer, &c.state, now())
                .await
                .unwrap();
        assert_eq!(ok.user.id, e.user.id);
        assert_eq!(ok.passkey.sign_count, a.counter);
        answers.push((answer, c.state));
    }
    let stored = e.store.passkeys(&e.user.id).await.unwrap();
    assert_eq!(stored[0].sign_count, 2);
    assert!(stored[0].last_used.is_some());

    // Replay: the same answer with its own (already used) state; the counter did not move.
    let (answer, state) = &answers[1];
    let again =
        e.rp.finish_sign_in(&e.store, "mpas", answer, state, now())
            .await;
    assert!(
        matches!(again, Err(PasskeyError::CounterNotForward)),
        "{again:?}"
    );
    // A recorded answer against a new challenge.
    let fresh = e.rp.start_sign_in().unwrap();
    let foreign =
        e.rp.finish_sign_in(&e.store, "mpas", answer, &fresh.state, now())
            .await;
    assert!(
        matches!(foreign, Err(PasskeyError::WrongChallenge)),
        "{foreign:?}"
    );
    assert_eq!(
        e.store.passkeys(&e.user.id).await.unwrap()[0].sign_count,
        2,
        "nothing recorded"
    );
}

#[tokio::test]
async fn a_cloned_authenticator_is_refused() {
    let e = env().await;
    let mut a = Authenticator::new(&handle(&e.user));
    e.register(&a).await;
    for _ in 0..5 {
        e.sign_in("mpas", |o| a.assert(o)).await.unwrap();
    }
    // A copy of the key that has counted less, or as far.
    for n in [3, 5] {
        let r = e.sign_in("mpas", |o| a.assert_with_counter(o, n)).await;
        assert!(
            matches!(r, Err(PasskeyError::CounterNotForward)),
            "counter {n}: {r:?}"
        );
    }
    assert_eq!(
        PasskeyError::CounterNotForward.code(),
        "counter-not-forward"
    );
    // The passkey is flagged from the first refusal: the clone is not accepted on a later try
    // when its counter has moved past the stored one, and neither is the real one, until the
    // flag is cleared (issue 14, item 11).
    let flagged = e.store.passkeys(&e.user.id).await.unwrap()[0].clone();
    assert!(flagged.flagged_at.is_some());
    let r = e.sign_in("mpas", |o| a.assert_with_counter(o, 50)).await;
    assert!(matches!(r, Err(PasskeyError::Flagged)), "{r:?}");
    let r = e.sign_in("mpas", |o| a.assert(o)).await;
    assert!(matches!(r, Err(PasskeyError::Flagged)), "{r:?}");
    e.store
        .clear_passkey_flag(&e.user.id, &flagged.id)
        .await
        .unwrap();
    // Cleared: the real one goes on (its counter is ahead of the clone's last try).
    a.counter = 60;
    e.sign_in("mpas", |o| a.assert(o)).await.unwrap();
}

#[tokio::test]
async fn wrong_origin_and_wrong_rp_id_are_refused() {
    let e = env().await;
    let mut a = Authenticator::new(&handle(&e.user));
    e.register(&a).await;

    let mut phished = a.clone_shallow();
    phished.origin = "http://localhost.evil.test:8080".into();
    let r = e
        .sign_in("mpas", |o| phished.assert_with_counter(o, 10))
        .await;
    assert!(matches!(r, Err(PasskeyError::WrongOrigin)), "{r:?}");
    let mut port = a.clone_shallow();
    port.origin = "http://localhost:9999".into();
    let r = e.sign_in("mpas", |o| port.assert_with_counter(o, 11)).await;
    assert!(
        matches!(r, Err(PasskeyError::WrongOrigin)),
        "another port: {r:?}"
    );

    let mut other_site = a.clone_shallow();
    other_site.rp_id = "evil.test".into();
    let r = e
        .sign_in("mpas", |o| other_site.assert_with_counter(o, 12))
        .await;
    assert!(matches!(r, Err(PasskeyError::WrongRpId)), "{r:?}");

    // Registration is held to the same rules.
    let mut b = Authenticator::new(&handle(&e.user));
    b.origin = "https://evil.test".into();
    let c = e.rp.start_registration(&e.user, &[]).unwrap();
    let r = e.rp.finish_registration(
        &e.user,
        &b.register(&c.options),
        &c.state,
        "x",
        "id".into(),
        now(),
    );
    assert!(matches!(r, Err(PasskeyError::WrongOrigin)), "{r:?}");
    let mut b = Authenticator::new(&handle(&e.user));
    b.rp_id = "evil.test".into();
    let c = e.rp.start_registration(&e.user, &[]).unwrap();
    let r = e.rp.finish_registration(
        &e.user,
        &b.register(&c.options),
        &c.state,
        "x",
        "id".into(),
        now(),
    );
    assert!(matches!(r, Err(PasskeyError::WrongRpId)), "{r:?}");
    assert_eq!(e.store.passkeys(&e.user.id).await.unwrap().len(), 1);
    // Nothing was recorded by the refused sign-ins.
    assert_eq!(e.store.passkeys(&e.user.id).await.unwrap()[0].sign_count, 0);
    a.counter = 0;
    e.sign_in("mpas", |o| a.assert(o)).await.unwrap();
}

#[tokio::test]
async fn user_verification_is_required() {
    let e = env().await;
    let mut a = Authenticator::new(&handle(&e.user));
    e.register(&a).await;
    a.flags = UP;
    let r = e.sign_in("mpas", |o| a.assert(o)).await;
    assert!(matches!(r, Err(PasskeyError::UserNotVerified)), "{r:?}");
    // Nor can a passkey be registered without it.
    let mut b = Authenticator::new(&handle(&e.user));
    b.flags = UP;
    let c = e.rp.start_registration(&e.user, &[]).unwrap();
    let r = e.rp.finish_registration(
        &e.user,
        &b.register(&c.options),
        &c.state,
        "x",
        "id".into(),
        now(),
    );
    assert!(matches!(r, Err(PasskeyError::UserNotVerified)), "{r:?}");
}

#[tokio::test]
async fn unknown_foreign_and_misattributed_credentials_are_refused() {
    let e = env().await;
    let mut a = Authenticator::new(&handle(&e.user));
    e.register(&a).await;

    // Never registered.
    let mut stranger = Authenticator::new(&handle(&e.user));
    let r = e.sign_in("mpas", |o| stranger.assert(o)).await;
    assert!(matches!(r, Err(PasskeyError::UnknownCredential)), "{r:?}");

    // Alice's credential presented in another realm.
    let r = e.sign_in("other", |o| a.assert(o)).await;
    assert!(matches!(r, Err(PasskeyError::UnknownCredential)), "{r:?}");

    // Alice's credential claiming to be bob's (user handle of another user).
    let bob = add_user(
        &e.store,
        &Actor("cli".into()),
        "mpas",
        NewUser {
            username: "bob".into(),
            email: None,
            first_name: None,
            last_name: None,
            attributes: vec![],
        },
        None,
        now(),
    )
    .await
    .unwrap();
    let mut liar = a.clone_shallow();
    liar.user_handle = handle(&bob);
    let r = e.sign_in("mpas", |o| liar.assert_with_counter(o, 50)).await;
    assert!(matches!(r, Err(PasskeyError::WrongUser)), "{r:?}");

    // A disabled user.
    set_user_enabled(
        &e.store,
        &Actor("cli".into()),
        "mpas",
        "alice",
        false,
        now(),
    )
    .await
    .unwrap();
    let r = e.sign_in("mpas", |o| a.assert(o)).await;
    assert!(matches!(r, Err(PasskeyError::UserDisabled)), "{r:?}");

    // A credential ID registered to one user cannot be registered to another.
    let c = e.rp.start_registration(&bob, &[]).unwrap();
    let mut same_id = Authenticator::new(&handle(&bob));
    same_id.cred_id = a.cred_id.clone();
    let rec =
        e.rp.finish_registration(
            &bob,
            &same_id.register(&c.options),
            &c.state,
            "Bob",
            "b1".into(),
            now(),
        )
        .unwrap();
    let r = passkey::add_passkey(&e.store, &rec).await;
    assert!(matches!(r, Err(PasskeyError::AlreadyRegistered)), "{r:?}");
}

#[tokio::test]
async fn bad_signatures_and_garbage_are_refused_without_a_panic() {
    let e = env().await;
    let mut a = Authenticator::new(&handle(&e.user));
    e.register(&a).await;
    let r = e
        .sign_in("mpas", |o| {
            let mut v: Value = serde_json::from_str(&a.assert(o)).unwrap();
            let sig = B64
                .decode(v["response"]["signature"].as_str().unwrap().as_bytes())
                .unwrap();
            let mut sig = sig.clone();
            let n = sig.len() - 3;
            sig[n] ^= 1;
            v["response"]["signature"] = json!(B64.encode(&sig));
            v.to_string()
        })
        .await;
    assert!(
        matches!(
            r,
            Err(PasskeyError::BadSignature | PasskeyError::Refused(_))
        ),
        "{r:?}"
    );
    for garbage in [
        "",
        "{}",
        "null",
        "[1,2]",
        "{\"id\":\"x\"}",
        &"x".repeat(70_000),
    ] {
        let r = e.sign_in("mpas", |_| garbage.to_string()).await;
        assert!(
            matches!(r, Err(PasskeyError::BadResponse(_))),
            "{garbage:.20}: {r:?}"
        );
        let c = e.rp.start_registration(&e.user, &[]).unwrap();
        let r =
            e.rp.finish_registration(&e.user, garbage, &c.state, "x", "id".into(), now());
        assert!(
            matches!(r, Err(PasskeyError::BadResponse(_))),
            "{garbage:.20}: {r:?}"
        );
    }
    // A state that is not ours.
    let c = e.rp.start_sign_in().unwrap();
    let r =
        e.rp.finish_sign_in(
            &e.store,
            "mpas",
            &a.assert(&c.options),
            "{\"not\":\"state\"}",
            now(),
        )
        .await;
    assert!(matches!(r, Err(PasskeyError::BadResponse(_))), "{r:?}");
}

#[tokio::test]
async fn names_are_checked_and_an_ip_base_url_has_no_passkeys() {
    assert_eq!(
        passkey::check_name("  Work laptop ").unwrap(),
        "Work laptop"
    );
    assert!(passkey::check_name("   ").is_err());
    assert!(passkey::check_name(&"x".repeat(65)).is_err());
    assert!(passkey::check_name("a\u{7}b").is_err());
    assert!(matches!(
        RelyingParty::new("http://127.0.0.1:8080", "x"),
        Err(PasskeyError::Unavailable(_))
    ));
    let rp = RelyingParty::new("https://idp.example.com/", "x").unwrap();
    assert_eq!(rp.rp_id(), "idp.example.com");
}

#[tokio::test]
async fn at_most_twenty_passkeys_per_user() {
    let e = env().await;
    for _ in 0..passkey::MAX_PER_USER {
        e.register(&Authenticator::new(&handle(&e.user))).await;
    }
    let a = Authenticator::new(&handle(&e.user));
    let c = e.rp.start_registration(&e.user, &[]).unwrap();
    let rec =
        e.rp.finish_registration(
            &e.user,
            &a.register(&c.options),
            &c.state,
            "one more",
            "x".into(),
            now(),
        )
        .unwrap();
    assert!(matches!(
        passkey::add_passkey(&e.store, &rec).await,
        Err(PasskeyError::TooMany)
    ));
}
