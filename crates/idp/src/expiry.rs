//! Certificate-expiry notices at the IdP: every realm's published keys, every client's own
//! published signing keys, and every client's signing and encryption certificates, checked daily by the job `idp:certificate-expiry`. A
//! notice is a `CERTIFICATE_EXPIRY` event in the realm, once per certificate and threshold (30,
//! 14, 7 and 1 days before, and once expired; see `symbolon_store::expiry`).

use crate::common::Result;
use symbolon_store::expiry::{Watched, notice_due, phrase};
use symbolon_store::{Event, IdpStore};
use time::OffsetDateTime;

/// One watched certificate of a realm: the client it belongs to (none for realm keys), the
/// metric's kind and owner, how a notice names it, and the DER.
struct Cert {
    client: Option<String>,
    kind: &'static str,
    owner: String,
    what: String,
    der: Vec<u8>,
}

/// Every certificate of `realm` that is watched: its published keys and its clients'
/// signing and encryption certificates.
async fn certificates<S: IdpStore>(store: &S, realm: &str) -> Result<Vec<Cert>> {
    let mut found = Vec::new();
    for k in store.keys(realm).await? {
        if k.status.published() {
            found.push(Cert {
                client: None,
                kind: "realm-key",
                owner: format!("{realm}/{}", k.kid),
                what: format!("the realm's {} signing key {}", k.status.as_str(), k.kid),
                der: k.certificate_der,
            });
        }
    }
    for c in store.clients(realm).await? {
        for k in store.client_keys(&c.id).await? {
            if k.status.published() {
                found.push(Cert {
                    client: Some(c.client_id.clone()),
                    kind: "client-key",
                    owner: format!("{realm}/{}/{}", c.client_id, k.kid),
                    what: format!(
                        "the {} signing key {} of client {}",
                        k.status.as_str(),
                        k.kid,
                        c.client_id
                    ),
                    der: k.certificate_der,
                });
            }
        }
        for (kind, what, ders) in [
            ("client-signing", "signing", &c.signing_certs),
            ("client-encryption", "encryption", &c.encryption.certs),
        ] {
            for der in ders {
                found.push(Cert {
                    client: Some(c.client_id.clone()),
                    kind,
                    owner: format!("{realm}/{}", c.client_id),
                    what: format!("the {what} certificate of client {}", c.client_id),
                    der: der.clone(),
                });
            }
        }
    }
    Ok(found)
}

/// Check every certificate; returns one line per notice given now.
pub async fn check_certificates<S: IdpStore>(
    store: &S,
    now: OffsetDateTime,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for realm in store.realms().await? {
        for c in certificates(store, &realm.name).await? {
            if let Some((days, _)) = notice_due(store, &c.der, now).await? {
                let detail = format!("{} {}", c.what, phrase(days, &c.der));
                store
                    .record(&Event {
                        realm: realm.name.clone(),
                        at: now,
                        kind: "CERTIFICATE_EXPIRY".into(),
                        actor: None,
                        client_id: c.client.clone(),
                        detail: detail.clone(),
                    })
                    .await?;
                crate::webhooks::notify(
                    store,
                    &realm.name,
                    "certificate.expiring",
                    serde_json::json!({ "client": c.client, "daysLeft": days, "detail": detail }),
                    now,
                )
                .await;
                out.push(format!("{}: {detail}", realm.name));
            }
        }
    }
    Ok(out)
}

/// Every watched certificate with the time it has left (for monitoring).
pub async fn watched_certificates<S: IdpStore>(
    store: &S,
    now: OffsetDateTime,
) -> Result<Vec<Watched>> {
    let mut out = Vec::new();
    for realm in store.realms().await? {
        for c in certificates(store, &realm.name).await? {
            out.extend(Watched::of(c.kind, c.owner, &c.der, now));
        }
    }
    Ok(out)
}
