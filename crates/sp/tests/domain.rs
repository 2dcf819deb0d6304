//! Domain rules of the service provider on a real (in-memory) SQLite store, with time injected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use symbolon_sp::*;
use symbolon_store::sp::{AccountStore, SpActivityStore};
use symbolon_store_sqlite::SqliteStore;
use time::{Duration, OffsetDateTime};

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_750_000_000).unwrap()
}

#[tokio::test]
async fn saml_users_not_seen_for_365_days_drop_off() {
    let s = SqliteStore::open("sqlite::memory:").await.unwrap();
    let actor = Actor::cli();
    let acc = create_account(&s, &actor, "Acme", t0()).await.unwrap();
    let pair = |role: &str| Pair {
        account_id: acc.id.clone(),
        account_name: acc.name.clone(),
        role: role.into(),
        master: false,
        user_id: String::new(),
        profile: Default::default(),
    };
    let old = record_sign_in(&s, "old@corp.test", &pair("Read Only"), "SignIn", t0())
        .await
        .unwrap();
    let recent = record_sign_in(
        &s,
        "new@corp.test",
        &pair("Auditor"),
        "SignIn",
        t0() + Duration::days(200),
    )
    .await
    .unwrap();
    // The same person again keeps the same ID and updates the role last assumed.
    let again = record_sign_in(
        &s,
        "new@corp.test",
        &pair("Full Access"),
        "SwitchRole",
        t0() + Duration::days(201),
    )
    .await
    .unwrap();
    assert_eq!(recent, again);
    assert_ne!(old, recent);

    assert_eq!(
        prune_saml_users(&s, t0() + Duration::days(364))
            .await
            .unwrap(),
        0
    );
    assert_eq!(s.saml_users(&acc.id).await.unwrap().len(), 2);
    assert_eq!(
        prune_saml_users(&s, t0() + Duration::days(366))
            .await
            .unwrap(),
        1
    );
    let left = s.saml_users(&acc.id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(
        (left[0].name_id.as_str(), left[0].last_role.as_str()),
        ("new@corp.test", "Full Access")
    );

    // The audit principals carry the stable IDs.
    let log = s.audit_log(&acc.id).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.principal == saml_principal(&acc.id, &recent) && e.action == "SwitchRole")
    );
}

#[tokio::test]
async fn accounts_roles_and_mappings_refuse_bad_input_without_writing() {
    let s = SqliteStore::open("sqlite::memory:").await.unwrap();
    let actor = Actor::cli();
    assert!(create_account(&s, &actor, "  ", t0()).await.is_err());
    assert!(s.accounts().await.unwrap().is_empty());
    let acc = create_account(&s, &actor, "Acme", t0()).await.unwrap();
    // Account names are unique, whatever their case and surrounding spaces (issue 15): a twin is
    // a Conflict that names the account holding the name, and nothing is written.
    for twin in ["Acme", " Acme ", "acme", "ACME", "Acme  "] {
        match create_account(&s, &actor, twin, t0()).await {
            Err(SpError::Conflict(m)) => {
                assert!(m.contains(&acc.id) && m.contains("\"Acme\""), "{m}")
            }
            other => panic!("{twin:?}: {other:?}"),
        }
    }
    assert_eq!(s.accounts().await.unwrap().len(), 1);
    let other = create_account(&s, &actor, "Acme Two", t0()).await.unwrap();
    assert!(matches!(
        rename_account(&s, &actor, &other.id, " acme", t0()).await,
        Err(SpError::Conflict(_))
    ));
    assert!(
        rename_account(&s, &actor, &acc.id, "ACME", t0())
            .await
            .unwrap(),
        "its own name in another case"
    );
    assert!(
        rename_account(&s, &actor, &acc.id, "Acme", t0())
            .await
            .unwrap()
    );
    delete_account(&s, &actor, &other.id).await.unwrap();
    let mut roles: Vec<String> = s
        .account_roles(&acc.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    roles.sort();
    let mut builtin = BUILTIN_ROLES.to_vec();
    builtin.sort();
    assert_eq!(roles, builtin);
    assert!(
        add_role(&s, &actor, &acc.id, "read only", t0())
            .await
            .is_err(),
        "names compare case-insensitively"
    );
    assert!(
        add_native_user(
            &s,
            &actor,
            &acc.id,
            "not-an-email",
            None,
            "long password",
            false,
            None,
            t0()
        )
        .await
        .is_err()
    );
    assert!(
        add_native_user(
            &s,
            &actor,
            &acc.id,
            "a@b.test",
            None,
            "short",
            false,
            None,
            t0()
        )
        .await
        .is_err()
    );
    assert!(
        add_idp(&s, &actor, &acc.id, "X", None, b"<!DOCTYPE x><x/>", t0())
            .await
            .is_err()
    );
    assert!(
        add_idp(&s, &actor, "nope", "X", None, b"<x/>", t0())
            .await
            .is_err()
    );
    assert!(matches!(
        add_saml_account(&s, &actor, &acc.id, "x@y.test", "No Such Role", None, t0()).await,
        Err(SpError::NotFound(_))
    ));
    assert!(s.saml_accounts(&acc.id).await.unwrap().is_empty());
}

/// Day-2 rules: built-in roles stay; a rename carries the mappings; a change that changes
/// nothing records nothing; SAML accounts of a master administrator's email are flagged; the
/// last master administrator stays.
#[tokio::test]
async fn day2_changes_are_recorded_once_and_built_in_roles_stay() {
    let s = SqliteStore::open("sqlite::memory:").await.unwrap();
    let actor = Actor::cli();
    let acc = create_account(&s, &actor, "Acme", t0()).await.unwrap();
    let admin_lines = || async {
        s.audit_log(&acc.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "Admin")
            .count()
    };
    for builtin in BUILTIN_ROLES {
        assert!(matches!(
            delete_role(&s, &actor, &acc.id, builtin, t0()).await,
            Err(SpError::Invalid(_))
        ));
        assert!(matches!(
            rename_role(&s, &actor, &acc.id, builtin, "X", t0()).await,
            Err(SpError::Invalid(_))
        ));
    }
    add_role(&s, &actor, &acc.id, "Night", t0()).await.unwrap();
    assert!(
        rename_role(&s, &actor, &acc.id, "Night", "Nights", t0())
            .await
            .unwrap()
    );
    let before = admin_lines().await;
    assert!(
        !rename_role(&s, &actor, &acc.id, "Nights", "Nights", t0())
            .await
            .unwrap()
    );
    assert!(
        !rename_account(&s, &actor, &acc.id, "Acme", t0())
            .await
            .unwrap()
    );
    assert_eq!(
        admin_lines().await,
        before,
        "nothing recorded for no change"
    );

    // SAML accounts: the warning for a master administrator's email, edits recorded once.
    add_native_user(
        &s,
        &actor,
        &acc.id,
        "boss@acme.test",
        None,
        "boss password 1",
        true,
        None,
        t0(),
    )
    .await
    .unwrap();
    let warning = add_saml_account(&s, &actor, &acc.id, "Boss@Acme.test", "Auditor", None, t0())
        .await
        .unwrap();
    assert!(warning.is_some_and(|w| w.contains("master administrator")));
    assert!(
        saml_account_views(&s, &acc.id).await.unwrap()[0].master_conflict,
        "flagged in the list"
    );
    let before = admin_lines().await;
    assert!(
        edit_saml_account(
            &s,
            &actor,
            &acc.id,
            "boss@acme.test",
            Some("Nights"),
            None,
            t0()
        )
        .await
        .unwrap()
    );
    assert!(
        !edit_saml_account(
            &s,
            &actor,
            &acc.id,
            "boss@acme.test",
            Some("nights"),
            Some(""),
            t0()
        )
        .await
        .unwrap()
    );
    assert_eq!(admin_lines().await, before + 1);
    assert!(matches!(
        remove_saml_account(&s, &actor, &acc.id, "nobody@acme.test", t0()).await,
        Err(SpError::NotFound(_))
    ));

    // The last master administrator stays.
    assert!(matches!(
        remove_native_user(&s, &actor, &acc.id, "boss@acme.test", t0()).await,
        Err(SpError::Conflict(_))
    ));
    assert_eq!(native_users(&s, &acc.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn certificate_expiry_notices_reach_every_account_once() {
    let s = SqliteStore::open("sqlite::memory:").await.unwrap();
    let actor = Actor::cli();
    let a = create_account(&s, &actor, "One", t0()).await.unwrap();
    let b = create_account(&s, &actor, "Two", t0()).await.unwrap();
    sp_key(&s, "https://sp.example.test", t0()).await.unwrap();
    assert!(check_certificates(&s, t0()).await.unwrap().is_empty());
    let soon = t0() + Duration::days(3 * 365 - 20);
    let given = check_certificates(&s, soon).await.unwrap();
    assert_eq!(given.len(), 1, "{given:?}");
    assert!(given[0].contains("expires in 20 days"));
    for acc in [&a.id, &b.id] {
        let log = s.audit_log(acc).await.unwrap();
        assert_eq!(
            log.iter()
                .filter(|e| e.action == "CertificateExpiry" && e.principal == EXPIRY_PRINCIPAL)
                .count(),
            1
        );
    }
    assert!(
        check_certificates(&s, soon).await.unwrap().is_empty(),
        "once"
    );
    let watched = symbolon_sp::watched_certificates(&s, soon).await.unwrap();
    assert_eq!(
        watched.len(),
        1,
        "the SP key; no IdP pinned yet: {watched:?}"
    );
    assert_eq!(
        (watched[0].kind, watched[0].owner.as_str()),
        ("sp-key", "sp")
    );
    assert!((19 * 86_400..=21 * 86_400).contains(&watched[0].seconds_left));
}

/// Native sign-on: a password hashed with the former parameters still signs in and is stored
/// again with the current ones; an unknown email signs in nowhere.
#[tokio::test]
async fn an_older_native_password_hash_is_upgraded_at_the_next_sign_in() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let s = SqliteStore::open("sqlite::memory:").await.unwrap();
    let actor = Actor::cli();
    let acc = create_account(&s, &actor, "Acme", t0()).await.unwrap();
    let u = add_native_user(
        &s,
        &actor,
        &acc.id,
        "boss@acme.test",
        None,
        "boss password 1",
        true,
        None,
        t0(),
    )
    .await
    .unwrap();
    let old = argon2::Argon2::default()
        .hash_password(
            b"boss password 1",
            &SaltString::encode_b64(b"0123456789abcdef").unwrap(),
        )
        .unwrap()
        .to_string();
    s.set_native_password(&acc.id, &u.id, &old).await.unwrap();
    let stored = |s: &SqliteStore| {
        let s = s.clone();
        async move {
            s.native_users_by_email("boss@acme.test").await.unwrap()[0]
                .1
                .clone()
        }
    };
    assert_eq!(stored(&s).await, old);
    assert_eq!(
        native_sign_in(&s, "boss@acme.test", "boss password 1", t0())
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        stored(&s)
            .await
            .starts_with("$argon2id$v=19$m=12288,t=3,p=1$")
    );
    assert_eq!(
        native_sign_in(&s, "boss@acme.test", "boss password 1", t0())
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        native_sign_in(&s, "nobody@acme.test", "boss password 1", t0())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_master_administrator_creates_another_account_and_becomes_its_master() {
    let s = SqliteStore::open("sqlite::memory:").await.unwrap();
    let actor = Actor::cli();
    let acc = create_account(&s, &actor, "Acme", t0()).await.unwrap();
    let boss = add_native_user(
        &s,
        &actor,
        &acc.id,
        "boss@acme.test",
        Some("Boss"),
        "boss password 1",
        true,
        None,
        t0(),
    )
    .await
    .unwrap();
    let ops = add_native_user(
        &s,
        &actor,
        &acc.id,
        "ops@acme.test",
        None,
        "ops password 1",
        false,
        Some("Full Access"),
        t0(),
    )
    .await
    .unwrap();
    let pair_of = |u: &symbolon_store::sp::NativeUser, master: bool| Pair {
        account_id: acc.id.clone(),
        account_name: "Acme".into(),
        role: if master {
            "Master Administrator"
        } else {
            "Full Access"
        }
        .into(),
        master,
        user_id: u.id.clone(),
        profile: Default::default(),
    };
    let accounts = |s: &SqliteStore| {
        let s = s.clone();
        async move { s.accounts().await.unwrap().len() }
    };
    // A Full Access user, or a pair that claims to be master for a user who is not: refused,
    // nothing created.
    for pair in [pair_of(&ops, false), pair_of(&ops, true)] {
        let e = create_account_as_master(&s, &actor, &pair, "Acme Staging", t0())
            .await
            .unwrap_err();
        assert!(matches!(e, SpError::Forbidden(_)), "{e}");
    }
    assert_eq!(accounts(&s).await, 1);
    // A name taken (another case) or empty: refused, nothing created.
    for bad in ["ACME", " ", ""] {
        assert!(
            create_account_as_master(&s, &actor, &pair_of(&boss, true), bad, t0())
                .await
                .is_err()
        );
    }
    assert_eq!(accounts(&s).await, 1);
    let (made, pair) =
        create_account_as_master(&s, &actor, &pair_of(&boss, true), "Acme Staging", t0())
            .await
            .unwrap();
    assert_eq!(made.name, "Acme Staging");
    assert!(pair.master && pair.account_id == made.id && pair.role == "Master Administrator");
    // The same person, with the same password: native sign-on now offers both accounts.
    let pairs = native_sign_in(&s, "boss@acme.test", "boss password 1", t0())
        .await
        .unwrap();
    let mut names: Vec<_> = pairs.iter().map(|p| p.account_name.clone()).collect();
    names.sort();
    assert_eq!(names, ["Acme", "Acme Staging"]);
    let copied = s.native_users(&made.id).await.unwrap();
    assert_eq!(copied.len(), 1);
    assert_eq!(copied[0].display_name.as_deref(), Some("Boss"));
    assert_eq!(
        s.account_roles(&made.id).await.unwrap().len(),
        BUILTIN_ROLES.len()
    );
}

#[tokio::test]
async fn a_sign_ins_pairs_now_follow_renamed_and_deleted_accounts() {
    let s = SqliteStore::open("sqlite::memory:").await.unwrap();
    let actor = Actor::cli();
    let kept = create_account(&s, &actor, "Kept", t0()).await.unwrap();
    let renamed = create_account(&s, &actor, "Old name", t0()).await.unwrap();
    let deleted = create_account(&s, &actor, "Deleted", t0()).await.unwrap();
    let pair = |a: &symbolon_store::sp::Account| Pair {
        account_id: a.id.clone(),
        account_name: a.name.clone(),
        role: "Read Only".into(),
        master: false,
        user_id: String::new(),
        profile: Default::default(),
    };
    let pairs = [pair(&kept), pair(&renamed), pair(&deleted)];
    s.rename_account(&renamed.id, "New name").await.unwrap();
    s.delete_account(&deleted.id).await.unwrap();
    assert_eq!(
        pairs_now(&s, &pairs).await.unwrap(),
        [Some("Kept".to_string()), Some("New name".to_string()), None]
    );
    assert!(pairs_now(&s, &[]).await.unwrap().is_empty());
}
