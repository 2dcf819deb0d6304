//! Replays the fuzz seeds and corpus (`fuzz/seeds/xml_parse_c14n`, `fuzz/corpus/xml_parse_c14n`)
//! through the fuzz target's entry point: nothing in them may panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[test]
fn replay_xml_parse_c14n() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut n = 0;
    for folder in ["seeds", "corpus"] {
        let dir = root.join(folder).join("xml_parse_c14n");
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            symbolon_xml::fuzzing::parse_and_canonicalize(
                &std::fs::read(entry.unwrap().path()).unwrap(),
            );
            n += 1;
        }
    }
    assert!(n > 10, "seeds and corpus missing");
}
