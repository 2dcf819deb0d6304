//! The kinds of failure every layer reports. A domain error says which kind it is; the web layer
//! alone maps kinds to HTTP statuses (`symbolon_web::error`), so no error is classified by its
//! message text.

/// What kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is wrong; the message says how.
    Invalid,
    /// The named object does not exist.
    NotFound,
    /// The change collides with what exists (a name taken, a mapping made already).
    Conflict,
    /// The caller is known but may not do this.
    Forbidden,
    /// The caller is not known.
    Unauthorized,
    /// A dependency (the database, the hashing workers) cannot serve now; try again.
    Unavailable,
    /// A fault of ours; the message is logged, never shown.
    Internal,
}

/// An error that knows its kind.
pub trait Classify {
    fn kind(&self) -> ErrorKind;
}
