//! Short-lived shared state: values with expiry, single-use takes, failure windows and leases.

use symbolon_store::StateStore;
use time::OffsetDateTime;

fn t(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + s).unwrap()
}

/// The `StateStore` contract, one step at a time.
pub async fn state<S: StateStore>(s: S) {
    // Values: put, read, replace, expire, kinds apart.
    assert_eq!(s.state("k", "a", t(0)).await.unwrap(), None);
    s.put_state("k", "a", "one", t(10)).await.unwrap();
    assert_eq!(
        s.state("k", "a", t(0)).await.unwrap().as_deref(),
        Some("one")
    );
    assert_eq!(
        s.state("other", "a", t(0)).await.unwrap(),
        None,
        "kinds are apart"
    );
    s.put_state("k", "a", "two", t(20)).await.unwrap();
    assert_eq!(
        s.state("k", "a", t(15)).await.unwrap().as_deref(),
        Some("two")
    );
    assert_eq!(
        s.state("k", "a", t(20)).await.unwrap(),
        None,
        "expired at its time"
    );
    // Single-use takes.
    s.put_state("k", "b", "once", t(10)).await.unwrap();
    assert_eq!(
        s.take_state("k", "b", t(0)).await.unwrap().as_deref(),
        Some("once")
    );
    assert_eq!(
        s.take_state("k", "b", t(0)).await.unwrap(),
        None,
        "taken once"
    );
    s.put_state("k", "c", "late", t(10)).await.unwrap();
    assert_eq!(
        s.take_state("k", "c", t(11)).await.unwrap(),
        None,
        "an expired value is not taken"
    );
    assert_eq!(s.state("k", "c", t(0)).await.unwrap(), None, "…and is gone");
    // Delete.
    s.put_state("k", "d", "x", t(10)).await.unwrap();
    s.delete_state("k", "d").await.unwrap();
    s.delete_state("k", "never").await.unwrap();
    assert_eq!(s.state("k", "d", t(0)).await.unwrap(), None);
    // Listing by key prefix: only unexpired, only that kind, by key; `%` and `_` are literal.
    s.put_state("sess", "u1:b", "2", t(100)).await.unwrap();
    s.put_state("sess", "u1:a", "1", t(100)).await.unwrap();
    s.put_state("sess", "u1:old", "x", t(5)).await.unwrap();
    s.put_state("sess", "u10:a", "other user", t(100))
        .await
        .unwrap();
    s.put_state("sess", "u%:a", "literal", t(100))
        .await
        .unwrap();
    s.put_state("other", "u1:c", "other kind", t(100))
        .await
        .unwrap();
    assert_eq!(
        s.list_state("sess", "u1:", t(10)).await.unwrap(),
        vec![
            ("u1:a".to_string(), "1".to_string()),
            ("u1:b".to_string(), "2".to_string())
        ]
    );
    assert_eq!(s.list_state("sess", "u%:", t(10)).await.unwrap().len(), 1);
    assert!(
        s.list_state("sess", "nobody:", t(10))
            .await
            .unwrap()
            .is_empty()
    );
    // Failure windows.
    assert_eq!(s.count_failure("u", t(0), t(60)).await.unwrap(), 1);
    assert_eq!(s.count_failure("u", t(1), t(61)).await.unwrap(), 2);
    assert_eq!(
        s.count_failure("v", t(1), t(61)).await.unwrap(),
        1,
        "keys are apart"
    );
    assert_eq!(s.count_failure("u", t(59), t(119)).await.unwrap(), 3);
    assert_eq!(
        s.count_failure("u", t(60), t(120)).await.unwrap(),
        1,
        "a new window restarts"
    );
    s.clear_failures("u").await.unwrap();
    assert_eq!(s.count_failure("u", t(61), t(121)).await.unwrap(), 1);
    // Leases.
    assert!(s.acquire_lease("job", "a", t(0), t(10)).await.unwrap());
    assert!(
        !s.acquire_lease("job", "b", t(5), t(15)).await.unwrap(),
        "held by a"
    );
    assert!(
        s.acquire_lease("job", "a", t(5), t(15)).await.unwrap(),
        "a renews"
    );
    assert!(!s.acquire_lease("job", "b", t(14), t(24)).await.unwrap());
    assert!(
        s.acquire_lease("job", "b", t(15), t(25)).await.unwrap(),
        "expired: b takes over"
    );
    assert!(!s.acquire_lease("job", "a", t(16), t(26)).await.unwrap());
    assert!(
        s.acquire_lease("other", "a", t(16), t(26)).await.unwrap(),
        "jobs are apart"
    );
    // A graceful shutdown gives up its leases: the next holder need not wait for them to end.
    assert!(s.acquire_lease("third", "a", t(16), t(26)).await.unwrap());
    assert_eq!(s.release_leases("a").await.unwrap(), 2, "other and third");
    assert_eq!(s.release_leases("a").await.unwrap(), 0);
    assert!(
        s.acquire_lease("other", "d", t(17), t(27)).await.unwrap(),
        "released: free at once"
    );
    assert!(
        !s.acquire_lease("job", "d", t(17), t(27)).await.unwrap(),
        "b's lease is not a's to give up"
    );
    // Purge drops only what expired.
    s.put_state("k", "keep", "x", t(1000)).await.unwrap();
    assert!(s.purge_state(t(500)).await.unwrap() >= 1);
    assert_eq!(
        s.state("k", "keep", t(0)).await.unwrap().as_deref(),
        Some("x")
    );
    assert!(
        s.acquire_lease("job", "c", t(500), t(510)).await.unwrap(),
        "purged leases are free"
    );
}

/// Concurrent takes of one value give it to one caller; concurrent failures all count; of
/// concurrent lease requests one wins.
pub async fn concurrent_state<S: StateStore + Clone + Send + Sync + 'static>(s: S) {
    for round in 0..10 {
        let key = format!("r{round}");
        s.put_state("flow", &key, "v", t(100)).await.unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (s, key) = (s.clone(), key.clone());
                tokio::spawn(async move {
                    let took = s.take_state("flow", &key, t(0)).await.unwrap().is_some();
                    let n = s.count_failure(&key, t(0), t(100)).await.unwrap();
                    let lease = s
                        .acquire_lease(&key, &format!("holder{i}"), t(0), t(100))
                        .await
                        .unwrap();
                    (took, n, lease)
                })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        assert_eq!(
            results.iter().filter(|r| r.0).count(),
            1,
            "one take, round {round}"
        );
        let mut counts: Vec<u32> = results.iter().map(|r| r.1).collect();
        counts.sort_unstable();
        assert_eq!(
            counts,
            (1..=8).collect::<Vec<_>>(),
            "every failure counted once, round {round}"
        );
        assert_eq!(
            results.iter().filter(|r| r.2).count(),
            1,
            "one lease, round {round}"
        );
    }
}
