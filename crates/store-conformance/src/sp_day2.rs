//! The service provider's day-2 writes: rename and delete an account (everything of it goes,
//! nothing of another account), rename a role (its mappings follow), remap and unmap a group,
//! edit and remove SAML accounts, reset and remove native users (never the last master
//! administrator, even when two removals race).

use symbolon_store::StoreError;
use symbolon_store::sp::*;
use time::OffsetDateTime;

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

fn user(id: &str, account: &str, email: &str, master: bool) -> NativeUser {
    NativeUser {
        id: id.into(),
        account_id: account.into(),
        email: email.into(),
        display_name: None,
        master,
        role_id: None,
        created_at: t(0),
    }
}

fn idp(id: &str, account: &str) -> IdpConfig {
    IdpConfig {
        id: id.into(),
        account_id: account.into(),
        name: format!("idp-{id}"),
        description: None,
        entity_id: "https://idp.test".into(),
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
    }
}

fn not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::NotFound(..)))
}

/// Day-2 writes of the service provider's traits. Uses accounts `d2-*`.
pub async fn sp_day2<S: SpStore + Clone + 'static>(s: S) {
    for acc in ["d2-a", "d2-b"] {
        s.create_account(
            &Account {
                id: acc.into(),
                name: acc.into(),
                created_at: t(0),
            },
            &[
                role(&format!("{acc}-r1"), acc, "Full Access"),
                role(&format!("{acc}-r2"), acc, "Night shift"),
            ],
        )
        .await
        .unwrap();
        s.create_idp(&idp(&format!("{acc}-i"), acc)).await.unwrap();
        s.add_mapping(&GroupMapping {
            idp_id: format!("{acc}-i"),
            account_id: acc.into(),
            group: "/ops".into(),
            role_id: format!("{acc}-r2"),
            role_name: "Night shift".into(),
        })
        .await
        .unwrap();
        s.add_saml_account(&SamlAccount {
            account_id: acc.into(),
            name: "bob@corp.test".into(),
            role_id: format!("{acc}-r1"),
            description: None,
        })
        .await
        .unwrap();
        for (id, email) in [("m1", "m1@corp.test"), ("m2", "m2@corp.test")] {
            s.create_native_user(&user(&format!("{acc}-{id}"), acc, email, true), "h")
                .await
                .unwrap();
        }
        s.create_native_user(&user(&format!("{acc}-u"), acc, "u@corp.test", false), "h")
            .await
            .unwrap();
        s.audit(&AuditEntry {
            account_id: acc.into(),
            at: t(1),
            principal: "p".into(),
            action: "Admin".into(),
            detail: "x".into(),
        })
        .await
        .unwrap();
    }

    // Accounts: rename; unknown is NotFound.
    s.rename_account("d2-a", "Acme Two").await.unwrap();
    assert_eq!(s.account("d2-a").await.unwrap().unwrap().name, "Acme Two");
    assert!(not_found(s.rename_account("d2-none", "x").await));

    // Roles: a rename carries the mappings' shown name; a taken name is a Conflict.
    s.rename_account_role("d2-a", "d2-a-r2", "Nights")
        .await
        .unwrap();
    let m = s.mappings("d2-a-i").await.unwrap();
    assert_eq!(m[0].role_name, "Nights");
    assert_eq!(
        s.mappings("d2-b-i").await.unwrap()[0].role_name,
        "Night shift"
    );
    assert!(matches!(
        s.rename_account_role("d2-a", "d2-a-r2", "Full Access")
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(not_found(
        s.rename_account_role("d2-b", "d2-a-r2", "X").await
    ));

    // Mappings: point at another role, remove; another account's group is not touched.
    s.set_mapping_role("d2-a", "/ops", "d2-a-r1", "Full Access")
        .await
        .unwrap();
    let m = s.mappings("d2-a-i").await.unwrap();
    assert_eq!(
        (m[0].role_id.as_str(), m[0].role_name.as_str()),
        ("d2-a-r1", "Full Access")
    );
    assert!(not_found(
        s.set_mapping_role("d2-a", "/nope", "d2-a-r1", "x").await
    ));
    s.remove_mapping("d2-a", "/ops").await.unwrap();
    assert!(s.mappings("d2-a-i").await.unwrap().is_empty());
    assert!(not_found(s.remove_mapping("d2-a", "/ops").await));
    assert_eq!(s.mappings("d2-b-i").await.unwrap().len(), 1);

    // SAML accounts: edit, remove.
    s.update_saml_account(&SamlAccount {
        account_id: "d2-a".into(),
        name: "bob@corp.test".into(),
        role_id: "d2-a-r2".into(),
        description: Some("contractor".into()),
    })
    .await
    .unwrap();
    let sa = s.saml_accounts("d2-a").await.unwrap();
    assert_eq!(sa[0].role_id, "d2-a-r2");
    assert_eq!(sa[0].description.as_deref(), Some("contractor"));
    assert!(not_found(
        s.update_saml_account(&SamlAccount {
            name: "nobody@corp.test".into(),
            ..sa[0].clone()
        })
        .await
    ));
    s.remove_saml_account("d2-a", "bob@corp.test")
        .await
        .unwrap();
    assert!(s.saml_accounts("d2-a").await.unwrap().is_empty());
    assert!(not_found(
        s.remove_saml_account("d2-a", "bob@corp.test").await
    ));
    assert_eq!(s.saml_accounts("d2-b").await.unwrap().len(), 1);

    // Native users: list, reset, remove; the last master administrator stays, also when two
    // removals race.
    let users = s.native_users("d2-a").await.unwrap();
    assert_eq!(
        users.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(),
        ["m1@corp.test", "m2@corp.test", "u@corp.test"]
    );
    s.set_native_password("d2-a", "d2-a-u", "h2").await.unwrap();
    let by_email = s.native_users_by_email("u@corp.test").await.unwrap();
    assert!(by_email.iter().any(|(u, h)| u.id == "d2-a-u" && h == "h2"));
    assert!(by_email.iter().any(|(u, h)| u.id == "d2-b-u" && h == "h"));
    assert!(not_found(
        s.set_native_password("d2-b", "d2-a-u", "h3").await
    ));
    assert!(s.remove_native_user("d2-a", "d2-a-u").await.unwrap());
    assert!(not_found(s.remove_native_user("d2-a", "d2-a-u").await));
    let (x, y) = (s.clone(), s.clone());
    let (r1, r2) = tokio::join!(
        tokio::spawn(async move { x.remove_native_user("d2-a", "d2-a-m1").await }),
        tokio::spawn(async move { y.remove_native_user("d2-a", "d2-a-m2").await }),
    );
    let removed = [r1.unwrap().unwrap(), r2.unwrap().unwrap()];
    assert_eq!(
        removed.iter().filter(|r| **r).count(),
        1,
        "exactly one of two racing removals of the last two masters succeeds"
    );
    assert_eq!(s.native_users("d2-a").await.unwrap().len(), 1);

    // Account names are unique whatever their case and surrounding spaces: the store refuses a
    // twin on create and on rename (the domain says so first; this stops a concurrent one).
    let twin = |id: &str, name: &str| Account {
        id: id.into(),
        name: name.into(),
        created_at: t(2),
    };
    for name in ["ACME TWO", " acme two ", "Acme  Two"] {
        let r = s.create_account(&twin("d2-twin", name), &[]).await;
        assert!(matches!(r, Err(StoreError::Conflict(_))), "{name:?}: {r:?}");
    }
    assert!(
        s.account("d2-twin").await.unwrap().is_none(),
        "nothing of a refused create"
    );
    assert!(matches!(
        s.rename_account("d2-b", "acme two").await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.account("d2-b").await.unwrap().unwrap().name, "d2-b");
    s.rename_account("d2-a", "ACME TWO").await.unwrap();
    s.rename_account("d2-a", "Acme Two").await.unwrap();

    // Deleting an account takes everything of it and nothing of another.
    s.delete_account("d2-a").await.unwrap();
    assert!(s.account("d2-a").await.unwrap().is_none());
    assert!(s.account_roles("d2-a").await.unwrap().is_empty());
    assert!(s.native_users("d2-a").await.unwrap().is_empty());
    assert!(s.idps("d2-a").await.unwrap().is_empty());
    assert!(s.mappings("d2-a-i").await.unwrap().is_empty());
    assert!(s.audit_log("d2-a").await.unwrap().is_empty());
    assert!(not_found(s.delete_account("d2-a").await));
    // Its name is free again.
    s.create_account(&twin("d2-c", "acme two"), &[])
        .await
        .unwrap();
    s.delete_account("d2-c").await.unwrap();
    assert_eq!(s.account_roles("d2-b").await.unwrap().len(), 2);
    assert_eq!(s.native_users("d2-b").await.unwrap().len(), 3);
    assert_eq!(s.mappings("d2-b-i").await.unwrap().len(), 1);
    assert_eq!(s.audit_log("d2-b").await.unwrap().len(), 1);
}
