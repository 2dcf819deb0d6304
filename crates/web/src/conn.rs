//! The connection under hyper: the product's page for the answers hyper writes by itself.
//!
//! When a request head cannot be read (a request line over 64 KiB, more than 100 headers, a head
//! larger than hyper's read buffer, a malformed line), hyper answers 400, 414 or 431 with an
//! empty body and closes the connection; the router never sees the request and `axum::serve`
//! offers no hook. [`PageIo`] wraps each accepted connection and replaces exactly those answers
//! with the product's error page (same status, same security headers, `Connection: close`).
//!
//! What is replaced: one write that is a whole response head and nothing else, whose status is
//! 400, 414 or 431 and which says `content-length: 0`. The router never answers those statuses
//! without a body (`front::harden` gives an empty one the product's page), so only hyper's
//! automatic answers match. Reads and every other write pass through untouched.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::front::ErrorPageFn;

/// One rendered page: the status line and headers (without `Date`) and the body.
#[derive(Debug, Clone)]
struct Rendered {
    head: String,
    body: Vec<u8>,
}

/// The pages that stand in for hyper's automatic answers, rendered once at start-up.
#[derive(Debug, Clone, Default)]
pub struct ParseErrorPages {
    pages: Vec<(u16, Rendered)>,
}

/// The statuses hyper answers by itself when a request head cannot be read.
const AUTOMATIC: [StatusCode; 3] = [
    StatusCode::BAD_REQUEST,
    StatusCode::URI_TOO_LONG,
    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
];

/// The most bytes of a page body kept (a page that is larger is cut off here, never sent
/// partly: it is then not used at all).
const MAX_PAGE_BYTES: usize = 64 * 1024;

impl ParseErrorPages {
    /// Render the product's page for each automatic status.
    pub async fn render(page: &ErrorPageFn) -> ParseErrorPages {
        let mut pages = Vec::new();
        for status in AUTOMATIC {
            let res = page(status, None);
            let (parts, body) = res.into_parts();
            let Ok(body) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
                tracing::warn!(
                    status = status.as_u16(),
                    "error page too large to stand in for hyper's"
                );
                continue;
            };
            let mut head = format!(
                "HTTP/1.1 {} {}\r\n",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            );
            for (name, value) in &parts.headers {
                if matches!(
                    name,
                    &axum::http::header::CONTENT_LENGTH
                        | &axum::http::header::CONNECTION
                        | &axum::http::header::TRANSFER_ENCODING
                        | &axum::http::header::DATE
                ) {
                    continue;
                }
                // Header values of our own pages are ASCII; anything else is left out rather
                // than written raw.
                if let Ok(v) = value.to_str() {
                    head.push_str(name.as_str());
                    head.push_str(": ");
                    head.push_str(v);
                    head.push_str("\r\n");
                }
            }
            head.push_str(&format!(
                "content-length: {}\r\nconnection: close\r\n",
                body.len()
            ));
            pages.push((
                status.as_u16(),
                Rendered {
                    head,
                    body: body.to_vec(),
                },
            ));
        }
        ParseErrorPages { pages }
    }

    /// The page to send instead of `written`, when `written` is one of hyper's automatic
    /// answers: a whole head, nothing after it, status 400/414/431, `content-length: 0`.
    pub fn replacement(&self, written: &[u8]) -> Option<Vec<u8>> {
        let status = automatic_status(written)?;
        let page = self.pages.iter().find(|(s, _)| *s == status)?.1.clone();
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        let mut out = Vec::with_capacity(page.head.len() + page.body.len() + 64);
        out.extend_from_slice(page.head.as_bytes());
        out.extend_from_slice(b"date: ");
        out.extend_from_slice(date.as_bytes());
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(&page.body);
        Some(out)
    }

    /// Wrap an accepted connection.
    pub fn wrap<Io>(self: &Arc<Self>, io: Io) -> PageIo<Io> {
        PageIo {
            io,
            pages: self.clone(),
            pending: None,
        }
    }
}

/// The status of `written` when it is a bodiless automatic answer of hyper's, else `None`.
fn automatic_status(written: &[u8]) -> Option<u16> {
    let rest = written.strip_prefix(b"HTTP/1.1 ")?;
    let status = match rest.get(..4)? {
        b"400 " => 400,
        b"414 " => 414,
        b"431 " => 431,
        _ => return None,
    };
    // Exactly one head: it ends the write and nothing precedes its end.
    let end = written.windows(4).position(|w| w == b"\r\n\r\n")?;
    if end.checked_add(4)? != written.len() {
        return None;
    }
    let head = written.get(..end.checked_add(2)?)?;
    let says_empty = head
        .split(|b| *b == b'\n')
        .any(|line| line.eq_ignore_ascii_case(b"content-length: 0\r"));
    says_empty.then_some(status)
}

/// An accepted connection whose automatic 400/414/431 answers carry the product's page.
#[derive(Debug)]
pub struct PageIo<Io> {
    io: Io,
    pages: Arc<ParseErrorPages>,
    /// A page owed to the peer in place of a head hyper believes written, and how much of it
    /// has gone out.
    pending: Option<(Vec<u8>, usize)>,
}

impl<Io: AsyncWrite + Unpin> PageIo<Io> {
    /// Write out the owed page before anything else.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((page, sent)) = self.pending.as_mut() {
            let rest = page.get(*sent..).unwrap_or_default();
            if rest.is_empty() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, rest))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *sent = sent.saturating_add(n);
        }
        Poll::Ready(Ok(()))
    }

    /// Take `written` in place of the page when it is an automatic answer.
    fn substitute(
        &mut self,
        cx: &mut Context<'_>,
        written: &[u8],
    ) -> Option<Poll<io::Result<usize>>> {
        let page = self.pages.replacement(written)?;
        self.pending = Some((page, 0));
        Some(match self.drain(cx) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            // Owed bytes still go out first on the next write, flush or shutdown.
            _ => Poll::Ready(Ok(written.len())),
        })
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for PageIo<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for PageIo<Io> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.drain(cx))?;
        if let Some(done) = this.substitute(cx, buf) {
            return done;
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.drain(cx))?;
        let mut filled = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(only), None) = (filled.next(), filled.next())
            && let Some(done) = this.substitute(cx, only)
        {
            return done;
        }
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.drain(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.drain(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn pages() -> Arc<ParseErrorPages> {
        let page: ErrorPageFn = Arc::new(|status, _| {
            crate::page::html(status, format!("<h1>page {}</h1>", status.as_u16()))
        });
        Arc::new(ParseErrorPages::render(&page).await)
    }

    #[test]
    fn only_bodiless_automatic_heads_match() {
        let hyper_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Sun, 06 Dec 2026 13:00:00 GMT\r\n\r\n";
        assert_eq!(automatic_status(hyper_431), Some(431));
        assert_eq!(
            automatic_status(&hyper_431.replace_first("431", "414")),
            Some(414)
        );
        assert_eq!(
            automatic_status(&hyper_431.replace_first("431", "400")),
            Some(400)
        );
        // Our own pages have a body; other statuses, a head followed by bytes, a partial head,
        // and a non-zero length pass through.
        assert_eq!(
            automatic_status(&hyper_431.replace_first("431", "404")),
            None
        );
        assert_eq!(
            automatic_status(&[hyper_431.as_slice(), b"x"].concat()),
            None
        );
        assert_eq!(automatic_status(&hyper_431[..40]), None);
        assert_eq!(
            automatic_status(&hyper_431.replace_first("content-length: 0", "content-length: 10")),
            None
        );
        assert_eq!(
            automatic_status(&hyper_431.replace_first("content-length: 0", "x-content-length: 0")),
            None
        );
        assert_eq!(
            automatic_status(b"HTTP/1.0 431 x\r\ncontent-length: 0\r\n\r\n"),
            None
        );
    }

    trait ReplaceFirst {
        fn replace_first(&self, from: &str, to: &str) -> Vec<u8>;
    }
    impl ReplaceFirst for [u8] {
        fn replace_first(&self, from: &str, to: &str) -> Vec<u8> {
            String::from_utf8(self.to_vec())
                .unwrap()
                .replacen(from, to, 1)
                .into_bytes()
        }
    }

    #[tokio::test]
    async fn the_page_goes_out_instead_and_everything_else_passes() {
        let (a, mut b) = tokio::io::duplex(64 * 1024);
        let mut io = pages().await.wrap(a);
        io.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            .await
            .unwrap();
        io.write_all(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n")
            .await
            .unwrap();
        io.shutdown().await.unwrap();
        drop(io);
        let mut got = String::new();
        b.read_to_string(&mut got).await.unwrap();
        let (first, second) = got.split_at(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".len());
        assert_eq!(first, "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        assert!(
            second.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{second}"
        );
        assert!(
            second.contains("content-security-policy: default-src 'none'"),
            "{second}"
        );
        assert!(second.contains("connection: close\r\n"), "{second}");
        let (head, body) = second.split_once("\r\n\r\n").unwrap();
        assert_eq!(body, "<h1>page 431</h1>");
        assert!(
            head.contains(&format!("content-length: {}\r\n", body.len())),
            "{head}"
        );
    }
}
