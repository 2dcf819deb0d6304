//! What the ACS writes per response (one transaction) and the configuration version it caches
//! by.

use symbolon_store::sp::*;
use time::OffsetDateTime;

fn t(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + s).unwrap()
}

fn entry(account: &str, n: usize) -> (Trace, AuditEntry) {
    (
        Trace {
            account_id: account.into(),
            at: t(0),
            idp_name: "IdP".into(),
            code: "signature".into(),
            reason: format!("forged {n}"),
            message: "<Response/>".into(),
            reference: format!("ref-{n}"),
        },
        AuditEntry {
            account_id: account.into(),
            at: t(0),
            principal: format!("urn:symbolon:identity:{account}:idp/i"),
            action: "SignInFailed".into(),
            detail: format!("forged {n}"),
        },
    )
}

fn rejections(accounts: &[&str], n: usize, burst: u32) -> Rejections {
    Rejections {
        rate_key: "sp-trace-rate:https://idp".into(),
        burst,
        window_ends: t(600),
        dropped_kind: "sp-traces-dropped".into(),
        dropped_keys: accounts
            .iter()
            .map(|a| format!("sp-traces-dropped:{a}"))
            .collect(),
        dropped_expires: t(7 * 86_400),
        keep: 100,
        entries: accounts.iter().map(|a| entry(a, n)).collect(),
    }
}

fn batch(id: &str) -> SignInBatch {
    SignInBatch {
        issuer: "https://idp".into(),
        assertion_id: id.into(),
        until: t(300),
        user: Some(SeenUser {
            account_id: "a".into(),
            name_id: "alice@example.test".into(),
            role: "Full Access".into(),
            new_id: format!("u-{id}"),
            at: t(0),
            action: "SignIn".into(),
            detail: "alice@example.test as Full Access".into(),
        }),
        state: vec![
            StateWrite {
                kind: "sp-session".into(),
                key: format!("session-{id}"),
                value: "{}".into(),
                expires: t(3600),
            },
            StateWrite {
                kind: "sp-slo".into(),
                key: format!("idp|s-{id}"),
                value: format!("session-{id}"),
                expires: t(3600),
            },
        ],
        rejections: Some(rejections(&["b"], 0, 20)),
    }
}

/// A sign-in's writes land together, a replay writes nothing, rejections are bounded (a burst,
/// then one count per refusing account), and the configuration version moves with every change
/// the ACS decides from.
pub async fn sign_in<S: SpStore>(s: S) {
    for id in ["a", "b"] {
        s.create_account(
            &Account {
                id: id.into(),
                name: id.to_uppercase(),
                created_at: t(0),
            },
            &[AccountRole {
                id: format!("r-{id}"),
                account_id: id.into(),
                name: "Full Access".into(),
                builtin: true,
            }],
        )
        .await
        .unwrap();
    }
    // Everything of one sign-in, in one go.
    assert!(s.commit_sign_in(&batch("_1"), t(0)).await.unwrap());
    let users = s.saml_users("a").await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].id, "u-_1");
    let log = s.audit_log("a").await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].principal, saml_principal("a", "u-_1"));
    assert_eq!(
        s.state("sp-session", "session-_1", t(1)).await.unwrap(),
        Some("{}".into())
    );
    assert_eq!(
        s.state("sp-slo", "idp|s-_1", t(1)).await.unwrap(),
        Some("session-_1".into()),
        "every state write of the batch"
    );
    assert_eq!(s.traces("b", 10).await.unwrap().len(), 1);
    // A replay: nothing of it is written (no session, no audit entry, no trace).
    let mut again = batch("_1");
    again.state[0].key = "session-replay".into();
    assert!(!s.commit_sign_in(&again, t(1)).await.unwrap());
    assert_eq!(
        s.state("sp-session", "session-replay", t(1)).await.unwrap(),
        None
    );
    assert_eq!(s.audit_log("a").await.unwrap().len(), 1);
    assert_eq!(s.traces("b", 10).await.unwrap().len(), 1);
    // The same user again keeps the ID first given.
    assert!(s.commit_sign_in(&batch("_2"), t(2)).await.unwrap());
    let users = s.saml_users("a").await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].id, "u-_1");
    assert_eq!(
        s.audit_log("a").await.unwrap()[1].principal,
        saml_principal("a", "u-_1")
    );
    // Bounded: within the burst of 5 (two batches are in already), traces and audit entries;
    // beyond it only one count per refusing account, however many accounts refuse.
    for n in 0..10 {
        s.record_rejections(&rejections(&["a", "b"], n, 5), t(3))
            .await
            .unwrap();
    }
    assert_eq!(s.traces("b", 100).await.unwrap().len(), 1 + 1 + 3);
    assert_eq!(s.traces("a", 100).await.unwrap().len(), 3);
    for a in ["a", "b"] {
        assert_eq!(
            s.state("sp-traces-dropped", &format!("sp-traces-dropped:{a}"), t(4))
                .await
                .unwrap(),
            Some("7".into()),
            "{a}"
        );
    }
    // A new window starts a new burst.
    s.record_rejections(&rejections(&["a"], 99, 5), t(601))
        .await
        .unwrap();
    assert_eq!(s.traces("a", 100).await.unwrap().len(), 4);
    // The replay cache still refuses a consumed ID after purging, until it expires.
    s.purge_state(t(299)).await.unwrap();
    assert!(!s.commit_sign_in(&batch("_1"), t(299)).await.unwrap());
    s.purge_state(t(300)).await.unwrap();
    assert!(s.commit_sign_in(&batch("_1"), t(301)).await.unwrap());

    // The configuration version moves with every change the ACS reads.
    let mut v = s.sp_config_version().await.unwrap();
    let mut moved = |name: &str, now: i64| {
        assert!(now > v, "{name} did not change the configuration version");
        v = now;
    };
    s.create_idp(&IdpConfig {
        id: "i".into(),
        account_id: "a".into(),
        name: "IdP".into(),
        description: None,
        entity_id: "https://idp".into(),
        certs: vec![vec![1]],
        sso_url: None,
        metadata_xml: "<md/>".into(),
        name_attribute: None,
        locale_attribute: None,
        timezone_attribute: None,
        role_attribute: Some("groups".into()),
        sp_initiated: false,
        allow_cbc: false,
        metadata_source: None,
        created_at: t(0),
    })
    .await
    .unwrap();
    moved("create_idp", s.sp_config_version().await.unwrap());
    s.add_mapping(&GroupMapping {
        idp_id: "i".into(),
        account_id: "a".into(),
        group: "/eng".into(),
        role_id: "r-a".into(),
        role_name: "Full Access".into(),
    })
    .await
    .unwrap();
    moved("add_mapping", s.sp_config_version().await.unwrap());
    s.add_saml_account(&SamlAccount {
        account_id: "a".into(),
        name: "dave@example.test".into(),
        role_id: "r-a".into(),
        description: None,
    })
    .await
    .unwrap();
    moved("add_saml_account", s.sp_config_version().await.unwrap());
    s.rename_account_role("a", "r-a", "Everything")
        .await
        .unwrap();
    moved("rename_account_role", s.sp_config_version().await.unwrap());
    s.rename_account("a", "Acme").await.unwrap();
    moved("rename_account", s.sp_config_version().await.unwrap());
    s.remove_mapping("a", "/eng").await.unwrap();
    moved("remove_mapping", s.sp_config_version().await.unwrap());
    s.delete_idp("a", "i").await.unwrap();
    moved("delete_idp", s.sp_config_version().await.unwrap());
    // What a sign-in writes is not configuration.
    assert!(s.commit_sign_in(&batch("_3"), t(302)).await.unwrap());
    assert_eq!(s.sp_config_version().await.unwrap(), v);
}
