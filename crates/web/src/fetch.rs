//! Fetching a metadata document from a URL for the scheduled refresh: HTTPS (plain HTTP only when
//! the administrator allowed it for that entry), a size cap enforced while reading, a total time
//! limit, conditional requests (ETag / Last-Modified), and at most a few redirects, never to
//! another scheme. What the document must satisfy is decided elsewhere
//! (`symbolon_saml::metadata_refresh`).
//!
//! With [`FetchLimits::public_only`] (the SP's default: its tenants type these URLs), a URL
//! reaches public addresses only: a host that is a private, loopback, link-local, shared or
//! otherwise non-public address, or a name that resolves only to such addresses, is refused
//! before any connection, redirects included ([`PublicOnly`], [`is_public`]).

use std::time::Duration;

/// The largest document read (aggregates of a national federation are tens of MB; one entity's
/// metadata is a few kB).
pub const DEFAULT_MAX_BYTES: usize = 16 * 1024 * 1024;
/// The whole exchange, connection to last byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// Redirects followed.
pub const MAX_REDIRECTS: usize = 3;

/// Limits of one fetch.
#[derive(Debug, Clone, Copy)]
pub struct FetchLimits {
    pub max_bytes: usize,
    pub timeout: Duration,
    /// Connect to public addresses only (no server-side request into the operator's network).
    pub public_only: bool,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            max_bytes: DEFAULT_MAX_BYTES,
            timeout: DEFAULT_TIMEOUT,
            public_only: false,
        }
    }
}

/// An address on the public internet: not loopback, private (RFC 1918, IPv6 unique local),
/// link-local (cloud metadata services live there), shared (CGNAT), unspecified, broadcast,
/// multicast, documentation, benchmarking or reserved; IPv4-mapped IPv6 judged as its IPv4.
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x64 && s[1] == 0xff9b))
        }
    }
}

/// The refusal for a host that is not public.
fn not_public(host: &str) -> String {
    format!(
        "{host} is not a public address: this server fetches public addresses only (the operator may allow private ones: [sp] allow_private_addresses)"
    )
}

/// A resolver that keeps only public addresses, and fails when a name has none.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(not_public(&host).into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// `url`'s host when it is an IP address that is not public (names are checked when resolved).
pub fn literal_not_public(url: &reqwest::Url) -> Option<String> {
    let host = url.host_str()?;
    let ip: std::net::IpAddr = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .parse()
        .ok()?;
    (!is_public(ip)).then(|| not_public(&ip.to_string()))
}

/// The validators of the document in hand, sent back as `If-None-Match` / `If-Modified-Since`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What a fetch brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// `304 Not Modified`: the document in hand is current.
    NotModified,
    Document {
        body: Vec<u8>,
        validators: Validators,
    },
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("not a URL: {0}")]
    BadUrl(String),
    #[error("{0}: only https:// URLs are fetched (plain http:// must be allowed for this entry)")]
    Scheme(String),
    #[error("the document is larger than {0} bytes")]
    TooLarge(usize),
    #[error("no answer within {0} s")]
    Timeout(u64),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("{0}")]
    Http(String),
}

/// Fetches metadata documents: one HTTP client (rustls with the platform's roots, redirects
/// limited and kept on one scheme, no cookies, a User-Agent that says who asks) and the limits.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: Result<reqwest::Client, FetchError>,
    limits: FetchLimits,
}

impl Fetcher {
    pub fn new(limits: FetchLimits) -> Result<Fetcher, FetchError> {
        Ok(Fetcher {
            client: Ok(client(&limits)?),
            limits,
        })
    }

    /// A fetcher that could not be built: every fetch fails with `why`.
    pub fn unusable(why: FetchError) -> Fetcher {
        Fetcher {
            client: Err(why),
            limits: FetchLimits::default(),
        }
    }

    /// Fetch `url`, conditionally on the validators of the document in hand, as the metadata
    /// refresh decides on it.
    pub async fn outcome(
        &self,
        url: &str,
        allow_http: bool,
        etag: Option<&str>,
        last_modified: Option<&str>,
    ) -> symbolon_saml::metadata_refresh::FetchOutcome {
        use symbolon_saml::metadata_refresh::FetchOutcome;
        let validators = Validators {
            etag: etag.map(str::to_string),
            last_modified: last_modified.map(str::to_string),
        };
        match self.fetch(url, allow_http, &validators).await {
            Ok(Fetched::NotModified) => FetchOutcome::NotModified,
            Ok(Fetched::Document { body, validators }) => FetchOutcome::Document {
                body,
                etag: validators.etag,
                last_modified: validators.last_modified,
            },
            Err(e) => FetchOutcome::Failed(e.to_string()),
        }
    }

    /// Fetch `url`, conditionally on `validators`.
    pub async fn fetch(
        &self,
        url: &str,
        allow_http: bool,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        match &self.client {
            Ok(c) => fetch(c, url, allow_http, validators, &self.limits).await,
            Err(e) => Err(e.clone()),
        }
    }
}

fn client(limits: &FetchLimits) -> Result<reqwest::Client, FetchError> {
    let public_only = limits.public_only;
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        let first_scheme = attempt
            .previous()
            .first()
            .map(|u| u.scheme().to_string())
            .unwrap_or_default();
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if attempt.url().scheme() != first_scheme {
            attempt.error("a redirect to another scheme")
        } else if let Some(why) = public_only
            .then(|| literal_not_public(attempt.url()))
            .flatten()
        {
            attempt.error(why)
        } else {
            attempt.follow()
        }
    });
    let mut b = reqwest::Client::builder();
    if public_only {
        b = b.dns_resolver(PublicOnly);
    }
    b.redirect(policy)
        .timeout(limits.timeout)
        .connect_timeout(limits.timeout.min(Duration::from_secs(10)))
        .user_agent(concat!(
            "Symbolon/",
            env!("CARGO_PKG_VERSION"),
            " metadata refresh"
        ))
        .build()
        .map_err(|e| FetchError::Http(e.to_string()))
}

/// Check a URL before it is stored: absolute, `https` (or `http` when allowed), with a host.
pub fn check_url(url: &str, allow_http: bool) -> Result<reqwest::Url, FetchError> {
    let u =
        reqwest::Url::parse(url.trim()).map_err(|e| FetchError::BadUrl(format!("{url}: {e}")))?;
    match u.scheme() {
        "https" => {}
        "http" if allow_http => {}
        _ => return Err(FetchError::Scheme(url.to_string())),
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(FetchError::BadUrl(format!("{url}: no host")));
    }
    Ok(u)
}

/// [`check_url`], and with `public_only` a host that is not an IP address of the public
/// internet refused (names are checked when [`PublicOnly`] resolves them): where a request goes.
pub fn check_destination(
    url: &str,
    allow_http: bool,
    public_only: bool,
) -> Result<reqwest::Url, FetchError> {
    let u = check_url(url, allow_http)?;
    match public_only.then(|| literal_not_public(&u)).flatten() {
        Some(why) => Err(FetchError::Http(why)),
        None => Ok(u),
    }
}

/// [`check_url`] in the shape the domains take it (`symbolon_store::UrlCheck`): fine, or why
/// not.
pub fn url_check(url: &str, allow_http: bool) -> Result<(), String> {
    check_url(url, allow_http)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn fetch(
    client: &reqwest::Client,
    url: &str,
    allow_http: bool,
    validators: &Validators,
    limits: &FetchLimits,
) -> Result<Fetched, FetchError> {
    let u = check_destination(url, allow_http, limits.public_only)?;
    let timeout = |e: reqwest::Error| {
        if e.is_timeout() {
            FetchError::Timeout(limits.timeout.as_secs())
        } else {
            FetchError::Http(error_chain(&e.without_url()))
        }
    };
    let mut req = client.get(u).header(
        reqwest::header::ACCEPT,
        "application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8",
    );
    if let Some(e) = &validators.etag {
        req = req.header(reqwest::header::IF_NONE_MATCH, e);
    }
    if let Some(m) = &validators.last_modified {
        req = req.header(reqwest::header::IF_MODIFIED_SINCE, m);
    }
    let mut resp = req.send().await.map_err(timeout)?;
    let status = resp.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(Fetched::NotModified);
    }
    if !status.is_success() {
        return Err(FetchError::Status(status.as_u16()));
    }
    if resp
        .content_length()
        .is_some_and(|n| n > limits.max_bytes as u64)
    {
        return Err(FetchError::TooLarge(limits.max_bytes));
    }
    let header = |name: reqwest::header::HeaderName| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let validators = Validators {
        etag: header(reqwest::header::ETAG),
        last_modified: header(reqwest::header::LAST_MODIFIED),
    };
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(timeout)? {
        if body.len().saturating_add(chunk.len()) > limits.max_bytes {
            return Err(FetchError::TooLarge(limits.max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched::Document { body, validators })
}

/// An error with its causes (the resolver's refusal sits under reqwest's "error sending request").
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let c_text = c.to_string();
        if !out.contains(&c_text) {
            out.push_str(": ");
            out.push_str(&c_text);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod public_tests {
    use super::*;

    #[test]
    fn public_addresses() {
        for ip in [
            "93.184.216.34",
            "2606:2800:220:1:248:1893:25c8:1946",
            "8.8.8.8",
            "1.1.1.1",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "2001:db8::1",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn literal_hosts() {
        let u = |s: &str| reqwest::Url::parse(s).unwrap();
        assert!(literal_not_public(&u("https://169.254.169.254/latest")).is_some());
        assert!(literal_not_public(&u("https://[::1]:8443/x")).is_some());
        assert!(literal_not_public(&u("https://93.184.216.34/x")).is_none());
        assert!(
            literal_not_public(&u("https://localhost/x")).is_none(),
            "names: at resolution"
        );
    }

    #[tokio::test]
    async fn private_destinations_are_refused_before_connecting() {
        let limits = FetchLimits {
            public_only: true,
            ..FetchLimits::default()
        };
        let f = Fetcher::new(limits).unwrap();
        for url in [
            "http://127.0.0.1:9/md",
            "http://localhost:9/md",
            "http://[::1]:9/md",
        ] {
            let e = f
                .fetch(url, true, &Validators::default())
                .await
                .unwrap_err();
            assert!(e.to_string().contains("not a public address"), "{url}: {e}");
        }
    }
}
