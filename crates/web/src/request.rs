//! What a request carries: cookies and its Origin.

use axum::http::{HeaderMap, header};

/// The token of an `Authorization: Bearer ...` header, trimmed; `None` without one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// `201 Created` with `Location: location` and `body` (which may be `()`).
pub fn created(
    location: &str,
    body: impl axum::response::IntoResponse,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let mut r = (axum::http::StatusCode::CREATED, body).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// The value of cookie `name`, if the request has it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            kv.trim()
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix('='))
                .map(str::to_string)
        })
}

/// The origin (`scheme://host[:port]`) of a base URL.
pub fn origin_of(base_url: &str) -> String {
    base_url
        .splitn(4, '/')
        .take(3)
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether an `Origin` header (if any) matches the base URL's origin. A request without one
/// (an old browser, a same-origin GET) passes; a different origin, or `null`, does not.
pub fn same_origin_as(base_url: &str, headers: &HeaderMap) -> bool {
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        None => true,
        Some(o) => o == origin_of(base_url.trim_end_matches('/')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookies_and_origins() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; sid=xyz"));
        assert_eq!(cookie(&h, "sid").as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "si"), None);
        assert!(same_origin_as("https://idp.example:8443/x", &h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://idp.example:8443"),
        );
        assert!(same_origin_as("https://idp.example:8443/", &h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin_as("https://idp.example:8443", &h));
    }
}

/// A JSON request body that must be an object, deserialized into `T`. `axum::Json` alone lets
/// serde read a struct from an array (`[null, null]` fills two optional fields), which an API
/// that documents an object must refuse. Refusals are the API's JSON errors: `415` without a
/// JSON `Content-Type`, `400` for a body that is not an object or does not fit `T`, `413` over
/// the router's body limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonObject<T>(pub T);

/// A `Content-Type` of JSON: `application/json` or `application/*+json`, with any parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T, S> axum::extract::FromRequest<S> for JsonObject<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = axum::response::Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        use crate::error::ApiError;
        use axum::response::IntoResponse as _;
        if !is_json(req.headers()) {
            let body = crate::openapi::ErrorBody {
                error: "unsupported_media_type".into(),
                error_description: "the body must be JSON (Content-Type: application/json)".into(),
            };
            return Err((
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                axum::Json(body),
            )
                .into_response());
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| e.into_response())?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::invalid("the body must be a JSON object").into_response());
        }
        match serde_json::from_slice::<T>(&bytes) {
            Ok(v) => Ok(JsonObject(v)),
            Err(e) => Err(ApiError::invalid(format!("the body does not fit: {e}")).into_response()),
        }
    }
}
