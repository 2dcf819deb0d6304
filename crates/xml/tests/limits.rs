//! security.md rule 1: one parser, no DTD, bounded before and while parsing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use symbolon_xml::{Limits, XmlError, parse, parse_bytes};

#[test]
fn doctype_in_any_form_is_refused() {
    for dt in [
        "<!DOCTYPE r><r/>",
        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>",
        "<!DOCTYPE r [<!ENTITY a \"a\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><r>&b;</r>",
        "<!DOCTYPE r PUBLIC \"-//x\" \"http://evil.test/x.dtd\"><r/>",
        "<!-- c --><!DOCTYPE r><r/>",
    ] {
        assert_eq!(
            parse(dt, &Limits::default()).unwrap_err(),
            XmlError::Doctype,
            "{dt}"
        );
    }
}

#[test]
fn size_depth_attributes_namespaces() {
    let limits = Limits::default();
    let big = format!("<r>{}</r>", "x".repeat(limits.max_bytes));
    assert!(matches!(
        parse(&big, &limits),
        Err(XmlError::TooLarge { .. })
    ));
    // Depth: at the limit accepted, one deeper refused; a huge depth neither crashes nor allocates.
    let at = format!("{}{}", "<a>".repeat(128), "</a>".repeat(128));
    assert!(parse(&at, &limits).is_ok());
    let over = format!("{}{}", "<a>".repeat(129), "</a>".repeat(129));
    assert_eq!(
        parse(&over, &limits).unwrap_err(),
        XmlError::TooDeep { limit: 128 }
    );
    let huge = "<a>".repeat(600_000);
    assert_eq!(
        parse(&huge, &limits).unwrap_err(),
        XmlError::TooDeep { limit: 128 }
    );

    let attrs: String = (0..257).map(|i| format!(" a{i}=\"\"")).collect();
    assert_eq!(
        parse(&format!("<r{attrs}/>"), &limits).unwrap_err(),
        XmlError::TooManyAttributes { limit: 256 }
    );
    let ns: String = (0..65).map(|i| format!(" xmlns:p{i}=\"u{i}\"")).collect();
    assert_eq!(
        parse(&format!("<r{ns}/>"), &limits).unwrap_err(),
        XmlError::TooManyNamespaces { limit: 64 }
    );
    // Declarations accumulate in scope: bounded too (this is what keeps the tree builder linear).
    let nested: String = (0..3)
        .map(|d| {
            format!(
                "<e{}>",
                (0..60)
                    .map(|i| format!(" xmlns:p{d}x{i}=\"u\""))
                    .collect::<String>()
            )
        })
        .collect();
    let doc = format!("{nested}</e></e></e>");
    assert_eq!(
        parse(&doc, &limits).unwrap_err(),
        XmlError::TooManyNamespacesInScope { limit: 128 }
    );
}

#[test]
fn encodings_and_malformed_input() {
    let limits = Limits::default();
    assert_eq!(
        parse_bytes(b"\xff\xfe<\x00r\x00/\x00>\x00", &limits).unwrap_err(),
        XmlError::NotUtf8
    );
    assert!(
        parse_bytes(b"\xEF\xBB\xBF<r/>", &limits).is_ok(),
        "a UTF-8 BOM is fine"
    );
    // Protocol messages (bytes) must be UTF-8; metadata may be decoded per its declaration first.
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r>caf\xe9</r>";
    assert_eq!(parse_bytes(latin1, &limits).unwrap_err(), XmlError::NotUtf8);
    let ascii_latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r>cafe</r>";
    assert_eq!(
        parse_bytes(ascii_latin1, &limits).unwrap_err(),
        XmlError::UnsupportedEncoding("ISO-8859-1".into())
    );
    let text = symbolon_xml::decode_document(latin1, &limits).unwrap();
    assert_eq!(
        parse(&text, &limits).unwrap().root_element().text(),
        Some("café")
    );
    let cp1252 = b"<?xml version='1.0' encoding='windows-1252'?><r>\x93q\x94</r>";
    let text = symbolon_xml::decode_document(cp1252, &limits).unwrap();
    assert_eq!(
        parse(&text, &limits).unwrap().root_element().text(),
        Some("\u{201c}q\u{201d}")
    );
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("<r>x</r>".encode_utf16().flat_map(|u| u.to_le_bytes()))
        .collect();
    let text = symbolon_xml::decode_document(&utf16, &limits).unwrap();
    assert_eq!(
        parse(&text, &limits).unwrap().root_element().text(),
        Some("x")
    );
    assert!(matches!(
        symbolon_xml::decode_document(b"<?xml version='1.0' encoding='x-klingon'?><r/>", &limits),
        Err(XmlError::UnsupportedEncoding(_))
    ));
    assert_eq!(
        symbolon_xml::decode_document(b"<r>\xff</r>", &limits).unwrap_err(),
        XmlError::NotUtf8
    );
    assert_eq!(parse("", &limits).unwrap_err(), XmlError::Empty);
    for bad in [
        "<r>",
        "<r></s>",
        "<r a='1' a='2'/>",
        "<p:r/>",
        "<r xmlns:xml=\"urn:not-xml\"/>",
        "<r>&unknown;</r>",
        "<r/><r/>",
        "text",
    ] {
        assert!(
            matches!(parse(bad, &limits), Err(XmlError::Malformed(_))),
            "{bad}"
        );
    }
}
