//! What a request carries: cookies, its Origin, form tokens; and the `Set-Cookie` a response
//! sets.

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

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Path=/` unless told otherwise, `Secure`
/// when the server's base URL is https.
#[derive(Debug, Clone)]
pub struct SetCookie<'a> {
    name: &'a str,
    value: &'a str,
    path: &'a str,
    secure: bool,
    max_age: Option<i64>,
    same_site: &'static str,
}

impl<'a> SetCookie<'a> {
    pub fn new(name: &'a str, value: &'a str, base_url: &str) -> Self {
        SetCookie {
            name,
            value,
            path: "/",
            secure: base_url.starts_with("https://"),
            max_age: None,
            same_site: "Lax",
        }
    }
    /// The cookie is sent only under this path.
    pub fn path(mut self, path: &'a str) -> Self {
        self.path = path;
        self
    }
    /// Lifetime in seconds (0 removes the cookie).
    pub fn max_age(mut self, secs: i64) -> Self {
        self.max_age = Some(secs);
        self
    }
    /// `SameSite=Strict`.
    pub fn strict(mut self) -> Self {
        self.same_site = "Strict";
        self
    }
    /// A cookie that removes this one.
    pub fn removal(name: &'a str, base_url: &str) -> Self {
        SetCookie::new(name, "", base_url).max_age(0)
    }
}

impl std::fmt::Display for SetCookie<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}={}; Path={}; HttpOnly; SameSite={}",
            self.name, self.value, self.path, self.same_site
        )?;
        if self.secure {
            f.write_str("; Secure")?;
        }
        if let Some(age) = self.max_age {
            write!(f, "; Max-Age={age}")?;
        }
        Ok(())
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
        assert_eq!(
            SetCookie::new("s", "v", "https://x")
                .max_age(60)
                .to_string(),
            "s=v; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=60"
        );
    }
}
