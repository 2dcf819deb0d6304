//! Replay protection is the caller's: the validator computes, for every accepted assertion, the
//! [`ReplayKey`] under which it must be remembered (issuer, assertion ID, until NotOnOrAfter
//! plus the clock skew). This crate is sans-IO and keeps no cache: the SP remembers keys in its
//! store (`symbolon_store::sp::SpActivityStore::commit_sign_in`, atomic across instances and
//! restarts), and refuses an assertion whose key is already there.

use time::OffsetDateTime;

/// What a replay cache must remember for one accepted assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayKey {
    pub issuer: String,
    pub assertion_id: String,
    /// Remember until this instant (the assertion's NotOnOrAfter plus the clock skew).
    pub until: OffsetDateTime,
}
