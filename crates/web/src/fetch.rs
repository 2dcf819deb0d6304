//! Fetching a metadata document from a URL for the scheduled refresh: HTTPS (plain HTTP only when
//! the administrator allowed it for that entry), a size cap enforced while reading, a total time
//! limit, conditional requests (ETag / Last-Modified), and at most a few redirects, never to
//! another scheme. What the document must satisfy is decided elsewhere
//! (`symbolon_saml::metadata_refresh`).

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
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            max_bytes: DEFAULT_MAX_BYTES,
            timeout: DEFAULT_TIMEOUT,
        }
    }
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
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        let first_scheme = attempt
            .previous()
            .first()
            .map(|u| u.scheme().to_string())
            .unwrap_or_default();
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if attempt.url().scheme() != first_scheme {
            attempt.error("a redirect to another scheme")
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder()
        .redirect(policy)
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
    let u = check_url(url, allow_http)?;
    let timeout = |e: reqwest::Error| {
        if e.is_timeout() {
            FetchError::Timeout(limits.timeout.as_secs())
        } else {
            FetchError::Http(e.without_url().to_string())
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
