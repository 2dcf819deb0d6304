//! SCIM provisioning storage: users unique by userName (without case) per account, versions
//! compared and set, membership only within one account, removal remembered, everything of an
//! account gone with it, and the configuration version bumped by each change.

use symbolon_store::StoreError;
use symbolon_store::scim::*;
use symbolon_store::sp::*;
use time::OffsetDateTime;

fn t(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + s).unwrap()
}

fn user(id: &str, account: &str, name: &str) -> ScimUser {
    ScimUser {
        id: id.into(),
        account_id: account.into(),
        user_name: name.into(),
        external_id: Some(format!("ext-{id}")),
        name_id: name.to_lowercase(),
        active: true,
        version: 1,
        created_at: t(0),
        modified_at: t(0),
        doc: format!("{{\"userName\":\"{name}\"}}"),
    }
}

fn group(id: &str, account: &str, name: &str) -> ScimGroup {
    ScimGroup {
        id: id.into(),
        account_id: account.into(),
        display_name: name.into(),
        external_id: None,
        version: 1,
        created_at: t(0),
        modified_at: t(0),
        doc: format!("{{\"displayName\":\"{name}\"}}"),
    }
}

async fn account<S: SpStore>(s: &S, id: &str) {
    s.create_account(
        &Account {
            id: id.into(),
            name: format!("Account {id}"),
            created_at: t(0),
        },
        &[],
    )
    .await
    .unwrap();
}

pub async fn scim<S: SpStore>(s: S) {
    account(&s, "a").await;
    account(&s, "b").await;
    let v0 = s.sp_config_version().await.unwrap();
    s.create_scim_user(&user("u1", "a", "Bob@Example.com"))
        .await
        .unwrap();
    assert!(
        s.sp_config_version().await.unwrap() > v0,
        "the ACS must see provisioning"
    );
    // The same userName without case is taken in that account, free in another.
    let dup = s
        .create_scim_user(&user("u2", "a", "bob@example.COM"))
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    s.create_scim_user(&user("u9", "b", "bob@example.com"))
        .await
        .unwrap();
    s.create_scim_user(&user("u2", "a", "carol")).await.unwrap();
    assert_eq!(
        s.scim_user_by_name("a", "BOB@example.com")
            .await
            .unwrap()
            .map(|u| u.id),
        Some("u1".into())
    );
    assert!(
        s.scim_user("b", "u1").await.unwrap().is_none(),
        "another account's user"
    );
    assert_eq!(s.scim_users("a").await.unwrap().len(), 2);

    // Compare-and-set.
    let mut u = s.scim_user("a", "u1").await.unwrap().unwrap();
    u.active = false;
    u.version = 2;
    assert!(s.replace_scim_user(&u, 1).await.unwrap());
    assert!(
        !s.replace_scim_user(&u, 1).await.unwrap(),
        "a stale version writes nothing"
    );
    let got = s.scim_user("a", "u1").await.unwrap().unwrap();
    assert!(!got.active);
    assert_eq!(got.version, 2);
    let mut renamed = got.clone();
    renamed.user_name = "CAROL".into();
    renamed.version = 3;
    assert!(matches!(
        s.replace_scim_user(&renamed, 2).await,
        Err(StoreError::Conflict(_))
    ));
    let mut ghost = user("nope", "a", "x");
    ghost.version = 2;
    assert!(matches!(
        s.replace_scim_user(&ghost, 1).await,
        Err(StoreError::NotFound(..))
    ));

    // Groups: members of the same account only, in the order they joined.
    s.create_scim_group(&group("g1", "a", "Admins"), &["u2".into(), "u1".into()])
        .await
        .unwrap();
    assert_eq!(
        s.scim_group_members("a", "g1").await.unwrap(),
        vec!["u2".to_string(), "u1".to_string()]
    );
    let cross = s
        .create_scim_group(&group("g2", "a", "Cross"), &["u9".into()])
        .await;
    assert!(
        cross.is_err(),
        "a user of account b joined a group of account a"
    );
    assert!(
        s.scim_group("a", "g2").await.unwrap().is_none(),
        "nothing half-written"
    );
    let mut g = s.scim_group("a", "g1").await.unwrap().unwrap();
    g.display_name = "Operators".into();
    g.version = 2;
    assert!(
        s.replace_scim_group(&g, 1, &[], &["u2".to_string()])
            .await
            .unwrap()
    );
    assert!(!s.replace_scim_group(&g, 1, &[], &[]).await.unwrap());
    assert_eq!(
        s.scim_memberships("a").await.unwrap(),
        vec![("g1".to_string(), "u1".to_string())]
    );
    // A user's groups are part of the user: joining, leaving, a renamed group change its version.
    let v = |id: &str| {
        let s = s.clone();
        let id = id.to_string();
        async move { s.scim_user("a", &id).await.unwrap().unwrap().version }
    };
    assert_eq!(
        s.scim_groups_of("a", "u1").await.unwrap(),
        vec![("g1".to_string(), "Operators".to_string())]
    );
    assert!(s.scim_groups_of("a", "u2").await.unwrap().is_empty());
    assert!(
        s.scim_groups_of("b", "u1").await.unwrap().is_empty(),
        "another account"
    );
    assert_eq!(v("u2").await, 3, "created (1), joined g1 (2), left g1 (3)");
    assert_eq!(
        v("u1").await,
        4,
        "2 after the replace, +1 joined g1, +1 renamed g1"
    );
    let many: Vec<String> = (0..3000).map(|i| format!("m{i}")).collect();
    for m in &many {
        s.create_scim_user(&user(m, "a", m)).await.unwrap();
    }
    g.version = 3;
    assert!(s.replace_scim_group(&g, 2, &many, &[]).await.unwrap());
    assert_eq!(s.scim_group_members("a", "g1").await.unwrap().len(), 3001);

    // Deleting a user drops its memberships and remembers its NameID until it comes back.
    s.delete_scim_user("a", "u1").await.unwrap();
    assert!(matches!(
        s.delete_scim_user("a", "u1").await,
        Err(StoreError::NotFound(..))
    ));
    assert_eq!(
        s.scim_removed("a").await.unwrap(),
        vec!["bob@example.com".to_string()]
    );
    assert!(s.scim_removed("b").await.unwrap().is_empty());
    assert_eq!(s.scim_group_members("a", "g1").await.unwrap().len(), 3000);
    s.create_scim_user(&user("u3", "a", "bob@example.com"))
        .await
        .unwrap();
    assert!(s.scim_removed("a").await.unwrap().is_empty());

    // Settings.
    assert_eq!(
        s.scim_settings("a").await.unwrap(),
        ScimSettings::default_for("a")
    );
    let set = ScimSettings {
        account_id: "a".into(),
        name_source: "emails".into(),
        default_role_id: Some("r1".into()),
    };
    s.set_scim_settings(&set).await.unwrap();
    s.set_scim_settings(&set).await.unwrap();
    assert_eq!(s.scim_settings("a").await.unwrap(), set);

    // Deleting a group, then the account: nothing of it remains, account b untouched.
    s.delete_scim_group("a", "g1", t(9)).await.unwrap();
    assert!(matches!(
        s.delete_scim_group("a", "g1", t(9)).await,
        Err(StoreError::NotFound(..))
    ));
    s.create_scim_group(&group("g3", "a", "Left"), &["u2".into()])
        .await
        .unwrap();
    s.delete_account("a").await.unwrap();
    assert!(s.scim_users("a").await.unwrap().is_empty());
    assert!(s.scim_groups("a").await.unwrap().is_empty());
    assert!(s.scim_memberships("a").await.unwrap().is_empty());
    assert_eq!(
        s.scim_settings("a").await.unwrap(),
        ScimSettings::default_for("a")
    );
    assert_eq!(s.scim_users("b").await.unwrap().len(), 1);
}
