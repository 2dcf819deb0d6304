//! One parse, with limits enforced by a streaming pre-scan before the tree is built.

use std::borrow::Cow;
use std::fmt;

pub use roxmltree::Document;

/// Bounds applied to every document before and while it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Deepest element nesting (the root element is depth 1).
    pub max_depth: usize,
    /// Most attributes on one element (namespace declarations not counted).
    pub max_attributes: usize,
    /// Most namespace declarations on one element.
    pub max_namespace_declarations: usize,
    /// Most namespace declarations in scope at any element (bounds the parser's memory).
    pub max_namespaces_in_scope: usize,
    /// Most nodes in the tree.
    pub max_nodes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 2 * 1024 * 1024,
            max_depth: 128,
            max_attributes: 256,
            max_namespace_declarations: 64,
            max_namespaces_in_scope: 128,
            max_nodes: 200_000,
        }
    }
}

/// Why a document was refused. Every variant is a rejection; none is ever recovered from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("document is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("document is empty")]
    Empty,
    #[error("document is not valid UTF-8")]
    NotUtf8,
    #[error("document declares encoding {0:?}; only UTF-8 is accepted")]
    UnsupportedEncoding(String),
    #[error("document contains a DOCTYPE; DTDs are never accepted")]
    Doctype,
    #[error("elements nested deeper than {limit}")]
    TooDeep { limit: usize },
    #[error("an element has more than {limit} attributes")]
    TooManyAttributes { limit: usize },
    #[error("an element declares more than {limit} namespaces")]
    TooManyNamespaces { limit: usize },
    #[error("more than {limit} namespace declarations in scope")]
    TooManyNamespacesInScope { limit: usize },
    #[error("more than {limit} nodes")]
    TooManyNodes { limit: u32 },
    #[error("malformed XML: {0}")]
    Malformed(String),
}

/// Parse UTF-8 bytes (an optional byte-order mark is skipped) into a tree, with limits. An XML
/// declaration naming any other encoding is refused: SAML protocol messages are UTF-8.
pub fn parse_bytes<'i>(input: &'i [u8], limits: &Limits) -> Result<Document<'i>, XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge {
            size: input.len(),
            limit: limits.max_bytes,
        });
    }
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let text = std::str::from_utf8(input).map_err(|_| XmlError::NotUtf8)?;
    parse_checked(text, limits, true)
}

/// Parse text (already Unicode, so any encoding declaration is moot) into a tree, with limits.
/// DTDs are refused.
pub fn parse<'i>(text: &'i str, limits: &Limits) -> Result<Document<'i>, XmlError> {
    parse_checked(text, limits, false)
}

/// Decode a document that may legitimately come in another encoding (metadata saved by an
/// administrator's editor): a UTF-8 or UTF-16 byte-order mark, else the XML declaration's
/// encoding, else UTF-8. Malformed bytes for the encoding are an error, never replaced.
pub fn decode_document<'i>(input: &'i [u8], limits: &Limits) -> Result<Cow<'i, str>, XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge {
            size: input.len(),
            limit: limits.max_bytes,
        });
    }
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(input) {
        let body = input.get(bom_len..).unwrap_or_default();
        return encoding
            .decode_without_bom_handling_and_without_replacement(body)
            .ok_or(XmlError::NotUtf8);
    }
    let label = declared_encoding(input);
    let encoding = match &label {
        None => encoding_rs::UTF_8,
        Some(l) => encoding_rs::Encoding::for_label(l.as_bytes())
            .ok_or_else(|| XmlError::UnsupportedEncoding(l.clone()))?,
    };
    if encoding == encoding_rs::UTF_8 {
        return std::str::from_utf8(input)
            .map(Cow::Borrowed)
            .map_err(|_| XmlError::NotUtf8);
    }
    encoding
        .decode_without_bom_handling_and_without_replacement(input)
        .ok_or_else(|| {
            XmlError::UnsupportedEncoding(format!("{} (malformed bytes)", encoding.name()))
        })
}

/// The encoding named by an XML declaration at the very start of `input`, if any.
fn declared_encoding(input: &[u8]) -> Option<String> {
    let head = input.get(..input.len().min(256))?;
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = memchr::memmem::find(head, b"?>")?;
    let decl = std::str::from_utf8(head.get(5..end)?).ok()?;
    let pos = decl.find("encoding")?;
    let after = decl
        .get(pos + 8..)?
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = after.chars().next()?;
    let value: String = after.chars().skip(1).take_while(|c| *c != quote).collect();
    Some(value)
}

fn parse_checked<'i>(
    text: &'i str,
    limits: &Limits,
    utf8_only: bool,
) -> Result<Document<'i>, XmlError> {
    if text.len() > limits.max_bytes {
        return Err(XmlError::TooLarge {
            size: text.len(),
            limit: limits.max_bytes,
        });
    }
    if text.trim().is_empty() {
        return Err(XmlError::Empty);
    }
    prescan(text, limits, utf8_only)?;
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_nodes,
        entity_resolver: None,
    };
    Document::parse_with_options(text, opts).map_err(|e| match e {
        roxmltree::Error::DtdDetected => XmlError::Doctype,
        roxmltree::Error::NodesLimitReached => XmlError::TooManyNodes {
            limit: limits.max_nodes,
        },
        other => XmlError::Malformed(other.to_string()),
    })
}

/// A streaming pass over the document's skeleton (tags, attribute names, markup declarations)
/// that enforces the structural limits before any tree is allocated. It does not judge
/// well-formedness (the tree builder does); it only has to see every tag the builder will see:
/// comments, CDATA sections and processing instructions are skipped whole, attribute values are
/// skipped by their quotes, and any other `<!` markup is a DTD.
fn prescan(text: &str, limits: &Limits, utf8_only: bool) -> Result<(), XmlError> {
    let b = text.as_bytes();
    // Namespace declarations per open element.
    let mut stack: Vec<usize> = Vec::with_capacity(32);
    let mut in_scope = 0usize;
    let mut i = 0usize;
    let find = |from: usize, pat: &[u8]| -> Option<usize> {
        memchr::memmem::find(b.get(from..)?, pat).map(|p| p + from)
    };
    while let Some(off) = b.get(i..).and_then(|rest| memchr::memchr(b'<', rest)) {
        i += off;
        let rest = b.get(i..).unwrap_or_default();
        if rest.starts_with(b"<!--") {
            let Some(end) = find(i + 4, b"-->") else {
                return Ok(());
            };
            i = end + 3;
        } else if rest.starts_with(b"<![CDATA[") {
            let Some(end) = find(i + 9, b"]]>") else {
                return Ok(());
            };
            i = end + 3;
        } else if rest.starts_with(b"<!") {
            return Err(XmlError::Doctype);
        } else if rest.starts_with(b"<?") {
            let Some(end) = find(i + 2, b"?>") else {
                return Ok(());
            };
            let pi = text.get(i + 2..end).unwrap_or_default();
            if utf8_only
                && let Some(decl) = pi.strip_prefix("xml")
                && decl.starts_with(|c: char| c.is_ascii_whitespace())
            {
                check_encoding(decl)?;
            }
            i = end + 2;
        } else if rest.starts_with(b"</") {
            let Some(end) = find(i + 2, b">") else {
                return Ok(());
            };
            in_scope = in_scope.saturating_sub(stack.pop().unwrap_or(0));
            i = end + 1;
        } else {
            if stack.len() >= limits.max_depth {
                return Err(XmlError::TooDeep {
                    limit: limits.max_depth,
                });
            }
            // Element name, then attributes until `>` or `/>`.
            let mut j = i + 1;
            while b
                .get(j)
                .is_some_and(|c| !is_ws(*c) && *c != b'>' && *c != b'/')
            {
                j += 1;
            }
            let (mut attributes, mut namespaces) = (0usize, 0usize);
            let empty = loop {
                while b.get(j).is_some_and(|c| is_ws(*c)) {
                    j += 1;
                }
                match b.get(j) {
                    None => return Ok(()),
                    Some(b'>') => break false,
                    Some(b'/') => break true,
                    Some(_) => {}
                }
                let name_start = j;
                while b
                    .get(j)
                    .is_some_and(|c| !is_ws(*c) && *c != b'=' && *c != b'>' && *c != b'/')
                {
                    j += 1;
                }
                let name = b.get(name_start..j).unwrap_or_default();
                if name == b"xmlns" || name.starts_with(b"xmlns:") {
                    namespaces += 1;
                    if namespaces > limits.max_namespace_declarations {
                        return Err(XmlError::TooManyNamespaces {
                            limit: limits.max_namespace_declarations,
                        });
                    }
                } else {
                    attributes += 1;
                    if attributes > limits.max_attributes {
                        return Err(XmlError::TooManyAttributes {
                            limit: limits.max_attributes,
                        });
                    }
                }
                while b.get(j).is_some_and(|c| is_ws(*c) || *c == b'=') {
                    j += 1;
                }
                match b.get(j) {
                    Some(q @ (b'"' | b'\'')) => {
                        let Some(close) = b.get(j + 1..).and_then(|r| memchr::memchr(*q, r)) else {
                            return Ok(());
                        };
                        j += close + 2;
                    }
                    // Malformed: the tree builder will say how.
                    _ => return Ok(()),
                }
            };
            if in_scope + namespaces > limits.max_namespaces_in_scope {
                return Err(XmlError::TooManyNamespacesInScope {
                    limit: limits.max_namespaces_in_scope,
                });
            }
            if !empty {
                stack.push(namespaces);
                in_scope += namespaces;
            }
            i = j + 1;
        }
    }
    Ok(())
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// The encoding pseudo-attribute of an XML declaration must name UTF-8 when present.
fn check_encoding(decl: &str) -> Result<(), XmlError> {
    let Some(pos) = decl.find("encoding") else {
        return Ok(());
    };
    let after = decl.get(pos + 8..).unwrap_or_default().trim_start();
    let after = after.strip_prefix('=').unwrap_or(after).trim_start();
    let value: String = after
        .chars()
        .skip(1)
        .take_while(|c| *c != '"' && *c != '\'')
        .collect();
    if value.eq_ignore_ascii_case("utf-8") || value.eq_ignore_ascii_case("utf8") {
        Ok(())
    } else {
        Err(XmlError::UnsupportedEncoding(value))
    }
}

/// The prefix an element was written with (`None` for an unprefixed element).
pub(crate) fn element_prefix<'i>(node: roxmltree::Node<'_, 'i>) -> Option<&'i str> {
    let text = node.document().input_text();
    let start = node.range().start + 1;
    let bytes = text.as_bytes();
    let mut i = start;
    while let Some(&c) = bytes.get(i) {
        match c {
            b':' => return text.get(start..i),
            b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/' => return None,
            _ => i += 1,
        }
    }
    None
}

/// The prefix an attribute was written with (`None` for an unprefixed attribute).
pub(crate) fn attribute_prefix<'i>(
    node: roxmltree::Node<'_, 'i>,
    attr: &roxmltree::Attribute<'_, 'i>,
) -> Option<&'i str> {
    let range = attr.range_qname();
    let text = node.document().input_text();
    let colon = memchr::memchr(b':', text.as_bytes().get(range.clone())?)?;
    text.get(range.start..range.start + colon)
}

impl fmt::Display for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} bytes, depth {}, {} attributes, {} namespace declarations per element",
            self.max_bytes, self.max_depth, self.max_attributes, self.max_namespace_declarations
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The true maxima, read from the tree.
    fn maxima(text: &str) -> (usize, usize, usize) {
        let doc = Document::parse(text).unwrap();
        let mut depth = 0;
        let mut attrs = 0;
        let mut decls = 0;
        for n in doc.descendants().filter(|n| n.is_element()) {
            depth = depth.max(n.ancestors().filter(|a| a.is_element()).count());
            attrs = attrs.max(n.attributes().len());
            let parent: Vec<_> = n
                .parent_element()
                .map(|p| p.namespaces().collect())
                .unwrap_or_default();
            let own = n.namespaces().filter(|ns| !parent.contains(ns)).count();
            decls = decls.max(own);
        }
        (depth, attrs, decls)
    }

    #[test]
    fn prescan_sees_exactly_what_the_tree_builder_builds() {
        let docs = [
            r#"<a x='>' y=">"><b z="a/b>c"/><!-- <c><d><e> --><![CDATA[<c><d>]]><?pi <c><d>?></a>"#,
            r#"<?xml version="1.0" encoding='UTF-8'?><a xmlns="u" xmlns:p = "v" p:x = '1'><p:b><c   /></p:b></a>"#,
            "<a\n\tx\n=\n'1'\r\n><b></b\n></a>",
            r#"<r><a><b><c><d/></c></b></a><a/><a><b q="1" r="2" s="3"/></a></r>"#,
            r#"<r xmlns:a="1"><s xmlns:b="2" xmlns:c="3"><t xmlns:d="4"/></s><u xmlns:e="5" xmlns:f="6" xmlns:g="7"/></r>"#,
        ];
        for text in docs {
            let (depth, attrs, decls) = maxima(text);
            let exact = Limits {
                max_depth: depth,
                max_attributes: attrs,
                max_namespace_declarations: decls,
                ..Limits::default()
            };
            assert_eq!(prescan(text, &exact, true), Ok(()), "{text}");
            if depth > 0 {
                let l = Limits {
                    max_depth: depth - 1,
                    ..exact
                };
                assert_eq!(
                    prescan(text, &l, true),
                    Err(XmlError::TooDeep { limit: depth - 1 }),
                    "{text}"
                );
            }
            if attrs > 0 {
                let l = Limits {
                    max_attributes: attrs - 1,
                    ..exact
                };
                assert_eq!(
                    prescan(text, &l, true),
                    Err(XmlError::TooManyAttributes { limit: attrs - 1 }),
                    "{text}"
                );
            }
            if decls > 0 {
                let l = Limits {
                    max_namespace_declarations: decls - 1,
                    ..exact
                };
                assert_eq!(
                    prescan(text, &l, true),
                    Err(XmlError::TooManyNamespaces { limit: decls - 1 }),
                    "{text}"
                );
            }
        }
    }
}
