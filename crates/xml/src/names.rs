//! XML names as the specifications define them (XML 1.0 fifth edition, Namespaces in XML 1.0).

/// `NameStartChar` of XML 1.0 (fifth edition), less the colon.
fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// `NameChar` of XML 1.0 (fifth edition), less the colon.
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// True when `s` is an `NCName` (the lexical space of `xs:ID`): a name start character, then
/// name characters, no colon, not empty. SAML's ID attributes are `xs:ID`, and an XML-DSig
/// same-document reference `#id` only has a meaning for such values.
pub fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if is_name_start(c) => chars.all(is_name_char),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_ncname;

    #[test]
    fn ncnames() {
        for ok in ["_a", "a", "_0123abc", "id-1.2", "Ä_", "_x\u{B7}y", "日本"] {
            assert!(is_ncname(ok), "{ok}");
        }
        for bad in [
            "",
            "1",
            "1abc",
            "-a",
            ".a",
            "a:b",
            "_x' or '1'='1",
            "a b",
            "a\tb",
            "#a",
            "a/b",
            "\u{B7}a",
            "a\u{0}",
        ] {
            assert!(!is_ncname(bad), "{bad:?}");
        }
    }
}
