//! An XML writer that escapes every value it is given, so that no attribute or text value can
//! inject markup. Names are checked: a name that is not a plain XML name is refused.

use std::fmt::Write as _;

/// Append `s` escaped for use as element text.
pub fn push_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c if is_forbidden_char(c) => {
                let _ = write!(out, "\u{FFFD}");
            }
            c => out.push(c),
        }
    }
}

/// Append `s` escaped for use inside a double-quoted attribute value.
pub fn push_attr(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c if is_forbidden_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// Characters XML 1.0 cannot carry at all, even escaped.
fn is_forbidden_char(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// True for a qualified name made of XML name characters (ASCII subset plus non-ASCII letters),
/// with at most one colon, not at either end.
pub fn is_valid_qname(name: &str) -> bool {
    let mut parts = name.split(':');
    let ok = |p: &str| {
        let mut chars = p.chars();
        match chars.next() {
            Some(c) if c.is_alphabetic() || c == '_' => {}
            _ => return false,
        }
        chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    };
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), None, None) => ok(a),
        (Some(a), Some(b), None) => ok(a) && ok(b),
        _ => false,
    }
}

/// Builds a document element by element. Every value is escaped; names are validated.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
    open: Vec<String>,
    in_start_tag: bool,
    error: bool,
}

impl XmlWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Start with an XML declaration.
    pub fn with_declaration() -> Self {
        XmlWriter {
            out: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>".into(),
            ..Self::default()
        }
    }

    fn close_start_tag(&mut self) {
        if self.in_start_tag {
            self.out.push('>');
            self.in_start_tag = false;
        }
    }

    pub fn start(&mut self, name: &str) -> &mut Self {
        self.close_start_tag();
        if !is_valid_qname(name) {
            self.error = true;
        }
        self.out.push('<');
        self.out.push_str(name);
        self.open.push(name.to_string());
        self.in_start_tag = true;
        self
    }

    pub fn attr(&mut self, name: &str, value: &str) -> &mut Self {
        if !self.in_start_tag || !(is_valid_qname(name) || is_xmlns_name(name)) {
            self.error = true;
            return self;
        }
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        push_attr(&mut self.out, value);
        self.out.push('"');
        self
    }

    pub fn opt_attr(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.attr(name, v);
        }
        self
    }

    pub fn text(&mut self, value: &str) -> &mut Self {
        self.close_start_tag();
        push_text(&mut self.out, value);
        self
    }

    pub fn end(&mut self) -> &mut Self {
        match self.open.pop() {
            Some(name) => {
                if self.in_start_tag {
                    self.out.push_str("/>");
                    self.in_start_tag = false;
                } else {
                    self.out.push_str("</");
                    self.out.push_str(&name);
                    self.out.push('>');
                }
            }
            None => self.error = true,
        }
        self
    }

    /// Element with text content only.
    pub fn leaf(&mut self, name: &str, value: &str) -> &mut Self {
        self.start(name).text(value).end()
    }

    /// The document, or `None` if a name was invalid or elements were left open.
    pub fn finish(mut self) -> Option<String> {
        self.close_start_tag();
        if self.error || !self.open.is_empty() {
            None
        } else {
            Some(self.out)
        }
    }
}

fn is_xmlns_name(name: &str) -> bool {
    name == "xmlns"
        || name
            .strip_prefix("xmlns:")
            .is_some_and(|p| is_valid_qname(p) && !p.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cannot_inject_markup() {
        let mut w = XmlWriter::new();
        w.start("a")
            .attr("v", "\"/><evil x=\"")
            .text("</a><evil/>")
            .end();
        let s = w.finish().unwrap();
        assert_eq!(
            s,
            "<a v=\"&quot;/&gt;&lt;evil x=&quot;\">&lt;/a&gt;&lt;evil/&gt;</a>"
        );
        let doc = crate::parse(&s, &crate::Limits::default()).unwrap();
        assert_eq!(
            doc.root_element()
                .descendants()
                .filter(|n| n.is_element())
                .count(),
            1
        );
        assert_eq!(doc.root_element().attribute("v"), Some("\"/><evil x=\""));
    }

    #[test]
    fn bad_names_fail() {
        let mut w = XmlWriter::new();
        w.start("a b").end();
        assert!(w.finish().is_none());
        let mut w = XmlWriter::new();
        w.start("a").attr("x=\"1\" y", "v").end();
        assert!(w.finish().is_none());
        let mut w = XmlWriter::new();
        w.start("a");
        assert!(w.finish().is_none());
    }
}
