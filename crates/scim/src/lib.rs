//! SCIM 2.0 as pure functions of JSON values: the resource schemas (RFC 7643), filters, PATCH,
//! `attributes` / `excludedAttributes`, sorting and the error shape (RFC 7644). No IO, no clock:
//! the caller stores resources and says what time it is.
//!
//! Invariants: every value from a request is checked against the schema before it is kept
//! ([`resource::normalize`]): attribute names are put in their canonical case, read-only
//! attributes are dropped, types are checked, unknown attributes are refused. Filters are
//! bounded in length and depth before evaluation. Nothing here panics on any input.

pub mod error;
pub mod filter;
pub mod patch;
pub mod resource;
pub mod schema;

pub use error::{Result, ScimError, ScimType};

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
