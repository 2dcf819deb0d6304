//! A realm's branding on its sign-in pages, served as a stylesheet of its own
//! (`/realms/{realm}/branding.css`, after the product's: the page CSP allows no inline style)
//! and its logo (`/realms/{realm}/logo`). Every sign-in page of a realm links the stylesheet;
//! for an unbranded realm it is empty. Both answer `no-cache` with an ETag, so a change shows
//! at the next page and an unchanged one costs a `304`.

use crate::error::WebError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use symbolon_idp::branding::{Accent, logo_version, realm_branding};
use symbolon_store::IdpStore;

/// The stylesheet for a realm's branding: its accent for links, focus rings and primary
/// buttons in both colour schemes, and the logo above the sign-in card's heading.
pub(crate) fn stylesheet(realm: &str, accent: Option<Accent>, logo: Option<&str>) -> String {
    let mut css = String::new();
    if let Some(a) = accent {
        css.push_str(&format!(
            ":root {{ --accent: {}; --on-accent: #ffffff; }}\n@media (prefers-color-scheme: dark) {{ :root {{ --accent: {}; --on-accent: {}; }} }}\n",
            a.on_light().hex(),
            a.on_dark().hex(),
            a.text_on_dark().hex()
        ));
    }
    if let Some(version) = logo {
        css.push_str(&format!(
            ".realm-logo {{ display: block; background-image: url(\"{}\"); }}\n",
            logo_url(realm, version)
        ));
    }
    css
}

/// Where a realm's logo of this version is served (the realm's name percent-encoded, so that it
/// cannot end the URL or a stylesheet rule).
pub(crate) fn logo_url(realm: &str, version: &str) -> String {
    let realm = percent_encoding::utf8_percent_encode(realm, percent_encoding::NON_ALPHANUMERIC);
    format!("/realms/{realm}/logo?v={version}")
}

/// `200` with `body` and its ETag, or `304` when the browser has it already.
fn cached(headers: &HeaderMap, etag: &str, content_type: &str, body: Vec<u8>) -> Response {
    let etag = format!("\"{etag}\"");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut r = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = body.into_response();
        if let Ok(ct) = HeaderValue::from_str(content_type) {
            r.headers_mut().insert(header::CONTENT_TYPE, ct);
        }
        r
    };
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    // An image opened on its own runs nothing.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// `GET /realms/{realm}/branding.css`: empty for an unbranded (or unknown) realm.
pub(crate) async fn branding_css<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (accent, logo) = realm_branding(&st.store, &realm).await?;
    let css = stylesheet(&realm, accent, logo.as_ref().map(logo_version).as_deref());
    let etag = symbolon_idp::hex_sha256(&css);
    Ok(cached(
        &headers,
        etag.get(..16).unwrap_or(&etag),
        "text/css; charset=utf-8",
        css.into_bytes(),
    ))
}

/// `GET /realms/{realm}/logo`: the realm's logo, `404` without one.
pub(crate) async fn logo<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (_, logo) = realm_branding(&st.store, &realm).await?;
    let Some(logo) = logo else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let version = logo_version(&logo);
    Ok(cached(&headers, &version, &logo.content_type, logo.bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_sets_both_schemes_and_the_logo() {
        let a = Accent::parse("#1a4d8f").ok();
        let css = stylesheet("mpas", a, Some("0011aabb"));
        assert!(css.starts_with(":root { --accent: #1a4d8f; --on-accent: #ffffff; }"));
        assert!(css.contains("@media (prefers-color-scheme: dark)"));
        assert!(css.contains("url(\"/realms/mpas/logo?v=0011aabb\")"));
        assert_eq!(stylesheet("mpas", None, None), "");
        // A realm name cannot end the URL or the rule.
        let css = stylesheet("a\")}x", None, Some("00"));
        assert!(css.contains("/realms/a%22%29%7Dx/logo"), "{css}");
    }
}
