//! One parse, with limits enforced by a streaming pre-scan before the tree is built.

use std::fmt;

pub use roxmltree::Document;
use xmlparser::{ElementEnd, Token, Tokenizer};

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

/// Parse UTF-8 bytes (an optional byte-order mark is skipped) into a tree, with limits.
pub fn parse_bytes<'i>(input: &'i [u8], limits: &Limits) -> Result<Document<'i>, XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge {
            size: input.len(),
            limit: limits.max_bytes,
        });
    }
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let text = std::str::from_utf8(input).map_err(|_| XmlError::NotUtf8)?;
    parse(text, limits)
}

/// Parse text into a tree, with limits. DTDs are refused.
pub fn parse<'i>(text: &'i str, limits: &Limits) -> Result<Document<'i>, XmlError> {
    if text.len() > limits.max_bytes {
        return Err(XmlError::TooLarge {
            size: text.len(),
            limit: limits.max_bytes,
        });
    }
    if text.trim().is_empty() {
        return Err(XmlError::Empty);
    }
    prescan(text, limits)?;
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

struct Frame {
    attributes: usize,
    namespaces: usize,
}

/// A streaming pass that enforces the structural limits before any tree is allocated.
fn prescan(text: &str, limits: &Limits) -> Result<(), XmlError> {
    let mut stack: Vec<Frame> = Vec::with_capacity(32);
    let mut in_scope = 0usize;
    for token in Tokenizer::from(text) {
        let token = token.map_err(|e| XmlError::Malformed(e.to_string()))?;
        match token {
            Token::DtdStart { .. }
            | Token::EmptyDtd { .. }
            | Token::EntityDeclaration { .. }
            | Token::DtdEnd { .. } => return Err(XmlError::Doctype),
            Token::Declaration {
                encoding: Some(enc),
                ..
            } => {
                let e = enc.as_str();
                if !e.eq_ignore_ascii_case("utf-8") && !e.eq_ignore_ascii_case("utf8") {
                    return Err(XmlError::UnsupportedEncoding(e.to_string()));
                }
            }
            Token::ElementStart { .. } => {
                if stack.len() >= limits.max_depth {
                    return Err(XmlError::TooDeep {
                        limit: limits.max_depth,
                    });
                }
                stack.push(Frame {
                    attributes: 0,
                    namespaces: 0,
                });
            }
            Token::Attribute { prefix, local, .. } => {
                let Some(frame) = stack.last_mut() else {
                    return Err(XmlError::Malformed("attribute outside an element".into()));
                };
                if prefix.as_str() == "xmlns" || (prefix.is_empty() && local.as_str() == "xmlns") {
                    frame.namespaces += 1;
                    if frame.namespaces > limits.max_namespace_declarations {
                        return Err(XmlError::TooManyNamespaces {
                            limit: limits.max_namespace_declarations,
                        });
                    }
                } else {
                    frame.attributes += 1;
                    if frame.attributes > limits.max_attributes {
                        return Err(XmlError::TooManyAttributes {
                            limit: limits.max_attributes,
                        });
                    }
                }
            }
            Token::ElementEnd { end, .. } => match end {
                ElementEnd::Open => {
                    let added = stack.last().map_or(0, |f| f.namespaces);
                    in_scope += added;
                    if in_scope > limits.max_namespaces_in_scope {
                        return Err(XmlError::TooManyNamespacesInScope {
                            limit: limits.max_namespaces_in_scope,
                        });
                    }
                }
                ElementEnd::Empty => {
                    let added = stack.pop().map_or(0, |f| f.namespaces);
                    if in_scope + added > limits.max_namespaces_in_scope {
                        return Err(XmlError::TooManyNamespacesInScope {
                            limit: limits.max_namespaces_in_scope,
                        });
                    }
                }
                ElementEnd::Close(..) => {
                    let added = stack.pop().map_or(0, |f| f.namespaces);
                    in_scope = in_scope.saturating_sub(added);
                }
            },
            _ => {}
        }
    }
    Ok(())
}

/// The prefix an element was written with (`None` for an unprefixed element).
pub(crate) fn element_prefix<'i>(node: roxmltree::Node<'_, 'i>) -> Option<&'i str> {
    let text = node.document().input_text();
    let start = node.range().start;
    let rest = text.get(start..)?.strip_prefix('<')?;
    let end = rest
        .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        .unwrap_or(rest.len());
    let qname = rest.get(..end)?;
    qname.split_once(':').map(|(p, _)| p)
}

/// The prefix an attribute was written with (`None` for an unprefixed attribute).
pub(crate) fn attribute_prefix<'i>(
    node: roxmltree::Node<'_, 'i>,
    attr: &roxmltree::Attribute<'_, 'i>,
) -> Option<&'i str> {
    let text = node.document().input_text();
    let qname = text.get(attr.range_qname())?;
    qname.split_once(':').map(|(p, _)| p)
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
