//! The export format both stores read and write (`symbolon export` / `import`): one header
//! line, then one JSON line per row, tables in dependency order. Values are integers (flags as
//! 0/1), text, null, and `{"b64": ...}` for bytes. No SQL here; each store maps its own types.

use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::{Result, StoreError};

/// Every table, parents before children. A test checks that none is missing.
pub const TABLES: [&str; 43] = [
    "realms",
    "realm_keys",
    "realm_branding",
    "users",
    "user_totp",
    "user_recovery_codes",
    "user_passkeys",
    "user_required_actions",
    "clients",
    "client_keys",
    "events",
    "admin_tokens",
    "groups",
    "user_groups",
    "client_access",
    "persistent_ids",
    "roles",
    "role_grants",
    "idp_scim_links",
    "idp_scim_status",
    "sp_accounts",
    "sp_roles",
    "sp_users",
    "sp_saml_accounts",
    "sp_idps",
    "sp_group_mappings",
    "sp_saml_users",
    "sp_audit",
    "sp_consumed_assertions",
    "sp_keys",
    "sp_traces",
    "sp_api_keys",
    "sp_scim_users",
    "sp_scim_groups",
    "sp_scim_members",
    "sp_scim_settings",
    "sp_scim_removed",
    "sp_domains",
    "webhooks",
    "webhook_deliveries",
    "state",
    "failures",
    "leases",
];

/// Tables the database derives and keeps itself (not exported: a fresh database makes its own).
/// `sp_config_version`, `idp_config_version` and `idp_sso_version` are bumped by triggers on
/// every change of what they cover.
pub const DERIVED: [&str; 3] = ["sp_config_version", "idp_config_version", "idp_sso_version"];

/// The export format's first line.
pub fn header() -> Value {
    json!({"symbolon-export": 1, "tables": TABLES.as_slice()})
}

fn bad(msg: impl Into<String>) -> StoreError {
    StoreError::Backend(msg.into())
}

/// Check an export's first line.
pub fn check_header(line: &str) -> Result<()> {
    let v: Value = serde_json::from_str(line).map_err(|e| bad(format!("not an export: {e}")))?;
    match v.get("symbolon-export").and_then(Value::as_i64) {
        Some(1) => Ok(()),
        _ => Err(bad("not a Symbolon export (version 1) header")),
    }
}

/// One row of the export: (table, column -> value).
pub fn parse_row(line: &str) -> Result<(String, Map<String, Value>)> {
    let v: Value = serde_json::from_str(line).map_err(|e| bad(format!("bad export line: {e}")))?;
    let table = v
        .get("table")
        .and_then(Value::as_str)
        .filter(|t| TABLES.contains(t))
        .ok_or_else(|| bad("an export line names no known table"))?
        .to_string();
    let row = v
        .get("row")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| bad("an export line has no row"))?;
    Ok((table, row))
}

/// Bytes from an export value (`{"b64": ...}`).
pub fn bytes_of(v: &Value) -> Result<Vec<u8>> {
    let s = v
        .get("b64")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("expected {\"b64\": ...} for a binary column"))?;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| bad(e.to_string()))
}

pub fn bytes_value(b: &[u8]) -> Value {
    json!({"b64": base64::engine::general_purpose::STANDARD.encode(b)})
}
