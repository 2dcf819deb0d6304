//! Replays the ACS fuzz seeds and corpus (`fuzz/seeds/sp_acs`, `fuzz/corpus/sp_acs`) through the
//! fuzz target's entry point on a real SQLite store: nothing may panic, the genuine response is
//! accepted once (then it is a replay), and the crafted ones are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use symbolon_store_sqlite::SqliteStore;

fn dir(folder: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(folder)
}

#[tokio::test]
async fn replay_sp_acs() {
    let s = SqliteStore::open("sqlite::memory:").await.unwrap();
    let md = std::fs::read(dir("seeds").join("sp_acs_idp_metadata.xml")).unwrap();
    symbolon_sp::fuzzing::seed(&s, &md).await.unwrap();
    let mut accepted = Vec::new();
    let mut n = 0;
    for folder in ["seeds", "corpus"] {
        let d = dir(folder).join("sp_acs");
        if folder == "corpus" && !std::fs::read_dir(&d).is_ok_and(|mut e| e.next().is_some()) {
            continue;
        }
        let mut entries: Vec<_> = std::fs::read_dir(&d)
            .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if symbolon_sp::fuzzing::acs(&s, &std::fs::read(&p).unwrap()).await {
                accepted.push(p.file_name().unwrap().to_string_lossy().to_string());
            }
            n += 1;
        }
    }
    assert!(n >= 4, "seeds missing");
    // The fixture's assertion is consumed once: the XML copy and the re-signed one whose
    // NotOnOrAfter lies at the end of time carry the same assertion ID, so they are replays (and
    // that replay entry's end was computed without overflow).
    assert_eq!(accepted, ["fixture-signed-assertion.b64"], "{accepted:?}");
}
