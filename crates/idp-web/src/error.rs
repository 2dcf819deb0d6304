//! The IdP's one HTML error type ([`WebError`]): a status, a title and a message safe to show
//! anyone, rendered as the IdP's error page in the request's language; domain and store errors
//! map to it by kind.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
/// 256 random bits as hex (also used by the SP).
pub use symbolon_idp::random_hex;
use symbolon_web::i18n::Tr;

/// An error page: status, title, message safe to show to anyone. The title is a catalogue ID
/// (`err-*`); the message is an ID, an ID with an argument, or text as it is ([`Msg`]).
#[derive(Debug)]
pub struct WebError {
    pub(crate) status: StatusCode,
    pub(crate) title: &'static str,
    pub(crate) message: Msg,
    /// The reference shown with the time; the request's own ([`symbolon_web::reference`])
    /// unless one is given (a panic's).
    reference: Option<String>,
}

impl WebError {
    pub(crate) fn new(status: StatusCode, title: &'static str, message: impl Into<Msg>) -> Self {
        WebError {
            status,
            title,
            message: message.into(),
            reference: None,
        }
    }
    pub(crate) fn not_found(message: impl Into<Msg>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "err-not-found-title", message)
    }
    pub(crate) fn bad_request(message: impl Into<Msg>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "err-bad-request-title", message)
    }
    pub(crate) fn internal_error() -> Self {
        Self::internal()
    }
    pub(crate) fn forbidden(title: &'static str, message: impl Into<Msg>) -> Self {
        Self::new(StatusCode::FORBIDDEN, title, message)
    }
    /// A console's "not found" page (text as it is).
    pub(crate) fn not_found_page(message: String) -> Self {
        Self::not_found(Msg::Text(message))
    }
    pub(crate) fn bad_request_page(message: impl Into<Msg>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "err-bad-page-title", message)
    }
    pub(crate) fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "err-internal-title",
            "err-internal",
        )
    }
}

/// What an error page says: a catalogue ID (a `&'static str`), an ID with one argument, or a
/// `String`: an [`symbolon_web::i18n::encode`]d message, or text not in the catalogue, shown as
/// it is.
#[derive(Debug, Clone)]
pub enum Msg {
    Id(&'static str),
    With(&'static str, &'static str, String),
    Text(String),
}

impl Msg {
    /// The message in a language.
    pub(crate) fn render(&self, t: Tr) -> String {
        match self {
            Msg::Id(id) => t.t(id),
            Msg::With(id, name, value) => t.t1(id, name, value),
            Msg::Text(s) => t.msg(s),
        }
    }
}

impl From<&'static str> for Msg {
    fn from(id: &'static str) -> Self {
        Msg::Id(id)
    }
}

impl From<String> for Msg {
    fn from(text: String) -> Self {
        Msg::Text(text)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage<'a> {
    pub(crate) t: Tr,
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
        let t = symbolon_web::i18n::tr();
        let message = self.message.render(t);
        let body = ErrorPage {
            t,
            title: &t.t(self.title),
            message: &message,
            at: symbolon_web::page::page_time(time::OffsetDateTime::now_utc()),
            reference,
        }
        .render()
        .unwrap_or(message);
        symbolon_web::page::retry_after(html(self.status, body))
    }
}

impl From<symbolon_idp::IdpError> for WebError {
    fn from(e: symbolon_idp::IdpError) -> Self {
        match e {
            symbolon_idp::IdpError::NoRealm(r) => {
                WebError::not_found(Msg::With("err-no-realm", "name", r))
            }
            symbolon_idp::IdpError::Busy(_) => WebError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "err-busy-title",
                "err-busy",
            ),
            symbolon_idp::IdpError::Store(symbolon_store::StoreError::Unavailable(cause)) => {
                tracing::warn!(%cause, "answered 503: the store is unavailable");
                WebError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "err-unavailable-title",
                    "err-unavailable",
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
    WebError::new(StatusCode::BAD_REQUEST, "err-expired-title", "err-expired")
}

pub(crate) fn link_used() -> WebError {
    WebError::new(StatusCode::GONE, "err-link-used-title", "err-link-used")
}

/// A realm whose policy uses passkeys, served under a base URL that names no host (an IP
/// address): WebAuthn has no relying party ID there.
pub(crate) fn no_passkeys_here() -> WebError {
    tracing::warn!("a realm uses passkeys, but base_url names no host: passkeys need a host name");
    WebError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "err-no-passkeys-title",
        "err-no-passkeys",
    )
}
