//! `ClientKeyStore`: a client's own signing keys, on both backends.

use symbolon_store::*;
use time::OffsetDateTime;

fn t(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + s).unwrap()
}

fn key(kid: &str, realm: &str, status: KeyStatus, at: i64) -> RealmKey {
    RealmKey {
        kid: kid.into(),
        realm: realm.into(),
        status,
        algorithm: "rsa2048".into(),
        private_key_pem: Secret(format!("-----BEGIN PRIVATE KEY-----{kid}")),
        certificate_der: vec![4, 5, 6],
        created_at: t(at),
    }
}

fn client(id: &str, realm: &str, entity: &str) -> Client {
    Client {
        id: id.into(),
        realm: realm.into(),
        client_id: entity.into(),
        name: None,
        description: None,
        enabled: true,
        home_url: None,
        idp_initiated_url_name: None,
        idp_initiated_relay_state: None,
        name_id_format: "f".into(),
        sign_documents: true,
        sign_assertions: false,
        signature_algorithm: "rsa-sha256".into(),
        client_signature_required: false,
        assertion_lifespan_secs: None,
        acs: vec![],
        slo: vec![],
        signing_certs: vec![],
        mappers: vec![],
        restricted: false,
        encryption: Default::default(),
        metadata_source: None,
        provisioning: None,
        created_at: t(0),
    }
}

/// Per-client keys: one active per client (another client may have its own), atomic
/// promotion, retired keys never sign again, removal only of retired or unused keys, keys
/// sealed and opened like realm keys, and gone with their client or realm.
pub async fn client_keys<S: IdpStore>(s: S) {
    for r in ["r", "q"] {
        s.create_realm(&Realm {
            name: r.into(),
            display_name: r.into(),
            enabled: true,
            assertion_lifespan_secs: 300,
            created_at: t(0),
        })
        .await
        .unwrap();
    }
    s.create_client(&client("c1", "r", "https://one"))
        .await
        .unwrap();
    s.create_client(&client("c2", "r", "https://two"))
        .await
        .unwrap();
    s.create_client(&client("c3", "q", "https://three"))
        .await
        .unwrap();
    assert!(s.client_keys("c1").await.unwrap().is_empty());

    s.add_client_key("c1", &key("a1", "r", KeyStatus::Active, 1))
        .await
        .unwrap();
    assert!(
        s.add_client_key("c1", &key("a0", "r", KeyStatus::Active, 1))
            .await
            .is_err(),
        "a second active key for one client is refused"
    );
    s.add_client_key("c2", &key("b1", "r", KeyStatus::Active, 1))
        .await
        .unwrap();
    s.add_client_key("c1", &key("a2", "r", KeyStatus::Next, 2))
        .await
        .unwrap();
    let keys = s.client_keys("c1").await.unwrap();
    assert_eq!(
        keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
        ["a1", "a2"]
    );
    assert_eq!(keys[1].private_key_pem.0, "-----BEGIN PRIVATE KEY-----a2");
    assert_eq!(keys[1].certificate_der, vec![4, 5, 6]);
    assert!(s.keys("r").await.unwrap().is_empty(), "not realm keys");

    // Promotion: atomic, per client.
    s.promote_client_key("c1", "a2").await.unwrap();
    let status = |keys: &[RealmKey], kid: &str| keys.iter().find(|k| k.kid == kid).unwrap().status;
    let keys = s.client_keys("c1").await.unwrap();
    assert_eq!(
        (status(&keys, "a1"), status(&keys, "a2")),
        (KeyStatus::Passive, KeyStatus::Active)
    );
    assert_eq!(
        status(&s.client_keys("c2").await.unwrap(), "b1"),
        KeyStatus::Active,
        "another client's key is untouched"
    );
    assert!(matches!(
        s.promote_client_key("c2", "a1").await,
        Err(StoreError::NotFound(..))
    ));
    // Removal: never a key in use.
    assert!(matches!(
        s.remove_client_key("c1", "a1").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.remove_client_key("c1", "zz").await,
        Err(StoreError::NotFound(..))
    ));
    s.set_client_key_status("c1", "a1", KeyStatus::Retired)
        .await
        .unwrap();
    assert!(matches!(
        s.promote_client_key("c1", "a1").await,
        Err(StoreError::Conflict(_))
    ));
    s.remove_client_key("c1", "a1").await.unwrap();
    assert_eq!(s.client_keys("c1").await.unwrap().len(), 1);
    assert!(matches!(
        s.set_client_key_status("c1", "a1", KeyStatus::Retired)
            .await,
        Err(StoreError::NotFound(..))
    ));

    // Gone with the client, and with the realm.
    s.add_client_key("c3", &key("c3k", "q", KeyStatus::Active, 1))
        .await
        .unwrap();
    s.delete_client("r", "c1").await.unwrap();
    assert!(s.client_keys("c1").await.unwrap().is_empty());
    assert_eq!(s.client_keys("c2").await.unwrap().len(), 1);
    s.delete_realm("q").await.unwrap();
    assert!(s.client_keys("c3").await.unwrap().is_empty());
}

/// `sso_version`: every change of what SSO keeps in memory (a realm, its sign-in policy, a
/// client, a realm key, a client key) changes it, and reading changes nothing.
pub async fn sso_version<S: IdpStore>(s: S) {
    let last = std::cell::Cell::new(s.sso_version().await.unwrap());
    let changed = |v: i64, what: &str| {
        assert!(
            v > last.get(),
            "{what} must change the SSO version ({} -> {v})",
            last.get()
        );
        last.set(v);
    };
    let mut r = Realm {
        name: "sv".into(),
        display_name: "sv".into(),
        enabled: true,
        assertion_lifespan_secs: 300,
        created_at: t(0),
    };
    s.create_realm(&r).await.unwrap();
    changed(s.sso_version().await.unwrap(), "a new realm");
    r.enabled = false;
    s.update_realm(&r).await.unwrap();
    changed(s.sso_version().await.unwrap(), "a realm edit");
    s.set_auth_policy("sv", "second-factor").await.unwrap();
    changed(s.sso_version().await.unwrap(), "a sign-in policy");
    s.add_key(&key("rk1", "sv", KeyStatus::Active, 1))
        .await
        .unwrap();
    changed(s.sso_version().await.unwrap(), "a realm key");
    s.add_key(&key("rk2", "sv", KeyStatus::Next, 2))
        .await
        .unwrap();
    s.promote_key("sv", "rk2").await.unwrap();
    changed(s.sso_version().await.unwrap(), "a promotion");
    let mut c = client("svc", "sv", "https://sp.sv/");
    s.create_client(&c).await.unwrap();
    changed(s.sso_version().await.unwrap(), "a new client");
    c.enabled = false;
    s.update_client(&c).await.unwrap();
    changed(s.sso_version().await.unwrap(), "a client edit");
    s.add_client_key("svc", &key("ck1", "sv", KeyStatus::Next, 3))
        .await
        .unwrap();
    changed(s.sso_version().await.unwrap(), "a client key");
    s.promote_client_key("svc", "ck1").await.unwrap();
    changed(s.sso_version().await.unwrap(), "a client key promotion");
    // Reading changes nothing.
    let _ = s.realm("sv").await.unwrap();
    let _ = s.client("sv", "https://sp.sv/").await.unwrap();
    let _ = s.client_keys("svc").await.unwrap();
    assert_eq!(s.sso_version().await.unwrap(), last.get());
    s.delete_client("sv", "svc").await.unwrap();
    changed(s.sso_version().await.unwrap(), "a deleted client");
    s.delete_realm("sv").await.unwrap();
    changed(s.sso_version().await.unwrap(), "a deleted realm");
}
