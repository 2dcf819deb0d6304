//! Webhooks: each owner (realm or account) sees only its own webhooks and deliveries; due
//! deliveries come oldest first with their webhook; an attempt is recorded; a webhook goes with
//! its realm or account and takes its deliveries; finished deliveries are pruned, pending ones
//! never. (And the connection pool's state, which monitoring reads.)

use symbolon_store::sp::{Account, AccountStore};
use symbolon_store::webhooks::{Delivery, DeliveryStatus, Owner, Webhook, WebhookStore};
use symbolon_store::{IdpChangeStore, PoolStore, Realm, RealmStore, Secret};
use time::OffsetDateTime;

fn t(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + s).unwrap()
}

fn hook(id: &str, owner: Owner) -> Webhook {
    Webhook {
        id: id.into(),
        owner,
        url: format!("https://{id}.test/hook"),
        allow_http: false,
        secret: Secret(format!("whsec_c2VjcmV0LXtpZH0tMDEyMzQ1Njc4OWFi{id}")),
        events: vec!["sign-in.failed".into(), "user.created".into()],
        enabled: true,
        created_at: t(0),
    }
}

fn delivery(id: &str, hook: &str, at: i64) -> Delivery {
    Delivery {
        id: id.into(),
        webhook_id: hook.into(),
        event_type: "user.created".into(),
        payload: format!("{{\"n\":\"{id}\"}}"),
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_at: t(at),
        last_code: None,
        last_error: None,
        created_at: t(at),
        finished_at: None,
    }
}

/// Uses realm `wh-realm` and account `wh-acct`.
pub async fn webhooks<S: WebhookStore + RealmStore + IdpChangeStore + AccountStore + PoolStore>(
    s: S,
) {
    // The pool's state, as monitoring reads it.
    let p = s.pool_stats();
    assert!(p.max >= 1 && p.idle <= p.size && p.size <= p.max, "{p:?}");
    s.create_realm(&Realm {
        name: "wh-realm".into(),
        display_name: "W".into(),
        enabled: true,
        assertion_lifespan_secs: 300,
        created_at: t(0),
    })
    .await
    .unwrap();
    s.create_account(
        &Account {
            id: "wh-acct".into(),
            name: "Webhooks".into(),
            created_at: t(0),
        },
        &[],
    )
    .await
    .unwrap();
    let (realm, account) = (
        Owner::Realm("wh-realm".into()),
        Owner::Account("wh-acct".into()),
    );
    let (r1, a1) = (hook("wh-r1", realm.clone()), hook("wh-a1", account.clone()));
    s.create_webhook(&r1).await.unwrap();
    s.create_webhook(&a1).await.unwrap();
    assert_eq!(s.webhooks(&realm).await.unwrap(), vec![r1.clone()]);
    assert_eq!(s.webhooks(&account).await.unwrap(), vec![a1.clone()]);
    // An owner of the other kind with the same name sees nothing.
    assert!(
        s.webhooks(&Owner::Account("wh-realm".into()))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !s.delete_webhook(&account, "wh-r1").await.unwrap(),
        "another owner's webhook"
    );

    s.enqueue(&[
        delivery("m1", "wh-r1", 10),
        delivery("m2", "wh-a1", 5),
        delivery("m3", "wh-r1", 100),
    ])
    .await
    .unwrap();
    let due = s.due_deliveries(t(50), 10).await.unwrap();
    assert_eq!(
        due.iter().map(|(d, _)| d.id.as_str()).collect::<Vec<_>>(),
        ["m2", "m1"]
    );
    assert_eq!(due[0].1, a1);
    assert_eq!(s.due_deliveries(t(50), 1).await.unwrap().len(), 1);
    let mut m1 = due[1].0.clone();
    m1.status = DeliveryStatus::Delivered;
    m1.attempts = 2;
    m1.last_code = Some(204);
    m1.finished_at = Some(t(51));
    s.update_delivery(&m1).await.unwrap();
    let mut m2 = due[0].0.clone();
    m2.attempts = 1;
    m2.last_code = Some(500);
    m2.last_error = Some("500 Internal Server Error".into());
    m2.next_at = t(200);
    s.update_delivery(&m2).await.unwrap();
    assert!(s.due_deliveries(t(50), 10).await.unwrap().is_empty());
    let log = s.deliveries(&realm, 10).await.unwrap();
    assert_eq!(
        log.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["m3", "m1"]
    );
    assert_eq!(log[1], m1);
    assert_eq!(s.deliveries(&account, 10).await.unwrap(), vec![m2.clone()]);
    // A duplicate message ID is refused, and nothing of that batch is written.
    assert!(
        s.enqueue(&[delivery("m4", "wh-r1", 1), delivery("m1", "wh-r1", 1)])
            .await
            .is_err()
    );
    assert_eq!(s.deliveries(&realm, 10).await.unwrap().len(), 2);

    // Pruning takes finished deliveries only.
    assert_eq!(s.prune_deliveries(t(1000)).await.unwrap(), 1);
    assert_eq!(s.deliveries(&realm, 10).await.unwrap().len(), 1);

    // A webhook goes with its realm, and an account's with the account, with their deliveries.
    s.delete_realm("wh-realm").await.unwrap();
    assert!(s.webhooks(&realm).await.unwrap().is_empty());
    assert!(s.deliveries(&realm, 10).await.unwrap().is_empty());
    s.delete_account("wh-acct").await.unwrap();
    assert!(s.webhooks(&account).await.unwrap().is_empty());
    assert!(s.due_deliveries(t(10_000), 10).await.unwrap().is_empty());
}
