//! The identity provider's domain: realms and their signing keys (with rollover), users and
//! their credentials, clients imported from SP metadata and who may use them, groups, roles and
//! mappers, sessions, admin tokens, events, and the sign-in's decisions. Generic over the store
//! traits; no HTTP, no SQL.
//!
//! Invariants:
//! - Every admin change is recorded as an `ADMIN` event with its actor.
//! - Passwords are stored only as Argon2id PHC strings; private keys never appear in errors,
//!   events or `Debug` output.
//! - A realm always has exactly one active key once created; a retired key is never published
//!   or used again.
//! - A realm that requires a second factor never issues a password-only assertion
//!   ([`signin::policy_admits`]).
//!
//! This file only declares the modules and re-exports their API: each module imports from
//! `common` and from the modules below it, never from here, so there is no circle.

pub mod backchannel;
pub mod branding;
mod client_keys;
mod client_source;
mod clients;
mod common;
mod expiry;
mod groups;
pub mod kc;
mod lifecycle;
pub mod passkey;
pub mod provisioning;
pub mod realm_io;
mod realms;
pub mod roles;
mod session_admin;
pub mod sessions;
pub mod signin;
pub mod sso_cache;
mod tokens;
pub mod totp;
mod users;
pub mod webhooks;

pub use client_keys::*;
pub use client_source::*;
pub use clients::*;
pub use common::{Actor, IdpError, Result, utc_text, valid_name_pub};
pub use expiry::{check_certificates, watched_certificates};
pub use groups::*;
pub use lifecycle::*;
pub use realms::*;
pub use session_admin::*;
pub use symbolon_secret::{KeyAlgorithm, hashing, hex_sha256, random_hex, verify_password};
pub use tokens::*;
pub use users::*;

/// The jobs the IdP schedules (see `symbolon_web::jobs`).
pub const JOBS: [&str; 6] = [
    "idp:purge-state",
    "idp:webhooks",
    "idp:certificate-expiry",
    "idp:metadata-refresh",
    "idp:provisioning",
    "idp:backchannel-logout",
];
