//! What a SCIM list and a big group cost in the protocol core: parsing a filter, matching it
//! against 10,000 users, projecting and sorting them, and a PATCH that adds 10,000 members to a
//! group of 10,000. `cargo bench -p symbolon-scim`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use symbolon_scim::filter::parse;
use symbolon_scim::resource::{attribute_list, normalize, project, sort};
use symbolon_scim::schema::{GROUP_TYPE, USER_TYPE};

fn users(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            normalize(
                &USER_TYPE,
                &json!({
                    "userName": format!("user{i}@example.com"),
                    "name": {"givenName": format!("Given{i}"), "familyName": format!("Family{}", i % 97)},
                    "emails": [{"value": format!("user{i}@example.com"), "type": "work", "primary": true}],
                    "active": i % 10 != 0,
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": format!("D{}", i % 13)}
                }),
            )
            .unwrap()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let all = users(10_000);
    let f = r#"emails[type eq "work" and value co "@example.com"] and not (active eq false) and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "d7""#;
    c.bench_function("filter/parse", |b| b.iter(|| parse(&USER_TYPE, f).unwrap()));
    let parsed = parse(&USER_TYPE, f).unwrap();
    c.bench_function("filter/match 10k users", |b| {
        b.iter(|| all.iter().filter(|u| parsed.matches(u)).count())
    });
    let attrs = attribute_list(&USER_TYPE, "userName,name.givenName,emails.value");
    c.bench_function("project 10k users", |b| {
        b.iter(|| {
            all.iter().for_each(|u| {
                std::hint::black_box(project(&USER_TYPE, u, &attrs, &[]));
            })
        })
    });
    c.bench_function("sort 10k users by name.familyName", |b| {
        b.iter_batched(
            || all.clone(),
            |mut v| sort(&USER_TYPE, &mut v, "name.familyName", false).unwrap(),
            criterion::BatchSize::LargeInput,
        )
    });
    let members: Vec<Value> = (0..10_000)
        .map(|i| json!({"value": format!("u{i}")}))
        .collect();
    let group = normalize(
        &GROUP_TYPE,
        &json!({"displayName": "Big", "members": members}),
    )
    .unwrap();
    let more: Vec<Value> = (10_000..20_000)
        .map(|i| json!({"value": format!("u{i}")}))
        .collect();
    let op = json!({"schemas": [symbolon_scim::PATCH_SCHEMA], "Operations": [{"op": "add", "path": "members", "value": more}]});
    c.bench_function("patch/add 10k members to 10k", |b| {
        b.iter_batched(
            || group.clone(),
            |mut g| {
                symbolon_scim::patch::apply(&GROUP_TYPE, &mut g, &op).unwrap();
                normalize(&GROUP_TYPE, &g).unwrap()
            },
            criterion::BatchSize::LargeInput,
        )
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
