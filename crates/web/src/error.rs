//! The kinds of failure both domains report, mapped to HTTP once.
//!
//! A domain error says what kind of failure it is ([`Kind`], through [`Classify`]); this module
//! alone decides the status of each kind, and how an API answers it (a JSON body
//! `{"error", "error_description"}`, `Retry-After` on 503, `WWW-Authenticate` on 401). HTML
//! errors are rendered by each server's own error page from the same status.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub use symbolon_store::{Classify, ErrorKind as Kind};

/// The status and API code of each kind.
pub trait KindStatus {
    fn status(self) -> StatusCode;
    fn code(self) -> &'static str;
}

impl KindStatus for Kind {
    /// The status of this kind, the same for every server and every page.
    fn status(self) -> StatusCode {
        match self {
            Kind::Invalid => StatusCode::BAD_REQUEST,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::Conflict => StatusCode::CONFLICT,
            Kind::Forbidden => StatusCode::FORBIDDEN,
            Kind::Unauthorized => StatusCode::UNAUTHORIZED,
            Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The API's `error` code of this kind.
    fn code(self) -> &'static str {
        match self {
            Kind::Invalid => "invalid_request",
            Kind::NotFound => "not_found",
            Kind::Conflict => "conflict",
            Kind::Forbidden => "forbidden",
            Kind::Unauthorized => "unauthorized",
            Kind::Unavailable => "unavailable",
            Kind::Internal => "server_error",
        }
    }
}

/// An API error: a kind and a message safe to show the caller.
#[derive(Debug)]
pub struct ApiError {
    kind: Kind,
    message: String,
    /// The `WWW-Authenticate` realm of a 401.
    challenge: &'static str,
}

impl ApiError {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            challenge: "Bearer",
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Kind::Invalid, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(Kind::Conflict, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(Kind::Forbidden, message)
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(Kind::Unavailable, message)
    }
    pub fn internal() -> Self {
        Self::new(Kind::Internal, "internal error")
    }
    /// A 401 with `WWW-Authenticate: {challenge}`.
    pub fn unauthorized(message: impl Into<String>, challenge: &'static str) -> Self {
        ApiError {
            kind: Kind::Unauthorized,
            message: message.into(),
            challenge,
        }
    }
    pub fn kind(&self) -> Kind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }

    /// An error of a domain, by its kind: the message is shown, except for a fault of ours
    /// (logged, answered "internal error") and an unavailable dependency (logged, answered with
    /// `unavailable` when it is empty).
    pub fn classified<E: Classify + std::fmt::Display>(e: &E, unavailable: &str) -> Self {
        match e.kind() {
            Kind::Internal => {
                tracing::error!(cause = %e, "API answered 500");
                Self::internal()
            }
            Kind::Unavailable => {
                tracing::warn!(cause = %e, "API answered 503");
                Self::unavailable(unavailable)
            }
            kind => Self::new(kind, e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.kind.status();
        let mut r = (
            status,
            Json(crate::openapi::ErrorBody {
                error: self.kind.code().into(),
                error_description: self.message,
            }),
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(symbolon_secret::hashing::RETRY_AFTER_SECS),
            );
        }
        if status == StatusCode::UNAUTHORIZED
            && let Ok(v) = HeaderValue::from_str(self.challenge)
        {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        r
    }
}

impl From<symbolon_store::StoreError> for ApiError {
    fn from(e: symbolon_store::StoreError) -> Self {
        match &e {
            symbolon_store::StoreError::NotFound(what, id) => {
                ApiError::not_found(format!("{what} {id:?} not found"))
            }
            _ => ApiError::classified(&e, "the database is unavailable"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_one_status_and_code() {
        for (k, s, c) in [
            (Kind::Invalid, 400, "invalid_request"),
            (Kind::NotFound, 404, "not_found"),
            (Kind::Conflict, 409, "conflict"),
            (Kind::Forbidden, 403, "forbidden"),
            (Kind::Unauthorized, 401, "unauthorized"),
            (Kind::Unavailable, 503, "unavailable"),
            (Kind::Internal, 500, "server_error"),
        ] {
            assert_eq!((k.status().as_u16(), k.code()), (s, c));
        }
        let r = ApiError::unavailable("x").into_response();
        assert!(r.headers().contains_key(header::RETRY_AFTER));
        let r = ApiError::unauthorized("x", "Bearer realm=\"t\"").into_response();
        assert_eq!(
            r.headers()
                .get(header::WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok()),
            Some("Bearer realm=\"t\"")
        );
    }
}
