//! What every admin API handler shares: the error type with its JSON body, and the
//! authenticated caller as an extractor (a bearer token, or the console session with its CSRF
//! token and this server's Origin).

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use symbolon_idp::{Actor, IdpError};
use symbolon_store::{IdpStore, StoreError};
use symbolon_web::error::Kind;
use time::OffsetDateTime;

/// An API error: a kind and a message, answered by `symbolon_web` as a status and a JSON body
/// `{"error", "error_description"}`.
#[derive(Debug)]
pub struct ApiError(symbolon_web::error::ApiError);

impl ApiError {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        ApiError(match kind {
            Kind::Unauthorized => symbolon_web::error::ApiError::unauthorized(
                message,
                "Bearer realm=\"symbolon-admin\"",
            ),
            kind => symbolon_web::error::ApiError::new(kind, message),
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl From<IdpError> for ApiError {
    fn from(e: IdpError) -> Self {
        match e {
            IdpError::NoRealm(r) => ApiError::new(Kind::NotFound, format!("realm {r:?} not found")),
            IdpError::Store(s) => s.into(),
            IdpError::Busy(b) => ApiError::new(Kind::Unavailable, b.to_string()),
            e => ApiError(symbolon_web::error::ApiError::classified(
                &e,
                "the database is unavailable",
            )),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError(e.into())
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// An authenticated caller of the admin API (see [`caller`]). Every handler names it in its
/// signature, so a handler that forgets authentication does not compile into the router.
#[derive(Debug)]
pub struct ApiCaller(pub Actor);

/// Who is calling: a bearer token (`Authorization: Bearer ...`), or a signed-in console
/// administrator whose request carries the session's CSRF token in `X-CSRF-Token` and, when the
/// browser sends one, an `Origin` of this server.
pub(crate) async fn caller<S: IdpStore>(
    st: &crate::state::AppState<S>,
    headers: &HeaderMap,
) -> ApiResult<Actor> {
    let unauthorized = || {
        ApiError::new(
            Kind::Unauthorized,
            "a valid bearer token, or the console session with its X-CSRF-Token, is required",
        )
    };
    if headers.contains_key(header::AUTHORIZATION) {
        let token = symbolon_web::request::bearer(headers).ok_or_else(unauthorized)?;
        let t = symbolon_idp::authenticate_admin_token(st.store(), token)
            .await?
            .ok_or_else(unauthorized)?;
        return Ok(Actor(format!("token:{}", t.name)));
    }
    let id = crate::state::cookie(headers, crate::console::common::SESSION_COOKIE)
        .ok_or_else(unauthorized)?;
    let session = st
        .admin_session(&id)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(unauthorized)?;
    let presented = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !crate::console::common::csrf_matches(&session, presented)
        || !crate::state::same_origin_as(&st.config().base_url, headers)
    {
        return Err(ApiError::new(
            Kind::Forbidden,
            "the X-CSRF-Token header must carry the console session's CSRF token",
        ));
    }
    Ok(Actor(session.username))
}

pub(crate) fn yes() -> bool {
    true
}

pub(crate) fn created(location: String) -> Response {
    symbolon_web::request::created(&location, ())
}

pub(crate) type St<S> = State<crate::state::AppState<S>>;

pub(crate) fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

impl<S: IdpStore> axum::extract::FromRequestParts<crate::state::AppState<S>> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &crate::state::AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        caller(st, &parts.headers).await.map(ApiCaller)
    }
}
