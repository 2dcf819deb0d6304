//! SAML 2.0 for Symbolon, sans-IO: metadata, bindings and the service provider's validation of
//! responses. Every function is a pure function of its inputs (bytes, settings, keys, `now`).
//!
//! Invariants:
//! - Identity data (issuer, subject, conditions, attributes, session) is read only through
//!   [`symbolon_dsig::VerifiedNode`], the view returned by signature verification.
//! - Every check fails closed and names its reason ([`sp::ValidationError`]).
//! - No clock, no IO, no randomness: `now` and random values come from the caller.

pub mod binding;
pub mod encrypted;
#[doc(hidden)]
pub mod fuzzing;
pub mod idp;
pub mod lint;
pub mod logout;
pub mod messages;
pub mod metadata;
pub mod metadata_gen;
pub mod metadata_refresh;
pub mod replay;
pub mod soap;
pub mod sp;
pub mod time;

pub use metadata::{EntityDescriptor, IdpTrust, MetadataError, parse_metadata};
pub use replay::ReplayKey;
pub use sp::{
    Attribute, Expectation, IdpSettings, Signed, SpSettings, ValidatedAssertion, ValidationError,
    issuer_hint, validate_decrypted_response, validate_response, validate_response_xml,
};
