//! An account's webhooks: add one (its secret shown once), remove it, send it a test event, read
//! the delivery log; and `notify`, which queues an event for the account's subscribers (the
//! delivery itself is the `sp:webhooks` job's, in `web::webhooks`).

use serde_json::json;
use symbolon_store::sp::SpStore;
use symbolon_store::webhooks::{
    Delivery, NewWebhookError, Owner, Webhook, new_webhook, test_delivery,
};
use time::OffsetDateTime;

use crate::accounts::account;
use crate::common::{Actor, Result, SpError, audit, second};
use symbolon_store::UrlCheck;

fn owner(account_id: &str) -> Owner {
    Owner::Account(account_id.to_string())
}

/// Add a webhook for `events` of the account; the returned webhook carries its secret, which is
/// shown this once.
#[allow(clippy::too_many_arguments)]
pub async fn add_webhook<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    url: &str,
    allow_http: bool,
    events: &[String],
    check_url: &UrlCheck,
    now: OffsetDateTime,
) -> Result<Webhook> {
    account(store, account_id).await?;
    let w = new_webhook(owner(account_id), url, allow_http, events, check_url, now).map_err(
        |e| match e {
            NewWebhookError::Invalid(m) => SpError::Invalid(m),
            NewWebhookError::Rng => SpError::Crypto("the system RNG failed".into()),
        },
    )?;
    store.create_webhook(&w).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("added webhook {} for {}", w.url, w.events.join(", ")),
        now,
    )
    .await?;
    Ok(w)
}

/// The account's webhooks.
pub async fn webhooks<S: SpStore>(store: &S, account_id: &str) -> Result<Vec<Webhook>> {
    account(store, account_id).await?;
    Ok(store.webhooks(&owner(account_id)).await?)
}

/// Remove a webhook of the account, with its delivery log.
pub async fn remove_webhook<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    id: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let w = webhook(store, account_id, id).await?;
    store.delete_webhook(&owner(account_id), id).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("removed webhook {}", w.url),
        now,
    )
    .await
}

async fn webhook<S: SpStore>(store: &S, account_id: &str, id: &str) -> Result<Webhook> {
    webhooks(store, account_id)
        .await?
        .into_iter()
        .find(|w| w.id == id)
        .ok_or_else(|| SpError::NotFound(format!("the account has no webhook {id:?}")))
}

/// Queue a `webhook.test` message to one webhook (whatever it subscribes to).
pub async fn send_test<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    id: &str,
    now: OffsetDateTime,
) -> Result<Delivery> {
    let w = webhook(store, account_id, id).await?;
    let d = test_delivery(
        &w,
        &json!({ "account": account_id, "sentBy": actor.0 }),
        second(now),
    )?;
    store.enqueue(std::slice::from_ref(&d)).await?;
    Ok(d)
}

/// The account's deliveries, newest first.
pub async fn deliveries<S: SpStore>(
    store: &S,
    account_id: &str,
    limit: u32,
) -> Result<Vec<Delivery>> {
    account(store, account_id).await?;
    Ok(store.deliveries(&owner(account_id), limit).await?)
}

/// Queue `event_type` for the account's subscribers. Never fails its caller: what went wrong is
/// logged (an event is not worth refusing the change that caused it).
pub async fn notify<S: SpStore>(
    store: &S,
    account_id: &str,
    event_type: &str,
    data: serde_json::Value,
    now: OffsetDateTime,
) {
    let mut data = data;
    if let Some(o) = data.as_object_mut() {
        o.insert("account".into(), json!(account_id));
    }
    if let Err(e) =
        symbolon_store::webhooks::notify(store, &owner(account_id), event_type, &data, second(now))
            .await
    {
        tracing::warn!(account = account_id, event_type, "webhook not queued: {e}");
    }
}
