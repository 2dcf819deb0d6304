//! The HTTP side of a SCIM client: JSON requests with a bearer token to a SCIM service provider,
//! no redirects followed (a token is never sent elsewhere), bounded time and answer size.

use std::time::Duration;

use serde_json::Value;

pub use reqwest::Method;

/// The largest answer read.
pub const MAX_ANSWER: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ScimHttp {
    client: Result<reqwest::Client, String>,
}

/// A failed request: the status (0 when no answer came) and what the peer or the network said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimHttpError {
    pub status: u16,
    pub detail: String,
}

impl std::fmt::Display for ScimHttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.status == 0 {
            write!(f, "{}", self.detail)
        } else {
            write!(f, "HTTP {}: {}", self.status, self.detail)
        }
    }
}

fn err(status: u16, detail: impl Into<String>) -> ScimHttpError {
    ScimHttpError {
        status,
        detail: detail.into(),
    }
}

/// `url` with these query parameters, encoded.
pub fn with_query(url: &str, params: &[(&str, &str)]) -> Result<String, ScimHttpError> {
    reqwest::Url::parse_with_params(url, params)
        .map(String::from)
        .map_err(|e| err(0, format!("{url}: {e}")))
}

impl Default for ScimHttp {
    fn default() -> Self {
        Self::new(Duration::from_secs(15))
    }
}

impl ScimHttp {
    pub fn new(timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("Symbolon/", env!("CARGO_PKG_VERSION"), " SCIM"))
            .build()
            .map_err(|e| e.to_string());
        ScimHttp { client }
    }

    /// Send `method url` with `body`; the answer's JSON (`Value::Null` for an empty body) on a
    /// 2xx status, else the status with the SCIM error's detail when there is one.
    pub async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Result<Value, ScimHttpError> {
        let client = self.client.as_ref().map_err(|e| err(0, e.clone()))?;
        let mut req = client.request(method, url).bearer_auth(token).header(
            reqwest::header::ACCEPT,
            "application/scim+json, application/json",
        );
        if let Some(b) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/scim+json")
                .body(b.to_string());
        }
        let mut res = req.send().await.map_err(|e| err(0, e.to_string()))?;
        let status = res.status().as_u16();
        let mut bytes = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| err(status, e.to_string()))? {
            if bytes.len() + chunk.len() > MAX_ANSWER {
                return Err(err(
                    status,
                    format!("answer larger than {MAX_ANSWER} bytes"),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        let json: Option<Value> = if bytes.iter().all(u8::is_ascii_whitespace) {
            Some(Value::Null)
        } else {
            serde_json::from_slice(&bytes).ok()
        };
        if (200..300).contains(&status) {
            return json.ok_or_else(|| err(status, "the answer is not JSON"));
        }
        let detail = json
            .as_ref()
            .and_then(|v| v.get("detail"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| {
                String::from_utf8_lossy(bytes.get(..200).unwrap_or(&bytes)).into_owned()
            });
        Err(err(status, detail))
    }
}
