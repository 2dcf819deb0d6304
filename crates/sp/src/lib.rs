//! The multi-tenant service provider's domain: accounts with roles, native users and SAML
//! accounts; per-account identity-provider configurations from IdP metadata with group -> role
//! mappings; and sign-in through the ACS, where one response fans out to every account whose
//! own configuration validates it. Generic over the store traits; no HTTP, no SQL.
//!
//! Invariants:
//! - An account takes part in a sign-in only if its own configuration (its pinned certificates,
//!   its settings) validated the response. A matching Issuer alone is never enough.
//! - An assertion is consumed once (replay cache in the store, across restarts and instances).
//! - An assertion never grants master rights, and a master administrator of an account is never
//!   signed in to that account through SSO.
//! - Every admin change and every sign-in is in the account's audit log, and so is every refusal
//!   of a response by an account's configuration (within the rate bounds); an account that
//!   validated a response but grants no role records it when the person got in nowhere.
//! - The ACS writes once per response (one transaction); what it decides from is cached per
//!   process and re-read when the database's configuration version changes.

pub mod account_io;
mod accounts;
mod acs;
mod acs_cache;
mod common;
pub mod domains;
mod elide;
mod expiry;
#[doc(hidden)]
pub mod fuzzing;
mod idp_source;
mod idps;
mod links;
mod logout;
mod mappings;
mod members;
mod saml_sp;
pub mod scim;
pub mod webhooks;

pub use accounts::*;
pub use acs::{
    Acs, AcsError, AcsMode, AcsPolicy, Pair, Profile, SignIn, TRACE_EXCERPT_BYTES, TRACE_MAX_BYTES,
    consume_response, not_offered, traces_not_kept,
};
pub use acs_cache::AcsCache;
pub use common::{
    Actor, MASTER_REFUSED, MASTER_ROLE, Result, SpError, saml_principal, user_principal,
};
pub use elide::{IDENTITY_NOT_KEPT, elide_identity, elide_signatures};
pub use expiry::{EXPIRY_PRINCIPAL, check_certificates, watched_certificates};
pub use idp_source::*;
pub use idps::*;
pub use links::{DeepLinkRefused, MAX_DEEP_LINK, deep_link};
pub use logout::*;
pub use mappings::*;
pub use members::*;
pub use saml_sp::*;

/// The jobs the SP schedules (see `symbolon_web::jobs`).
pub const JOBS: [&str; 6] = [
    "sp:purge-state",
    "sp:webhooks",
    "sp:prune-saml-users",
    "sp:prune-traces",
    "sp:metadata-refresh",
    "sp:certificate-expiry",
];
