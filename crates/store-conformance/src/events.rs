//! `EventStore::events_page`: a realm's events paged by the database.

use symbolon_store::*;
use time::OffsetDateTime;

fn t(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + s).unwrap()
}

/// Newest first; pages that add up to the total; the kind filter; search in the detail, the
/// actor and the client (any ASCII case, `%` and `_` literal); only the realm's events.
pub async fn events_page<S: IdpStore>(s: S) {
    for r in ["ev", "other"] {
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
    for i in 0..30i64 {
        s.record(&Event {
            realm: "ev".into(),
            at: t(i),
            kind: if i % 3 == 0 { "ADMIN" } else { "LOGIN" }.into(),
            actor: (i % 2 == 0).then(|| format!("User{i:02}")),
            client_id: (i == 5).then(|| "https://App.test/metadata".into()),
            detail: if i == 7 {
                "refused (reference 3F9C0A1B2D) 100%_sure".into()
            } else {
                format!("event {i:02}")
            },
        })
        .await
        .unwrap();
    }
    s.record(&Event {
        realm: "other".into(),
        at: t(100),
        kind: "ADMIN".into(),
        actor: Some("User00".into()),
        client_id: None,
        detail: "event 00".into(),
    })
    .await
    .unwrap();
    let details = |v: &[Event]| v.iter().map(|e| e.detail.clone()).collect::<Vec<_>>();
    let mut all = Vec::new();
    for offset in [0, 12, 24, 36] {
        let (page, total) = s.events_page("ev", None, "", offset, 12).await.unwrap();
        assert_eq!(total, 30);
        assert!(page.len() <= 12);
        all.extend(page);
    }
    assert_eq!(all.len(), 30);
    assert!(all.windows(2).all(|w| w[0].at > w[1].at), "newest first");
    assert_eq!(all[0].detail, "event 29");

    let (admin, total) = s
        .events_page("ev", Some("ADMIN"), "", 0, 100)
        .await
        .unwrap();
    assert_eq!(total, 10);
    assert!(admin.iter().all(|e| e.kind == "ADMIN"));

    // Search: the detail (a reference from an error page), the actor, the client, any case.
    let (found, total) = s
        .events_page("ev", None, "3f9c0a1b2d", 0, 100)
        .await
        .unwrap();
    assert_eq!(
        (details(&found), total),
        (
            vec!["refused (reference 3F9C0A1B2D) 100%_sure".to_string()],
            1
        )
    );
    let (found, _) = s.events_page("ev", None, "user04", 0, 100).await.unwrap();
    assert_eq!(details(&found), ["event 04"]);
    let (found, _) = s.events_page("ev", None, "app.TEST", 0, 100).await.unwrap();
    assert_eq!(details(&found), ["event 05"]);
    let (found, _) = s.events_page("ev", None, "0%_", 0, 100).await.unwrap();
    assert_eq!(found.len(), 1, "% and _ are characters, not wildcards");
    let (found, total) = s.events_page("ev", None, "t_0", 0, 100).await.unwrap();
    assert!(found.is_empty() && total == 0);
    // Search and kind together; past the end; another realm's events never show.
    let (found, total) = s
        .events_page("ev", Some("LOGIN"), "user0", 0, 100)
        .await
        .unwrap();
    assert_eq!(details(&found), ["event 08", "event 04", "event 02"]);
    assert_eq!(total, 3);
    let (past, total) = s.events_page("ev", None, "", 1000, 10).await.unwrap();
    assert!(past.is_empty() && total == 30);
    let (other, total) = s.events_page("other", None, "", 0, u64::MAX).await.unwrap();
    assert_eq!((other.len(), total), (1, 1));
    let (none, total) = s.events_page("nope", None, "", 0, 10).await.unwrap();
    assert!(none.is_empty() && total == 0);
}
