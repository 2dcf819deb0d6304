//! Exclusive c14n against golden outputs: the W3C C14N 1.0 section 3 examples (without their
//! DTDs, which we refuse) and the Exclusive C14N section 2.2 examples, plus our own.
//! The expected files were produced by lxml and checked by hand against the specifications.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use symbolon_xml::{C14nOptions, Limits, canonicalize, canonicalize_document, parse_bytes};

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/c14n")
}

fn c14n_doc(input: &[u8], with_comments: bool) -> Vec<u8> {
    let doc = parse_bytes(input, &Limits::default()).unwrap();
    let mut out = Vec::new();
    canonicalize_document(
        &doc,
        &C14nOptions {
            with_comments,
            ..Default::default()
        },
        &mut out,
    );
    out
}

#[test]
fn documents_match_golden_files() {
    let mut n = 0;
    for entry in std::fs::read_dir(data()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("xml") {
            continue;
        }
        let input = std::fs::read(&path).unwrap();
        for (wc, ext) in [(false, "c14n"), (true, "c14n-comments")] {
            let expected = std::fs::read(path.with_extension(ext)).unwrap();
            let got = c14n_doc(&input, wc);
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&expected),
                "{} ({ext})",
                path.display()
            );
        }
        n += 1;
    }
    assert!(n >= 7, "golden inputs missing");
}

#[test]
fn exclusive_spec_subtree_examples() {
    for name in ["exc-2.2-a", "exc-2.2-b"] {
        let input = std::fs::read(data().join(format!("{name}.xml"))).unwrap();
        let doc = parse_bytes(&input, &Limits::default()).unwrap();
        let elem2 = doc.root_element().first_element_child().unwrap();
        let mut out = Vec::new();
        canonicalize(elem2, &C14nOptions::default(), &mut out);
        assert_eq!(
            out,
            std::fs::read(data().join(format!("{name}.elem2.c14n"))).unwrap(),
            "{name}"
        );
        let mut out = Vec::new();
        canonicalize(
            elem2,
            &C14nOptions {
                inclusive_prefixes: &["n0", "n2"],
                ..Default::default()
            },
            &mut out,
        );
        assert_eq!(
            out,
            std::fs::read(data().join(format!("{name}.elem2-n0n2.c14n"))).unwrap(),
            "{name} n0 n2"
        );
    }
}

#[test]
fn excluded_subtree_and_default_namespace_rules() {
    let xml = r#"<r xmlns="urn:r" xmlns:ds="urn:ds"><a><ds:Signature><ds:X/></ds:Signature><b xmlns="">x</b></a></r>"#;
    let doc = symbolon_xml::parse(xml, &Limits::default()).unwrap();
    let a = doc.root_element().first_element_child().unwrap();
    let sig = a.first_element_child().unwrap();
    let mut out = Vec::new();
    canonicalize(
        a,
        &C14nOptions {
            exclude: Some(sig.id()),
            ..Default::default()
        },
        &mut out,
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"<a xmlns="urn:r"><b xmlns="">x</b></a>"#
    );
    // #default in the PrefixList renders the default namespace even where unused.
    let b = a.last_element_child().unwrap();
    let mut out = Vec::new();
    canonicalize(
        b,
        &C14nOptions {
            inclusive_prefixes: &["#default"],
            ..Default::default()
        },
        &mut out,
    );
    assert_eq!(String::from_utf8(out).unwrap(), r#"<b>x</b>"#);
}
