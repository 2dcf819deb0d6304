//! A realm's webhooks: add one (its secret shown once), remove it, send it a test event, read
//! the delivery log; and `notify`, which queues an event for the realm's subscribers (the
//! delivery itself is the `idp:webhooks` job's, in `web::webhooks`).

use serde_json::json;
use symbolon_store::IdpStore;
use symbolon_store::webhooks::{
    Delivery, NewWebhookError, Owner, Webhook, new_webhook, test_delivery,
};
use time::OffsetDateTime;

use crate::common::{Actor, IdpError, Result, audit, second};
use crate::kc::UrlCheck;
use crate::realms::realm_or_404;

fn owner(realm: &str) -> Owner {
    Owner::Realm(realm.to_string())
}

/// Add a webhook for `events` of the realm; the returned webhook carries its secret, which is
/// shown this once.
#[allow(clippy::too_many_arguments)]
pub async fn add_webhook<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    url: &str,
    allow_http: bool,
    events: &[String],
    check_url: &UrlCheck,
    now: OffsetDateTime,
) -> Result<Webhook> {
    realm_or_404(store, realm).await?;
    let w = new_webhook(owner(realm), url, allow_http, events, check_url, now).map_err(
        |e| match e {
            NewWebhookError::Invalid(m) => IdpError::Invalid(m),
            NewWebhookError::Rng => IdpError::Crypto("the system RNG failed".into()),
        },
    )?;
    store.create_webhook(&w).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("added webhook {} for {}", w.url, w.events.join(", ")),
        now,
    )
    .await?;
    Ok(w)
}

/// The realm's webhooks.
pub async fn webhooks<S: IdpStore>(store: &S, realm: &str) -> Result<Vec<Webhook>> {
    realm_or_404(store, realm).await?;
    Ok(store.webhooks(&owner(realm)).await?)
}

/// Remove a webhook of the realm, with its delivery log.
pub async fn remove_webhook<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    id: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let w = webhook(store, realm, id).await?;
    store.delete_webhook(&owner(realm), id).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("removed webhook {}", w.url),
        now,
    )
    .await
}

async fn webhook<S: IdpStore>(store: &S, realm: &str, id: &str) -> Result<Webhook> {
    webhooks(store, realm)
        .await?
        .into_iter()
        .find(|w| w.id == id)
        .ok_or_else(|| IdpError::NotFound(format!("realm {realm} has no webhook {id:?}")))
}

/// Queue a `webhook.test` message to one webhook (whatever it subscribes to).
pub async fn send_test<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    id: &str,
    now: OffsetDateTime,
) -> Result<Delivery> {
    let w = webhook(store, realm, id).await?;
    let d = test_delivery(
        &w,
        &json!({ "realm": realm, "sentBy": actor.0 }),
        second(now),
    )?;
    store.enqueue(std::slice::from_ref(&d)).await?;
    Ok(d)
}

/// The realm's deliveries, newest first.
pub async fn deliveries<S: IdpStore>(store: &S, realm: &str, limit: u32) -> Result<Vec<Delivery>> {
    realm_or_404(store, realm).await?;
    Ok(store.deliveries(&owner(realm), limit).await?)
}

/// Queue `event_type` for the realm's subscribers. Never fails its caller: what went wrong is
/// logged (an event is not worth refusing the change that caused it).
pub async fn notify<S: IdpStore>(
    store: &S,
    realm: &str,
    event_type: &str,
    data: serde_json::Value,
    now: OffsetDateTime,
) {
    let mut data = data;
    if let Some(o) = data.as_object_mut() {
        o.insert("realm".into(), json!(realm));
    }
    if let Err(e) =
        symbolon_store::webhooks::notify(store, &owner(realm), event_type, &data, second(now)).await
    {
        tracing::warn!(realm, event_type, "webhook not queued: {e}");
    }
}
