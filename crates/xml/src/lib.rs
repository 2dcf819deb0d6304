//! Hardened XML for Symbolon: one parse with limits and no DTD, exclusive XML canonicalisation,
//! and an escaping writer.
//!
//! Invariants:
//! - Input with a DOCTYPE is rejected before any tree is built; so are inputs over the size,
//!   depth, attribute or namespace limits (checked by a streaming pre-scan, so a hostile document
//!   never gets to allocate a large tree).
//! - The tree is never re-serialised and re-parsed: canonicalisation works on the parsed tree.
//! - No IO, no clock, no randomness.

mod c14n;
#[doc(hidden)]
pub mod fuzzing;
mod names;
mod parse;
pub mod writer;

pub use c14n::{
    C14nOptions, MAX_INCLUSIVE_PREFIXES, canonicalize, canonicalize_document,
    canonicalize_reference,
};
pub use names::is_ncname;
pub use parse::{Document, Limits, XmlError, decode_document, parse, parse_bytes};
pub use roxmltree::{Node, NodeId};

/// Namespace URIs used across the SAML crates.
pub mod ns {
    pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
    pub const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
    pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
    pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
    pub const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
    pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
    pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
}

/// True when `node` is an element with this namespace URI and local name.
/// Matching is by namespace URI, never by prefix.
pub fn is_element(node: Node<'_, '_>, ns_uri: &str, local: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == local
        && node.tag_name().namespace() == Some(ns_uri)
}

/// Element children of `node` with the given namespace URI and local name.
pub fn children_named<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    ns_uri: &'a str,
    local: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children()
        .filter(move |c| is_element(*c, ns_uri, local))
}

/// The full text content of an element: every descendant text node concatenated, in document
/// order. Comments and processing instructions are skipped, so a comment injected into a value
/// can never truncate it.
pub fn text_content(node: Node<'_, '_>) -> String {
    let mut out = String::new();
    for d in node.descendants() {
        if d.is_text()
            && let Some(t) = d.text()
        {
            out.push_str(t);
        }
    }
    out
}
