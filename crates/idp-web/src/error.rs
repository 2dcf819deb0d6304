//! The IdP's one HTML error type ([`WebError`]): a status, a title and a message safe to show
//! anyone, rendered as the IdP's error page; domain and store errors map to it by kind.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
/// 256 random bits as hex (also used by the SP).
pub use symbolon_idp::random_hex;

/// An HTML page with the console's security headers.
pub(crate) fn html_page(status: StatusCode, body: String) -> Response {
    html(status, body)
}

/// An error page: status, title, message safe to show to anyone.
#[derive(Debug)]
pub struct WebError {
    pub(crate) status: StatusCode,
    pub(crate) title: &'static str,
    pub(crate) message: String,
}

impl WebError {
    pub(crate) fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        WebError {
            status,
            title,
            message: message.into(),
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
}

pub(crate) const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Pages with a passkey ceremony may run this server's own script (`/resources/passkey.js`),
/// and nothing else.
pub(crate) const SCRIPTED_PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    page_with_csp(status, body, PAGE_CSP)
}

/// A page that runs the passkey script.
pub(crate) fn scripted_html(status: StatusCode, body: String) -> Response {
    page_with_csp(status, body, SCRIPTED_PAGE_CSP)
}

pub(crate) fn page_with_csp(status: StatusCode, body: String, csp: &'static str) -> Response {
    let mut r = (status, Html(body)).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Not `no-referrer`: under it browsers send `Origin: null` even on same-origin form posts,
    // and the Origin check would refuse every sign-in. `same-origin` still sends nothing to
    // other sites (the SP's ACS included).
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    r
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let body = ErrorPage {
            title: self.title,
            message: &self.message,
        }
        .render()
        .unwrap_or_else(|_| self.message.clone());
        let mut res = html(self.status, body);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(
                header::RETRY_AFTER,
                axum::http::HeaderValue::from(symbolon_idp::hashing::RETRY_AFTER_SECS),
            );
        }
        res
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
    let message = match reference {
        Some(r) => format!("{text} Reference: {r}."),
        None => text.to_string(),
    };
    WebError::new(status, title, message).into_response()
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
