//! PATCH (RFC 7644 section 3.5.2): `add`, `remove` and `replace` operations applied in order to
//! a resource in canonical form. The caller applies them to a copy and keeps the result only
//! when every operation succeeded and the result passes [`crate::resource::normalize`]
//! again: a PATCH is all or nothing.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::error::{Result, ScimError, ScimType};
use crate::filter::{Filter, Op, PatchPath, parse_path};
use crate::resource::{normalize_partial, value};
use crate::schema::{Attr, Mutability, ResourceType};

/// The most operations in one PATCH request.
pub const MAX_OPERATIONS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add,
    Remove,
    Replace,
}

fn bad(t: ScimType, d: impl Into<String>) -> ScimError {
    ScimError::bad(t, d)
}

/// Apply the operations of a PatchOp body to `resource`.
pub fn apply(rt: &'static ResourceType, resource: &mut Value, body: &Value) -> Result<()> {
    let schemas_ok = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|s| s == crate::PATCH_SCHEMA));
    if !schemas_ok {
        return Err(bad(
            ScimType::InvalidSyntax,
            format!("a PATCH body names the schema {}", crate::PATCH_SCHEMA),
        ));
    }
    let ops = body
        .get("Operations")
        .or_else(|| body.get("operations"))
        .and_then(Value::as_array)
        .ok_or_else(|| bad(ScimType::InvalidSyntax, "a PATCH body has Operations"))?;
    if ops.is_empty() {
        return Err(bad(ScimType::InvalidSyntax, "Operations is empty"));
    }
    if ops.len() > MAX_OPERATIONS {
        return Err(bad(
            ScimType::TooMany,
            format!("more than {MAX_OPERATIONS} operations"),
        ));
    }
    for (i, op) in ops.iter().enumerate() {
        one(rt, resource, op).map_err(|mut e| {
            e.detail = format!("operation {}: {}", i + 1, e.detail);
            e
        })?;
    }
    Ok(())
}

fn one(rt: &'static ResourceType, resource: &mut Value, op: &Value) -> Result<()> {
    let kind = match op
        .get("op")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("add") => Kind::Add,
        Some("remove") => Kind::Remove,
        Some("replace") => Kind::Replace,
        _ => {
            return Err(bad(
                ScimType::InvalidSyntax,
                "op must be add, remove or replace",
            ));
        }
    };
    // A path naming an extension schema targets its whole object: the same as no path with
    // the value under the schema's URN (and, for remove, the object removed).
    if let Some(Value::String(p)) = op.get("path")
        && let Some(ext) = rt.extension(p.trim())
    {
        if kind != Kind::Add
            && let Some(o) = resource.as_object_mut()
        {
            o.remove(ext.id);
        }
        if kind == Kind::Remove {
            return Ok(());
        }
        let mut wrapped = Map::new();
        wrapped.insert(
            ext.id.to_string(),
            op.get("value").cloned().unwrap_or(Value::Null),
        );
        let mut inner = Map::new();
        inner.insert("op".into(), op.get("op").cloned().unwrap_or(Value::Null));
        inner.insert("value".into(), Value::Object(wrapped));
        return one(rt, resource, &Value::Object(inner));
    }
    let path = match op.get("path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.trim().is_empty() => None,
        Some(Value::String(p)) => Some(parse_path(rt, p.trim())?),
        Some(_) => return Err(bad(ScimType::InvalidPath, "path must be a string")),
    };
    let val = op.get("value");
    let Some(path) = path else {
        if kind == Kind::Remove {
            return Err(bad(ScimType::NoTarget, "remove needs a path"));
        }
        let attrs = normalize_partial(rt, val.unwrap_or(&Value::Null))?;
        for (k, v) in attrs {
            if let Some(ext) = rt.extension(&k) {
                let Value::Object(inner) = v else { continue };
                for (ik, iv) in inner {
                    let Some(a) = ext.attributes.iter().find(|a| a.name == ik) else {
                        continue;
                    };
                    let slot = ext_object(resource, ext.id)?;
                    set(slot, a, iv, kind);
                }
                continue;
            }
            let Some(a) = rt.core_attr(&k) else { continue };
            let slot = resource
                .as_object_mut()
                .ok_or_else(|| bad(ScimType::InvalidSyntax, "not an object"))?;
            set(slot, a, v, kind);
        }
        return Ok(());
    };
    let attr = path.path.attr;
    if attr.mutability == Mutability::ReadOnly {
        return Err(bad(
            ScimType::Mutability,
            format!("{} is read-only", attr.name),
        ));
    }
    if kind == Kind::Remove && attr.required && path.path.sub.is_none() && path.filter.is_none() {
        return Err(bad(
            ScimType::Mutability,
            format!("{} is required and cannot be removed", attr.name),
        ));
    }
    let slot = match path.path.ext {
        Some(e) => ext_object(resource, e.id)?,
        None => resource
            .as_object_mut()
            .ok_or_else(|| bad(ScimType::InvalidSyntax, "not an object"))?,
    };
    let result = with_path(slot, &path, kind, val);
    if let Some(e) = path.path.ext
        && resource
            .get(e.id)
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
        && let Some(o) = resource.as_object_mut()
    {
        o.remove(e.id);
    }
    result
}

fn ext_object<'v>(resource: &'v mut Value, urn: &str) -> Result<&'v mut Map<String, Value>> {
    let o = resource
        .as_object_mut()
        .ok_or_else(|| bad(ScimType::InvalidSyntax, "not an object"))?;
    o.entry(urn.to_string())
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| bad(ScimType::InvalidSyntax, "not an object"))
}

/// `slot[attr] = v` for replace; for add, multi-valued attributes gain the values (without
/// duplicates) and complex ones merge sub-attributes.
fn set(slot: &mut Map<String, Value>, attr: &Attr, v: Value, kind: Kind) {
    if kind == Kind::Replace {
        slot.insert(attr.name.into(), v);
        return;
    }
    match (slot.get_mut(attr.name), v) {
        (Some(Value::Array(have)), Value::Array(add)) => append(have, add),
        (Some(Value::Object(have)), Value::Object(add)) => have.extend(add),
        (_, v) => {
            slot.insert(attr.name.into(), v);
        }
    }
    fix_primary(slot, attr);
}

fn key_of(v: &Value) -> String {
    match v.get("value") {
        Some(x) => x.to_string(),
        None => v.to_string(),
    }
}

/// Append values that are not there yet (by `value` when they have one).
fn append(have: &mut Vec<Value>, add: Vec<Value>) {
    let mut seen: HashSet<String> = have.iter().map(key_of).collect();
    for a in add {
        if seen.insert(key_of(&a)) {
            have.push(a);
        }
    }
}

/// At most one primary value: the last one set wins (RFC 7644 section 3.5.2).
fn fix_primary(slot: &mut Map<String, Value>, attr: &Attr) {
    let Some(Value::Array(items)) = slot.get_mut(attr.name) else {
        return;
    };
    let last = items
        .iter()
        .rposition(|i| i.get("primary") == Some(&Value::Bool(true)));
    if let Some(last) = last {
        for (n, i) in items.iter_mut().enumerate() {
            if n != last
                && let Some(o) = i.as_object_mut()
                && o.get("primary") == Some(&Value::Bool(true))
            {
                o.insert("primary".into(), Value::Bool(false));
            }
        }
    }
}

fn need_value(v: Option<&Value>) -> Result<&Value> {
    match v {
        Some(v) if !v.is_null() => Ok(v),
        _ => Err(bad(ScimType::InvalidValue, "the operation needs a value")),
    }
}

fn with_path(
    slot: &mut Map<String, Value>,
    path: &PatchPath,
    kind: Kind,
    val: Option<&Value>,
) -> Result<()> {
    let attr = path.path.attr;
    match (&path.filter, path.path.sub) {
        (None, None) => match kind {
            Kind::Remove => {
                match (val, attr.multi) {
                    // Remove the listed values (`members` with [{"value": id}], as Entra ID does).
                    (Some(Value::Array(gone)), true) if !gone.is_empty() => {
                        let gone: HashSet<String> = gone.iter().map(key_of).collect();
                        if let Some(Value::Array(items)) = slot.get_mut(attr.name) {
                            items.retain(|i| !gone.contains(&key_of(i)));
                        }
                    }
                    _ => {
                        slot.remove(attr.name);
                    }
                }
                drop_empty(slot, attr);
                Ok(())
            }
            Kind::Add | Kind::Replace => {
                let v = value(attr, need_value(val)?)?;
                match v {
                    Some(v) => set(slot, attr, v, kind),
                    None if kind == Kind::Replace => {
                        slot.remove(attr.name);
                    }
                    None => {}
                }
                Ok(())
            }
        },
        (None, Some(sub)) => {
            if sub.mutability == Mutability::ReadOnly {
                return Err(bad(
                    ScimType::Mutability,
                    format!("{}.{} is read-only", attr.name, sub.name),
                ));
            }
            match kind {
                Kind::Remove => {
                    match slot.get_mut(attr.name) {
                        Some(Value::Object(o)) => {
                            o.remove(sub.name);
                        }
                        Some(Value::Array(items)) => {
                            for i in items.iter_mut() {
                                if let Some(o) = i.as_object_mut() {
                                    o.remove(sub.name);
                                }
                            }
                        }
                        _ => {}
                    }
                    drop_empty(slot, attr);
                    Ok(())
                }
                Kind::Add | Kind::Replace => {
                    if attr.multi {
                        return Err(bad(
                            ScimType::InvalidPath,
                            format!(
                                "{}.{} names no single value: use a value filter",
                                attr.name, sub.name
                            ),
                        ));
                    }
                    let v = crate::resource::value(sub, need_value(val)?)?;
                    let o = slot
                        .entry(attr.name.to_string())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let (Some(o), Some(v)) = (o.as_object_mut(), v) {
                        o.insert(sub.name.into(), v);
                    }
                    drop_empty(slot, attr);
                    Ok(())
                }
            }
        }
        (Some(filter), _) => filtered(slot, attr, filter, path.then, kind, val),
    }
}

fn drop_empty(slot: &mut Map<String, Value>, attr: &Attr) {
    let empty = match slot.get(attr.name) {
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(Value::Null) => true,
        _ => false,
    };
    if empty {
        slot.remove(attr.name);
    }
}

/// The sub-attribute values a filter of `eq` comparisons joined by `and` pins down (to create
/// the value a replace or add targets when none matches, as identity providers expect).
fn pinned(f: &Filter, out: &mut Map<String, Value>) -> bool {
    match f {
        Filter::Compare(p, Op::Eq, v) if p.sub.is_none() => {
            out.insert(p.attr.name.into(), v.clone());
            true
        }
        Filter::And(a, b) => pinned(a, out) && pinned(b, out),
        _ => false,
    }
}

fn filtered(
    slot: &mut Map<String, Value>,
    attr: &Attr,
    filter: &Filter,
    then: Option<&Attr>,
    kind: Kind,
    val: Option<&Value>,
) -> Result<()> {
    if let Some(t) = then
        && t.mutability == Mutability::ReadOnly
    {
        return Err(bad(
            ScimType::Mutability,
            format!("{}.{} is read-only", attr.name, t.name),
        ));
    }
    // What each matching value becomes (or gains).
    let new_value: Option<Value> = match (kind, then) {
        (Kind::Remove, _) => None,
        (_, Some(t)) => crate::resource::value(t, need_value(val)?)?,
        (_, None) => {
            let one = Attr {
                multi: false,
                ..*attr
            };
            crate::resource::value(&one, need_value(val)?)?
        }
    };
    let mut matched = 0usize;
    match slot.get_mut(attr.name) {
        Some(Value::Array(items)) => {
            if kind == Kind::Remove && then.is_none() {
                let before = items.len();
                items.retain(|i| !filter.matches(i));
                matched = before - items.len();
            } else {
                for i in items.iter_mut().filter(|i| filter.matches(i)) {
                    matched += 1;
                    apply_to(i, then, kind, new_value.clone());
                }
            }
        }
        Some(v @ Value::Object(_)) if filter.matches(v) => {
            matched = 1;
            if kind == Kind::Remove && then.is_none() {
                slot.remove(attr.name);
            } else {
                apply_to(v, then, kind, new_value.clone());
            }
        }
        _ => {}
    }
    if matched == 0 && kind != Kind::Remove {
        let mut created = Map::new();
        if !attr.multi || !pinned(filter, &mut created) {
            return Err(bad(
                ScimType::NoTarget,
                format!("no value of {} matches the filter", attr.name),
            ));
        }
        match (then, new_value) {
            (Some(t), Some(v)) => {
                created.insert(t.name.into(), v);
            }
            (None, Some(Value::Object(o))) => created.extend(o),
            _ => {}
        }
        let created = value(attr, &Value::Array(vec![Value::Object(created)]))?;
        if let Some(Value::Array(c)) = created {
            match slot.get_mut(attr.name) {
                Some(Value::Array(have)) => have.extend(c),
                _ => {
                    slot.insert(attr.name.into(), Value::Array(c));
                }
            }
        }
    }
    fix_primary(slot, attr);
    drop_empty(slot, attr);
    Ok(())
}

fn apply_to(item: &mut Value, then: Option<&Attr>, kind: Kind, new_value: Option<Value>) {
    let Some(o) = item.as_object_mut() else {
        return;
    };
    match (then, kind, new_value) {
        (Some(t), Kind::Remove, _) => {
            o.remove(t.name);
        }
        (Some(t), _, Some(v)) => {
            o.insert(t.name.into(), v);
        }
        (None, Kind::Replace, Some(Value::Object(v))) => *o = v,
        (None, Kind::Add, Some(Value::Object(v))) => o.extend(v),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::normalize;
    use crate::schema::{GROUP_TYPE, USER_TYPE};
    use serde_json::json;

    fn patch(rt: &'static ResourceType, start: Value, ops: Value) -> Result<Value> {
        let mut v = normalize(rt, &start).unwrap();
        apply(
            rt,
            &mut v,
            &json!({"schemas": [crate::PATCH_SCHEMA], "Operations": ops}),
        )?;
        normalize(rt, &v)
    }

    #[test]
    fn add_remove_replace_members() {
        let g = json!({"displayName": "Ops", "members": [{"value": "u1"}, {"value": "u2"}]});
        let v = patch(
            &GROUP_TYPE,
            g.clone(),
            json!([
                {"op": "add", "path": "members", "value": [{"value": "u3"}, {"value": "u1"}]},
                {"op": "remove", "path": "members[value eq \"u2\"]"}
            ]),
        )
        .unwrap();
        assert_eq!(v["members"], json!([{"value": "u1"}, {"value": "u3"}]));
        let v = patch(
            &GROUP_TYPE,
            g.clone(),
            json!([
                {"op": "Remove", "path": "members", "value": [{"value": "u1"}]}
            ]),
        )
        .unwrap();
        assert_eq!(v["members"], json!([{"value": "u2"}]));
        let v = patch(
            &GROUP_TYPE,
            g.clone(),
            json!([
                {"op": "replace", "value": {"displayName": "Ops 2", "members": [{"value": "u9"}]}}
            ]),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"displayName": "Ops 2", "members": [{"value": "u9"}]})
        );
        let v = patch(&GROUP_TYPE, g, json!([{"op": "remove", "path": "members"}])).unwrap();
        assert!(v.get("members").is_none());
    }

    #[test]
    fn user_paths() {
        let u = json!({"userName": "b", "emails": [{"value": "a@x", "type": "work", "primary": true}], "active": true});
        let v = patch(&USER_TYPE, u.clone(), json!([
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@x"},
            {"op": "add", "path": "name.givenName", "value": "B"},
            {"op": "replace", "path": "active", "value": "False"},
            {"op": "add", "path": "emails", "value": [{"value": "h@x", "type": "home", "primary": true}]},
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Ops"}
        ]))
        .unwrap();
        assert_eq!(
            v["emails"][0],
            json!({"value": "b@x", "type": "work", "primary": false})
        );
        assert_eq!(v["emails"][1]["primary"], true);
        assert_eq!(v["name"]["givenName"], "B");
        assert_eq!(v["active"], false);
        assert_eq!(v[crate::ENTERPRISE_SCHEMA]["department"], "Ops");
        // A value filter that matches nothing creates the value it pins down (Entra ID does this).
        let v = patch(
            &USER_TYPE,
            u.clone(),
            json!([
                {"op": "replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+81"}
            ]),
        )
        .unwrap();
        assert_eq!(
            v["phoneNumbers"],
            json!([{"type": "mobile", "value": "+81"}])
        );
        let v = patch(
            &USER_TYPE,
            u.clone(),
            json!([
                {"op": "replace", "value": {"userName": "c", "name": {"familyName": "J"}}}
            ]),
        )
        .unwrap();
        assert_eq!(v["userName"], "c");
        let v = patch(&USER_TYPE, u.clone(), json!([
            {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}
        ]))
        .unwrap();
        assert!(v.get(crate::ENTERPRISE_SCHEMA).is_none());
    }

    #[test]
    fn refused_operations() {
        let u = json!({"userName": "b"});
        for (ops, t) in [
            (
                json!([{"op": "remove", "path": "userName"}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "replace", "path": "id", "value": "x"}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "add", "path": "nosuch", "value": 1}]),
                ScimType::InvalidPath,
            ),
            (
                json!([{"op": "add", "path": "emails[", "value": 1}]),
                ScimType::InvalidFilter,
            ),
            (json!([{"op": "remove"}]), ScimType::NoTarget),
            (
                json!([{"op": "move", "path": "title"}]),
                ScimType::InvalidSyntax,
            ),
            (
                json!([{"op": "replace", "path": "active", "value": "maybe"}]),
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "replace", "path": "emails[type co \"w\"].value", "value": "x"}]),
                ScimType::NoTarget,
            ),
            (
                json!([{"op": "add", "value": {"nosuch": 1}}]),
                ScimType::InvalidSyntax,
            ),
            (json!([]), ScimType::InvalidSyntax),
        ] {
            let e = patch(&USER_TYPE, u.clone(), ops.clone()).expect_err(&ops.to_string());
            assert_eq!(e.scim_type, Some(t), "{ops}: {e}");
        }
        // Required values removed through a whole replace are caught by normalize.
        assert!(
            patch(
                &USER_TYPE,
                u,
                json!([{"op": "replace", "path": "userName", "value": ""}])
            )
            .is_err()
        );
    }

    #[test]
    fn ten_thousand_members_quickly() {
        let members: Vec<Value> = (0..10_000)
            .map(|i| json!({"value": format!("u{i}")}))
            .collect();
        let g = json!({"displayName": "Big", "members": members});
        let more: Vec<Value> = (5_000..15_000)
            .map(|i| json!({"value": format!("u{i}")}))
            .collect();
        let v = patch(
            &GROUP_TYPE,
            g,
            json!([{"op": "add", "path": "members", "value": more}]),
        )
        .unwrap();
        assert_eq!(v["members"].as_array().map(Vec::len), Some(15_000));
    }
}
