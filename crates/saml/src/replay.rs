//! Replay protection is the caller's: an assertion ID is accepted once, across instances and
//! restarts, until its expiry plus the clock skew. Stores implement [`ReplayCache`].

use std::collections::HashMap;
use std::sync::Mutex;

use time::OffsetDateTime;

/// What a replay cache remembers for one accepted assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayKey {
    pub issuer: String,
    pub assertion_id: String,
    /// Remember until this instant (the assertion's NotOnOrAfter plus the clock skew).
    pub until: OffsetDateTime,
}

/// A store of assertion IDs already consumed.
pub trait ReplayCache {
    type Error;
    /// Remember `key`. `Ok(true)` the first time, `Ok(false)` if it was already there (a replay).
    /// Must be atomic across concurrent callers.
    fn remember(&self, key: &ReplayKey, now: OffsetDateTime) -> Result<bool, Self::Error>;
}

/// An in-process cache, for one instance and for tests.
#[derive(Debug, Default)]
pub struct MemoryReplayCache {
    seen: Mutex<HashMap<(String, String), OffsetDateTime>>,
}

impl ReplayCache for MemoryReplayCache {
    type Error = std::convert::Infallible;

    fn remember(&self, key: &ReplayKey, now: OffsetDateTime) -> Result<bool, Self::Error> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.retain(|_, until| *until > now);
        let k = (key.issuer.clone(), key.assertion_id.clone());
        if seen.contains_key(&k) {
            return Ok(false);
        }
        seen.insert(k, key.until);
        Ok(true)
    }
}
