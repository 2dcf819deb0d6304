//! SCIM filters (RFC 7644 section 3.4.2.2) and PATCH paths (section 3.5.2): parsed against the
//! resource type's schema (unknown attributes are an `invalidFilter` / `invalidPath` error),
//! bounded in length and nesting before anything is built, evaluated on JSON resources.
//!
//! Comparison follows the schema: strings without case unless the attribute is case-exact,
//! `dateTime` values as instants, numbers as numbers; a multi-valued attribute matches when any
//! value does; a complex attribute without a sub-attribute compares its `value`.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{Result, ScimError, ScimType};
use crate::schema::{Attr, ResourceType, Schema, Type};

/// The longest filter or path accepted, in bytes.
pub const MAX_FILTER_BYTES: usize = 4096;
/// The deepest nesting of parentheses, `not` and value filters.
pub const MAX_DEPTH: usize = 16;
/// The most expressions in one filter.
pub const MAX_NODES: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// An attribute resolved against the schema: `attr` of the core schema or of extension `ext`,
/// or of the complex attribute a value filter is inside; `sub` one of its sub-attributes.
#[derive(Debug, Clone)]
pub struct AttrPath {
    pub ext: Option<&'static Schema>,
    pub attr: &'static Attr,
    pub sub: Option<&'static Attr>,
}

impl AttrPath {
    /// The definition that holds the compared values.
    pub fn leaf(&self) -> &'static Attr {
        match self.sub {
            Some(s) => s,
            None if self.attr.ty == Type::Complex => {
                self.attr.sub_attr("value").unwrap_or(self.attr)
            }
            None => self.attr,
        }
    }

    /// The attribute's value in `resource` (top level, or inside its extension's object).
    pub fn top<'v>(&self, resource: &'v Value) -> Option<&'v Value> {
        match self.ext {
            Some(e) => resource.get(e.id)?.get(self.attr.name),
            None => resource.get(self.attr.name),
        }
    }

    /// Every scalar value the path reaches in `resource`.
    fn values<'v>(&self, resource: &'v Value, out: &mut Vec<&'v Value>) {
        let Some(v) = self.top(resource) else { return };
        let sub = match self.sub {
            Some(s) => Some(s.name),
            None if self.attr.ty == Type::Complex => Some("value"),
            None => None,
        };
        let mut push = |x: &'v Value| match (sub, x) {
            (Some(s), Value::Object(o)) => {
                if let Some(y) = o.get(s) {
                    out.push(y);
                }
            }
            (Some(_), _) => {}
            (None, x) => out.push(x),
        };
        match v {
            Value::Array(items) => items.iter().for_each(&mut push),
            other => push(other),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Filter {
    Compare(AttrPath, Op, Value),
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attr[filter]`: some value of the multi-valued (or complex) attribute matches `filter`,
    /// whose paths are the attribute's sub-attributes.
    Values(AttrPath, Box<Filter>),
}

/// What paths are resolved against: the resource type, or the sub-attributes of the complex
/// attribute a value filter is inside.
#[derive(Clone, Copy)]
pub(crate) enum Scope {
    Top(&'static ResourceType),
    Sub(&'static Attr),
}

fn invalid(kind: ScimType, what: impl Into<String>) -> ScimError {
    ScimError::bad(kind, what)
}

/// Resolve an attribute path (`userName`, `name.givenName`, `urn:...:User:department`).
pub(crate) fn resolve(scope: Scope, text: &str, kind: ScimType) -> Result<AttrPath> {
    let unknown = || invalid(kind, format!("unknown attribute {text:?}"));
    match scope {
        Scope::Top(rt) => {
            let (ext, rest) = rt.split_urn(text);
            let (name, sub) = match rest.split_once('.') {
                Some((n, s)) => (n, Some(s)),
                None => (rest, None),
            };
            let attr = match ext {
                Some(e) => e
                    .attributes
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case(name)),
                None => rt.core_attr(name),
            }
            .ok_or_else(unknown)?;
            let sub = match sub {
                Some(s) => Some(attr.sub_attr(s).ok_or_else(unknown)?),
                None => None,
            };
            Ok(AttrPath { ext, attr, sub })
        }
        Scope::Sub(parent) => {
            let attr = parent.sub_attr(text).ok_or_else(unknown)?;
            Ok(AttrPath {
                ext: None,
                attr,
                sub: None,
            })
        }
    }
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    depth: usize,
    nodes: usize,
    kind: ScimType,
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$' | '.' | ':')
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }
    fn skip_ws(&mut self) {
        let r = self.rest();
        self.pos += r.len() - r.trim_start_matches(' ').len();
    }
    fn err(&self, what: &str) -> ScimError {
        invalid(
            self.kind,
            format!("{what} at position {} of the filter", self.pos + 1),
        )
    }
    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }
    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }
    /// A word (attribute path, keyword or operator).
    fn word(&mut self) -> &'a str {
        let r = self.rest();
        let n = r.find(|c: char| !is_path_char(c)).unwrap_or(r.len());
        self.pos += n;
        r.get(..n).unwrap_or("")
    }
    /// The next word, without consuming it, if it is `kw` (any case) followed by a non-path char.
    fn at_keyword(&self, kw: &str) -> bool {
        let r = self.rest();
        r.get(..kw.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(kw))
            && !r
                .get(kw.len()..)
                .and_then(|t| t.chars().next())
                .is_some_and(is_path_char)
    }
    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        self.nodes += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("the filter nests too deeply"));
        }
        if self.nodes > MAX_NODES {
            return Err(self.err("the filter has too many expressions"));
        }
        Ok(())
    }

    fn or(&mut self, scope: Scope) -> Result<Filter> {
        self.enter()?;
        let mut left = self.and(scope)?;
        loop {
            self.skip_ws();
            if self.at_keyword("or") {
                self.pos += 2;
                self.skip_ws();
                let right = self.and(scope)?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                break;
            }
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self, scope: Scope) -> Result<Filter> {
        let mut left = self.unary(scope)?;
        loop {
            self.skip_ws();
            if self.at_keyword("and") {
                self.pos += 3;
                self.skip_ws();
                let right = self.unary(scope)?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                break;
            }
        }
        Ok(left)
    }

    fn unary(&mut self, scope: Scope) -> Result<Filter> {
        self.skip_ws();
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(self.err("the filter has too many expressions"));
        }
        if self.at_keyword("not") {
            self.pos += 3;
            self.skip_ws();
            if !self.eat('(') {
                return Err(self.err("expected ( after not"));
            }
            let f = self.or(scope)?;
            self.skip_ws();
            if !self.eat(')') {
                return Err(self.err("expected )"));
            }
            return Ok(Filter::Not(Box::new(f)));
        }
        if self.eat('(') {
            let f = self.or(scope)?;
            self.skip_ws();
            if !self.eat(')') {
                return Err(self.err("expected )"));
            }
            return Ok(f);
        }
        let start = self.pos;
        let name = self.word();
        if name.is_empty() {
            return Err(self.err("expected an attribute name"));
        }
        let path = resolve(scope, name, self.kind)
            .map_err(|e| invalid(self.kind, format!("{} at position {}", e.detail, start + 1)))?;
        if self.eat('[') {
            if matches!(scope, Scope::Sub(_)) || path.sub.is_some() || path.attr.ty != Type::Complex
            {
                return Err(self.err("a value filter needs a complex attribute"));
            }
            self.enter()?;
            let inner = self.or(Scope::Sub(path.attr))?;
            self.depth -= 1;
            self.skip_ws();
            if !self.eat(']') {
                return Err(self.err("expected ]"));
            }
            return Ok(Filter::Values(path, Box::new(inner)));
        }
        if !self.eat(' ') {
            return Err(self.err("expected an operator"));
        }
        self.skip_ws();
        let op_word = self.word();
        let op = match op_word.to_ascii_lowercase().as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => return Err(self.err(&format!("unknown operator {op_word:?}"))),
        };
        if !self.eat(' ') {
            return Err(self.err("expected a value"));
        }
        self.skip_ws();
        let value = self.value()?;
        let leaf = path.leaf();
        let ordered = matches!(op, Op::Gt | Op::Ge | Op::Lt | Op::Le);
        if ordered && matches!(leaf.ty, Type::Boolean | Type::Binary | Type::Complex) {
            return Err(self.err(&format!(
                "{} cannot be ordered ({} is {})",
                leaf.name,
                leaf.name,
                if leaf.ty == Type::Boolean {
                    "boolean"
                } else {
                    "not orderable"
                }
            )));
        }
        if matches!(op, Op::Co | Op::Sw | Op::Ew) && !value.is_string() {
            return Err(self.err("co, sw and ew compare with a string"));
        }
        if ordered && value.is_null() {
            return Err(self.err("null cannot be ordered"));
        }
        Ok(Filter::Compare(path, op, value))
    }

    fn value(&mut self) -> Result<Value> {
        let r = self.rest();
        if r.starts_with('"') {
            // The end of a JSON string: the first quote not escaped.
            let bytes = r.as_bytes();
            let mut i = 1;
            let mut end = None;
            while let Some(&b) = bytes.get(i) {
                match b {
                    b'\\' => i += 2,
                    b'"' => {
                        end = Some(i);
                        break;
                    }
                    _ => i += 1,
                }
            }
            let end = end.ok_or_else(|| self.err("unterminated string"))?;
            let text = r.get(..=end).ok_or_else(|| self.err("bad string"))?;
            let v: Value = serde_json::from_str(text).map_err(|_| self.err("bad string escape"))?;
            self.pos += end + 1;
            return Ok(v);
        }
        let n = r.find([' ', ')', ']']).unwrap_or(r.len());
        let word = r.get(..n).unwrap_or("");
        let v = match word.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            _ => match serde_json::from_str::<Value>(word) {
                Ok(v @ Value::Number(_)) => v,
                _ => return Err(self.err(&format!("bad value {word:?}"))),
            },
        };
        self.pos += n;
        Ok(v)
    }
}

fn check_len(s: &str, kind: ScimType) -> Result<()> {
    if s.len() > MAX_FILTER_BYTES {
        return Err(invalid(
            kind,
            format!("longer than {MAX_FILTER_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// Parse a filter for resources of type `rt`.
pub fn parse(rt: &'static ResourceType, s: &str) -> Result<Filter> {
    check_len(s, ScimType::InvalidFilter)?;
    let mut p = Parser {
        s,
        pos: 0,
        depth: 0,
        nodes: 0,
        kind: ScimType::InvalidFilter,
    };
    let f = p.or(Scope::Top(rt))?;
    p.skip_ws();
    if !p.rest().is_empty() {
        return Err(p.err("unexpected text"));
    }
    Ok(f)
}

/// A PATCH path: an attribute (or sub-attribute), optionally narrowed by a value filter and
/// then a sub-attribute: `members[value eq "2819c223"]`, `emails[type eq "work"].value`.
#[derive(Debug, Clone)]
pub struct PatchPath {
    pub path: AttrPath,
    pub filter: Option<Filter>,
    /// The sub-attribute after a value filter.
    pub then: Option<&'static Attr>,
}

/// Parse a PATCH path for resources of type `rt`.
pub fn parse_path(rt: &'static ResourceType, s: &str) -> Result<PatchPath> {
    check_len(s, ScimType::InvalidPath)?;
    let mut p = Parser {
        s,
        pos: 0,
        depth: 0,
        nodes: 0,
        kind: ScimType::InvalidPath,
    };
    let name = p.word();
    if name.is_empty() {
        return Err(p.err("expected an attribute name"));
    }
    let path = resolve(Scope::Top(rt), name, ScimType::InvalidPath)?;
    let mut filter = None;
    let mut then = None;
    if p.eat('[') {
        if path.sub.is_some() || path.attr.ty != Type::Complex {
            return Err(p.err("a value filter needs a complex attribute"));
        }
        p.kind = ScimType::InvalidFilter;
        filter = Some(p.or(Scope::Sub(path.attr))?);
        p.kind = ScimType::InvalidPath;
        p.skip_ws();
        if !p.eat(']') {
            return Err(p.err("expected ]"));
        }
        if p.eat('.') {
            let sub = p.word();
            then = Some(path.attr.sub_attr(sub).ok_or_else(|| {
                invalid(ScimType::InvalidPath, format!("unknown attribute {s:?}"))
            })?);
        }
    }
    if !p.rest().is_empty() {
        return Err(p.err("unexpected text"));
    }
    Ok(PatchPath { path, filter, then })
}

fn fold(s: &str) -> String {
    s.to_lowercase()
}

fn time_of(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

fn ascii_compare(op: Op, h: &[u8], w: &[u8]) -> bool {
    use std::cmp::Ordering;
    let eq = |a: &[u8], b: &[u8]| a.eq_ignore_ascii_case(b);
    let ord = || {
        h.iter()
            .map(u8::to_ascii_lowercase)
            .cmp(w.iter().map(u8::to_ascii_lowercase))
    };
    match op {
        Op::Eq => eq(h, w),
        Op::Ne => !eq(h, w),
        Op::Sw => h.get(..w.len()).is_some_and(|p| eq(p, w)),
        Op::Ew => h
            .len()
            .checked_sub(w.len())
            .and_then(|i| h.get(i..))
            .is_some_and(|p| eq(p, w)),
        Op::Co => w.is_empty() || h.windows(w.len()).any(|p| eq(p, w)),
        Op::Gt => ord() == Ordering::Greater,
        Op::Ge => ord() != Ordering::Less,
        Op::Lt => ord() == Ordering::Less,
        Op::Le => ord() != Ordering::Greater,
    }
}

/// Whether one value compares true.
fn compare(op: Op, have: &Value, want: &Value, def: &Attr) -> bool {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match (have, want) {
        (Value::String(h), Value::String(w)) => {
            if def.ty == Type::DateTime
                && let (Some(a), Some(b)) = (time_of(h), time_of(w))
            {
                Some(a.cmp(&b))
            } else if !def.case_exact && h.is_ascii() && w.is_ascii() {
                // Without allocating: ASCII compared without case byte by byte.
                return ascii_compare(op, h.as_bytes(), w.as_bytes());
            } else {
                let (h, w) = if def.case_exact {
                    (h.clone(), w.clone())
                } else {
                    (fold(h), fold(w))
                };
                return match op {
                    Op::Eq => h == w,
                    Op::Ne => h != w,
                    Op::Co => h.contains(&w),
                    Op::Sw => h.starts_with(&w),
                    Op::Ew => h.ends_with(&w),
                    Op::Gt => h > w,
                    Op::Ge => h >= w,
                    Op::Lt => h < w,
                    Op::Le => h <= w,
                };
            }
        }
        (Value::Number(h), Value::Number(w)) => h
            .as_f64()
            .zip(w.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::Bool(h), Value::Bool(w)) => Some(h.cmp(w)),
        _ => None,
    };
    let Some(o) = ordering else {
        return op == Op::Ne;
    };
    match op {
        Op::Eq => o == Ordering::Equal,
        Op::Ne => o != Ordering::Equal,
        Op::Gt => o == Ordering::Greater,
        Op::Ge => o != Ordering::Less,
        Op::Lt => o == Ordering::Less,
        Op::Le => o != Ordering::Greater,
        Op::Co | Op::Sw | Op::Ew => false,
    }
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(present),
        Value::Object(o) => o.values().any(present),
        _ => true,
    }
}

impl Filter {
    /// Whether `resource` (a JSON object in canonical attribute names) matches.
    pub fn matches(&self, resource: &Value) -> bool {
        match self {
            Filter::And(a, b) => a.matches(resource) && b.matches(resource),
            Filter::Or(a, b) => a.matches(resource) || b.matches(resource),
            Filter::Not(f) => !f.matches(resource),
            Filter::Present(p) => {
                let mut vals = Vec::new();
                if p.sub.is_none() && p.attr.ty == Type::Complex {
                    return p.top(resource).is_some_and(present);
                }
                p.values(resource, &mut vals);
                vals.into_iter().any(present)
            }
            Filter::Values(p, inner) => match p.top(resource) {
                Some(Value::Array(items)) => items.iter().any(|i| inner.matches(i)),
                Some(v @ Value::Object(_)) => inner.matches(v),
                _ => false,
            },
            Filter::Compare(p, op, want) => {
                let mut vals = Vec::new();
                p.values(resource, &mut vals);
                let def = p.leaf();
                if want.is_null() {
                    let any = vals.into_iter().any(present);
                    return match op {
                        Op::Eq => !any,
                        _ => any,
                    };
                }
                match op {
                    Op::Ne => !vals.into_iter().any(|v| compare(Op::Eq, v, want, def)),
                    _ => vals.into_iter().any(|v| compare(*op, v, want, def)),
                }
            }
        }
    }

    /// `Some(value)` when the filter is exactly `attr eq "value"` on the top-level attribute
    /// `name` (so that the caller may look it up by index instead of scanning).
    pub fn simple_eq(&self, name: &str) -> Option<&str> {
        match self {
            Filter::Compare(p, Op::Eq, Value::String(v))
                if p.ext.is_none() && p.sub.is_none() && p.attr.name == name =>
            {
                Some(v)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{GROUP_TYPE, USER_TYPE};
    use serde_json::json;

    fn user() -> Value {
        json!({
            "id": "2819c223",
            "userName": "Bjensen@Example.com",
            "name": {"familyName": "Jensen", "givenName": "Barbara"},
            "active": true,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "meta": {"lastModified": "2026-05-13T04:42:34Z"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour Operations"}
        })
    }

    fn m(f: &str) -> bool {
        match parse(&USER_TYPE, f) {
            Ok(f) => f.matches(&user()),
            Err(e) => panic!("{f}: {e}"),
        }
    }

    #[test]
    fn rfc_examples_match() {
        assert!(m(r#"userName eq "bjensen@example.com""#));
        assert!(m(r#"name.familyName co "ens""#));
        assert!(m(r#"userName sw "BJ""#));
        assert!(m(r#"userName ew ".COM""#));
        assert!(m("name.givenName pr"));
        assert!(!m("title pr"));
        assert!(m(r#"meta.lastModified gt "2026-01-01T00:00:00Z""#));
        assert!(m(r#"meta.lastModified ge "2026-05-13T06:42:34+02:00""#));
        assert!(!m(r#"meta.lastModified lt "2026-05-13T04:42:34Z""#));
        assert!(m(r#"emails[type eq "work" and value co "@example.com"]"#));
        assert!(m(r#"emails co "jensen.org""#));
        assert!(m(r#"emails.type eq "home""#));
        assert!(m(
            r#"not (userName eq "x") and (active eq true or title pr)"#
        ));
        assert!(m(r#"userType eq null"#));
        assert!(m(r#"userName ne "x""#));
        assert!(m(r#"title ne "x""#));
        assert!(m(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tour operations""#
        ));
        assert!(m(r#"USERNAME EQ "bjensen@example.com" AND Active Eq TRUE"#));
        // id is case-exact.
        assert!(!m(r#"id eq "2819C223""#));
        assert!(m(r#"id eq "2819c223""#));
    }

    #[test]
    fn ascii_and_unicode_compare_alike() {
        let u = json!({"userName": "Ärger@Example.com", "displayName": "ZOË"});
        let t = |f: &str| parse(&USER_TYPE, f).unwrap().matches(&u);
        assert!(t(r#"userName eq "ärger@example.COM""#));
        assert!(t(r#"displayName eq "zoë""#));
        assert!(t(r#"displayName sw "zo" and displayName ew "Ë""#));
        assert!(t(r#"userName co "EXAMPLE""#) && t(r#"userName co """#));
        assert!(t(r#"displayName gt "ZOA""#) && !t(r#"displayName lt "zoa""#));
        assert!(!t(r#"displayName ew "ZOËX""#) && !t(r#"displayName sw "ZOËX""#));
    }

    #[test]
    fn precedence_is_not_and_or() {
        // a or b and c == a or (b and c)
        assert!(m(
            r#"userName eq "bjensen@example.com" or title pr and active eq false"#
        ));
        assert!(!m(
            r#"(userName eq "bjensen@example.com" or title pr) and active eq false"#
        ));
    }

    #[test]
    fn malformed_filters_are_invalid_filter_errors() {
        for f in [
            "",
            "userName",
            "userName eq",
            r#"userName eq "unterminated"#,
            r#"userName zz "x""#,
            r#"nosuch eq "x""#,
            r#"name.nosuch eq "x""#,
            r#"active gt true"#,
            r#"userName co 3"#,
            r#"(userName eq "x""#,
            r#"userName eq "x")"#,
            r#"emails[type eq "work""#,
            r#"userName[value eq "x"]"#,
            r#"emails[nosuch eq "x"]"#,
            r#"userName eq "x" and"#,
            r#"not userName eq "x""#,
            r#"userName eq bare"#,
        ] {
            let e = parse(&USER_TYPE, f).expect_err(f);
            assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{f}");
            assert_eq!(e.status, 400);
        }
    }

    #[test]
    fn bounded_before_work() {
        let deep = format!("{}userName pr{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&USER_TYPE, &deep).is_err());
        let long = format!(r#"userName eq "{}""#, "a".repeat(MAX_FILTER_BYTES));
        assert!(parse(&USER_TYPE, &long).is_err());
        let many = vec![r#"userName eq "x""#; 200].join(" or ");
        assert!(parse(&USER_TYPE, &many).is_err());
        let nots = format!("{}userName pr{}", "not (".repeat(40), ")".repeat(40));
        assert!(parse(&USER_TYPE, &nots).is_err());
    }

    #[test]
    fn patch_paths() {
        let p = parse_path(&GROUP_TYPE, r#"members[value eq "2819c223"]"#).expect("path");
        assert_eq!(p.path.attr.name, "members");
        assert!(p.filter.is_some());
        let p = parse_path(&USER_TYPE, r#"emails[type eq "work"].value"#).expect("path");
        assert_eq!(p.then.map(|a| a.name), Some("value"));
        let p = parse_path(&USER_TYPE, "name.givenName").expect("path");
        assert_eq!(p.path.sub.map(|a| a.name), Some("givenName"));
        for bad in [
            "nosuch",
            "emails[",
            "emails[type eq \"x\"].nosuch",
            "name.givenName.x",
        ] {
            assert!(parse_path(&USER_TYPE, bad).is_err(), "{bad}");
        }
        assert!(simple(r#"userName eq "a""#));
    }

    fn simple(f: &str) -> bool {
        parse(&USER_TYPE, f)
            .ok()
            .and_then(|f| f.simple_eq("userName").map(str::to_string))
            .is_some()
    }
}
