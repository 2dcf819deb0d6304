//! Certificate-expiry notices at the IdP: every realm's published keys and every client's
//! signing and encryption certificates, checked daily by the job `idp:certificate-expiry`. A
//! notice is a `CERTIFICATE_EXPIRY` event in the realm, once per certificate and threshold (30,
//! 14, 7 and 1 days before, and once expired; see `symbolon_store::expiry`).

use crate::common::Result;
use symbolon_store::expiry::{notice_due, phrase};
use symbolon_store::{Event, IdpStore};
use time::OffsetDateTime;

/// Check every certificate; returns one line per notice given now.
pub async fn check_certificates<S: IdpStore>(
    store: &S,
    now: OffsetDateTime,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for realm in store.realms().await? {
        let mut found: Vec<(Option<String>, String, Vec<u8>)> = Vec::new();
        for k in store.keys(&realm.name).await? {
            if k.status.published() {
                found.push((
                    None,
                    format!("the realm's {} signing key {}", k.status.as_str(), k.kid),
                    k.certificate_der,
                ));
            }
        }
        for c in store.clients(&realm.name).await? {
            for der in &c.signing_certs {
                found.push((
                    Some(c.client_id.clone()),
                    format!("the signing certificate of client {}", c.client_id),
                    der.clone(),
                ));
            }
            for der in &c.encryption.certs {
                found.push((
                    Some(c.client_id.clone()),
                    format!("the encryption certificate of client {}", c.client_id),
                    der.clone(),
                ));
            }
        }
        for (client, what, der) in found {
            if let Some((days, _)) = notice_due(store, &der, now).await? {
                let detail = format!("{what} {}", phrase(days, &der));
                store
                    .record(&Event {
                        realm: realm.name.clone(),
                        at: now,
                        kind: "CERTIFICATE_EXPIRY".into(),
                        actor: None,
                        client_id: client,
                        detail: detail.clone(),
                    })
                    .await?;
                out.push(format!("{}: {detail}", realm.name));
            }
        }
    }
    Ok(out)
}
