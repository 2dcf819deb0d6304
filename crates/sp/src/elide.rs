//! What a trace keeps of a refused document, as its account's administrators see it.
//!
//! Signature values and certificates are never kept (noise, and large). Identity values (the
//! NameID, attribute values, the client's address) are kept only when a key the account pinned
//! vouched for the document: any account may register any Issuer, so a document no pinned key
//! of this account verified may be another account's user's response, and its identity values
//! are that account's data. The structure (Issuer, Destination, times, conditions, attribute
//! names) stays, which is what diagnosing a refusal needs.
//!
//! Both work on text that may be cut off anywhere: never a panic, never more than 64 KiB.

/// What stands where a signature value or certificate was.
const ELIDED: &str = "…(elided)…";
/// What stands where an identity value was.
pub const IDENTITY_NOT_KEPT: &str = "…(not kept: no key of this account verified it)…";

/// The message with signature values and certificates elided, at most 64 KiB.
pub fn elide_signatures(xml: &str) -> String {
    elide(xml, &["SignatureValue", "X509Certificate"], &[], ELIDED)
}

/// The message with identity values elided as well: the content of NameID, AttributeValue,
/// EncryptedID and BaseID elements, and the Address and DNSName attributes (subject
/// confirmation and locality), at most 64 KiB.
pub fn elide_identity(xml: &str) -> String {
    elide(
        xml,
        &["NameID", "AttributeValue", "EncryptedID", "BaseID"],
        &["Address", "DNSName"],
        IDENTITY_NOT_KEPT,
    )
}

/// Replace the content of elements named `elements` (up to the next closing tag) and the values
/// of attributes named `attributes` (any prefix) with `marker`.
fn elide(xml: &str, elements: &[&str], attributes: &[&str], marker: &str) -> String {
    let mut out = String::with_capacity(xml.len().min(65_536));
    let mut rest = xml;
    while let Some(lt) = rest.find('<') {
        let (before, tag_on) = rest.split_at(lt);
        out.push_str(before);
        let Some(gt) = tag_on.find('>') else {
            out.push_str(&elide_attributes(tag_on, attributes, marker));
            rest = "";
            break;
        };
        let (tag, after) = tag_on.split_at(gt + 1);
        out.push_str(&elide_attributes(tag, attributes, marker));
        rest = after;
        let name = tag
            .trim_start_matches('<')
            .trim_end_matches('>')
            .split_whitespace()
            .next()
            .unwrap_or("");
        let local = name.rsplit(':').next().unwrap_or(name);
        let opening = !name.starts_with('/') && !tag.ends_with("/>");
        if opening && elements.contains(&local) {
            match rest.find("</") {
                Some(close) => {
                    out.push_str(marker);
                    rest = rest.get(close..).unwrap_or("");
                }
                // Cut off inside the value: nothing of it is kept.
                None if !attributes.is_empty() => {
                    out.push_str(marker);
                    rest = "";
                }
                None => {}
            }
        }
    }
    out.push_str(rest);
    if out.len() > 65_536 {
        let mut cut = 65_536;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("\n…(truncated)");
    }
    out
}

/// A tag with the values of the named attributes replaced (quoted with `"` or `'`; a value cut
/// off before its closing quote is replaced to the end).
fn elide_attributes(tag: &str, attributes: &[&str], marker: &str) -> String {
    if attributes.is_empty() {
        return tag.to_string();
    }
    let mut out = String::with_capacity(tag.len());
    let mut rest = tag;
    while let Some(eq) = rest.find('=') {
        let (name_part, value_on) = rest.split_at(eq);
        let attr = name_part
            .trim_end()
            .rsplit(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("");
        let local = attr.rsplit(':').next().unwrap_or(attr);
        out.push_str(name_part);
        out.push('=');
        let value_on = value_on.get(1..).unwrap_or("");
        let ws = value_on.len() - value_on.trim_start().len();
        let (space, value_on) = value_on.split_at(ws);
        out.push_str(space);
        let Some(quote) = value_on.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            rest = value_on;
            continue;
        };
        let inner = value_on.get(1..).unwrap_or("");
        let (value, after) = match inner.find(quote) {
            Some(end) => (
                inner.get(..end).unwrap_or(""),
                inner.get(end..).unwrap_or(""),
            ),
            None => (inner, ""),
        };
        out.push(quote);
        out.push_str(if attributes.contains(&local) {
            marker
        } else {
            value
        });
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_and_certificates_are_elided() {
        let xml = "<r><ds:SignatureValue>AAAA</ds:SignatureValue><ds:X509Certificate>MIIB\nxyz</ds:X509Certificate><SignatureValue Id=\"s\">BB</SignatureValue><x>keep</x></r>";
        assert_eq!(
            elide_signatures(xml),
            "<r><ds:SignatureValue>…(elided)…</ds:SignatureValue><ds:X509Certificate>…(elided)…</ds:X509Certificate><SignatureValue Id=\"s\">…(elided)…</SignatureValue><x>keep</x></r>"
        );
        assert_eq!(
            elide_signatures("<a:SignatureValue>unclosed"),
            "<a:SignatureValue>unclosed"
        );
        let big = "é".repeat(40_000);
        assert!(elide_signatures(&big).ends_with("…(truncated)"));
    }

    #[test]
    fn identity_values_are_elided_and_structure_kept() {
        let xml = concat!(
            r#"<saml:Subject><saml:NameID Format="urn:email">alice@corp.test</saml:NameID>"#,
            r#"<saml:SubjectConfirmationData Recipient="https://sp/acs" Address='203.0.113.9' NotOnOrAfter="2026-01-01T00:00:00Z"/>"#,
            r#"</saml:Subject><saml:SubjectLocality Address = "198.51.100.1" DNSName="host.corp.test"/>"#,
            r#"<saml:Attribute Name="mail"><saml:AttributeValue xsi:type="xs:string">alice@corp.test</saml:AttributeValue>"#,
            r#"<saml:AttributeValue><saml:NameID>nested</saml:NameID></saml:AttributeValue><saml:AttributeValue/></saml:Attribute>"#,
        );
        let out = elide_identity(xml);
        for gone in [
            "alice@corp.test",
            "203.0.113.9",
            "198.51.100.1",
            "host.corp.test",
            "nested",
        ] {
            assert!(!out.contains(gone), "{gone} kept: {out}");
        }
        for kept in [
            r#"Format="urn:email""#,
            r#"Recipient="https://sp/acs""#,
            r#"NotOnOrAfter="2026-01-01T00:00:00Z""#,
            r#"Name="mail""#,
            r#"xsi:type="xs:string""#,
            "<saml:AttributeValue/>",
        ] {
            assert!(out.contains(kept), "{kept} lost: {out}");
        }
        assert!(
            out.contains(&format!("Address='{IDENTITY_NOT_KEPT}'")),
            "{out}"
        );
    }

    #[test]
    fn cut_off_values_are_not_kept() {
        for cut in [
            "<r><NameID>alice@corp",
            "<r><SubjectConfirmationData Address=\"203.0.113",
            "<r><SubjectConfirmationData Address=\"203.0.113.9\" x",
        ] {
            let out = elide_identity(cut);
            assert!(
                !out.contains("alice") && !out.contains("203.0"),
                "{cut}: {out}"
            );
        }
        // Odd text never panics.
        for odd in [
            "<",
            "<=",
            "< =\"",
            "<a b=>",
            "<a b='x\">",
            "é<é é=\"é",
            "</NameID>x",
        ] {
            let _ = elide_identity(odd);
        }
    }
}
