//! Resources as kept and as returned: [`normalize`] checks what a client sent against the schema
//! and puts it in canonical form (attribute names in their schema case, read-only attributes
//! dropped, types checked, unknown attributes refused); [`project`] applies `attributes` /
//! `excludedAttributes` and never returns write-only values; [`sort`] orders a list.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::error::{Result, ScimError, ScimType};
use crate::filter::{AttrPath, Scope, resolve};
use crate::schema::{Attr, COMMON, Mutability, ResourceType, Returned, Type};

/// The longest string value accepted, in bytes.
pub const MAX_STRING_BYTES: usize = 16 * 1024;
/// The most values of a multi-valued attribute other than a group's members.
pub const MAX_VALUES: usize = 100;
/// The most members of a group.
pub const MAX_MEMBERS: usize = 100_000;

fn bad(t: ScimType, d: impl Into<String>) -> ScimError {
    ScimError::bad(t, d)
}

fn scalar(attr: &Attr, v: &Value) -> Result<Value> {
    let wrong = || {
        bad(
            ScimType::InvalidValue,
            format!("{} has the wrong type of value", attr.name),
        )
    };
    match attr.ty {
        Type::String | Type::Reference | Type::Binary => {
            let s = v.as_str().ok_or_else(wrong)?;
            if s.len() > MAX_STRING_BYTES {
                return Err(bad(
                    ScimType::InvalidValue,
                    format!("{} is longer than {MAX_STRING_BYTES} bytes", attr.name),
                ));
            }
            Ok(v.clone())
        }
        Type::DateTime => {
            let s = v.as_str().ok_or_else(wrong)?;
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    bad(
                        ScimType::InvalidValue,
                        format!("{} is not an RFC 3339 date and time", attr.name),
                    )
                })?;
            Ok(v.clone())
        }
        Type::Boolean => match v {
            Value::Bool(_) => Ok(v.clone()),
            // Some clients (Entra ID) send "True" / "False".
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(wrong()),
        },
        Type::Integer => match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(v.clone()),
            _ => Err(wrong()),
        },
        Type::Decimal => match v {
            Value::Number(_) => Ok(v.clone()),
            _ => Err(wrong()),
        },
        Type::Complex => Err(wrong()),
    }
}

fn complex_value(attr: &Attr, v: &Value) -> Result<Option<Value>> {
    let Value::Object(o) = v else {
        return Err(bad(
            ScimType::InvalidValue,
            format!("{} takes an object", attr.name),
        ));
    };
    let mut out = Map::new();
    for (k, x) in o {
        let sub = attr.sub_attr(k).ok_or_else(|| {
            bad(
                ScimType::InvalidSyntax,
                format!("{} has no sub-attribute {k:?}", attr.name),
            )
        })?;
        if x.is_null() || sub.mutability == Mutability::ReadOnly {
            continue;
        }
        out.insert(sub.name.to_string(), scalar(sub, x)?);
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

/// One attribute's value from a request, in canonical form; `None` when it is empty (null, an
/// empty list or object).
pub fn value(attr: &Attr, v: &Value) -> Result<Option<Value>> {
    if v.is_null() {
        return Ok(None);
    }
    if attr.multi {
        let items: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            one => vec![one],
        };
        let cap = if attr.name == "members" {
            MAX_MEMBERS
        } else {
            MAX_VALUES
        };
        if items.len() > cap {
            return Err(bad(
                ScimType::InvalidValue,
                format!("{} has more than {cap} values", attr.name),
            ));
        }
        let mut out = Vec::with_capacity(items.len());
        for x in items {
            let one = if attr.ty == Type::Complex {
                complex_value(attr, x)?
            } else if x.is_null() {
                None
            } else {
                Some(scalar(attr, x)?)
            };
            out.extend(one);
        }
        let primaries = out
            .iter()
            .filter(|x| x.get("primary") == Some(&Value::Bool(true)))
            .count();
        if primaries > 1 {
            return Err(bad(
                ScimType::InvalidValue,
                format!("{} has more than one primary value", attr.name),
            ));
        }
        return Ok((!out.is_empty()).then_some(Value::Array(out)));
    }
    if attr.ty == Type::Complex {
        return complex_value(attr, v);
    }
    scalar(attr, v).map(Some)
}

fn attrs_of(
    rt: &'static ResourceType,
    o: &Map<String, Value>,
    out: &mut Map<String, Value>,
) -> Result<()> {
    for (k, v) in o {
        if k.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if let Some(ext) = rt.extension(k) {
            let Value::Object(inner) = v else {
                if v.is_null() {
                    continue;
                }
                return Err(bad(
                    ScimType::InvalidSyntax,
                    format!("{} takes an object", ext.id),
                ));
            };
            let mut eo = Map::new();
            for (ik, iv) in inner {
                // Some clients repeat `schemas` inside the extension object.
                if ik.eq_ignore_ascii_case("schemas") {
                    continue;
                }
                let a = ext
                    .attributes
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case(ik))
                    .ok_or_else(|| {
                        bad(
                            ScimType::InvalidSyntax,
                            format!("unknown attribute {ik:?} of {}", ext.id),
                        )
                    })?;
                if a.mutability == Mutability::ReadOnly {
                    continue;
                }
                if let Some(x) = value(a, iv)? {
                    eo.insert(a.name.to_string(), x);
                }
            }
            if !eo.is_empty() {
                out.insert(ext.id.to_string(), Value::Object(eo));
            }
            continue;
        }
        let a = rt
            .core_attr(k)
            .ok_or_else(|| bad(ScimType::InvalidSyntax, format!("unknown attribute {k:?}")))?;
        // id and meta are the server's; read-only values in a request are ignored (RFC 7643
        // section 2.2).
        if a.mutability == Mutability::ReadOnly {
            continue;
        }
        if let Some(x) = value(a, v)? {
            out.insert(a.name.to_string(), x);
        }
    }
    Ok(())
}

/// A whole resource from a POST or PUT body, checked and in canonical form, without `id`,
/// `meta`, `schemas` or read-only attributes. Required attributes must be present.
pub fn normalize(rt: &'static ResourceType, body: &Value) -> Result<Value> {
    let Value::Object(o) = body else {
        return Err(bad(
            ScimType::InvalidSyntax,
            "the body must be a JSON object",
        ));
    };
    if let Some(s) = o.get("schemas") {
        let known = |u: &str| u.eq_ignore_ascii_case(rt.core.id) || rt.extension(u).is_some();
        let ok = s
            .as_array()
            .is_some_and(|a| a.iter().all(|u| u.as_str().is_some_and(known)));
        if !ok {
            return Err(bad(
                ScimType::InvalidValue,
                format!("schemas must name {} and its extensions only", rt.core.id),
            ));
        }
    }
    let mut out = Map::new();
    attrs_of(rt, o, &mut out)?;
    let v = Value::Object(out);
    check_required(rt, &v)?;
    Ok(v)
}

/// Partial attributes (a PATCH value without a path) in canonical form.
pub fn normalize_partial(rt: &'static ResourceType, body: &Value) -> Result<Map<String, Value>> {
    let Value::Object(o) = body else {
        return Err(bad(
            ScimType::InvalidValue,
            "a PATCH operation without a path takes an object",
        ));
    };
    let mut out = Map::new();
    attrs_of(rt, o, &mut out)?;
    Ok(out)
}

/// Required attributes are present (a non-empty string for strings).
pub fn check_required(rt: &'static ResourceType, v: &Value) -> Result<()> {
    for a in rt.core.attributes.iter().filter(|a| a.required) {
        let ok = match v.get(a.name) {
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(x) => !x.is_null(),
            None => false,
        };
        if !ok {
            return Err(bad(
                ScimType::InvalidValue,
                format!("{} is required", a.name),
            ));
        }
    }
    Ok(())
}

/// The schemas a stored resource names: the core schema and each extension it has values of.
pub fn schemas_of(rt: &'static ResourceType, v: &Value) -> Value {
    let mut s = vec![Value::String(rt.core.id.into())];
    for e in rt.extensions {
        if v.get(e.id).is_some() {
            s.push(Value::String(e.id.into()));
        }
    }
    Value::Array(s)
}

/// Parse a comma-separated `attributes` / `excludedAttributes` list; unknown names are
/// ignored (RFC 7644 section 3.4.2.5 leaves them to the server; clients ask for what they know).
pub fn attribute_list(rt: &'static ResourceType, list: &str) -> Vec<AttrPath> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter_map(|s| resolve(Scope::Top(rt), s, ScimType::InvalidPath).ok())
        .collect()
}

fn container<'v>(v: &'v mut Value, p: &AttrPath) -> Option<&'v mut Map<String, Value>> {
    match p.ext {
        Some(e) => v.get_mut(e.id)?.as_object_mut(),
        None => v.as_object_mut(),
    }
}

fn remove_path(v: &mut Value, p: &AttrPath) {
    let Some(c) = container(v, p) else { return };
    match p.sub {
        None => {
            c.remove(p.attr.name);
        }
        Some(s) => match c.get_mut(p.attr.name) {
            Some(Value::Object(o)) => {
                o.remove(s.name);
            }
            Some(Value::Array(items)) => {
                for i in items {
                    if let Some(o) = i.as_object_mut() {
                        o.remove(s.name);
                    }
                }
            }
            _ => {}
        },
    }
    if let Some(e) = p.ext
        && v.get(e.id)
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
        && let Some(o) = v.as_object_mut()
    {
        o.remove(e.id);
    }
}

fn always(name: &str, rt: &'static ResourceType) -> bool {
    name == "schemas"
        || COMMON
            .iter()
            .copied()
            .chain(rt.core.attributes.iter())
            .any(|a| a.name == name && a.returned == Returned::Always)
}

fn keep_only(v: &Value, rt: &'static ResourceType, wanted: &[AttrPath]) -> Value {
    let Value::Object(o) = v else {
        return v.clone();
    };
    let mut out = Map::new();
    for (k, x) in o {
        if always(k, rt) {
            out.insert(k.clone(), x.clone());
        }
    }
    for p in wanted {
        let src = match p.ext {
            Some(e) => o.get(e.id).and_then(|x| x.get(p.attr.name)),
            None => o.get(p.attr.name),
        };
        let Some(src) = src else { continue };
        let picked = match p.sub {
            None => src.clone(),
            Some(s) => match src {
                Value::Object(so) => match so.get(s.name) {
                    Some(x) => {
                        let mut m = Map::new();
                        m.insert(s.name.into(), x.clone());
                        Value::Object(m)
                    }
                    None => continue,
                },
                Value::Array(items) => Value::Array(
                    items
                        .iter()
                        .filter_map(|i| {
                            let x = i.get(s.name)?;
                            let mut m = Map::new();
                            m.insert(s.name.into(), x.clone());
                            Some(Value::Object(m))
                        })
                        .collect(),
                ),
                _ => continue,
            },
        };
        let target = match p.ext {
            Some(e) => {
                let slot = out
                    .entry(e.id.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                match slot.as_object_mut() {
                    Some(m) => m,
                    None => continue,
                }
            }
            None => &mut out,
        };
        merge_into(target, p.attr.name, picked);
    }
    Value::Object(out)
}

/// Merge a picked value into `target[name]` (two sub-attributes of one attribute asked for).
fn merge_into(target: &mut Map<String, Value>, name: &str, picked: Value) {
    match (target.get_mut(name), picked) {
        (Some(Value::Object(have)), Value::Object(add)) => have.extend(add),
        (Some(Value::Array(have)), Value::Array(add)) if have.len() == add.len() => {
            for (h, a) in have.iter_mut().zip(add) {
                if let (Value::Object(h), Value::Object(a)) = (h, a) {
                    h.extend(a);
                }
            }
        }
        (_, picked) => {
            target.insert(name.to_string(), picked);
        }
    }
}

/// What a response returns of a full resource `v`: write-only values never; with `attributes`,
/// only those (and what is always returned); with `excludedAttributes`, all but those.
pub fn project(
    rt: &'static ResourceType,
    v: &Value,
    attributes: &[AttrPath],
    excluded: &[AttrPath],
) -> Value {
    let mut v = v.clone();
    for a in rt
        .core
        .attributes
        .iter()
        .filter(|a| a.returned == Returned::Never)
    {
        if let Some(o) = v.as_object_mut() {
            o.remove(a.name);
        }
    }
    // Sub-attributes returned only on request.
    for a in rt.core.attributes {
        for sub in a.sub.iter().filter(|s| s.returned == Returned::Request) {
            let asked = attributes.iter().any(|p| {
                p.ext.is_none()
                    && p.attr.name == a.name
                    && p.sub.is_some_and(|s| s.name == sub.name)
            });
            if asked {
                continue;
            }
            match v.get_mut(a.name) {
                Some(Value::Array(items)) => {
                    for i in items {
                        if let Some(o) = i.as_object_mut() {
                            o.remove(sub.name);
                        }
                    }
                }
                Some(Value::Object(o)) => {
                    o.remove(sub.name);
                }
                _ => {}
            }
        }
    }
    if !attributes.is_empty() {
        return keep_only(&v, rt, attributes);
    }
    for p in excluded {
        let top = p.sub.unwrap_or(p.attr);
        if p.sub.is_none() && top.returned == Returned::Always {
            continue;
        }
        remove_path(&mut v, p);
    }
    v
}

fn sort_key<'v>(p: &AttrPath, v: &'v Value) -> Option<&'v Value> {
    let top = p.top(v)?;
    let pick = |x: &'v Value| -> Option<&'v Value> {
        match p.sub {
            Some(s) => x.get(s.name),
            None if p.attr.ty == Type::Complex => x.get("value"),
            None => Some(x),
        }
    };
    match top {
        Value::Array(items) => items
            .iter()
            .find(|i| i.get("primary") == Some(&Value::Bool(true)))
            .or_else(|| items.first())
            .and_then(pick),
        x => pick(x),
    }
}

fn cmp_values(a: &Value, b: &Value, case_exact: bool) -> Ordering {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            if case_exact {
                x.cmp(y)
            } else {
                x.to_lowercase().cmp(&y.to_lowercase())
            }
        }
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .zip(y.as_f64())
            .and_then(|(x, y)| x.partial_cmp(&y))
            .unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

/// Sort resources by `sort_by` (RFC 7644 section 3.4.2.3): a multi-valued attribute by its
/// primary (or first) value; resources without a value last when ascending, first when
/// descending. `Err` when `sort_by` names no attribute.
pub fn sort(
    rt: &'static ResourceType,
    items: &mut [Value],
    sort_by: &str,
    descending: bool,
) -> Result<()> {
    let p = resolve(Scope::Top(rt), sort_by.trim(), ScimType::InvalidPath)?;
    let case_exact = p.leaf().case_exact;
    // Each key once (strings folded once), then the order of the keys.
    let keys: Vec<Option<Value>> = items
        .iter()
        .map(|v| {
            sort_key(&p, v).map(|k| match k {
                Value::String(s) if !case_exact => Value::String(s.to_lowercase()),
                other => other.clone(),
            })
        })
        .collect();
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| {
        let o = match (
            keys.get(a).and_then(Option::as_ref),
            keys.get(b).and_then(Option::as_ref),
        ) {
            (Some(x), Some(y)) => cmp_values(x, y, true),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        if descending { o.reverse() } else { o }
    });
    let mut taken: Vec<Option<Value>> = items.iter_mut().map(|v| Some(std::mem::take(v))).collect();
    for (slot, i) in items.iter_mut().zip(order) {
        if let Some(v) = taken.get_mut(i).and_then(Option::take) {
            *slot = v;
        }
    }
    Ok(())
}

/// The page `startIndex` (1-based, values below 1 are 1) / `count` (negative is 0) of `total`
/// items: the range to return.
pub fn page(total: usize, start_index: Option<i64>, count: Option<i64>) -> std::ops::Range<usize> {
    let start = usize::try_from(start_index.unwrap_or(1).max(1) - 1).unwrap_or(usize::MAX);
    let start = start.min(total);
    let n = match count {
        Some(c) => usize::try_from(c.max(0)).unwrap_or(usize::MAX),
        None => usize::MAX,
    };
    start..start.saturating_add(n).min(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{GROUP_TYPE, USER_TYPE};
    use serde_json::json;

    #[test]
    fn normalize_canonicalises_and_checks() {
        let v = normalize(
            &USER_TYPE,
            &json!({
                "schemas": [crate::USER_SCHEMA, crate::ENTERPRISE_SCHEMA],
                "id": "client-chosen", "meta": {"version": "x"},
                "USERNAME": "bjensen", "Active": "False",
                "NAME": {"GivenName": "Barbara"},
                "emails": {"value": "b@example.com"},
                "groups": [{"value": "g1"}],
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"Department": "Ops"},
                "title": null
            }),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "userName": "bjensen", "active": false,
                "name": {"givenName": "Barbara"},
                "emails": [{"value": "b@example.com"}],
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Ops"}
            })
        );
        for bad in [
            json!({"userName": "x", "nosuch": 1}),
            json!({"displayName": "no user name"}),
            json!({"userName": ""}),
            json!({"userName": 5}),
            json!({"userName": "x", "active": "maybe"}),
            json!({"userName": "x", "name": {"nosuch": "y"}}),
            json!({"userName": "x", "emails": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]}),
            json!({"userName": "x", "schemas": ["urn:other"]}),
            json!([1]),
        ] {
            assert!(normalize(&USER_TYPE, &bad).is_err(), "{bad}");
        }
        let big = json!({"userName": "a".repeat(MAX_STRING_BYTES + 1)});
        assert!(normalize(&USER_TYPE, &big).is_err());
        assert!(
            normalize(
                &GROUP_TYPE,
                &json!({"displayName": "Ops", "members": [{"value": "u1", "display": "ignored"}]})
            )
            .is_ok()
        );
    }

    #[test]
    fn projection() {
        let v = json!({"id": "1", "schemas": [], "userName": "b", "password": "p",
            "name": {"givenName": "B", "familyName": "J"}, "emails": [{"value": "e", "type": "work"}]});
        let only = project(
            &USER_TYPE,
            &v,
            &attribute_list(&USER_TYPE, "name.givenName, emails.value"),
            &[],
        );
        assert_eq!(
            only,
            json!({"id": "1", "schemas": [], "name": {"givenName": "B"}, "emails": [{"value": "e"}]})
        );
        let ex = project(
            &USER_TYPE,
            &v,
            &[],
            &attribute_list(&USER_TYPE, "emails,name.familyName,id"),
        );
        assert_eq!(
            ex,
            json!({"id": "1", "schemas": [], "userName": "b", "name": {"givenName": "B"}})
        );
    }

    #[test]
    fn sorting_and_paging() {
        let mut items = vec![
            json!({"userName": "b"}),
            json!({}),
            json!({"userName": "A"}),
        ];
        sort(&USER_TYPE, &mut items, "userName", false).unwrap();
        assert_eq!(items[0]["userName"], "A");
        assert!(items[2].get("userName").is_none());
        sort(&USER_TYPE, &mut items, "username", true).unwrap();
        assert!(items[0].get("userName").is_none());
        assert!(sort(&USER_TYPE, &mut items, "nosuch", true).is_err());
        assert_eq!(page(10, Some(0), Some(3)), 0..3);
        assert_eq!(page(10, Some(9), Some(5)), 8..10);
        assert_eq!(page(10, Some(20), None), 10..10);
        assert_eq!(page(10, Some(i64::MIN), Some(-1)), 0..0);
        assert_eq!(page(10, Some(i64::MAX), Some(i64::MAX)), 10..10);
    }
}
