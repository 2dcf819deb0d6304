//! HTML responses and the static assets both servers serve.
//!
//! Every page goes out with a Content-Security-Policy (no script unless the page is one of the
//! few that run this server's own script), `Cache-Control: no-store`, `nosniff` and a referrer
//! policy that sends nothing to other sites.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// The policy of a page without script.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/// Pages with a ceremony in script may run this server's own scripts, and nothing else.
pub const SCRIPTED_PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The shared stylesheet of sign-in and product pages (`/resources/symbolon.css`).
pub const STYLESHEET: &str = include_str!("../static/symbolon.css");
/// The shared stylesheet of both consoles.
pub const CONSOLE_STYLESHEET: &str = include_str!("../static/console.css");

/// A page without script.
/// An instant as an error page shows it to a person: `2026-12-06 13:36:24 UTC` (seconds, no
/// fraction), the form administrators find it under in events and logs.
pub fn page_time(t: time::OffsetDateTime) -> String {
    page_time_in(t, None)
}

/// An instant as a page shows it to a person in their time zone (an IANA name such as
/// `Asia/Tokyo`, from their profile), with the zone named: `2023-11-15 07:13:20 JST`; UTC, named
/// so, when no zone is given or the name is unknown.
pub fn page_time_in(t: time::OffsetDateTime, zone: Option<&str>) -> String {
    if let Some(zoned) = zone
        .and_then(|z| jiff::tz::TimeZone::get(z.trim()).ok())
        .and_then(|tz| {
            jiff::Timestamp::from_second(t.unix_timestamp())
                .ok()
                .map(|ts| ts.to_zoned(tz))
        })
    {
        return zoned.strftime("%Y-%m-%d %H:%M:%S %Z").to_string();
    }
    utc_text(t)
}

fn utc_text(t: time::OffsetDateTime) -> String {
    let t = t.checked_to_offset(time::UtcOffset::UTC).unwrap_or(t);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub fn html(status: StatusCode, body: String) -> Response {
    with_csp(status, body, PAGE_CSP)
}

/// A page that runs this server's own script.
pub fn scripted_html(status: StatusCode, body: String) -> Response {
    with_csp(status, body, SCRIPTED_PAGE_CSP)
}

/// A page under the given policy, with the other headers every page has.
pub fn with_csp(status: StatusCode, body: String, csp: &'static str) -> Response {
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
    // other sites.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    r
}

/// A static asset with its content type.
pub fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// The product mark (`/resources/favicon.svg`): two interlocking halves of a token, in the
/// accent colour, legible at 16 px.
pub const FAVICON: &str = include_str!("../static/favicon.svg");

/// `GET /resources/favicon.svg`.
pub async fn favicon() -> Response {
    asset(FAVICON, "image/svg+xml")
}

/// `GET /resources/symbolon.css`.
pub async fn stylesheet() -> Response {
    asset(STYLESHEET, "text/css; charset=utf-8")
}

/// The consoles' script: copy buttons beside the values marked `data-copy`.
pub const COPY_JS: &str = include_str!("../static/copy.js");

/// `GET /resources/copy.js`.
pub async fn copy_script() -> Response {
    asset(COPY_JS, "text/javascript; charset=utf-8")
}

/// `GET /…/console.css`.
pub async fn console_stylesheet() -> Response {
    asset(CONSOLE_STYLESHEET, "text/css; charset=utf-8")
}

/// Ask the client to come back: `Retry-After` on a 503.
pub fn retry_after(mut r: Response) -> Response {
    if r.status() == StatusCode::SERVICE_UNAVAILABLE {
        r.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(symbolon_secret::hashing::RETRY_AFTER_SECS),
        );
    }
    r
}

/// Send the browser on to `url` on another site after a form was posted here. A `303` would do
/// for a link, but after a form the page's CSP `form-action` also covers the redirect, and
/// browsers stop it: this page moves on with a meta refresh instead (no script), and offers a
/// link for the rare browser that does not.
pub fn continue_to(url: &str) -> Response {
    let u = url
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={u}\"><title>Continue</title><link rel=\"stylesheet\" href=\"/resources/symbolon.css\"></head><body><main class=\"card\"><h1>Continue</h1><p><a href=\"{u}\">Continue</a></p></main></body></html>"
    );
    html(StatusCode::OK, body)
}

/// A logout message on its way to the peer: the Continue page of [`continue_to`] for
/// HTTP-Redirect, the auto-submitting form of [`auto_post`] for HTTP-POST.
pub fn saml_outgoing(o: symbolon_saml::logout::Outgoing, relay_state: Option<&str>) -> Response {
    use symbolon_saml::logout::Outgoing;
    match o {
        // Not a 303: a form may have been posted here, and its CSP would stop the redirect.
        Outgoing::Redirect(url) => continue_to(&url),
        Outgoing::Post { action, field, xml } => auto_post(
            &action,
            symbolon_saml::binding::post_form(&action, field, xml.as_bytes(), relay_state),
            &symbolon_saml::binding::post_form_script_csp_hash(),
        ),
    }
}

/// The auto-submitting form that carries a SAML message across to another site (HTTP-POST
/// binding): `body` is the form page, `script_hash` the CSP source of its one inline script.
/// The CSP allows that script and a form submission to `action`'s origin only.
pub fn auto_post(action: &str, body: String, script_hash: &str) -> Response {
    let mut r = (StatusCode::OK, Html(body)).into_response();
    let csp = format!(
        "default-src 'none'; script-src {script_hash}; form-action {}; frame-ancestors 'none'; base-uri 'none'",
        csp_source(action)
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Let the pages of `source` (a CSP source: `'self'`, or an origin from [`csp_source`]) show `r`
/// in a frame, instead of no page at all: the IdP's logout page asks each application from a
/// frame of its own (`'self'`), and an SP answers that frame (the IdP's origin). Other sites
/// still cannot frame it.
pub fn frameable_by(mut r: Response, source: &str) -> Response {
    let relaxed = r
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.replace(
                "frame-ancestors 'none'",
                &format!("frame-ancestors {source}"),
            )
        });
    if let Some(v) = relaxed.and_then(|v| HeaderValue::from_str(&v).ok()) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

/// The origin of a URL, for CSP `form-action`; `'none'` when it could break out of the header.
pub fn csp_source(url: &str) -> String {
    let origin = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    if origin.is_empty() || origin.contains(['\'', ';', ' ', ',']) {
        "'none'".into()
    } else {
        origin
    }
}

#[cfg(test)]
mod auto_post_tests {
    use super::{csp_source, page_time, page_time_in};

    #[test]
    fn times_in_the_viewers_zone_name_the_zone() {
        let Ok(t) = time::OffsetDateTime::from_unix_timestamp(1_700_000_000) else {
            unreachable!("a valid instant")
        };
        assert_eq!(page_time(t), "2023-11-14 22:13:20 UTC");
        assert_eq!(page_time_in(t, None), "2023-11-14 22:13:20 UTC");
        assert_eq!(
            page_time_in(t, Some("Asia/Tokyo")),
            "2023-11-15 07:13:20 JST"
        );
        assert_eq!(
            page_time_in(t, Some("Not/AZone")),
            "2023-11-14 22:13:20 UTC"
        );
    }

    #[test]
    fn a_page_may_be_framed_by_the_named_source_only() {
        let csp = |r: &axum::response::Response| {
            r.headers()
                .get(axum::http::header::CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let page = super::html(axum::http::StatusCode::OK, "<p>x</p>".into());
        assert!(csp(&page).contains("frame-ancestors 'none'"));
        let own = super::frameable_by(page, "'self'");
        assert!(csp(&own).contains("frame-ancestors 'self';"));
        let idp = super::frameable_by(
            super::continue_to("https://idp.test/realms/r/protocol/saml?SAMLResponse=x"),
            &csp_source("https://idp.test/realms/r/protocol/saml?SAMLResponse=x"),
        );
        assert!(csp(&idp).contains("frame-ancestors https://idp.test;"));
        // A destination that could break out of the header frames nothing.
        let odd = super::frameable_by(
            super::continue_to("https://x/"),
            &csp_source("https://idp.test';script-src *;x/"),
        );
        assert!(csp(&odd).contains("frame-ancestors 'none'"));
    }

    #[test]
    fn form_action_is_the_origin_or_none() {
        assert_eq!(
            csp_source("https://sp.test:8443/acs?x=1"),
            "https://sp.test:8443"
        );
        assert_eq!(csp_source("https://sp.test';script-src *;x/acs"), "'none'");
    }
}
