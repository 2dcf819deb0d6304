//! Entry points shared by the fuzz targets (`fuzz/`) and the corpus replay tests.

use crate::{
    C14nOptions, Limits, canonicalize, canonicalize_document, canonicalize_reference, parse_bytes,
};

/// Parse with the default limits, then canonicalise the document and every element subtree with
/// and without comments and with a PrefixList. Must never panic.
pub fn parse_and_canonicalize(data: &[u8]) {
    let Ok(doc) = parse_bytes(data, &Limits::default()) else {
        return;
    };
    let mut out = Vec::new();
    for with_comments in [false, true] {
        let opts = C14nOptions {
            with_comments,
            ..Default::default()
        };
        canonicalize_document(&doc, &opts, &mut out);
        out.clear();
    }
    let prefixes = [
        "#default", "a", "b", "p", "ds", "saml", "samlp", "xs", "xsi",
    ];
    for (i, node) in doc
        .descendants()
        .filter(|n| n.is_element())
        .take(64)
        .enumerate()
    {
        let exclude = node.first_element_child().map(|c| c.id());
        let opts = C14nOptions {
            with_comments: i % 2 == 0,
            inclusive_prefixes: &prefixes,
            exclude,
        };
        canonicalize(node, &opts, &mut out);
        let mut reference = Vec::new();
        canonicalize_reference(node, &opts, &mut reference);
        // The linear PrefixList handling must say exactly what the specification's wording does.
        assert!(out == reference, "c14n differs from the reference");
        out.clear();
    }
}
