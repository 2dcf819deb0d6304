//! The identity provider's store traits.

use symbolon_store::*;
use time::OffsetDateTime;

fn t(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + s).unwrap()
}

fn realm(name: &str) -> Realm {
    Realm {
        name: name.into(),
        display_name: name.to_uppercase(),
        enabled: true,
        assertion_lifespan_secs: 300,
        created_at: t(0),
    }
}

fn key(kid: &str, status: KeyStatus) -> RealmKey {
    RealmKey {
        kid: kid.into(),
        realm: "r".into(),
        status,
        algorithm: "rsa2048".into(),
        private_key_pem: Secret("-----BEGIN PRIVATE KEY-----x".into()),
        certificate_der: vec![1, 2, 3],
        created_at: t(1),
    }
}

/// The identity provider's traits.
pub async fn idp<S: IdpStore>(s: S) {
    // Realms.
    s.create_realm(&realm("r")).await.unwrap();
    assert!(matches!(
        s.create_realm(&realm("r")).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.realm("r").await.unwrap().unwrap(), realm("r"));
    assert!(
        s.realm("R").await.unwrap().is_none(),
        "realm names are case-sensitive"
    );
    s.create_realm(&realm("a")).await.unwrap();
    assert_eq!(
        s.realms()
            .await
            .unwrap()
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["a", "r"]
    );

    // Keys: one active; promotion is atomic and demotes the old one to passive.
    s.add_key(&key("k1", KeyStatus::Active)).await.unwrap();
    assert!(
        s.add_key(&key("k0", KeyStatus::Active)).await.is_err(),
        "a second active key is refused"
    );
    s.add_key(&key("k2", KeyStatus::Next)).await.unwrap();
    s.promote_key("r", "k2").await.unwrap();
    let keys = s.keys("r").await.unwrap();
    let status = |kid: &str| keys.iter().find(|k| k.kid == kid).unwrap().status;
    assert_eq!(
        (status("k1"), status("k2")),
        (KeyStatus::Passive, KeyStatus::Active)
    );
    assert!(matches!(
        s.promote_key("r", "nope").await,
        Err(StoreError::NotFound(..))
    ));
    s.set_key_status("r", "k1", KeyStatus::Retired)
        .await
        .unwrap();
    assert!(
        s.promote_key("r", "k1").await.is_err(),
        "retired keys never sign again"
    );
    assert_eq!(
        s.keys("r")
            .await
            .unwrap()
            .iter()
            .filter(|k| k.status == KeyStatus::Active)
            .count(),
        1
    );
    assert!(
        !format!("{:?}", s.keys("r").await.unwrap()).contains("PRIVATE"),
        "keys never print"
    );

    // Users.
    let u = User {
        id: "u1".into(),
        realm: "r".into(),
        username: "alice".into(),
        email: Some("a@x".into()),
        first_name: None,
        last_name: None,
        enabled: true,
        attributes: vec![("g".into(), "1".into()), ("g".into(), "2".into())],
        created_at: t(2),
    };
    s.create_user(&u, Some("$argon2id$hash")).await.unwrap();
    assert!(
        matches!(
            s.create_user(
                &User {
                    id: "u2".into(),
                    ..u.clone()
                },
                None
            )
            .await,
            Err(StoreError::Conflict(_))
        ),
        "username unique per realm"
    );
    s.create_user(
        &User {
            id: "u3".into(),
            realm: "a".into(),
            ..u.clone()
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(s.user_by_username("r", "alice").await.unwrap().unwrap(), u);
    assert_eq!(
        s.password_hash("r", "u1").await.unwrap().as_deref(),
        Some("$argon2id$hash")
    );
    assert_eq!(s.password_hash("a", "u3").await.unwrap(), None);
    assert!(matches!(
        s.password_hash("r", "zz").await,
        Err(StoreError::NotFound(..))
    ));
    assert!(matches!(
        s.set_password_hash("r", "zz", "h").await,
        Err(StoreError::NotFound(..))
    ));
    assert!(
        s.create_user(
            &User {
                id: "u4".into(),
                realm: "missing".into(),
                username: "x".into(),
                ..u.clone()
            },
            None
        )
        .await
        .is_err(),
        "users belong to a realm"
    );

    let changed_user = User {
        email: None,
        enabled: false,
        attributes: vec![],
        ..u.clone()
    };
    s.update_user(&changed_user).await.unwrap();
    assert_eq!(
        s.user_by_username("r", "alice").await.unwrap().unwrap(),
        changed_user
    );
    assert!(matches!(
        s.update_user(&User {
            id: "zz".into(),
            ..u.clone()
        })
        .await,
        Err(StoreError::NotFound(..))
    ));

    // Clients.
    let c = Client {
        id: "c1".into(),
        realm: "r".into(),
        client_id: "https://sp".into(),
        name: Some("SP".into()),
        description: None,
        enabled: true,
        home_url: None,
        idp_initiated_url_name: Some("sp".into()),
        idp_initiated_relay_state: None,
        name_id_format: "f".into(),
        sign_documents: true,
        sign_assertions: false,
        signature_algorithm: "rsa-sha256".into(),
        client_signature_required: false,
        assertion_lifespan_secs: Some(60),
        acs: vec![ClientEndpoint {
            binding: "b".into(),
            location: "https://sp/acs".into(),
            index: Some(0),
            is_default: Some(true),
        }],
        slo: vec![],
        signing_certs: vec![vec![9, 9]],
        mappers: vec![Mapper {
            name: "groups".into(),
            saml_attribute: "groups".into(),
            name_format: None,
            friendly_name: None,
            source: MapperSource::GroupList { full_path: true },
        }],
        restricted: true,
        encryption: Default::default(),
        metadata_source: None,
        provisioning: None,
        created_at: t(3),
    };
    s.create_client(&c).await.unwrap();
    assert!(matches!(
        s.create_client(&Client {
            id: "c2".into(),
            idp_initiated_url_name: None,
            ..c.clone()
        })
        .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        matches!(
            s.create_client(&Client {
                id: "c3".into(),
                client_id: "https://other".into(),
                ..c.clone()
            })
            .await,
            Err(StoreError::Conflict(_))
        ),
        "URL names unique per realm"
    );
    assert_eq!(s.client("r", "https://sp").await.unwrap().unwrap(), c);
    assert_eq!(s.client_by_url_name("r", "sp").await.unwrap().unwrap(), c);
    let changed = Client {
        home_url: Some("https://sp/home".into()),
        ..c.clone()
    };
    s.update_client(&changed).await.unwrap();
    assert_eq!(s.clients("r").await.unwrap(), vec![changed]);
    assert!(matches!(
        s.update_client(&Client {
            id: "zz".into(),
            ..c.clone()
        })
        .await,
        Err(StoreError::NotFound(..))
    ));

    // Groups, membership, access assignments.
    let g = Group {
        id: "g1".into(),
        realm: "r".into(),
        path: "/eng".into(),
    };
    s.create_group(&g).await.unwrap();
    assert!(
        matches!(
            s.create_group(&Group {
                id: "g2".into(),
                ..g.clone()
            })
            .await,
            Err(StoreError::Conflict(_))
        ),
        "paths unique per realm"
    );
    s.create_group(&Group {
        id: "g3".into(),
        realm: "a".into(),
        path: "/eng".into(),
    })
    .await
    .unwrap();
    s.add_member("u1", "g1").await.unwrap();
    s.add_member("u1", "g1").await.unwrap();
    assert_eq!(
        s.user_groups("u1").await.unwrap(),
        vec![g.clone()],
        "membership is idempotent"
    );
    assert!(
        s.add_member("nobody", "g1").await.is_err(),
        "members must exist"
    );
    s.grant("c1", &Assignment::Group("g1".into()))
        .await
        .unwrap();
    s.grant("c1", &Assignment::User("u1".into())).await.unwrap();
    s.grant("c1", &Assignment::User("u1".into())).await.unwrap();
    assert_eq!(
        s.assignments("c1").await.unwrap(),
        vec![
            Assignment::Group("g1".into()),
            Assignment::User("u1".into())
        ]
    );
    s.revoke("c1", &Assignment::User("u1".into()))
        .await
        .unwrap();
    assert_eq!(
        s.assignments("c1").await.unwrap(),
        vec![Assignment::Group("g1".into())]
    );

    // Users by ID, within their realm only.
    assert_eq!(s.user_by_id("r", "u1").await.unwrap().unwrap().id, "u1");
    assert!(s.user_by_id("a", "u1").await.unwrap().is_none());
    assert!(s.user_by_id("r", "nope").await.unwrap().is_none());

    // Roles and grants.
    let role = |id: &str, realm: &str, name: &str| Role {
        id: id.into(),
        realm: realm.into(),
        name: name.into(),
        description: None,
    };
    s.create_role(&role("ro1", "r", "admin")).await.unwrap();
    s.create_role(&role("ro2", "r", "auditor")).await.unwrap();
    s.create_role(&role("ro3", "a", "admin")).await.unwrap();
    assert!(
        matches!(
            s.create_role(&role("ro4", "r", "admin")).await,
            Err(StoreError::Conflict(_))
        ),
        "role names unique per realm"
    );
    assert_eq!(
        s.roles("r")
            .await
            .unwrap()
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["admin", "auditor"]
    );
    s.grant_role("ro1", &Assignment::User("u1".into()))
        .await
        .unwrap();
    s.grant_role("ro1", &Assignment::User("u1".into()))
        .await
        .unwrap();
    s.grant_role("ro2", &Assignment::Group("g1".into()))
        .await
        .unwrap();
    s.grant_role("ro3", &Assignment::Group("g3".into()))
        .await
        .unwrap();
    assert_eq!(
        s.role_grants("r").await.unwrap(),
        vec![
            ("admin".to_string(), Assignment::User("u1".into())),
            ("auditor".to_string(), Assignment::Group("g1".into())),
        ],
        "grants are idempotent and per realm"
    );
    s.revoke_role("ro1", &Assignment::User("u1".into()))
        .await
        .unwrap();
    s.delete_role("r", "auditor").await.unwrap();
    assert!(s.role_grants("r").await.unwrap().is_empty());
    assert!(matches!(
        s.delete_role("r", "auditor").await,
        Err(StoreError::NotFound(..))
    ));
    assert_eq!(s.role_grants("a").await.unwrap().len(), 1);

    // Events: newest first, filtered by kind, limited.
    for i in 0..5 {
        let kind = if i % 2 == 0 { "LOGIN" } else { "ADMIN" };
        s.record(&Event {
            realm: "r".into(),
            at: t(10 + i),
            kind: kind.into(),
            actor: Some("x".into()),
            client_id: None,
            detail: format!("e{i}"),
        })
        .await
        .unwrap();
    }
    let all = s.events("r", None, 10).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>(),
        ["e4", "e3", "e2", "e1", "e0"]
    );
    assert_eq!(s.events("r", Some("ADMIN"), 10).await.unwrap().len(), 2);
    assert_eq!(s.events("r", None, 2).await.unwrap().len(), 2);
    assert!(s.events("a", None, 10).await.unwrap().is_empty());
}

/// Second-factor credentials: TOTP with its last used step, recovery codes used once; the
/// realm's sign-in policy.
pub async fn credentials<S: IdpStore>(s: S) {
    s.create_realm(&realm("c")).await.unwrap();
    assert_eq!(s.auth_policy("c").await.unwrap(), "password", "the default");
    s.set_auth_policy("c", "second-factor").await.unwrap();
    assert_eq!(s.auth_policy("c").await.unwrap(), "second-factor");
    assert!(matches!(
        s.set_auth_policy("nope", "password").await,
        Err(StoreError::NotFound(..))
    ));
    assert!(matches!(
        s.auth_policy("nope").await,
        Err(StoreError::NotFound(..))
    ));
    let u = User {
        id: "cu".into(),
        realm: "c".into(),
        username: "carol".into(),
        email: None,
        first_name: None,
        last_name: None,
        enabled: true,
        attributes: vec![],
        created_at: t(0),
    };
    s.create_user(&u, None).await.unwrap();
    assert_eq!(s.totp("cu").await.unwrap(), None);
    let cred = TotpCredential {
        secret: Secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".into()),
        last_step: None,
        created_at: t(1),
    };
    s.set_totp("cu", &cred, &["h1".into(), "h2".into()])
        .await
        .unwrap();
    assert_eq!(s.totp("cu").await.unwrap().unwrap(), cred);
    assert!(s.use_totp_step("cu", 10).await.unwrap());
    assert!(
        !s.use_totp_step("cu", 10).await.unwrap(),
        "a step is used once"
    );
    assert!(
        !s.use_totp_step("cu", 9).await.unwrap(),
        "never an older step"
    );
    assert!(s.use_totp_step("cu", 11).await.unwrap());
    assert_eq!(s.totp("cu").await.unwrap().unwrap().last_step, Some(11));
    assert!(!s.use_totp_step("nobody", 1).await.unwrap());
    assert_eq!(s.recovery_codes_left("cu").await.unwrap(), 2);
    assert!(s.use_recovery_code("cu", "h1").await.unwrap());
    assert!(
        !s.use_recovery_code("cu", "h1").await.unwrap(),
        "a code is used once"
    );
    assert!(!s.use_recovery_code("cu", "nope").await.unwrap());
    assert_eq!(s.recovery_codes_left("cu").await.unwrap(), 1);
    // Enrolling again replaces the secret and the codes.
    let again = TotpCredential {
        secret: Secret("MFRGGZDFMZTWQ2LK".into()),
        ..cred.clone()
    };
    s.set_totp("cu", &again, &["h3".into()]).await.unwrap();
    assert_eq!(s.totp("cu").await.unwrap().unwrap(), again);
    assert!(!s.use_recovery_code("cu", "h2").await.unwrap());
    assert!(s.use_recovery_code("cu", "h3").await.unwrap());
    s.remove_totp("cu").await.unwrap();
    assert_eq!(s.totp("cu").await.unwrap(), None);
    assert_eq!(s.recovery_codes_left("cu").await.unwrap(), 0);
    passkeys(&s).await;
}

/// Passkeys: unique credential IDs, renaming and removal only by their owner, a use recorded
/// only when the counter moves forward (or stays at zero: an authenticator without a counter);
/// required actions.
async fn passkeys<S: IdpStore>(s: &S) {
    let other = User {
        id: "cv".into(),
        username: "victor".into(),
        ..s.user_by_id("c", "cu").await.unwrap().unwrap()
    };
    s.create_user(&other, None).await.unwrap();
    let p = PasskeyRecord {
        id: "pk1".into(),
        user_id: "cu".into(),
        credential_id: "Y3JlZA".into(),
        name: "Laptop".into(),
        passkey: "{}".into(),
        sign_count: 5,
        backup_eligible: true,
        backup_state: false,
        created_at: t(1),
        last_used: None,
        flagged_at: None,
    };
    assert!(s.passkeys("cu").await.unwrap().is_empty());
    s.add_passkey(&p).await.unwrap();
    assert_eq!(s.passkeys("cu").await.unwrap(), vec![p.clone()]);
    assert_eq!(
        s.passkey_by_credential_id("Y3JlZA").await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(s.passkey_by_credential_id("nope").await.unwrap(), None);
    let stolen = PasskeyRecord {
        id: "pk2".into(),
        user_id: "cv".into(),
        ..p.clone()
    };
    assert!(
        matches!(s.add_passkey(&stolen).await, Err(StoreError::Conflict(..))),
        "a credential ID belongs to one user"
    );
    let zero = PasskeyRecord {
        id: "pk3".into(),
        credential_id: "emVybw".into(),
        name: "Phone".into(),
        sign_count: 0,
        created_at: t(2),
        ..p.clone()
    };
    s.add_passkey(&zero).await.unwrap();
    assert_eq!(s.passkeys("cu").await.unwrap().len(), 2);
    // Counters: forward only.
    let use_at = |n: u32, backup: bool| PasskeyUse {
        passkey: "{\"n\":1}",
        sign_count: n,
        backup_state: backup,
        at: t(10),
    };
    assert!(
        !s.use_passkey("pk1", &use_at(5, false)).await.unwrap(),
        "same counter"
    );
    assert!(
        !s.use_passkey("pk1", &use_at(4, false)).await.unwrap(),
        "counter went back"
    );
    assert!(
        !s.use_passkey("pk1", &use_at(0, false)).await.unwrap(),
        "counter reset"
    );
    assert!(s.use_passkey("pk1", &use_at(6, true)).await.unwrap());
    let used = s.passkey_by_credential_id("Y3JlZA").await.unwrap().unwrap();
    assert_eq!(
        (
            used.sign_count,
            used.backup_state,
            used.last_used,
            used.passkey.as_str()
        ),
        (6, true, Some(t(10)), "{\"n\":1}")
    );
    assert!(
        s.use_passkey("pk3", &use_at(0, false)).await.unwrap(),
        "no counter"
    );
    assert!(s.use_passkey("pk3", &use_at(0, false)).await.unwrap());
    assert!(!s.use_passkey("nope", &use_at(9, false)).await.unwrap());
    // A flag (possible clone) stays until the owner clears it; the first time is kept.
    s.flag_passkey("pk1", t(20)).await.unwrap();
    s.flag_passkey("pk1", t(30)).await.unwrap();
    assert_eq!(
        s.passkey_by_credential_id("Y3JlZA")
            .await
            .unwrap()
            .unwrap()
            .flagged_at,
        Some(t(20))
    );
    assert!(matches!(
        s.clear_passkey_flag("cv", "pk1").await,
        Err(StoreError::NotFound(..))
    ));
    s.clear_passkey_flag("cu", "pk1").await.unwrap();
    assert_eq!(
        s.passkey_by_credential_id("Y3JlZA")
            .await
            .unwrap()
            .unwrap()
            .flagged_at,
        None
    );
    // Only the owner renames or removes.
    assert!(matches!(
        s.rename_passkey("cv", "pk1", "Mine").await,
        Err(StoreError::NotFound(..))
    ));
    s.rename_passkey("cu", "pk1", "Work laptop").await.unwrap();
    assert_eq!(s.passkeys("cu").await.unwrap()[0].name, "Work laptop");
    assert!(matches!(
        s.remove_passkey("cv", "pk1").await,
        Err(StoreError::NotFound(..))
    ));
    s.remove_passkey("cu", "pk1").await.unwrap();
    let left: Vec<String> = s
        .passkeys("cu")
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(left, vec![zero.id]);
    assert_eq!(s.remove_passkeys("cu").await.unwrap(), 1);
    assert!(s.passkeys("cu").await.unwrap().is_empty());
    // Required actions.
    assert!(s.required_actions("cu").await.unwrap().is_empty());
    s.set_required_action("cu", ACTION_REGISTER_PASSKEY, true)
        .await
        .unwrap();
    s.set_required_action("cu", ACTION_REGISTER_PASSKEY, true)
        .await
        .unwrap();
    assert_eq!(
        s.required_actions("cu").await.unwrap(),
        vec![ACTION_REGISTER_PASSKEY.to_string()]
    );
    assert!(s.required_actions("cv").await.unwrap().is_empty());
    s.set_required_action("cu", ACTION_REGISTER_PASSKEY, false)
        .await
        .unwrap();
    assert!(s.required_actions("cu").await.unwrap().is_empty());
}
