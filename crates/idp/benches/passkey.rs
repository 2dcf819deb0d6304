//! Passkey ceremonies at the IdP. `cargo bench -p symbolon-idp --bench passkey`
//!
//! `start_sign_in`: a discoverable-sign-in challenge (random challenge, options and state as
//! JSON). `finish_sign_in`: the browser's answer checked end to end on an in-memory SQLite store:
//! parse, credential lookup, owner and realm, ECDSA P-256 verification, and the compare-and-set
//! write of the counter. The `lookup_*`, `parse_passkey` and `use_passkey` parts show where that
//! time goes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use symbolon_idp::passkey::RelyingParty;
use symbolon_idp::{Actor, KeyAlgorithm, NewUser, add_user, create_realm};
use symbolon_store_sqlite::SqliteStore;
use time::OffsetDateTime;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let now = OffsetDateTime::now_utc();
    let store = rt.block_on(SqliteStore::open("sqlite::memory:")).unwrap();
    let cli = Actor("bench".into());
    rt.block_on(create_realm(
        &store,
        &cli,
        "mpas",
        None,
        KeyAlgorithm::EcP256,
        now,
    ))
    .unwrap();
    let user = rt
        .block_on(add_user(
            &store,
            &cli,
            "mpas",
            NewUser {
                username: "alice".into(),
                email: None,
                first_name: None,
                last_name: None,
                attributes: vec![],
            },
            None,
            now,
        ))
        .unwrap();
    let rp = RelyingParty::new(ORIGIN, "Multi-Pass").unwrap();
    let handle = uuid::Uuid::parse_str(&user.id).unwrap().as_bytes().to_vec();
    let mut a = Authenticator::new(&handle);
    let reg = rp.start_registration(&user, &[]).unwrap();
    rt.block_on(rp.register(
        &store,
        &user,
        &a.register(&reg.options),
        Some(reg.state),
        "key",
        now,
    ))
    .unwrap();

    let mut g = c.benchmark_group("passkey");
    g.bench_function("start_sign_in", |b| b.iter(|| rp.start_sign_in().unwrap()));
    g.bench_function("finish_sign_in", |b| {
        b.iter_batched(
            || {
                let ch = rp.start_sign_in().unwrap();
                (a.assert(&ch.options), ch.state)
            },
            |(answer, state)| {
                rt.block_on(rp.finish_sign_in(&store, "mpas", &answer, &state, now))
                    .unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    // Where finish_sign_in's time goes: its three store round trips, and parsing the stored
    // credential. (Last: use_passkey moves the stored counter far ahead.)
    use symbolon_store::{CredentialStore, UserStore};
    let cid = data_encoding::BASE64URL_NOPAD.encode(&a.cred_id);
    g.bench_function("lookup_credential", |b| {
        b.iter(|| rt.block_on(store.passkey_by_credential_id(&cid)).unwrap())
    });
    g.bench_function("lookup_user", |b| {
        b.iter(|| rt.block_on(store.user_by_id("mpas", &user.id)).unwrap())
    });
    let rec = rt
        .block_on(store.passkey_by_credential_id(&cid))
        .unwrap()
        .unwrap();
    g.bench_function("parse_passkey", |b| {
        b.iter(|| serde_json::from_str::<webauthn_rs::prelude::Passkey>(&rec.passkey).unwrap())
    });
    let mut n = 1_000_000u32;
    g.bench_function("use_passkey", |b| {
        b.iter(|| {
            n += 1;
            rt.block_on(store.use_passkey(
                &rec.id,
                &symbolon_store::PasskeyUse {
                    passkey: &rec.passkey,
                    sign_count: n,
                    backup_state: false,
                    at: now,
                },
            ))
            .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
