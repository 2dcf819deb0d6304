//! A small HTTP/1.1 client with a cookie jar, over a fresh loopback connection per request.

use std::collections::BTreeMap;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;

/// A response: status, headers that matter to tests, body as text.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub content_security_policy: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Page {
    /// The value of the hidden or text input `name` of the page's forms.
    pub fn field(&self, name: &str) -> Option<String> {
        form_fields(&self.body).remove(name)
    }
}

/// The `name`/`value` pairs of the `<input>` elements of an HTML page (values unescaped for
/// the few entities the servers write).
pub fn form_fields(html: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for input in html.split("<input").skip(1) {
        let tag = input.split('>').next().unwrap_or_default();
        let attr = |a: &str| {
            let key = format!("{a}=\"");
            tag.find(&key).map(|i| {
                let rest = &tag[i + key.len()..];
                rest[..rest.find('"').unwrap_or(rest.len())].to_string()
            })
        };
        if let (Some(n), v) = (attr("name"), attr("value")) {
            let v = v
                .unwrap_or_default()
                .replace("&#43;", "+")
                .replace("&#x2B;", "+")
                .replace("&#61;", "=")
                .replace("&#x3D;", "=")
                .replace("&#47;", "/")
                .replace("&#x2F;", "/")
                .replace("&quot;", "\"")
                .replace("&#34;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&");
            out.insert(n, v);
        }
    }
    out
}

/// Percent-encoding for `application/x-www-form-urlencoded`.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A browser: cookies by host (names are unique enough across the two test servers, which
/// differ by port) and an `Origin` header on every POST, as browsers send.
#[derive(Debug, Default)]
pub struct Browser {
    jar: BTreeMap<(String, String), String>,
}

fn split_url(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    (authority.to_string(), path.to_string())
}

impl Browser {
    pub fn new() -> Self {
        Self::default()
    }

    /// `GET url`.
    pub async fn get(&mut self, url: &str) -> Page {
        self.send("GET", url, None).await
    }

    /// `POST url` with a form.
    pub async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send("POST", url, Some(body)).await
    }

    /// Forget the cookies of one server (a new browser for it).
    pub fn clear_cookies(&mut self, base_url: &str) {
        let (authority, _) = split_url(base_url);
        self.jar.retain(|(host, _), _| *host != authority);
    }

    async fn send(&mut self, method: &str, url: &str, form: Option<String>) -> Page {
        let (authority, path) = split_url(url);
        let stream = tokio::net::TcpStream::connect(&authority)
            .await
            .expect("connect to the test server");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("HTTP/1.1 handshake");
        tokio::spawn(conn);
        let cookies = self
            .jar
            .iter()
            .filter(|((host, _), _)| *host == authority)
            .map(|((_, name), value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut req = Request::builder()
            .method(method)
            .uri(&path)
            .header("host", &authority);
        if !cookies.is_empty() {
            req = req.header("cookie", cookies);
        }
        if form.is_some() {
            req = req
                .header("content-type", "application/x-www-form-urlencoded")
                .header("origin", format!("http://{authority}"));
        }
        let req = req
            .body(Full::new(Bytes::from(form.unwrap_or_default())))
            .expect("request");
        let res = sender.send_request(req).await.expect("response");
        let header = |n: &str| {
            res.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let location = header("location");
        let content_security_policy = header("content-security-policy");
        let set_cookies: Vec<String> = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let key = (authority.clone(), name.trim().to_string());
                if value.is_empty() || c.contains("Max-Age=0") {
                    self.jar.remove(&key);
                } else {
                    self.jar.insert(key, value.to_string());
                }
            }
        }
        let status = res.status();
        let body = res.into_body().collect().await.expect("body").to_bytes();
        Page {
            status,
            location,
            content_security_policy,
            set_cookies,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}
