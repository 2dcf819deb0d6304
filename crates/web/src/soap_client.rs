//! The HTTP side of back-channel single logout: a SOAP message posted to a client's logout
//! endpoint, no redirects followed, bounded time and answer size.

use std::time::Duration;

/// The largest answer read.
pub const MAX_ANSWER: usize = 256 * 1024;

#[derive(Debug, Clone)]
pub struct SoapPoster {
    client: Result<reqwest::Client, String>,
}

impl Default for SoapPoster {
    fn default() -> Self {
        Self::new(Duration::from_secs(10))
    }
}

impl SoapPoster {
    pub fn new(timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("Symbolon/", env!("CARGO_PKG_VERSION"), " logout"))
            .build()
            .map_err(|e| e.to_string());
        SoapPoster { client }
    }

    /// Post `envelope` to `url`; the answer's status and body (at most [`MAX_ANSWER`] bytes).
    pub async fn post(&self, url: &str, envelope: String) -> Result<(u16, Vec<u8>), String> {
        let client = self.client.as_ref().map_err(Clone::clone)?;
        let mut res = client
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                symbolon_saml::soap::CONTENT_TYPE,
            )
            .header(
                "SOAPAction",
                "http://www.oasis-open.org/committees/security",
            )
            .body(envelope)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| e.to_string())? {
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err(format!("the answer is over {MAX_ANSWER} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    }
}
