#![no_main]
//! The ACS as a whole: bytes in, `consume_response` over a real SQLite store (in memory) with two
//! accounts that trust the test IdP. State (replay cache, traces) carries over between inputs,
//! as it does in a server.
use std::sync::OnceLock;

use symbolon_store_sqlite::SqliteStore;

struct World {
    rt: tokio::runtime::Runtime,
    store: SqliteStore,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let store = rt.block_on(async {
            let s = SqliteStore::open("sqlite::memory:").await.expect("store");
            symbolon_sp::fuzzing::seed(&s, include_bytes!("../seeds/sp_acs_idp_metadata.xml"))
                .await
                .expect("seed");
            s
        });
        World { rt, store }
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let w = world();
    w.rt.block_on(symbolon_sp::fuzzing::acs(&w.store, data));
});
