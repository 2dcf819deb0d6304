//! The front door both servers share: which reverse proxies are trusted, the client address a
//! request came from, and one access-log line per request.
//!
//! Public URLs never come from request headers: entity IDs, endpoints, cookie flags and the
//! Origin checks use the configured base URL only, so `Host`, `X-Forwarded-Host` and
//! `X-Forwarded-Proto` cannot steer them (no host-header injection). `X-Forwarded-For` is read
//! only when the TCP peer is a configured proxy, and then only up to the first address that is
//! not itself a trusted proxy.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

/// An address block such as `10.0.0.0/8`, `::1/128` or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parse `ADDR` or `ADDR/PREFIX`.
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or CIDR block"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(Cidr {
            net: net.to_canonical(),
            prefix,
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed. Empty: no header is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    pub fn parse<T: AsRef<str>>(list: &[T]) -> Result<Self, String> {
        list.iter()
            .map(|s| Cidr::parse(s.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    /// The client's address: the TCP peer, or, when the peer is a trusted proxy, the rightmost
    /// `X-Forwarded-For` entry that is not a trusted proxy (entries further left were written by
    /// whoever sent the request and prove nothing).
    pub fn client_addr(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            let ip = hop
                .parse::<IpAddr>()
                .ok()
                .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()));
            let Some(ip) = ip.map(|i| i.to_canonical()) else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// The TCP peer of a connection, for any listener that yields socket addresses (plain or TLS).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// A listener whose connections carry their [`Peer`] (wrap a `TcpListener` or a TLS listener),
/// and whose automatic 400/414/431 answers from hyper carry the product's page.
#[derive(Debug)]
pub struct PeerListener<L> {
    inner: L,
    pages: Arc<crate::conn::ParseErrorPages>,
}

impl<L> PeerListener<L> {
    pub fn new(inner: L, pages: crate::conn::ParseErrorPages) -> Self {
        PeerListener {
            inner,
            pages: Arc::new(pages),
        }
    }
}

impl<L> axum::serve::Listener for PeerListener<L>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    type Io = crate::conn::PageIo<L::Io>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = self.inner.accept().await;
        (self.pages.wrap(io), addr)
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl<L> axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, PeerListener<L>>>
    for Peer
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, PeerListener<L>>) -> Self {
        Peer(*stream.remote_addr())
    }
}

/// One access-log line per request: method, path (without the query, which may carry a
/// SAMLRequest), status, duration and the client address.
/// Also counts the request in `symbolon_http_requests_total` and times it in
/// `symbolon_http_request_duration_seconds`, labelled by the route's pattern (never the path
/// itself, which would make a series per user or per ID) and `server`.
pub async fn access_log(
    trusted: Arc<TrustedProxies>,
    server: &'static str,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let peer = req
        .extensions()
        .get::<ConnectInfo<Peer>>()
        .map(|c| c.0.0.ip());
    let client = peer.map(|p| trusted.client_addr(p, req.headers()));
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "(unmatched)".to_string(), |m| m.as_str().to_string());
    let span = crate::telemetry::request_span(server, method_label(&method), &route, req.headers());
    let res = tracing::Instrument::instrument(next.run(req), span.clone()).await;
    span.record(
        "http.response.status_code",
        i64::from(res.status().as_u16()),
    );
    let elapsed = started.elapsed();
    tracing::info!(
        target: "symbolon::access",
        client = client.map(|c| c.to_string()).unwrap_or_default(),
        %method,
        path,
        status = res.status().as_u16(),
        ms = elapsed.as_millis() as u64,
        "request"
    );
    metrics::counter!(
        "symbolon_http_requests_total",
        "server" => server,
        "route" => route.clone(),
        "method" => method_label(&method),
        "status" => res.status().as_u16().to_string()
    )
    .increment(1);
    metrics::histogram!(
        "symbolon_http_request_duration_seconds",
        "server" => server,
        "route" => route
    )
    .record(elapsed.as_secs_f64());
    res
}

/// A request method as a metric label: one of the methods the servers route, or `other`, so
/// that a client inventing method names cannot add series without bound.
fn method_label(m: &axum::http::Method) -> &'static str {
    match m.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// Wrap a router with the access log (and the HTTP metrics) of `server` ("idp", "sp"); serve
/// the result with `into_make_service_with_connect_info::<Peer>()` so that the peer is known.
pub fn with_access_log(
    router: axum::Router,
    trusted: TrustedProxies,
    server: &'static str,
) -> axum::Router {
    let trusted = Arc::new(trusted);
    router.layer(axum::middleware::from_fn(
        move |req: Request, next: Next| {
            let t = trusted.clone();
            access_log(t, server, req, next)
        },
    ))
}

/// Renders the product's error page for a status; the second argument is a reference the
/// administrator can look up in the log (a panic's), if any.
pub type ErrorPageFn =
    Arc<dyn Fn(axum::http::StatusCode, Option<&str>) -> Response + Send + Sync + 'static>;

/// The longest request target and the most header bytes a request may carry; beyond them the
/// answer is 414 or 431 with the product's page. (Beyond hyper's own limits, 64 KiB of request
/// line, 100 headers or about 400 KiB of them, hyper answers 414 or 431 itself, and
/// [`crate::conn`] puts the product's page in its place.)
pub const MAX_URI_BYTES: usize = 32 * 1024;
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// The statuses the framework answers with an empty body, and what the product's page says.
pub fn status_text(status: axum::http::StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => (
            "Bad request",
            "This request could not be read. If you followed a link or a bookmark, start again from the home page.",
        ),
        404 => (
            "Page not found",
            "There is nothing at this address. Check the link, or start again from the home page.",
        ),
        405 => (
            "Not allowed",
            "This address does not accept that kind of request.",
        ),
        413 => (
            "Request too large",
            "What was sent is larger than this service accepts.",
        ),
        414 => (
            "Address too long",
            "The address of this request is longer than this service accepts.",
        ),
        431 => (
            "Request headers too large",
            "The request carries more headers (or larger cookies) than this service accepts. Clearing this site's cookies may help.",
        ),
        500 => (
            "Something went wrong",
            "An unexpected error occurred. If it happens again, give the reference below to your administrator.",
        ),
        _ => ("Request refused", "This request cannot be answered."),
    }
}

/// Product pages for what would otherwise be answered with an empty body: request targets and
/// headers over the limits (414, 431), and framework answers without content (400, 404, 405,
/// 413). So no answer of the router is a bodiless 400, 414 or 431: those are hyper's own, which
/// [`crate::conn`] recognises by exactly that.
async fn error_pages(page: ErrorPageFn, req: Request, next: Next) -> Response {
    use axum::http::StatusCode;
    let uri_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return page(StatusCode::URI_TOO_LONG, None);
    }
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len().saturating_add(v.len()))
        .fold(0usize, usize::saturating_add);
    if header_bytes > MAX_HEADER_BYTES {
        return page(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, None);
    }
    let res = next.run(req).await;
    let empty = !res.headers().contains_key(axum::http::header::CONTENT_TYPE);
    if empty
        && matches!(
            res.status(),
            StatusCode::BAD_REQUEST
                | StatusCode::NOT_FOUND
                | StatusCode::METHOD_NOT_ALLOWED
                | StatusCode::PAYLOAD_TOO_LARGE
                | StatusCode::URI_TOO_LONG
                | StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        )
    {
        let mut out = page(res.status(), None);
        if let Some(allow) = res.headers().get(axum::http::header::ALLOW) {
            out.headers_mut()
                .insert(axum::http::header::ALLOW, allow.clone());
        }
        return out;
    }
    res
}

/// A panic's message, from its payload.
fn panic_message(err: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = err.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = err.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".into()
    }
}

/// The last lines of defence both servers share: a handler that panics is answered with a 500
/// page carrying a reference, and the panic is logged with it (the connection is never dropped
/// silently); statuses the framework answers with an empty body get the product's page; every
/// request is answered in its language ([`crate::i18n::scope`]).
pub fn harden(router: axum::Router, page: ErrorPageFn) -> axum::Router {
    let for_panics = page.clone();
    router
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let p = page.clone();
                error_pages(p, req, next)
            },
        ))
        // The request's language for every page, the error pages included.
        .layer(axum::middleware::from_fn(crate::i18n::scope))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            move |err: Box<dyn std::any::Any + Send + 'static>| {
                let reference = crate::reference::new_reference();
                tracing::error!(
                    reference = %reference,
                    panic = %panic_message(err.as_ref()),
                    "a request handler panicked; answered 500"
                );
                for_panics(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    Some(&reference),
                )
            },
        ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn invented_methods_share_one_metric_label() {
        use axum::http::Method;
        assert_eq!(method_label(&Method::POST), "POST");
        for m in ["BREW", "PROPFIND", "get"] {
            assert_eq!(
                method_label(&Method::from_bytes(m.as_bytes()).unwrap()),
                "other"
            );
        }
    }

    #[test]
    fn cidr_blocks() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(ip("10.200.1.2")) && !c.contains(ip("11.0.0.1")));
        assert!(
            c.contains(ip("::ffff:10.1.1.1")),
            "IPv4-mapped addresses count"
        );
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Cidr::parse("::1").unwrap().contains(ip("::1")));
        assert!(
            Cidr::parse("fd00::/8")
                .unwrap()
                .contains(ip("fd12:3456::1"))
        );
        assert!(!Cidr::parse("fd00::/8").unwrap().contains(ip("10.0.0.1")));
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/x", "::/129", ""] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let t = TrustedProxies::parse(&["127.0.0.1", "10.0.0.0/8"]).unwrap();
        // A direct client cannot claim another address.
        assert_eq!(
            t.client_addr(ip("203.0.113.9"), &xff("198.51.100.1")),
            ip("203.0.113.9")
        );
        // Through the proxy: the rightmost untrusted hop, not what the client wrote on the left.
        assert_eq!(
            t.client_addr(ip("127.0.0.1"), &xff("1.2.3.4, 198.51.100.7, 10.1.1.1")),
            ip("198.51.100.7")
        );
        assert_eq!(
            t.client_addr(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
        // Garbage stops the walk at the last address a trusted hop vouched for.
        assert_eq!(
            t.client_addr(ip("127.0.0.1"), &xff("198.51.100.7, garbage")),
            ip("127.0.0.1")
        );
        assert_eq!(
            t.client_addr(ip("127.0.0.1"), &xff("198.51.100.7:4711")),
            ip("198.51.100.7")
        );
        // Nobody trusted: headers are ignored.
        assert_eq!(
            TrustedProxies::default().client_addr(ip("127.0.0.1"), &xff("1.2.3.4")),
            ip("127.0.0.1")
        );
    }
}
