//! The identity provider's day-2 changes (`IdpChangeStore`): realm edits and deletion, user,
//! client and group deletion with what hangs on them, membership removal, moving a group with
//! its subgroups. Nothing of another realm or user is touched.

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

fn user(realm: &str, id: &str) -> User {
    User {
        id: id.into(),
        realm: realm.into(),
        username: id.into(),
        email: None,
        first_name: None,
        last_name: None,
        enabled: true,
        attributes: vec![],
        created_at: t(1),
    }
}

fn client(realm: &str, id: &str) -> Client {
    Client {
        id: id.into(),
        realm: realm.into(),
        client_id: format!("https://{id}.test"),
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
        restricted: true,
        encryption: Default::default(),
        metadata_source: None,
        provisioning: None,
        created_at: t(1),
    }
}

fn not_found<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(StoreError::NotFound(..)))
}

/// Day-2 changes of the identity provider's traits. Uses realms `d2`, `d2-other`.
pub async fn idp_day2<S: IdpStore>(s: S) {
    for r in ["d2", "d2-other"] {
        s.create_realm(&realm(r)).await.unwrap();
        for u in ["ua", "ub"] {
            s.create_user(&user(r, &format!("{r}-{u}")), Some("h"))
                .await
                .unwrap();
        }
        s.create_client(&client(r, &format!("{r}-c")))
            .await
            .unwrap();
        for (id, path) in [
            ("g1", "/eng"),
            ("g2", "/eng/platform"),
            ("g3", "/engineering"),
        ] {
            s.create_group(&Group {
                id: format!("{r}-{id}"),
                realm: r.into(),
                path: path.into(),
            })
            .await
            .unwrap();
        }
        s.add_member(&format!("{r}-ua"), &format!("{r}-g2"))
            .await
            .unwrap();
        s.add_member(&format!("{r}-ub"), &format!("{r}-g2"))
            .await
            .unwrap();
        s.grant(&format!("{r}-c"), &Assignment::User(format!("{r}-ua")))
            .await
            .unwrap();
        s.grant(&format!("{r}-c"), &Assignment::Group(format!("{r}-g2")))
            .await
            .unwrap();
        s.create_role(&Role {
            id: format!("{r}-role"),
            realm: r.into(),
            name: "admin".into(),
            description: None,
        })
        .await
        .unwrap();
        s.grant_role(&format!("{r}-role"), &Assignment::User(format!("{r}-ua")))
            .await
            .unwrap();
        s.grant_role(&format!("{r}-role"), &Assignment::Group(format!("{r}-g2")))
            .await
            .unwrap();
    }

    // Realm edits.
    let mut r = realm("d2");
    r.display_name = "Day Two".into();
    r.enabled = false;
    s.update_realm(&r).await.unwrap();
    assert_eq!(s.realm("d2").await.unwrap().unwrap(), r);
    assert!(not_found(s.update_realm(&realm("d2-none")).await));

    // Membership.
    assert_eq!(
        s.group_member_ids("d2-g2").await.unwrap(),
        vec!["d2-ua".to_string(), "d2-ub".to_string()]
    );
    s.remove_member("d2-ub", "d2-g2").await.unwrap();
    assert_eq!(
        s.group_member_ids("d2-g2").await.unwrap(),
        vec!["d2-ua".to_string()]
    );
    assert!(not_found(s.remove_member("d2-ub", "d2-g2").await));

    // A user goes with their memberships, role grants and client assignments.
    s.delete_user("d2", "d2-ua").await.unwrap();
    assert!(s.user_by_id("d2", "d2-ua").await.unwrap().is_none());
    assert!(s.group_member_ids("d2-g2").await.unwrap().is_empty());
    assert!(
        !s.assignments("d2-c")
            .await
            .unwrap()
            .contains(&Assignment::User("d2-ua".into()))
    );
    assert!(
        !s.role_grants("d2")
            .await
            .unwrap()
            .iter()
            .any(|(_, a)| *a == Assignment::User("d2-ua".into()))
    );
    assert!(not_found(s.delete_user("d2", "d2-ua").await));
    assert!(
        not_found(s.delete_user("d2", "d2-other-ub").await),
        "not across realms"
    );
    assert!(
        s.user_by_id("d2-other", "d2-other-ua")
            .await
            .unwrap()
            .is_some()
    );

    // Renaming a role keeps its grants.
    s.rename_role("d2", "admin", "administrator").await.unwrap();
    assert_eq!(s.roles("d2").await.unwrap()[0].name, "administrator");
    assert_eq!(s.role_grants("d2").await.unwrap().len(), 1);
    assert_eq!(s.roles("d2-other").await.unwrap()[0].name, "admin");
    assert!(not_found(s.rename_role("d2", "admin", "x").await));
    s.create_role(&Role {
        id: "d2-role2".into(),
        realm: "d2".into(),
        name: "viewer".into(),
        description: None,
    })
    .await
    .unwrap();
    assert!(matches!(
        s.rename_role("d2", "viewer", "administrator").await,
        Err(StoreError::Conflict(_))
    ));

    // Moving a group moves its subgroups, not a sibling that shares a prefix.
    s.move_group("d2", "/eng", "/rnd").await.unwrap();
    let mut paths: Vec<String> = s
        .groups("d2")
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.path)
        .collect();
    paths.sort();
    assert_eq!(paths, ["/engineering", "/rnd", "/rnd/platform"]);
    assert!(matches!(
        s.move_group("d2", "/rnd", "/engineering").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(not_found(s.move_group("d2", "/nope", "/x").await));

    // Groups go with their grants and assignments.
    s.delete_groups("d2", &["d2-g1".into(), "d2-g2".into()])
        .await
        .unwrap();
    let left: Vec<String> = s
        .groups("d2")
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.path)
        .collect();
    assert_eq!(left, ["/engineering"]);
    assert!(s.assignments("d2-c").await.unwrap().is_empty());
    assert!(s.role_grants("d2").await.unwrap().is_empty());
    assert_eq!(s.role_grants("d2-other").await.unwrap().len(), 2);
    assert!(not_found(s.delete_groups("d2", &["d2-g1".into()]).await));

    // Clients.
    s.delete_client("d2", "d2-c").await.unwrap();
    assert!(s.clients("d2").await.unwrap().is_empty());
    assert!(not_found(s.delete_client("d2", "d2-c").await));
    assert!(not_found(s.delete_client("d2", "d2-other-c").await));

    // A realm goes with everything of it.
    s.record(&Event {
        realm: "d2".into(),
        at: t(3),
        kind: "ADMIN".into(),
        actor: None,
        client_id: None,
        detail: "x".into(),
    })
    .await
    .unwrap();
    s.delete_realm("d2").await.unwrap();
    assert!(s.realm("d2").await.unwrap().is_none());
    assert!(s.users("d2").await.unwrap().is_empty());
    assert!(s.groups("d2").await.unwrap().is_empty());
    assert!(s.events("d2", None, 10).await.unwrap().is_empty());
    assert!(not_found(s.delete_realm("d2").await));
    assert_eq!(s.users("d2-other").await.unwrap().len(), 2);
    assert_eq!(s.clients("d2-other").await.unwrap().len(), 1);
}

/// Outbound provisioning: the target kept with the client (the token never in `Debug`), links
/// replaced by (client, kind, local ID), status round-tripped, everything gone with the client.
pub async fn idp_provisioning<S: IdpStore>(s: S) {
    use symbolon_store::provisioning::*;
    s.create_realm(&realm("p")).await.unwrap();
    let v0 = s.idp_config_version().await.unwrap();
    let mut c = client("p", "c1");
    c.provisioning = Some(Provisioning {
        url: "https://sp.example/scim/v2".into(),
        token: "secret-token".into(),
        delete_removed: true,
        allow_http: false,
    });
    s.create_client(&c).await.unwrap();
    s.create_client(&client("p", "c2")).await.unwrap();
    let v1 = s.idp_config_version().await.unwrap();
    assert!(v1 > v0, "a new client is a change provisioning must see");
    s.create_user(&user("p", "pu1"), None).await.unwrap();
    let v2 = s.idp_config_version().await.unwrap();
    assert!(v2 > v1, "a new user too");
    let got = s
        .clients("p")
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.id == "c1")
        .unwrap();
    assert_eq!(got.provisioning, c.provisioning);
    assert!(!format!("{got:?}").contains("secret-token"));
    let link = |kind: &str, local: &str, remote: &str| ScimLink {
        client_id: "c1".into(),
        kind: kind.into(),
        local_id: local.into(),
        remote_id: remote.into(),
        digest: "d".into(),
        active: true,
    };
    s.put_scim_link(&link("user", "u1", "r1")).await.unwrap();
    s.put_scim_link(&link("group", "g1", "rg1")).await.unwrap();
    let mut again = link("user", "u1", "r1");
    again.active = false;
    again.digest = "e".into();
    s.put_scim_link(&again).await.unwrap();
    let links = s.scim_links("c1").await.unwrap();
    assert_eq!(links.len(), 2);
    assert!(links.contains(&again));
    assert!(s.scim_links("c2").await.unwrap().is_empty());
    s.delete_scim_link("c1", "group", "g1").await.unwrap();
    assert_eq!(s.scim_links("c1").await.unwrap(), vec![again]);
    assert_eq!(
        s.provisioning_status("c1").await.unwrap(),
        ProvisioningStatus::default()
    );
    let st = ProvisioningStatus {
        last_run: Some(t(5)),
        last_error: Some("503 from the SP".into()),
        failures: 2,
        users: 1,
        ..Default::default()
    };
    let before = s.idp_config_version().await.unwrap();
    s.set_provisioning_status("c1", &st).await.unwrap();
    s.set_provisioning_status("c1", &st).await.unwrap();
    s.put_scim_link(&link("user", "u2", "r2")).await.unwrap();
    assert_eq!(
        s.idp_config_version().await.unwrap(),
        before,
        "links and status are not a change of what provisioning reads"
    );
    s.delete_scim_link("c1", "user", "u2").await.unwrap();
    assert_eq!(s.provisioning_status("c1").await.unwrap(), st);
    s.delete_client("p", "c1").await.unwrap();
    assert!(s.scim_links("c1").await.unwrap().is_empty());
    assert_eq!(
        s.provisioning_status("c1").await.unwrap(),
        ProvisioningStatus::default()
    );
}

/// With a key cipher, a client's outbound SCIM token is sealed at rest (bound to the client):
/// `sealed` reads it back, `plain` (the same database without the secret) cannot read the
/// client at all rather than see the token.
pub async fn idp_provisioning_sealed<S: IdpStore>(sealed: S, plain: S) {
    use symbolon_store::provisioning::Provisioning;
    sealed.create_realm(&realm("sealed")).await.unwrap();
    let mut c = client("sealed", "sc1");
    c.provisioning = Some(Provisioning {
        url: "https://sp.example/scim/v2".into(),
        token: "the-bearer-token".into(),
        delete_removed: false,
        allow_http: false,
    });
    sealed.create_client(&c).await.unwrap();
    let got = sealed.clients("sealed").await.unwrap();
    assert_eq!(got[0].provisioning, c.provisioning);
    assert!(
        plain.clients("sealed").await.is_err(),
        "the token is not stored in clear"
    );
    // A client without a target reads the same either way.
    sealed
        .create_client(&client("sealed", "sc2"))
        .await
        .unwrap();
    sealed.delete_client("sealed", "sc1").await.unwrap();
    assert_eq!(plain.clients("sealed").await.unwrap().len(), 1);
}

/// `users_page`: search by username, email or name (any ASCII case, `%` and `_` taken
/// literally), every order, pages that add up to the total, and only the realm's users.
pub async fn users_page<S: IdpStore>(s: S) {
    s.create_realm(&realm("pg")).await.unwrap();
    s.create_realm(&realm("other")).await.unwrap();
    for i in 0..25u32 {
        let mut u = user("pg", &format!("u{i:02}"));
        u.email = (i % 5 != 0).then(|| format!("user{i:02}@corp{}.test", i % 3));
        u.first_name = Some(format!("first{:02}", 24 - i));
        u.last_name = Some(if i == 7 {
            "Percent%Name".into()
        } else {
            "last".into()
        });
        u.enabled = i % 4 != 0;
        s.create_user(&u, None).await.unwrap();
    }
    s.create_user(&user("other", "u99"), None).await.unwrap();
    let page = |search: &str, order: UserOrder, offset: u64, limit: u64| UserPage {
        search: search.into(),
        order,
        offset,
        limit,
    };
    let names = |v: &[User]| v.iter().map(|u| u.username.clone()).collect::<Vec<_>>();
    // Everyone, in pages of 10 that add up to the realm's 25 (not the other realm's user).
    let mut all = Vec::new();
    for offset in [0, 10, 20, 30] {
        let (users, total) = s
            .users_page("pg", &page("", UserOrder::Username, offset, 10))
            .await
            .unwrap();
        assert_eq!(total, 25);
        all.extend(names(&users));
    }
    assert_eq!(all, (0..25).map(|i| format!("u{i:02}")).collect::<Vec<_>>());
    // Search: username, email (any case), "first last", and `%` literally.
    let (users, total) = s
        .users_page("pg", &page("CORP1", UserOrder::Username, 0, 100))
        .await
        .unwrap();
    assert_eq!(
        names(&users),
        ["u01", "u04", "u07", "u13", "u16", "u19", "u22"],
        "{total}"
    );
    assert_eq!(total, 7);
    let (users, _) = s
        .users_page("pg", &page("first03 last", UserOrder::Username, 0, 100))
        .await
        .unwrap();
    assert_eq!(names(&users), ["u21"]);
    let (users, _) = s
        .users_page("pg", &page("t%n", UserOrder::Username, 0, 100))
        .await
        .unwrap();
    assert_eq!(names(&users), ["u07"], "% is a character, not a wildcard");
    let (users, total) = s
        .users_page("pg", &page("u_1", UserOrder::Username, 0, 100))
        .await
        .unwrap();
    assert!(users.is_empty() && total == 0, "_ is a character too");
    // Orders.
    let (users, _) = s
        .users_page("pg", &page("", UserOrder::Name, 0, 3))
        .await
        .unwrap();
    assert_eq!(names(&users), ["u24", "u23", "u22"]);
    let (users, _) = s
        .users_page("pg", &page("", UserOrder::Email, 0, 100))
        .await
        .unwrap();
    let emails: Vec<_> = users.iter().map(|u| u.email.is_some()).collect();
    assert!(emails[..20].iter().all(|e| *e) && emails[20..].iter().all(|e| !*e));
    let (users, _) = s
        .users_page("pg", &page("", UserOrder::Enabled, 0, 100))
        .await
        .unwrap();
    assert!(users[..18].iter().all(|u| u.enabled) && users[18..].iter().all(|u| !u.enabled));
    assert_eq!(users[18].username, "u00");
    // Past the end: nothing, and still the total.
    let (users, total) = s
        .users_page("pg", &page("", UserOrder::Username, 1000, 10))
        .await
        .unwrap();
    assert!(users.is_empty());
    assert_eq!(total, 25);
}

/// `clients_page`: search by client ID, display name or URL name (any ASCII case, `%` and `_`
/// taken literally), every order (clients without a name or URL name last), pages that add up
/// to the total, and only the realm's clients.
pub async fn clients_page<S: IdpStore>(s: S) {
    s.create_realm(&realm("cp")).await.unwrap();
    s.create_realm(&realm("cp-other")).await.unwrap();
    for i in 0..23u32 {
        let mut c = client("cp", &format!("c{i:02}"));
        c.name = (i % 4 != 0).then(|| format!("App {:02}", 22 - i));
        if i == 5 {
            c.name = Some("Payroll 100%".into());
        }
        c.idp_initiated_url_name = (i % 3 == 0).then(|| format!("url-{:02}", 30 - i));
        s.create_client(&c).await.unwrap();
    }
    s.create_client(&client("cp-other", "c99")).await.unwrap();
    let page = |search: &str, order: ClientOrder, offset: u64, limit: u64| ClientPage {
        search: search.into(),
        order,
        offset,
        limit,
    };
    let ids = |v: &[Client]| v.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    // Everyone, in pages of 10 that add up to the realm's 23 (not the other realm's client),
    // as whole clients.
    let mut all = Vec::new();
    for offset in [0, 10, 20, 30] {
        let (clients, total) = s
            .clients_page("cp", &page("", ClientOrder::ClientId, offset, 10))
            .await
            .unwrap();
        assert_eq!(total, 23);
        all.extend(clients);
    }
    assert_eq!(
        ids(&all),
        (0..23).map(|i| format!("c{i:02}")).collect::<Vec<_>>()
    );
    assert_eq!(all, s.clients("cp").await.unwrap());
    // Search: the display name (any case), the URL name, the client ID; `%` literally.
    let (clients, total) = s
        .clients_page("cp", &page("app 1", ClientOrder::ClientId, 0, 100))
        .await
        .unwrap();
    assert_eq!(
        ids(&clients),
        ["c03", "c06", "c07", "c09", "c10", "c11"],
        "names App 10-19 of the clients that have one"
    );
    assert_eq!(total, 6);
    let (clients, _) = s
        .clients_page("cp", &page("URL-2", ClientOrder::ClientId, 0, 100))
        .await
        .unwrap();
    assert_eq!(ids(&clients), ["c03", "c06", "c09"]);
    let (clients, _) = s
        .clients_page("cp", &page("https://c2", ClientOrder::ClientId, 0, 100))
        .await
        .unwrap();
    assert_eq!(ids(&clients), ["c20", "c21", "c22"]);
    let (clients, _) = s
        .clients_page("cp", &page("0%", ClientOrder::ClientId, 0, 100))
        .await
        .unwrap();
    assert_eq!(ids(&clients), ["c05"], "% is a character, not a wildcard");
    let (clients, total) = s
        .clients_page("cp", &page("c_1", ClientOrder::ClientId, 0, 100))
        .await
        .unwrap();
    assert!(clients.is_empty() && total == 0, "_ is a character too");
    // Orders: by name (unnamed last), by URL name (none last).
    let (clients, _) = s
        .clients_page("cp", &page("", ClientOrder::Name, 0, 100))
        .await
        .unwrap();
    assert_eq!(ids(&clients[..3]), ["c22", "c21", "c19"]);
    assert_eq!(clients[16].id, "c05", "Payroll after the Apps");
    assert!(clients[17..].iter().all(|c| c.name.is_none()));
    assert_eq!(
        ids(&clients[17..]),
        ["c00", "c04", "c08", "c12", "c16", "c20"]
    );
    let (clients, _) = s
        .clients_page("cp", &page("", ClientOrder::UrlName, 0, 100))
        .await
        .unwrap();
    assert_eq!(
        ids(&clients[..8]),
        ["c21", "c18", "c15", "c12", "c09", "c06", "c03", "c00"]
    );
    assert!(
        clients[8..]
            .iter()
            .all(|c| c.idp_initiated_url_name.is_none())
    );
    // Past the end: nothing, and still the total.
    let (clients, total) = s
        .clients_page("cp", &page("", ClientOrder::ClientId, 1000, 10))
        .await
        .unwrap();
    assert!(clients.is_empty());
    assert_eq!(total, 23);
}
