//! Exclusive XML Canonicalization 1.0 (<https://www.w3.org/TR/xml-exc-c14n/>), with and without
//! comments, with an InclusiveNamespaces PrefixList, over an element's subtree (optionally with
//! one descendant subtree left out, as the enveloped-signature transform requires) or over a whole
//! document.

use roxmltree::{Document, Node, NodeId, NodeType};

use crate::parse::{attribute_prefix, element_prefix};

/// The most distinct prefixes an InclusiveNamespaces PrefixList may name. Real signers name a
/// handful (`xs`, `xsi`, `#default`); verifiers refuse longer lists before any work is done.
pub const MAX_INCLUSIVE_PREFIXES: usize = 32;

/// What to canonicalise and how.
#[derive(Debug, Clone, Default)]
pub struct C14nOptions<'a> {
    /// Keep comments (`xml-exc-c14n#WithComments`).
    pub with_comments: bool,
    /// InclusiveNamespaces PrefixList: prefixes handled by the inclusive rules; `#default`
    /// names the default namespace. Duplicates are harmless: the list is sorted and deduplicated
    /// once per call, and each element costs at most one look-up per namespace it declares, so
    /// the work stays linear in the input whatever the list says.
    pub inclusive_prefixes: &'a [&'a str],
    /// A descendant element whose whole subtree is left out (the enveloped signature).
    pub exclude: Option<NodeId>,
}

/// Canonicalise `node` (an element) and its descendants, appending to `out`.
pub fn canonicalize(node: Node<'_, '_>, opts: &C14nOptions<'_>, out: &mut Vec<u8>) {
    let mut state = State::new(opts);
    state.subtree(node, opts, out);
}

/// [`canonicalize`] as the specification words it: the namespaces in scope are looked at on
/// every element. Quadratic in the worst case; only for differential tests and fuzzing.
#[doc(hidden)]
pub fn canonicalize_reference(node: Node<'_, '_>, opts: &C14nOptions<'_>, out: &mut Vec<u8>) {
    let mut state = State::new(opts);
    state.full_scan = true;
    state.subtree(node, opts, out);
}

/// Canonicalise a whole document: comments and processing instructions around the document
/// element are kept (comments only `with_comments`), separated from it by line feeds.
pub fn canonicalize_document(doc: &Document<'_>, opts: &C14nOptions<'_>, out: &mut Vec<u8>) {
    let mut state = State::new(opts);
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

struct State<'a, 'o> {
    /// The PrefixList, sorted and deduplicated, without `#default`.
    listed: Vec<&'o str>,
    /// `#default` is in the PrefixList.
    default_listed: bool,
    /// Look at the namespaces in scope on every element (the reference behaviour).
    full_scan: bool,
    /// Namespace declarations in scope in the output: (prefix, URI); "" is the default namespace.
    rendered: Vec<(&'a str, &'a str)>,
    /// For each open element: the length of `rendered` when it started, and its qualified name.
    marks: Vec<(usize, Option<&'a str>, &'a str)>,
    /// Scratch buffers reused across elements.
    candidates: Vec<(&'a str, &'a str)>,
    attrs: Vec<(&'a str, &'a str, Option<&'a str>, &'a str)>,
}

impl<'a, 'o> State<'a, 'o> {
    fn new(opts: &C14nOptions<'o>) -> Self {
        let mut listed: Vec<&'o str> = opts
            .inclusive_prefixes
            .iter()
            .copied()
            .filter(|p| !p.is_empty() && *p != "#default")
            .collect();
        listed.sort_unstable();
        listed.dedup();
        State {
            default_listed: opts.inclusive_prefixes.contains(&"#default"),
            listed,
            full_scan: false,
            rendered: Vec::new(),
            marks: Vec::new(),
            candidates: Vec::new(),
            attrs: Vec::new(),
        }
    }

    fn subtree(&mut self, root: Node<'a, '_>, opts: &C14nOptions<'_>, out: &mut Vec<u8>) {
        // Iterative walk: depth is bounded by the parser's limits, but the stack never is at risk.
        let mut n = root;
        let mut descend = self.enter(n, true, opts, out);
        loop {
            if descend && let Some(c) = n.first_child() {
                n = c;
                descend = self.enter(n, false, opts, out);
                continue;
            }
            loop {
                self.leave(n, opts, out);
                if n == root {
                    return;
                }
                if let Some(s) = n.next_sibling() {
                    n = s;
                    descend = self.enter(n, false, opts, out);
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
    /// `apex`: the first element of the output, where every namespace in scope counts.
    fn enter(
        &mut self,
        n: Node<'a, '_>,
        apex: bool,
        opts: &C14nOptions<'_>,
        out: &mut Vec<u8>,
    ) -> bool {
        if Some(n.id()) == opts.exclude {
            return false;
        }
        match n.node_type() {
            NodeType::Element => {
                self.open(n, apex, out);
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

    fn open(&mut self, n: Node<'a, '_>, apex: bool, out: &mut Vec<u8>) {
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
        // A listed prefix can only change value where a namespace is declared: below the apex,
        // elements that declare nothing inherit what their parent already rendered, so the
        // namespaces in scope are looked at only at the apex and where declarations are.
        if (!self.listed.is_empty() || self.default_listed)
            && (apex || self.full_scan || declares_namespaces(n))
        {
            let mut default_in_scope = false;
            for ns in n.namespaces() {
                let listed = match ns.name() {
                    None => {
                        default_in_scope = true;
                        self.default_listed
                    }
                    Some(name) => self.listed.binary_search(&name).is_ok(),
                };
                if listed {
                    self.candidates.push((ns.name().unwrap_or(""), ns.uri()));
                }
            }
            if self.default_listed && !default_in_scope {
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

/// Whether the start tag of `n` declares a namespace (`xmlns` or `xmlns:p`). Reads the start tag
/// once, so its cost is that of the tag's own bytes.
fn declares_namespaces(n: Node<'_, '_>) -> bool {
    let bytes = n.document().input_text().as_bytes();
    let is_ws = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let mut i = n.range().start + 1;
    while bytes
        .get(i)
        .is_some_and(|c| !is_ws(*c) && *c != b'>' && *c != b'/')
    {
        i += 1;
    }
    loop {
        while bytes.get(i).is_some_and(|c| is_ws(*c)) {
            i += 1;
        }
        match bytes.get(i) {
            None | Some(b'>') | Some(b'/') => return false,
            Some(_) => {}
        }
        let start = i;
        while bytes
            .get(i)
            .is_some_and(|c| !is_ws(*c) && *c != b'=' && *c != b'>' && *c != b'/')
        {
            i += 1;
        }
        let name = bytes.get(start..i).unwrap_or_default();
        if name == b"xmlns" || name.starts_with(b"xmlns:") {
            return true;
        }
        while bytes.get(i).is_some_and(|c| is_ws(*c) || *c == b'=') {
            i += 1;
        }
        match bytes.get(i) {
            Some(q @ (b'"' | b'\'')) => {
                let q = *q;
                match bytes.get(i + 1..).and_then(|r| memchr::memchr(q, r)) {
                    Some(close) => i += close + 2,
                    None => return false,
                }
            }
            _ => return false,
        }
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
