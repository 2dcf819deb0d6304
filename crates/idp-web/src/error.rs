//! The IdP's one HTML error type ([`WebError`]): a status, a title and a message safe to show
//! anyone, rendered as the IdP's error page; domain and store errors map to it by kind.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
/// 256 random bits as hex (also used by the SP).
pub use symbolon_idp::random_hex;

/// An error page: status, title, message safe to show to anyone.
#[derive(Debug)]
pub struct WebError {
    pub(crate) status: StatusCode,
    pub(crate) title: &'static str,
    pub(crate) message: String,
    /// The reference shown with the time; the request's own ([`symbolon_web::reference`])
    /// unless one is given (a panic's).
    reference: Option<String>,
}

impl WebError {
    pub(crate) fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        WebError {
            status,
            title,
            message: message.into(),
            reference: None,
        }
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", message)
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "This sign-in request cannot be accepted",
            message,
        )
    }
    pub(crate) fn internal_error() -> Self {
        Self::internal()
    }
    pub(crate) fn forbidden(title: &'static str, message: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, title, message)
    }
    pub(crate) fn not_found_page(message: String) -> Self {
        Self::not_found(message)
    }
    pub(crate) fn bad_request_page(message: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", message)
    }
    pub(crate) fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "The sign-in could not be completed. Try again later.",
        )
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage<'a> {
    pub(crate) title: &'a str,
    pub(crate) message: &'a str,
    /// When the page was answered (UTC) and its reference, which the person gives to an
    /// administrator; events and log lines of the request carry the same reference.
    pub(crate) at: String,
    pub(crate) reference: Option<String>,
}

pub(crate) use symbolon_web::page::{html, scripted_html};

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let reference = self
            .reference
            .clone()
            .or_else(symbolon_web::reference::current);
        if let Some(r) = &reference {
            tracing::info!(reference = %r, status = self.status.as_u16(), title = self.title, "error page");
        }
        let body = ErrorPage {
            title: self.title,
            message: &self.message,
            at: symbolon_web::page::page_time(time::OffsetDateTime::now_utc()),
            reference,
        }
        .render()
        .unwrap_or_else(|_| self.message.clone());
        symbolon_web::page::retry_after(html(self.status, body))
    }
}

impl From<symbolon_idp::IdpError> for WebError {
    fn from(e: symbolon_idp::IdpError) -> Self {
        match e {
            symbolon_idp::IdpError::NoRealm(r) => {
                WebError::not_found(format!("There is no realm {r:?} here."))
            }
            symbolon_idp::IdpError::Busy(_) => WebError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Busy",
                "Too many people are signing in right now. Try again in a moment.",
            ),
            symbolon_idp::IdpError::Store(symbolon_store::StoreError::Unavailable(cause)) => {
                tracing::warn!(%cause, "answered 503: the store is unavailable");
                WebError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Temporarily unavailable",
                    "The service is temporarily unavailable. Try again in a moment.",
                )
            }
            other => {
                tracing::error!(cause = %other, "answered 500");
                WebError::internal()
            }
        }
    }
}

impl From<symbolon_store::StoreError> for WebError {
    fn from(e: symbolon_store::StoreError) -> Self {
        symbolon_idp::IdpError::Store(e).into()
    }
}

/// The IdP's page for statuses answered outside a handler (and for a handler's panic).
pub(crate) fn error_page(status: StatusCode, reference: Option<&str>) -> Response {
    let (title, text) = symbolon_web::front::status_text(status);
    let mut e = WebError::new(status, title, text);
    e.reference = reference.map(str::to_string);
    e.into_response()
}

pub(crate) fn random_token() -> Result<String, WebError> {
    random_hex().ok_or_else(WebError::internal)
}

pub(crate) fn expired() -> WebError {
    WebError::new(
        StatusCode::BAD_REQUEST,
        "Sign-in expired",
        "This sign-in page has expired. Go back to the application and start again.",
    )
}

pub(crate) fn link_used() -> WebError {
    WebError::new(
        StatusCode::GONE,
        "Link used or expired",
        "This registration link was already used or has expired. Ask your administrator for a new one.",
    )
}

/// A realm whose policy uses passkeys, served under a base URL that names no host (an IP
/// address): WebAuthn has no relying party ID there.
pub(crate) fn no_passkeys_here() -> WebError {
    tracing::warn!("a realm uses passkeys, but base_url names no host: passkeys need a host name");
    WebError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Passkeys are not available",
        "This sign-in needs a passkey, and passkeys cannot be used at this address. Contact your administrator (the identity provider's base URL must name a host).",
    )
}
