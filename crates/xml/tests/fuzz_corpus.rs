//! Replays the fuzz corpus (`fuzz/corpus/xml_parse_c14n`) through the fuzz target's entry point:
//! nothing in it may panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[test]
fn replay_xml_parse_c14n_corpus() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus/xml_parse_c14n");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        symbolon_xml::fuzzing::parse_and_canonicalize(&data);
        n += 1;
    }
    assert!(n > 0, "empty corpus at {}", dir.display());
}
