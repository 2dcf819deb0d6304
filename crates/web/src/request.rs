//! What a request carries: cookies and its Origin.

use axum::http::{HeaderMap, header};

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
