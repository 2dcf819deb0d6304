//! Certificate-expiry notices at the SP: the SP's own key (its certificate is in every
//! account's metadata download) and every account's pinned identity-provider certificates,
//! checked daily by the job `sp:certificate-expiry`. A notice is an audit entry in the account
//! concerned (the SP key's, in every account), once per certificate and threshold.

use crate::common::{Result, audit};
use symbolon_store::expiry::{Watched, notice_due, phrase};
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

/// Who gives the notices in the audit log.
pub const EXPIRY_PRINCIPAL: &str = "urn:symbolon:identity:system/certificate-expiry";

/// Check every certificate; returns one line per notice given now.
pub async fn check_certificates<S: SpStore>(store: &S, now: OffsetDateTime) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let accounts = store.accounts().await?;
    if let Some(k) = store.sp_key().await?
        && let Some((days, _)) = notice_due(store, &k.certificate_der, now).await?
    {
        let detail = format!(
            "the service provider's signing and encryption certificate {}: identity providers that pinned it need the new metadata",
            phrase(days, &k.certificate_der)
        );
        for a in &accounts {
            audit(
                store,
                &a.id,
                EXPIRY_PRINCIPAL,
                "CertificateExpiry",
                detail.clone(),
                now,
            )
            .await?;
        }
        out.push(detail);
    }
    for a in &accounts {
        for c in store.idps(&a.id).await? {
            for der in &c.certs {
                if let Some((days, _)) = notice_due(store, der, now).await? {
                    let detail = format!(
                        "a signing certificate of identity provider {} {}",
                        c.name,
                        phrase(days, der)
                    );
                    audit(
                        store,
                        &a.id,
                        EXPIRY_PRINCIPAL,
                        "CertificateExpiry",
                        detail.clone(),
                        now,
                    )
                    .await?;
                    out.push(format!("{}: {detail}", a.name));
                }
            }
        }
    }
    Ok(out)
}

/// Every watched certificate with the time it has left (for monitoring): the SP's own key, and
/// each account's pinned identity-provider certificates.
pub async fn watched_certificates<S: SpStore>(
    store: &S,
    now: OffsetDateTime,
) -> Result<Vec<Watched>> {
    let mut out = Vec::new();
    if let Some(k) = store.sp_key().await? {
        out.extend(Watched::of("sp-key", "sp".into(), &k.certificate_der, now));
    }
    for a in store.accounts().await? {
        for c in store.idps(&a.id).await? {
            for der in &c.certs {
                out.extend(Watched::of(
                    "idp-signing",
                    format!("{}/{}", a.id, c.name),
                    der,
                    now,
                ));
            }
        }
    }
    Ok(out)
}
