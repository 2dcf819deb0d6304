//! Where a browser goes after signing in: an IdP-initiated RelayState or the page that started
//! an SP-initiated sign-in, honoured only as a path within the SP's own origin (never an open
//! redirect).

/// The longest deep link honoured.
pub const MAX_DEEP_LINK: usize = 2048;

/// Why a requested destination is not followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeepLinkRefused {
    /// Another origin, a scheme, a protocol-relative or backslash trick: an open-redirect try.
    OtherOrigin,
    /// Not a usable path (control characters, too long, empty).
    Unusable,
}

/// The path (with query and fragment) to send the browser to, if `target` names a page of this
/// SP: a path starting with one `/`, or an absolute URL on `base_url`'s origin (turned into its
/// path). Everything else is refused; the caller then goes to `/`.
pub fn deep_link(base_url: &str, target: &str) -> Result<String, DeepLinkRefused> {
    let t = target.trim();
    if t.is_empty() || t.len() > MAX_DEEP_LINK {
        return Err(DeepLinkRefused::Unusable);
    }
    if t.chars().any(|c| c.is_control() || c == ' ') {
        return Err(DeepLinkRefused::Unusable);
    }
    if t.contains('\\') {
        return Err(DeepLinkRefused::OtherOrigin);
    }
    let path = if let Some(rest) = t.strip_prefix('/') {
        if rest.starts_with('/') {
            // `//evil.test/x` is another host.
            return Err(DeepLinkRefused::OtherOrigin);
        }
        t.to_string()
    } else {
        let origin = origin_of(base_url).ok_or(DeepLinkRefused::Unusable)?;
        let lower = t.to_ascii_lowercase();
        if !lower.starts_with(&origin) {
            return Err(DeepLinkRefused::OtherOrigin);
        }
        let rest = &t[origin.len()..];
        if rest.is_empty() {
            "/".to_string()
        } else if rest.starts_with('/') && !rest.starts_with("//") {
            rest.to_string()
        } else {
            // `https://sp.test.evil.test/` or `https://sp.test:444/`, `https://sp.test@evil/`.
            return Err(DeepLinkRefused::OtherOrigin);
        }
    };
    // The SAML endpoints are not destinations.
    if path.starts_with("/saml/") {
        return Err(DeepLinkRefused::Unusable);
    }
    Ok(path)
}

/// `scheme://host[:port]` of a base URL, lower-cased.
fn origin_of(base_url: &str) -> Option<String> {
    let lower = base_url.trim().to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://")?;
    let host = rest.split('/').next().filter(|h| !h.is_empty())?;
    Some(format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const BASE: &str = "https://sp.example.test";

    #[test]
    fn paths_and_same_origin_urls_are_followed() {
        assert_eq!(deep_link(BASE, "/account/audit").unwrap(), "/account/audit");
        assert_eq!(
            deep_link(BASE, "/reports?q=1#top").unwrap(),
            "/reports?q=1#top"
        );
        assert_eq!(
            deep_link(BASE, "https://sp.example.test/account/idps").unwrap(),
            "/account/idps"
        );
        assert_eq!(deep_link(BASE, "HTTPS://SP.EXAMPLE.TEST").unwrap(), "/");
        assert_eq!(
            deep_link("http://127.0.0.1:8081/", "http://127.0.0.1:8081/x").unwrap(),
            "/x"
        );
    }

    #[test]
    fn open_redirects_are_refused() {
        for bad in [
            "https://evil.test/",
            "//evil.test/x",
            "/\\evil.test",
            "\\\\evil.test",
            "https://sp.example.test.evil.test/",
            "https://sp.example.test@evil.test/",
            "https://sp.example.test:444/",
            "http://sp.example.test/",
            "javascript:alert(1)",
            "data:text/html,x",
            "https:/evil.test",
        ] {
            assert_eq!(
                deep_link(BASE, bad),
                Err(DeepLinkRefused::OtherOrigin),
                "{bad}"
            );
        }
    }

    #[test]
    fn unusable_targets_are_refused() {
        assert_eq!(deep_link(BASE, ""), Err(DeepLinkRefused::Unusable));
        assert_eq!(deep_link(BASE, "/a\nb"), Err(DeepLinkRefused::Unusable));
        assert_eq!(deep_link(BASE, "/a b"), Err(DeepLinkRefused::Unusable));
        assert_eq!(
            deep_link(BASE, &format!("/{}", "a".repeat(MAX_DEEP_LINK))),
            Err(DeepLinkRefused::Unusable)
        );
        assert_eq!(deep_link(BASE, "/saml/acs"), Err(DeepLinkRefused::Unusable));
    }
}
