//! What a request carries: cookies and its Origin.

use axum::http::{HeaderMap, header};

/// The value of cookie `name`, if the request has it.
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
