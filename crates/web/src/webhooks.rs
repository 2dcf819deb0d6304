//! Webhook delivery, the job both servers run: every due message is POSTed to its endpoint with
//! the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`); a 2xx
//! answer delivers it, anything else (another status, no answer in 10 s, a refused connection)
//! is retried with backoff (`store::webhooks::after_attempt`) and given up after eight attempts.
//! Redirects are not followed; the answer's body is not read beyond its status.

use std::time::Duration;

use symbolon_store::webhooks::{WebhookStore, after_attempt};
use time::OffsetDateTime;

/// At most this many messages per run.
pub const BATCH: u32 = 100;

/// The message ID (`web/i18n`) that names a delivery's status on the consoles' logs.
pub fn status_message(s: symbolon_store::webhooks::DeliveryStatus) -> &'static str {
    use symbolon_store::webhooks::DeliveryStatus as D;
    match s {
        D::Pending => "whc-status-pending",
        D::Delivered => "whc-status-delivered",
        D::Failed => "whc-status-failed",
    }
}

/// The client the job posts with: HTTP, and whether only public addresses may be reached.
#[derive(Debug, Clone)]
pub struct Poster {
    http: reqwest::Client,
    public_only: bool,
}

/// The client the job posts with; `public_only`: to public addresses only (see
/// `fetch::PublicOnly`; a URL whose host is a non-public IP address fails its attempt too).
pub fn client(public_only: bool) -> Result<Poster, String> {
    let mut b = reqwest::Client::builder();
    if public_only {
        b = b.dns_resolver(crate::fetch::PublicOnly);
    }
    let http = b
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Symbolon/", env!("CARGO_PKG_VERSION"), " webhooks"))
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Poster { http, public_only })
}

/// How long finished deliveries stay in the log.
pub const KEEP_DAYS: i64 = 30;

/// How often the delivery job runs.
pub const EVERY: Duration = Duration::from_secs(5);

/// The job: deliver what is due, then forget finished deliveries older than [`KEEP_DAYS`].
pub async fn run<S: WebhookStore>(
    store: S,
    client: Poster,
    now: OffsetDateTime,
) -> Result<String, String> {
    let line = deliver_due(&store, &client, now).await?;
    let pruned = store
        .prune_deliveries(now - time::Duration::days(KEEP_DAYS))
        .await
        .map_err(|e| e.to_string())?;
    Ok(if pruned > 0 {
        format!("{line}; {pruned} old deliveries removed")
    } else {
        line
    })
}

/// Deliver what is due (one attempt each); the job's outcome line.
pub async fn deliver_due<S: WebhookStore>(
    store: &S,
    client: &Poster,
    now: OffsetDateTime,
) -> Result<String, String> {
    let due = store
        .due_deliveries(now, BATCH)
        .await
        .map_err(|e| e.to_string())?;
    let (mut delivered, mut retried, mut failed) = (0u32, 0u32, 0u32);
    for (d, hook) in due {
        let (code, error) = if !hook.enabled {
            (None, Some("the webhook is disabled".to_string()))
        } else {
            attempt(client, &hook, &d).await
        };
        let after = after_attempt(d, code, error, OffsetDateTime::now_utc());
        let outcome = match after.status {
            symbolon_store::webhooks::DeliveryStatus::Delivered => {
                delivered += 1;
                "delivered"
            }
            symbolon_store::webhooks::DeliveryStatus::Failed => {
                failed += 1;
                "failed"
            }
            symbolon_store::webhooks::DeliveryStatus::Pending => {
                retried += 1;
                "retry"
            }
        };
        metrics::counter!("symbolon_webhook_attempts_total", "outcome" => outcome).increment(1);
        store
            .update_delivery(&after)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(format!(
        "{delivered} delivered, {retried} to retry, {failed} given up"
    ))
}

/// One POST: the status it got, or why it got none.
async fn attempt(
    client: &Poster,
    hook: &symbolon_store::webhooks::Webhook,
    d: &symbolon_store::webhooks::Delivery,
) -> (Option<u16>, Option<String>) {
    let url = match crate::fetch::check_destination(&hook.url, hook.allow_http, client.public_only)
    {
        Ok(u) => u,
        Err(e) => return (None, Some(e.to_string())),
    };
    let ts = OffsetDateTime::now_utc().unix_timestamp();
    let Some(sig) = symbolon_secret::webhook::sign(&hook.secret.0, &d.id, ts, &d.payload) else {
        return (None, Some("the webhook's secret is unusable".into()));
    };
    let sent = client
        .http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &d.id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(d.payload.clone())
        .send()
        .await;
    match sent {
        Ok(r) => {
            let code = r.status().as_u16();
            let err = (!r.status().is_success()).then(|| format!("HTTP status {code}"));
            (Some(code), err)
        }
        Err(e) if e.is_timeout() => (None, Some("no answer within 10 s".into())),
        Err(e) => (None, Some(crate::fetch::error_chain(&e.without_url()))),
    }
}
