//! SCIM 2.0 provisioning into an account (RFC 7644): the identity provider's SCIM client creates,
//! changes and removes the account's users and groups with a bearer token of scope `scim`.
//! Provisioned users are the account's SAML accounts: single sign-on expects their NameID
//! (from `userName`, or the attribute the account's settings name); their groups are matched
//! by display name to the account's group -> role mappings, else the account's default role
//! for provisioned users applies. A user set `active: false` or deleted has every session end
//! at once (sessions live in the shared store, so on every instance) and single sign-on is
//! refused with a clear page until the user is reactivated or provisioned again.
//!
//! Everything a SCIM client changes is in the account's audit log, under the token's principal.
//! The protocol itself (schemas, filters, PATCH, projection) is `symbolon_scim`'s; this module
//! decides what it means for the account.

mod bulk;
mod groups;
mod sessions;
mod users;
mod views;

pub use bulk::*;
pub use groups::*;
pub use sessions::*;
pub use users::*;
pub use views::*;

use serde_json::{Map, Value, json};
use symbolon_scim::resource::{attribute_list, page, project, sort};
use symbolon_scim::schema::ResourceType;
use symbolon_scim::{LIST_SCHEMA, ScimError, ScimType};
use symbolon_store::StoreError;
use time::OffsetDateTime;

/// The largest page a list returns (published as `filter.maxResults`).
pub const MAX_RESULTS: usize = 1000;

/// Who calls: a live SCIM token of an account.
#[derive(Debug, Clone)]
pub struct ScimCaller {
    pub account_id: String,
    pub key_id: String,
}

impl ScimCaller {
    /// The principal the audit log names for this token.
    pub fn principal(&self) -> String {
        format!(
            "urn:symbolon:identity:{}:scim-token/{}",
            self.account_id, self.key_id
        )
    }
}

/// The query parameters of a list (RFC 7644 section 3.4.2).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub filter: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    pub sort_by: Option<String>,
    pub descending: bool,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

/// `attributes` / `excludedAttributes` of a single-resource request.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

/// A resource as returned, with its ETag.
#[derive(Debug, Clone)]
pub struct Output {
    pub body: Value,
    pub etag: String,
    pub location: String,
}

/// The groups of each provisioned user of the account: user ID -> [(group ID, display name)].
/// What the User resources, the ACS and the console show of membership all come from here.
pub(crate) async fn groups_by_user<S: symbolon_store::sp::SpStore>(
    store: &S,
    account_id: &str,
) -> Result<std::collections::HashMap<String, Vec<(String, String)>>, StoreError> {
    use std::collections::HashMap;
    let names: HashMap<String, String> = store
        .scim_groups(account_id)
        .await?
        .into_iter()
        .map(|g| (g.id, g.display_name))
        .collect();
    let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (g, u) in store.scim_memberships(account_id).await? {
        if let Some(name) = names.get(&g) {
            out.entry(u).or_default().push((g, name.clone()));
        }
    }
    Ok(out)
}

/// A store failure as a SCIM error.
pub(crate) fn st(e: StoreError) -> ScimError {
    match e {
        StoreError::NotFound(what, id) => ScimError::not_found(format!("no {what} {id:?} here")),
        StoreError::Conflict(_) => {
            ScimError::uniqueness("that value is already taken in this account")
        }
        StoreError::Unavailable(_) => {
            ScimError::status(503, "the database is unavailable; retry later")
        }
        other => {
            tracing::error!("SCIM store failure: {other}");
            ScimError::status(500, "internal error")
        }
    }
}

pub(crate) fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// `If-Match` (RFC 7644 section 3.14): `*` or one of the listed tags must be the current one.
pub(crate) fn check_if_match(if_match: Option<&str>, version: i64) -> Result<(), ScimError> {
    let Some(h) = if_match else { return Ok(()) };
    let current = etag(version);
    let strong = current.trim_start_matches("W/");
    let ok = h
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == current || t.trim_start_matches("W/") == strong);
    if ok {
        Ok(())
    } else {
        Err(ScimError::status(
            412,
            format!("the resource changed: its version is now {current}"),
        ))
    }
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    symbolon_saml::time::format_instant(t)
}

pub(crate) fn meta(
    rt: &ResourceType,
    base: &str,
    id: &str,
    version: i64,
    created: OffsetDateTime,
    modified: OffsetDateTime,
) -> Value {
    json!({
        "resourceType": rt.name,
        "created": rfc3339(created),
        "lastModified": rfc3339(modified),
        "location": format!("{base}{}/{id}", rt.endpoint),
        "version": etag(version),
    })
}

/// A full resource in output order: schemas, id, externalId, the attributes, then `extra`
/// (computed attributes), then meta.
pub(crate) fn assemble(
    rt: &'static ResourceType,
    id: &str,
    doc: &Value,
    extra: Vec<(&str, Value)>,
    meta: Value,
) -> Value {
    let mut o = Map::new();
    o.insert(
        "schemas".into(),
        symbolon_scim::resource::schemas_of(rt, doc),
    );
    o.insert("id".into(), Value::String(id.into()));
    if let Value::Object(d) = doc {
        if let Some(x) = d.get("externalId") {
            o.insert("externalId".into(), x.clone());
        }
        for (k, v) in d {
            if k != "externalId" {
                o.insert(k.clone(), v.clone());
            }
        }
    }
    for (k, v) in extra {
        o.insert(k.into(), v);
    }
    o.insert("meta".into(), meta);
    Value::Object(o)
}

pub(crate) fn doc_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::Object(Map::new()))
}

/// Filter, sort, page and project full resources into a ListResponse.
pub(crate) fn list_response(
    rt: &'static ResourceType,
    mut items: Vec<Value>,
    q: &ListQuery,
    filter: Option<&symbolon_scim::filter::Filter>,
) -> Result<Value, ScimError> {
    if let Some(f) = filter {
        items.retain(|v| f.matches(v));
    }
    if let Some(s) = q.sort_by.as_deref().filter(|s| !s.trim().is_empty()) {
        sort(rt, &mut items, s, q.descending)
            .map_err(|e| ScimError::bad(ScimType::InvalidValue, format!("sortBy: {}", e.detail)))?;
    }
    let total = items.len();
    let count = q
        .count
        .map(|c| c.min(MAX_RESULTS as i64))
        .or(Some(MAX_RESULTS as i64));
    let range = page(total, q.start_index, count);
    let start = range.start;
    let attrs = attribute_list(rt, q.attributes.as_deref().unwrap_or(""));
    let excluded = attribute_list(rt, q.excluded_attributes.as_deref().unwrap_or(""));
    let page: Vec<Value> = items
        .get(range)
        .unwrap_or_default()
        .iter()
        .map(|v| project(rt, v, &attrs, &excluded))
        .collect();
    Ok(json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start + 1,
        "itemsPerPage": page.len(),
        "Resources": page,
    }))
}

/// A search from the root (`POST /.search`, RFC 7644 section 3.4.3): users and groups at
/// once. A filter applies to the types whose schema knows its attributes (an attribute only
/// users have matches no group); `sortBy` is not applied across types.
pub async fn search_all<S: symbolon_store::sp::SpStore>(
    store: &S,
    c: &ScimCaller,
    base: &str,
    q: &ListQuery,
) -> Result<Value, ScimError> {
    use symbolon_scim::filter::parse;
    use symbolon_scim::schema::{GROUP_TYPE, USER_TYPE};
    let text = q.filter.as_deref().map(str::trim).filter(|f| !f.is_empty());
    let (fu, fg) = match text {
        None => (None, None),
        Some(f) => match (parse(&USER_TYPE, f), parse(&GROUP_TYPE, f)) {
            (Err(e), Err(_)) => return Err(e),
            (u, g) => (Some(u.ok()), Some(g.ok())),
        },
    };
    let mut items: Vec<(&'static ResourceType, Value)> = Vec::new();
    // `Some(None)`: a filter this type cannot match.
    if !matches!(fu, Some(None)) {
        let f = fu.as_ref().and_then(Option::as_ref);
        for v in users::user_items(store, c, base, f).await? {
            if f.is_none_or(|f| f.matches(&v)) {
                items.push((&USER_TYPE, v));
            }
        }
    }
    if !matches!(fg, Some(None)) {
        let f = fg.as_ref().and_then(Option::as_ref);
        for v in groups::group_items(store, c, base, q).await? {
            if f.is_none_or(|f| f.matches(&v)) {
                items.push((&GROUP_TYPE, v));
            }
        }
    }
    let total = items.len();
    let count = q
        .count
        .map(|c| c.min(MAX_RESULTS as i64))
        .or(Some(MAX_RESULTS as i64));
    let range = page(total, q.start_index, count);
    let start = range.start;
    let p = Projection {
        attributes: q.attributes.clone(),
        excluded_attributes: q.excluded_attributes.clone(),
    };
    let out: Vec<Value> = items
        .into_iter()
        .skip(range.start)
        .take(range.len())
        .map(|(rt, v)| projected(rt, v, &p))
        .collect();
    Ok(json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start + 1,
        "itemsPerPage": out.len(),
        "Resources": out,
    }))
}

/// Apply `attributes` / `excludedAttributes` to one resource.
pub(crate) fn projected(rt: &'static ResourceType, v: Value, p: &Projection) -> Value {
    let attrs = attribute_list(rt, p.attributes.as_deref().unwrap_or(""));
    let excluded = attribute_list(rt, p.excluded_attributes.as_deref().unwrap_or(""));
    project(rt, &v, &attrs, &excluded)
}

/// Parse a request body.
pub fn parse_body(bytes: &[u8]) -> Result<Value, ScimError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ScimError::bad(
            ScimType::InvalidSyntax,
            format!("the body is not JSON: {e}"),
        )
    })
}

/// `/ServiceProviderConfig` (RFC 7643 section 5).
pub fn service_provider_config(base: &str, docs: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": docs,
        "patch": {"supported": true},
        "bulk": {"supported": true, "maxOperations": MAX_BULK_OPERATIONS, "maxPayloadSize": 2 * 1024 * 1024},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A SCIM token of the account (Account settings > SCIM tokens), sent as Authorization: Bearer.",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        }
    })
}

/// Audit a provisioning change under the token's principal. A failure to audit fails the
/// request after the change (as for other admin changes, the change stands).
pub(crate) async fn audit<S: symbolon_store::sp::SpStore>(
    store: &S,
    caller: &ScimCaller,
    detail: String,
    now: OffsetDateTime,
) -> Result<(), ScimError> {
    crate::common::audit(
        store,
        &caller.account_id,
        &caller.principal(),
        "Provision",
        detail,
        now,
    )
    .await
    .map_err(|e| match e {
        crate::SpError::Store(e) => st(e),
        other => ScimError::status(500, other.to_string()),
    })
}
