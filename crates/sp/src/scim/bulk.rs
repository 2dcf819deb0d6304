//! `/Bulk` (RFC 7644 section 3.7): several operations in one request, run in order with the same
//! functions as single requests (each one all or nothing, the batch not), `bulkId` references to
//! resources created earlier in the batch, `version` as `If-Match`, and `failOnErrors`.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use symbolon_scim::{ScimError, ScimType};
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

use super::{Projection, ScimCaller};

pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
/// The most operations in one request (published as `bulk.maxOperations`).
pub const MAX_BULK_OPERATIONS: usize = 1000;

/// Replace every string `bulkId:<id>` in `v` by the resource ID it stands for.
fn resolve(v: &mut Value, ids: &HashMap<String, String>) -> Result<(), ScimError> {
    match v {
        Value::String(s) => {
            if let Some(b) = s.strip_prefix("bulkId:") {
                let id = ids.get(b).ok_or_else(|| {
                    ScimError::bad(
                        ScimType::InvalidValue,
                        format!("bulkId {b:?} names no resource created earlier in this request"),
                    )
                })?;
                *s = id.clone();
            }
            Ok(())
        }
        Value::Array(a) => a.iter_mut().try_for_each(|x| resolve(x, ids)),
        Value::Object(o) => o.values_mut().try_for_each(|x| resolve(x, ids)),
        _ => Ok(()),
    }
}

/// One operation: (status, location, version) or the error.
async fn one<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    op: &Map<String, Value>,
    ids: &HashMap<String, String>,
    now: OffsetDateTime,
) -> Result<(u16, Option<String>, Option<String>), ScimError> {
    let method = op
        .get("method")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
        .unwrap_or_default();
    let path = op
        .get("path")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut data = op.get("data").cloned().unwrap_or(Value::Null);
    resolve(&mut data, ids)?;
    let version = op.get("version").and_then(Value::as_str);
    let p = Projection::default();
    let (kind, id) = match path.trim_start_matches('/').split_once('/') {
        Some((k, id)) => {
            // `/Users/bulkId:x`: the resource created earlier in this request.
            let mut id = Value::String(id.to_string());
            resolve(&mut id, ids)?;
            (k.to_string(), id.as_str().map(str::to_string))
        }
        None => (path.trim_start_matches('/').to_string(), None),
    };
    let users = match kind.as_str() {
        "Users" => true,
        "Groups" => false,
        _ => {
            return Err(ScimError::bad(
                ScimType::InvalidPath,
                format!("path {path:?} is not /Users or /Groups"),
            ));
        }
    };
    let out = match (method.as_str(), id) {
        ("POST", None) if users => (
            201,
            Some(super::create_user(store, c, base, &data, &p, now).await?),
        ),
        ("POST", None) => (
            201,
            Some(super::create_group(store, c, base, &data, &p, now).await?),
        ),
        ("PUT", Some(id)) if users => (
            200,
            Some(super::replace_user(store, c, base, &id, &data, version, &p, now).await?),
        ),
        ("PUT", Some(id)) => (
            200,
            Some(super::replace_group(store, c, base, &id, &data, version, &p, now).await?),
        ),
        ("PATCH", Some(id)) if users => (
            200,
            Some(super::patch_user(store, c, base, &id, &data, version, &p, now).await?),
        ),
        ("PATCH", Some(id)) => (
            200,
            Some(super::patch_group(store, c, base, &id, &data, version, &p, now).await?),
        ),
        ("DELETE", Some(id)) if users => {
            super::delete_user(store, c, &id, version, now).await?;
            (204, None)
        }
        ("DELETE", Some(id)) => {
            super::delete_group(store, c, &id, version, now).await?;
            (204, None)
        }
        _ => {
            return Err(ScimError::bad(
                ScimType::InvalidSyntax,
                format!("{method} {path} is not an operation of a bulk request"),
            ));
        }
    };
    Ok((
        out.0,
        out.1.as_ref().map(|o| o.location.clone()),
        out.1.map(|o| o.etag),
    ))
}

/// Run a BulkRequest; the BulkResponse.
pub async fn bulk<S: SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    body: &Value,
    now: OffsetDateTime,
) -> Result<Value, ScimError> {
    let schemas_ok = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|s| s == BULK_REQUEST));
    if !schemas_ok {
        return Err(ScimError::bad(
            ScimType::InvalidSyntax,
            format!("a bulk request names the schema {BULK_REQUEST}"),
        ));
    }
    let ops = body
        .get("Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::bad(ScimType::InvalidSyntax, "a bulk request has Operations"))?;
    if ops.len() > MAX_BULK_OPERATIONS {
        return Err(ScimError::status(
            413,
            format!("more than {MAX_BULK_OPERATIONS} operations in one bulk request"),
        ));
    }
    let fail_on = match body.get("failOnErrors") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().filter(|n| *n >= 1).ok_or_else(|| {
            ScimError::bad(ScimType::InvalidValue, "failOnErrors is a positive integer")
        })?),
    };
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut results = Vec::with_capacity(ops.len());
    let mut errors = 0u64;
    for op in ops {
        let empty = Map::new();
        let o = op.as_object().unwrap_or(&empty);
        let method = o.get("method").cloned().unwrap_or(Value::Null);
        let bulk_id = o.get("bulkId").and_then(Value::as_str).map(str::to_string);
        let mut r = Map::new();
        r.insert("method".into(), method);
        if let Some(b) = &bulk_id {
            r.insert("bulkId".into(), json!(b));
        }
        match one(store, c, base, o, &ids, now).await {
            Ok((status, location, version)) => {
                if let (Some(b), Some(l)) = (&bulk_id, &location)
                    && let Some(id) = l.rsplit('/').next()
                {
                    ids.insert(b.clone(), id.to_string());
                }
                if let Some(l) = location {
                    r.insert("location".into(), json!(l));
                }
                if let Some(v) = version {
                    r.insert("version".into(), json!(v));
                }
                r.insert("status".into(), json!(status.to_string()));
            }
            Err(e) => {
                errors += 1;
                r.insert("status".into(), json!(e.status.to_string()));
                r.insert("response".into(), e.to_json());
            }
        }
        results.push(Value::Object(r));
        if fail_on.is_some_and(|n| errors >= n) {
            break;
        }
    }
    Ok(json!({"schemas": [BULK_RESPONSE], "Operations": results}))
}
