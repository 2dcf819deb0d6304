//! Exclusive XML Canonicalization 1.0 (<https://www.w3.org/TR/xml-exc-c14n/>), with and without
//! comments, with an InclusiveNamespaces PrefixList, over an element's subtree (optionally with
//! one descendant subtree left out, as the enveloped-signature transform requires) or over a whole
//! document.

use roxmltree::{Document, Node, NodeId, NodeType};

use crate::parse::{attribute_prefix, element_prefix};

/// What to canonicalise and how.
#[derive(Debug, Clone, Default)]
pub struct C14nOptions<'a> {
    /// Keep comments (`xml-exc-c14n#WithComments`).
    pub with_comments: bool,
    /// InclusiveNamespaces PrefixList: prefixes handled by the inclusive rules; `#default`
    /// names the default namespace.
    pub inclusive_prefixes: &'a [&'a str],
    /// A descendant element whose whole subtree is left out (the enveloped signature).
    pub exclude: Option<NodeId>,
}

/// Canonicalise `node` (an element) and its descendants, appending to `out`.
pub fn canonicalize(node: Node<'_, '_>, opts: &C14nOptions<'_>, out: &mut Vec<u8>) {
    let mut state = State::default();
    state.subtree(node, opts, out);
}

/// Canonicalise a whole document: comments and processing instructions around the document
/// element are kept (comments only `with_comments`), separated from it by line feeds.
pub fn canonicalize_document(doc: &Document<'_>, opts: &C14nOptions<'_>, out: &mut Vec<u8>) {
    let mut state = State::default();
    let mut seen_root = false;
    for child in doc.root().children() {
        match child.node_type() {
            NodeType::Element => {
                state.subtree(child, opts, out);
                seen_root = true;
            }
            NodeType::PI | NodeType::Comment => {
                if child.is_comment() && !opts.with_comments {
                    continue;
                }
                if seen_root {
                    out.push(b'\n');
                }
                write_leaf(child, out);
                if !seen_root {
                    out.push(b'\n');
                }
            }
            _ => {}
        }
    }
}

#[derive(Default)]
struct State<'a> {
    /// Namespace declarations in scope in the output: (prefix, URI); "" is the default namespace.
    rendered: Vec<(&'a str, &'a str)>,
    /// For each open element: the length of `rendered` when it started, and its qualified name.
    marks: Vec<(usize, Option<&'a str>, &'a str)>,
    /// Scratch buffers reused across elements.
    candidates: Vec<(&'a str, &'a str)>,
    attrs: Vec<(&'a str, &'a str, Option<&'a str>, &'a str)>,
}

impl<'a> State<'a> {
    fn subtree(&mut self, root: Node<'a, '_>, opts: &C14nOptions<'_>, out: &mut Vec<u8>) {
        // Iterative walk: depth is bounded by the parser's limits, but the stack never is at risk.
        let mut n = root;
        let mut descend = self.enter(n, opts, out);
        loop {
            if descend && let Some(c) = n.first_child() {
                n = c;
                descend = self.enter(n, opts, out);
                continue;
            }
            loop {
                self.leave(n, opts, out);
                if n == root {
                    return;
                }
                if let Some(s) = n.next_sibling() {
                    n = s;
                    descend = self.enter(n, opts, out);
                    break;
                }
                match n.parent() {
                    Some(p) => n = p,
                    None => return,
                }
            }
        }
    }

    /// Writes the start of `n`; returns whether its children are to be visited.
    fn enter(&mut self, n: Node<'a, '_>, opts: &C14nOptions<'_>, out: &mut Vec<u8>) -> bool {
        if Some(n.id()) == opts.exclude {
            return false;
        }
        match n.node_type() {
            NodeType::Element => {
                self.open(n, opts, out);
                true
            }
            NodeType::Text => {
                escape_text(n.text().unwrap_or(""), out);
                false
            }
            NodeType::Comment => {
                if opts.with_comments {
                    write_leaf(n, out);
                }
                false
            }
            NodeType::PI => {
                write_leaf(n, out);
                false
            }
            NodeType::Root => true,
        }
    }

    fn leave(&mut self, n: Node<'a, '_>, opts: &C14nOptions<'_>, out: &mut Vec<u8>) {
        if !n.is_element() || Some(n.id()) == opts.exclude {
            return;
        }
        let (mark, prefix, local) = self.marks.pop().unwrap_or((0, None, ""));
        out.extend_from_slice(b"</");
        write_qname(prefix, local, out);
        out.push(b'>');
        self.rendered.truncate(mark);
    }

    fn lookup(&self, prefix: &str) -> &'a str {
        self.rendered
            .iter()
            .rev()
            .find(|(p, _)| *p == prefix)
            .map_or("", |(_, u)| *u)
    }

    fn open(&mut self, n: Node<'a, '_>, opts: &C14nOptions<'_>, out: &mut Vec<u8>) {
        let prefix = element_prefix(n);
        out.push(b'<');
        write_qname(prefix, n.tag_name().name(), out);

        // Attributes once: they name namespaces (visibly utilised) and are written sorted.
        self.attrs.clear();
        for a in n.attributes() {
            self.attrs.push((
                a.namespace().unwrap_or(""),
                a.name(),
                attribute_prefix(n, &a),
                a.value(),
            ));
        }

        // Namespace nodes to consider: those visibly utilised, plus those named by the PrefixList.
        self.candidates.clear();
        self.candidates
            .push((prefix.unwrap_or(""), n.tag_name().namespace().unwrap_or("")));
        for &(uri, _, p, _) in &self.attrs {
            if let Some(p) = p {
                self.candidates.push((p, uri));
            }
        }
        if !opts.inclusive_prefixes.is_empty() {
            let mut default_listed = false;
            for p in opts.inclusive_prefixes {
                if *p == "#default" {
                    default_listed = true;
                }
            }
            for ns in n.namespaces() {
                let key = ns.name().unwrap_or("");
                let listed = match ns.name() {
                    None => default_listed,
                    Some(name) => opts.inclusive_prefixes.contains(&name),
                };
                if listed {
                    self.candidates.push((key, ns.uri()));
                }
            }
            if default_listed && n.namespaces().all(|ns| ns.name().is_some()) {
                self.candidates.push(("", ""));
            }
        }
        self.candidates.sort_unstable();
        self.candidates.dedup_by(|a, b| a.0 == b.0);

        self.marks
            .push((self.rendered.len(), prefix, n.tag_name().name()));
        let mut i = 0;
        while let Some(&(p, uri)) = self.candidates.get(i) {
            i += 1;
            if p == "xml" || self.lookup(p) == uri {
                continue;
            }
            if p.is_empty() {
                out.extend_from_slice(b" xmlns=\"");
            } else {
                out.extend_from_slice(b" xmlns:");
                out.extend_from_slice(p.as_bytes());
                out.extend_from_slice(b"=\"");
            }
            escape_attr(uri, out);
            out.push(b'"');
            self.rendered.push((p, uri));
        }

        self.attrs
            .sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        for &(_, local, p, value) in &self.attrs {
            out.push(b' ');
            write_qname(p, local, out);
            out.extend_from_slice(b"=\"");
            escape_attr(value, out);
            out.push(b'"');
        }
        out.push(b'>');
    }
}

fn write_qname(prefix: Option<&str>, local: &str, out: &mut Vec<u8>) {
    if let Some(p) = prefix {
        out.extend_from_slice(p.as_bytes());
        out.push(b':');
    }
    out.extend_from_slice(local.as_bytes());
}

fn write_leaf(n: Node<'_, '_>, out: &mut Vec<u8>) {
    if n.is_comment() {
        out.extend_from_slice(b"<!--");
        out.extend_from_slice(n.text().unwrap_or("").as_bytes());
        out.extend_from_slice(b"-->");
    } else if let Some(pi) = n.pi() {
        out.extend_from_slice(b"<?");
        out.extend_from_slice(pi.target.as_bytes());
        if let Some(v) = pi.value.filter(|v| !v.is_empty()) {
            out.push(b' ');
            out.extend_from_slice(v.as_bytes());
        }
        out.extend_from_slice(b"?>");
    }
}

fn escape_text(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    if !bytes
        .iter()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'\r'))
    {
        out.extend_from_slice(bytes);
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'\r' => b"&#xD;",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        out.extend_from_slice(rep);
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

fn escape_attr(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    if !bytes
        .iter()
        .any(|b| matches!(b, b'&' | b'<' | b'"' | b'\t' | b'\n' | b'\r'))
    {
        out.extend_from_slice(bytes);
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'"' => b"&quot;",
            b'\t' => b"&#x9;",
            b'\n' => b"&#xA;",
            b'\r' => b"&#xD;",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        out.extend_from_slice(rep);
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}
