//! Webhooks of an IdP realm or an SP account: HTTPS endpoints subscribed to event types, and the
//! deliveries queued for them (each message one row, retried with backoff by the delivery job,
//! kept for the log). A webhook belongs to its realm or account (the database deletes it with
//! them), its deliveries to it; its signing secret is sealed like a private key when the store
//! has a key cipher.

use crate::{Result, Secret};
use std::future::Future;
use time::OffsetDateTime;

/// Whose webhook it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    /// An IdP realm, by name.
    Realm(String),
    /// An SP account, by ID.
    Account(String),
}

/// The event types a webhook may subscribe to.
pub const EVENT_TYPES: [&str; 7] = [
    "sign-in.failed",
    "certificate.expiring",
    "metadata.refreshed",
    "metadata.failed",
    "configuration.changed",
    "user.created",
    "user.removed",
];

/// The type of the test event an administrator sends (delivered whatever the subscription).
pub const TEST_EVENT: &str = "webhook.test";

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: u32 = 8;

/// How long after failed attempt `n` (1-based) the next one is made: 5 s, 30 s, 2 min, 10 min,
/// 30 min, 1 h, 2 h; `None` after the last.
pub fn retry_after(attempt: u32) -> Option<time::Duration> {
    let secs = match attempt {
        1 => 5,
        2 => 30,
        3 => 120,
        4 => 600,
        5 => 1800,
        6 => 3600,
        7 => 7200,
        _ => return None,
    };
    Some(time::Duration::seconds(secs))
}

/// An endpoint and what it subscribes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: String,
    pub owner: Owner,
    pub url: String,
    /// Plain `http://` allowed for this endpoint (HTTPS otherwise).
    pub allow_http: bool,
    /// `whsec_` and the base64 key (Standard Webhooks).
    pub secret: Secret,
    pub events: Vec<String>,
    pub enabled: bool,
    pub created_at: OffsetDateTime,
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(DeliveryStatus::Pending),
            "delivered" => Some(DeliveryStatus::Delivered),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// One message to one webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The message ID (`webhook-id`), the same on every attempt.
    pub id: String,
    pub webhook_id: String,
    pub event_type: String,
    /// The JSON body, as sent.
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_at: OffsetDateTime,
    /// The HTTP status of the last attempt, if it got one.
    pub last_code: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

/// Webhooks and their deliveries.
pub trait WebhookStore {
    fn create_webhook(&self, w: &Webhook) -> impl Future<Output = Result<()>> + Send;
    /// The owner's webhooks, oldest first.
    fn webhooks(&self, owner: &Owner) -> impl Future<Output = Result<Vec<Webhook>>> + Send;
    /// Delete the owner's webhook with its deliveries; whether there was one.
    fn delete_webhook(&self, owner: &Owner, id: &str) -> impl Future<Output = Result<bool>> + Send;
    /// Queue deliveries (all or none).
    fn enqueue(&self, deliveries: &[Delivery]) -> impl Future<Output = Result<()>> + Send;
    /// Pending deliveries due at `now` with their webhooks, oldest first, at most `limit`.
    fn due_deliveries(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<(Delivery, Webhook)>>> + Send;
    /// Record an attempt: status, attempts, next time, last code and error, finish time.
    fn update_delivery(&self, d: &Delivery) -> impl Future<Output = Result<()>> + Send;
    /// The owner's deliveries, newest first, at most `limit`.
    fn deliveries(
        &self,
        owner: &Owner,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Delivery>>> + Send;
    /// Remove finished deliveries created before `before`; how many.
    fn prune_deliveries(&self, before: OffsetDateTime) -> impl Future<Output = Result<u64>> + Send;
}

/// The owner's two columns (`realm`, `account_id`).
pub fn owner_columns(o: &Owner) -> (Option<&str>, Option<&str>) {
    match o {
        Owner::Realm(r) => (Some(r), None),
        Owner::Account(a) => (None, Some(a)),
    }
}

/// The owner from its two columns.
pub fn owner_of(realm: Option<String>, account: Option<String>) -> Owner {
    match (realm, account) {
        (Some(r), _) => Owner::Realm(r),
        (None, a) => Owner::Account(a.unwrap_or_default()),
    }
}

/// The event types asked for, checked: at least one, each one of [`EVENT_TYPES`], no twice.
pub fn check_events(asked: &[String]) -> std::result::Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for e in asked.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        if !EVENT_TYPES.contains(&e) {
            return Err(format!(
                "unknown event type {e:?} (one of {})",
                EVENT_TYPES.join(", ")
            ));
        }
        if !out.iter().any(|o| o == e) {
            out.push(e.to_string());
        }
    }
    if out.is_empty() {
        return Err(format!(
            "choose at least one event type ({})",
            EVENT_TYPES.join(", ")
        ));
    }
    Ok(out)
}

fn random<const N: usize>() -> Result<[u8; N]> {
    use aws_lc_rs::rand::SecureRandom;
    let mut b = [0u8; N];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| crate::StoreError::Backend("the system RNG failed".into()))?;
    Ok(b)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A message ID (`msg_` and 32 hex digits from the system RNG).
pub fn new_message_id() -> Result<String> {
    Ok(format!("msg_{}", hex(&random::<16>()?)))
}

pub use crate::UrlCheck;

/// Why a webhook cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewWebhookError {
    /// The URL or the event types (the message says which).
    Invalid(String),
    /// No randomness for its ID and secret.
    Rng,
}

/// A new webhook of `owner`: the URL checked (at most 2048 characters, `check_url`), the event
/// types checked, a random ID and a random secret (`whsec_` and 24 bytes in base64, as
/// Standard Webhooks has it).
pub fn new_webhook(
    owner: Owner,
    url: &str,
    allow_http: bool,
    events: &[String],
    check_url: &UrlCheck,
    now: OffsetDateTime,
) -> std::result::Result<Webhook, NewWebhookError> {
    use base64::Engine as _;
    let url = url.trim();
    if url.len() > 2048 {
        return Err(NewWebhookError::Invalid(
            "the URL is longer than 2048 characters".into(),
        ));
    }
    check_url(url, allow_http).map_err(|e| {
        NewWebhookError::Invalid(format!(
            "the endpoint must be an https:// URL (http:// only when allowed): {e}"
        ))
    })?;
    let events = check_events(events).map_err(NewWebhookError::Invalid)?;
    let id = random::<16>().map_err(|_| NewWebhookError::Rng)?;
    let key = random::<24>().map_err(|_| NewWebhookError::Rng)?;
    Ok(Webhook {
        id: format!("wh_{}", hex(&id)),
        owner,
        url: url.to_string(),
        allow_http,
        secret: Secret(format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(key)
        )),
        events,
        enabled: true,
        created_at: now.replace_nanosecond(0).unwrap_or(now),
    })
}

/// A `webhook.test` message to `webhook` (sent whatever it subscribes to), due now.
pub fn test_delivery(
    webhook: &Webhook,
    data: &serde_json::Value,
    now: OffsetDateTime,
) -> Result<Delivery> {
    delivery(webhook, TEST_EVENT, payload(TEST_EVENT, data, now), now)
}

/// The body of a message: `{"type", "timestamp", "data"}` as Standard Webhooks suggests.
pub fn payload(event_type: &str, data: &serde_json::Value, now: OffsetDateTime) -> String {
    let at = now
        .replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    serde_json::json!({ "type": event_type, "timestamp": at, "data": data }).to_string()
}

/// A new delivery of `body` to `webhook`, due now.
pub fn delivery(
    webhook: &Webhook,
    event_type: &str,
    body: String,
    now: OffsetDateTime,
) -> Result<Delivery> {
    Ok(Delivery {
        id: new_message_id()?,
        webhook_id: webhook.id.clone(),
        event_type: event_type.into(),
        payload: body,
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_at: now,
        last_code: None,
        last_error: None,
        created_at: now,
        finished_at: None,
    })
}

/// At most this many `sign-in.failed` messages per owner and minute (what anyone can cause
/// by failing to sign in is bounded; the rest are counted, not sent).
pub const SIGN_IN_FAILED_PER_MINUTE: u32 = 60;

/// Queue `event_type` for every enabled webhook of `owner` subscribed to it; how many.
pub async fn notify<S: WebhookStore + crate::StateStore>(
    store: &S,
    owner: &Owner,
    event_type: &str,
    data: &serde_json::Value,
    now: OffsetDateTime,
) -> Result<usize> {
    let hooks = store.webhooks(owner).await?;
    let subscribed: Vec<&Webhook> = hooks
        .iter()
        .filter(|w| w.enabled && w.events.iter().any(|e| e == event_type))
        .collect();
    if subscribed.is_empty() {
        return Ok(0);
    }
    if event_type == "sign-in.failed" {
        let key = match owner {
            Owner::Realm(r) => format!("webhook-rate:realm:{r}"),
            Owner::Account(a) => format!("webhook-rate:account:{a}"),
        };
        let n = store
            .count_failure(&key, now, now + time::Duration::minutes(1))
            .await?;
        if n > SIGN_IN_FAILED_PER_MINUTE {
            return Ok(0);
        }
    }
    let body = payload(event_type, data, now);
    let batch = subscribed
        .iter()
        .map(|w| delivery(w, event_type, body.clone(), now))
        .collect::<Result<Vec<_>>>()?;
    store.enqueue(&batch).await?;
    Ok(batch.len())
}

/// What an attempt came to: the delivery as it is now (delivered, due again later, or failed
/// for good after [`MAX_ATTEMPTS`]).
pub fn after_attempt(
    mut d: Delivery,
    code: Option<u16>,
    error: Option<String>,
    now: OffsetDateTime,
) -> Delivery {
    d.attempts = d.attempts.saturating_add(1);
    d.last_code = code;
    let ok = code.is_some_and(|c| (200..300).contains(&c));
    d.last_error = if ok { None } else { error };
    if ok {
        d.status = DeliveryStatus::Delivered;
        d.finished_at = Some(now);
    } else {
        match retry_after(d.attempts).filter(|_| d.attempts < MAX_ATTEMPTS) {
            Some(wait) => d.next_at = now + wait,
            None => {
                d.status = DeliveryStatus::Failed;
                d.finished_at = Some(now);
            }
        }
    }
    d
}

/// A `webhooks` row, as both backends read it; `open` unseals the stored signing secret (the
/// store's cipher, bound to the webhook's ID).
pub fn webhook_row(
    r: &impl crate::codec::Columns,
    open: impl FnOnce(&str, &str) -> Result<String>,
) -> Result<Webhook> {
    let id = r.text("id")?;
    let events: Vec<String> = serde_json::from_str(&r.text("events")?)
        .map_err(|e| crate::StoreError::Backend(format!("webhook events: {e}")))?;
    Ok(Webhook {
        secret: Secret(open(&id, &r.text("secret")?)?),
        owner: owner_of(r.opt_text("realm")?, r.opt_text("account_id")?),
        url: r.text("url")?,
        allow_http: r.flag("allow_http")?,
        events,
        enabled: r.flag("enabled")?,
        created_at: r.time("created_at")?,
        id,
    })
}

/// A `webhook_deliveries` row, as both backends read it.
pub fn delivery_row(r: &impl crate::codec::Columns) -> Result<Delivery> {
    let status = r.text("status")?;
    Ok(Delivery {
        id: r.text("id")?,
        webhook_id: r.text("webhook_id")?,
        event_type: r.text("event_type")?,
        payload: r.text("payload")?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| crate::StoreError::Backend(format!("delivery status {status:?}")))?,
        attempts: u32::try_from(r.int("attempts")?).unwrap_or(u32::MAX),
        next_at: r.time("next_at")?,
        last_code: r.opt_int("last_code")?.and_then(|c| u16::try_from(c).ok()),
        last_error: r.opt_text("last_error")?,
        created_at: r.time("created_at")?,
        finished_at: r.opt_time("finished_at")?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d() -> Delivery {
        Delivery {
            id: "msg_1".into(),
            webhook_id: "w".into(),
            event_type: "user.created".into(),
            payload: "{}".into(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_at: OffsetDateTime::UNIX_EPOCH,
            last_code: None,
            last_error: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            finished_at: None,
        }
    }

    #[test]
    fn attempts_back_off_and_give_up() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let mut x = d();
        let mut waits = Vec::new();
        for _ in 0..MAX_ATTEMPTS {
            x = after_attempt(x, Some(503), Some("503".into()), now);
            if x.status == DeliveryStatus::Pending {
                waits.push((x.next_at - now).whole_seconds());
            }
        }
        assert_eq!(waits, [5, 30, 120, 600, 1800, 3600, 7200]);
        assert_eq!(x.status, DeliveryStatus::Failed);
        assert_eq!(x.attempts, MAX_ATTEMPTS);
        let ok = after_attempt(d(), Some(204), None, now);
        assert_eq!(
            (ok.status, ok.finished_at),
            (DeliveryStatus::Delivered, Some(now))
        );
        let none = after_attempt(d(), None, Some("connection refused".into()), now);
        assert_eq!(none.status, DeliveryStatus::Pending);
        assert_eq!(none.last_error.as_deref(), Some("connection refused"));
    }

    #[test]
    fn new_webhooks_are_checked_and_random() {
        let ok = |_: &str, _: bool| Ok(());
        let no = |_: &str, _: bool| Err("only https".to_string());
        let ev = vec!["user.created".to_string()];
        let now = OffsetDateTime::UNIX_EPOCH;
        let a = new_webhook(
            Owner::Realm("r".into()),
            " https://x.test/h ",
            false,
            &ev,
            &ok,
            now,
        )
        .unwrap();
        let b = new_webhook(
            Owner::Realm("r".into()),
            "https://x.test/h",
            false,
            &ev,
            &ok,
            now,
        )
        .unwrap();
        assert_eq!(a.url, "https://x.test/h");
        assert!(a.secret.0.starts_with("whsec_") && a.secret != b.secret && a.id != b.id);
        assert!(matches!(
            new_webhook(
                Owner::Realm("r".into()),
                "http://x.test/h",
                false,
                &ev,
                &no,
                now
            ),
            Err(NewWebhookError::Invalid(_))
        ));
        assert!(matches!(
            new_webhook(Owner::Realm("r".into()), "https://x.test/h", false, &[], &ok, now),
            Err(NewWebhookError::Invalid(m)) if m.contains("event type")
        ));
    }

    #[test]
    fn event_types_are_checked() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            check_events(&s(&["user.created", " user.created ", "sign-in.failed"])),
            Ok(s(&["user.created", "sign-in.failed"]))
        );
        assert!(check_events(&s(&["user.made"])).is_err());
        assert!(check_events(&s(&[" "])).is_err());
        assert!(new_message_id().is_ok_and(|m| m.len() == 36));
    }
}
