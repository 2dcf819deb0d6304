//! The service provider's store traits.

use symbolon_store::sp::*;
use symbolon_store::{Secret, StoreError};
use time::{Duration, OffsetDateTime};

fn t(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + s).unwrap()
}

fn role(id: &str, account: &str, name: &str) -> AccountRole {
    AccountRole {
        id: id.into(),
        account_id: account.into(),
        name: name.into(),
        builtin: false,
    }
}

fn idp(id: &str, account: &str, entity: &str) -> IdpConfig {
    IdpConfig {
        id: id.into(),
        account_id: account.into(),
        name: format!("idp-{id}"),
        description: None,
        entity_id: entity.into(),
        certs: vec![vec![1, 2], vec![3]],
        sso_url: Some("https://idp/sso".into()),
        metadata_xml: "<md/>".into(),
        name_attribute: Some("displayName".into()),
        locale_attribute: None,
        timezone_attribute: None,
        role_attribute: Some("groups".into()),
        sp_initiated: false,
        allow_cbc: false,
        metadata_source: None,
        created_at: t(0),
    }
}

/// A sign-in that only consumes the assertion.
fn consumed(issuer: &str, id: &str, until: OffsetDateTime) -> SignInBatch {
    SignInBatch {
        issuer: issuer.into(),
        assertion_id: id.into(),
        until,
        user: None,
        state: vec![],
        rejections: None,
    }
}

/// The service provider's traits.
pub async fn sp<S: SpStore>(s: S) {
    let a = Account {
        id: "a".into(),
        name: "Acme".into(),
        created_at: t(0),
    };
    s.create_account(
        &a,
        &[role("r1", "a", "Full Access"), role("r2", "a", "Read Only")],
    )
    .await
    .unwrap();
    // All or nothing: a duplicate role name leaves no account behind.
    let b = Account {
        id: "b".into(),
        name: "B".into(),
        created_at: t(0),
    };
    assert!(matches!(
        s.create_account(&b, &[role("r3", "b", "X"), role("r4", "b", "X")])
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.accounts().await.unwrap(), vec![a.clone()]);
    assert_eq!(s.account("a").await.unwrap(), Some(a.clone()));
    assert!(
        s.account("b").await.unwrap().is_none(),
        "nothing of the failed account"
    );
    s.create_account(&b, &[]).await.unwrap();
    s.create_account_role(&role("r5", "b", "Full Access"))
        .await
        .unwrap();
    assert_eq!(s.account_roles("a").await.unwrap().len(), 2);
    s.delete_account_role("a", "r2").await.unwrap();
    assert!(matches!(
        s.delete_account_role("a", "r2").await,
        Err(StoreError::NotFound(..))
    ));
    assert!(
        s.delete_account_role("b", "r1").await.is_err(),
        "a role is deleted only within its account"
    );

    // Native users: one email per account, found across accounts.
    let u = NativeUser {
        id: "u1".into(),
        account_id: "a".into(),
        email: "x@corp.test".into(),
        display_name: None,
        master: true,
        role_id: None,
        created_at: t(1),
    };
    s.create_native_user(&u, "hash").await.unwrap();
    assert!(matches!(
        s.create_native_user(
            &NativeUser {
                id: "u2".into(),
                ..u.clone()
            },
            "h"
        )
        .await,
        Err(StoreError::Conflict(_))
    ));
    s.create_native_user(
        &NativeUser {
            id: "u3".into(),
            account_id: "b".into(),
            master: false,
            ..u.clone()
        },
        "h2",
    )
    .await
    .unwrap();
    let found = s.native_users_by_email("x@corp.test").await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0], (u.clone(), "hash".to_string()));

    // SAML accounts.
    let sa = SamlAccount {
        account_id: "a".into(),
        name: "x@corp.test".into(),
        role_id: "r1".into(),
        description: Some("d".into()),
    };
    s.add_saml_account(&sa).await.unwrap();
    assert!(matches!(
        s.add_saml_account(&sa).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.saml_accounts("a").await.unwrap(), vec![sa]);
    assert!(s.saml_accounts("b").await.unwrap().is_empty());

    // IdP configurations: the same entity ID in several accounts; names unique per account.
    let i1 = idp("i1", "a", "https://idp");
    s.create_idp(&i1).await.unwrap();
    s.create_idp(&idp("i2", "b", "https://idp")).await.unwrap();
    s.create_idp(&idp("i3", "b", "https://other"))
        .await
        .unwrap();
    assert!(matches!(
        s.create_idp(&IdpConfig {
            id: "i4".into(),
            ..i1.clone()
        })
        .await,
        Err(StoreError::Conflict(_))
    ));
    let both = s.idps_by_entity_id("https://idp").await.unwrap();
    assert_eq!(
        both.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["i1", "i2"]
    );
    assert_eq!(both[0], i1, "certificates and settings round-trip");
    assert_eq!(s.idp_by_id("i1").await.unwrap(), Some(i1.clone()));
    assert!(s.idp_by_id("nope").await.unwrap().is_none());
    let changed = IdpConfig {
        sp_initiated: true,
        allow_cbc: false,
        metadata_source: None,
        certs: vec![vec![7]],
        ..i1.clone()
    };
    s.update_idp(&changed).await.unwrap();
    assert_eq!(s.idps("a").await.unwrap(), vec![changed]);
    assert!(
        s.update_idp(&IdpConfig {
            account_id: "b".into(),
            ..i1.clone()
        })
        .await
        .is_err()
    );

    // Group mappings: a group maps to one role per account.
    let m = GroupMapping {
        idp_id: "i1".into(),
        account_id: "a".into(),
        group: "/eng".into(),
        role_id: "r1".into(),
        role_name: "Full Access".into(),
    };
    s.add_mapping(&m).await.unwrap();
    assert!(matches!(
        s.add_mapping(&GroupMapping {
            role_id: "r2".into(),
            ..m.clone()
        })
        .await,
        Err(StoreError::Conflict(_))
    ));
    s.add_mapping(&GroupMapping {
        idp_id: "i2".into(),
        account_id: "b".into(),
        ..m.clone()
    })
    .await
    .unwrap();
    assert_eq!(s.mappings("i1").await.unwrap(), vec![m]);
    s.remove_mapping("a", "/eng").await.unwrap();
    assert!(s.mappings("i1").await.unwrap().is_empty());
    s.delete_idp("b", "i2").await.unwrap();
    assert!(
        s.mappings("i2").await.unwrap().is_empty(),
        "mappings go with their IdP"
    );
    assert!(matches!(
        s.delete_idp("b", "i2").await,
        Err(StoreError::NotFound(..))
    ));

    // SAML users: a stable ID, updated role and last logon; pruned by last logon.
    let id = s
        .saml_user_seen("a", "x@corp.test", "Full Access", "s1", t(10))
        .await
        .unwrap();
    assert_eq!(id, "s1");
    let again = s
        .saml_user_seen("a", "x@corp.test", "Read Only", "s2", t(20))
        .await
        .unwrap();
    assert_eq!(again, "s1", "the ID is stable");
    s.saml_user_seen(
        "a",
        "old@corp.test",
        "Read Only",
        "s3",
        t(0) - Duration::days(400),
    )
    .await
    .unwrap();
    let users = s.saml_users("a").await.unwrap();
    assert_eq!(users.len(), 2);
    let x = users.iter().find(|u| u.name_id == "x@corp.test").unwrap();
    assert_eq!((x.last_role.as_str(), x.last_logon), ("Read Only", t(20)));
    // One by its NameID: exact, and this account's only.
    let one = s.saml_user("a", "x@corp.test").await.unwrap().unwrap();
    assert_eq!(
        (one.id.as_str(), one.last_role.as_str()),
        ("s1", "Read Only")
    );
    assert!(s.saml_user("a", "X@corp.test").await.unwrap().is_none());
    assert!(s.saml_user("b", "x@corp.test").await.unwrap().is_none());
    assert_eq!(
        s.prune_saml_users(t(0) - Duration::days(365))
            .await
            .unwrap(),
        1
    );
    assert_eq!(s.saml_users("a").await.unwrap().len(), 1);
    // Pages of them: searched by NameID or role, ordered, counted, this account's only.
    for i in 0..12i64 {
        let role = if i % 3 == 0 { "Auditor" } else { "Full Access" };
        s.saml_user_seen(
            "a",
            &format!("p{i:02}@corp.test"),
            role,
            &format!("sp{i}"),
            t(100 + i),
        )
        .await
        .unwrap();
    }
    let names = |v: &[SamlUser]| v.iter().map(|u| u.name_id.clone()).collect::<Vec<_>>();
    let (page, total) = s
        .saml_users_page("a", "", SamlUserOrder::NameId, 0, 5)
        .await
        .unwrap();
    assert_eq!(total, 13);
    assert_eq!(
        names(&page),
        [
            "p00@corp.test",
            "p01@corp.test",
            "p02@corp.test",
            "p03@corp.test",
            "p04@corp.test"
        ]
    );
    let (page, total) = s
        .saml_users_page("a", "AUDITOR", SamlUserOrder::LastLogon, 0, 100)
        .await
        .unwrap();
    assert_eq!(total, 4);
    assert_eq!(
        names(&page),
        [
            "p09@corp.test",
            "p06@corp.test",
            "p03@corp.test",
            "p00@corp.test"
        ]
    );
    let (page, _) = s
        .saml_users_page("a", "", SamlUserOrder::LastRole, 0, 100)
        .await
        .unwrap();
    assert_eq!(page.first().map(|u| u.last_role.as_str()), Some("Auditor"));
    let (page, total) = s
        .saml_users_page("a", "x@", SamlUserOrder::NameId, 0, 100)
        .await
        .unwrap();
    assert_eq!((names(&page), total), (vec!["x@corp.test".to_string()], 1));
    assert_eq!(
        s.saml_users_page("a", "%", SamlUserOrder::NameId, 0, 100)
            .await
            .unwrap()
            .1,
        0,
        "% is a character"
    );
    assert_eq!(
        s.saml_users_page("b", "", SamlUserOrder::NameId, 0, 100)
            .await
            .unwrap()
            .1,
        0
    );
    let (page, total) = s
        .saml_users_page("a", "", SamlUserOrder::NameId, 10, 5)
        .await
        .unwrap();
    assert_eq!((page.len(), total), (3, 13));

    // Audit log: oldest first, per account.
    for (i, action) in ["SignIn", "SwitchRole"].iter().enumerate() {
        s.audit(&AuditEntry {
            account_id: "a".into(),
            at: t(i as i64),
            principal: "urn:symbolon:identity:a:saml-user/s1".into(),
            action: (*action).into(),
            detail: String::new(),
        })
        .await
        .unwrap();
    }
    let log = s.audit_log("a").await.unwrap();
    assert_eq!(
        log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["SignIn", "SwitchRole"]
    );
    assert!(s.audit_log("b").await.unwrap().is_empty());
    // Pages of it: newest first, one action or all, the total, nothing of another account.
    for i in 0..23i64 {
        s.audit(&AuditEntry {
            account_id: "a".into(),
            at: t(10 + i),
            principal: "p".into(),
            action: if i % 2 == 0 { "Admin" } else { "SignIn" }.into(),
            detail: format!("e{i:02}"),
        })
        .await
        .unwrap();
    }
    let (page, total) = s.audit_page("a", "", 0, 10).await.unwrap();
    assert_eq!(total, 25);
    assert_eq!(page.first().map(|e| e.detail.as_str()), Some("e22"));
    assert_eq!(page.len(), 10);
    let (page, total) = s.audit_page("a", "", 20, 10).await.unwrap();
    assert_eq!(total, 25);
    assert_eq!(
        page.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["Admin", "SignIn", "Admin", "SwitchRole", "SignIn"]
    );
    let (page, total) = s.audit_page("a", "SignIn", 0, 100).await.unwrap();
    assert_eq!(total, 12);
    assert!(page.iter().all(|e| e.action == "SignIn"));
    assert_eq!(page.last().map(|e| e.detail.as_str()), Some(""));
    assert_eq!(s.audit_page("a", "Nope", 0, 10).await.unwrap(), (vec![], 0));
    assert_eq!(s.audit_page("b", "", 0, 10).await.unwrap().1, 0);
    assert_eq!(
        s.audit_actions("a").await.unwrap(),
        ["Admin", "SignIn", "SwitchRole"]
    );
    assert!(s.audit_actions("b").await.unwrap().is_empty());

    // Consumed assertions: once per (issuer, ID) until expiry.
    assert!(
        s.commit_sign_in(&consumed("https://idp", "_1", t(100)), t(0))
            .await
            .unwrap()
    );
    assert!(
        !s.commit_sign_in(&consumed("https://idp", "_1", t(100)), t(50))
            .await
            .unwrap()
    );
    assert!(
        s.commit_sign_in(&consumed("https://other", "_1", t(100)), t(50))
            .await
            .unwrap()
    );
    assert!(
        s.commit_sign_in(&consumed("https://idp", "_1", t(300)), t(200))
            .await
            .unwrap(),
        "forgotten after its expiry"
    );
    // What monitoring counts: the entries whose time has not ended.
    assert_eq!(s.replay_cache_entries(t(50)).await.unwrap(), 2);
    assert_eq!(
        s.replay_cache_entries(t(200)).await.unwrap(),
        1,
        "the two of t(100) ended"
    );
    assert_eq!(s.replay_cache_entries(t(300)).await.unwrap(), 0);

    // Traces: newest first, limited, per account.
    for i in 0..3 {
        s.record_trace(
            &Trace {
                account_id: "a".into(),
                at: t(i),
                idp_name: "idp-i1".into(),
                code: "bad_signature".into(),
                reason: format!("r{i}"),
                message: "<samlp:Response/>".into(),
                reference: "R1".into(),
            },
            100,
        )
        .await
        .unwrap();
    }
    let tr = s.traces("a", 2).await.unwrap();
    assert_eq!(
        tr.iter().map(|x| x.reason.as_str()).collect::<Vec<_>>(),
        ["r2", "r1"]
    );
    assert!(s.traces("b", 10).await.unwrap().is_empty());

    // Bounded: only the newest `keep` per account and identity provider stay; other identity
    // providers of the account are not touched. Pruned by age.
    for i in 3..10 {
        s.record_trace(
            &Trace {
                account_id: "a".into(),
                at: t(i),
                idp_name: "idp-i2".into(),
                code: "bad_signature".into(),
                reason: format!("q{i}"),
                message: "<samlp:Response/>".into(),
                reference: "R1".into(),
            },
            4,
        )
        .await
        .unwrap();
    }
    let all = s.traces("a", 100).await.unwrap();
    assert_eq!(
        all.iter().map(|x| x.reason.as_str()).collect::<Vec<_>>(),
        ["q9", "q8", "q7", "q6", "r2", "r1", "r0"]
    );
    assert_eq!(s.prune_traces(t(2)).await.unwrap(), 2);
    assert_eq!(s.traces("a", 100).await.unwrap().len(), 5);

    // API keys: found by hash, revoked within their account only.
    let key = ApiKey {
        id: "k1".into(),
        account_id: "a".into(),
        name: "ci".into(),
        key_sha256: "ab".repeat(32),
        created_at: t(0),
        revoked: false,
        scope: "scim".into(),
    };
    s.create_api_key(&key).await.unwrap();
    assert_eq!(
        s.api_key_by_hash(&"ab".repeat(32)).await.unwrap(),
        Some(key.clone())
    );
    assert!(s.api_key_by_hash(&"cd".repeat(32)).await.unwrap().is_none());
    assert!(s.revoke_api_key("b", "k1").await.is_err());
    s.revoke_api_key("a", "k1").await.unwrap();
    assert!(s.api_keys("a").await.unwrap()[0].revoked);

    // The SP key: the first one stored stays.
    assert!(s.sp_key().await.unwrap().is_none());
    let k = SpKey {
        kid: "k1".into(),
        private_key_pem: Secret("pem".into()),
        certificate_der: vec![1],
        created_at: t(0),
    };
    assert_eq!(s.init_sp_key(&k).await.unwrap(), k);
    let other = SpKey {
        kid: "k2".into(),
        ..k.clone()
    };
    assert_eq!(s.init_sp_key(&other).await.unwrap(), k);
}

/// Of concurrent consumers of one assertion, exactly one is accepted (20 rounds of 8).
pub async fn concurrent_consume<S: SpStore>(s: S) {
    for round in 0..20 {
        let id = format!("_a{round}");
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let s = s.clone();
                let id = id.clone();
                tokio::spawn(async move {
                    s.commit_sign_in(&consumed("https://idp", &id, t(100)), t(0))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut accepted = 0;
        for task in tasks {
            if task.await.unwrap() {
                accepted += 1;
            }
        }
        assert_eq!(accepted, 1, "round {round}");
    }
}
