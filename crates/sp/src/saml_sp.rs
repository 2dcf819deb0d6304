//! The SP's own SAML face: its signing key, its settings, its metadata, and SP-initiated
//! AuthnRequests.

use crate::common::{Result, SpError, second};
use symbolon_saml::sp::SpSettings;
use symbolon_store::sp::{IdpConfig, SpKey, SpStore};
use time::OffsetDateTime;

/// The SP's signing key, generated on first use.
pub async fn sp_key<S: SpStore>(store: &S, base_url: &str, now: OffsetDateTime) -> Result<SpKey> {
    if let Some(k) = store.sp_key().await? {
        return Ok(k);
    }
    let (pem, der) = symbolon_secret::generate_key(
        symbolon_secret::KeyAlgorithm::Rsa2048,
        &format!("Symbolon SP {base_url}"),
        now,
    )
    .map_err(|e| SpError::Crypto(e.to_string()))?;
    let pem = symbolon_store::Secret(pem);
    let kid = symbolon_dsig::sha256(&der)
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(store
        .init_sp_key(&SpKey {
            kid,
            private_key_pem: pem,
            certificate_der: der,
            created_at: second(now),
        })
        .await?)
}

/// Start an SP-initiated sign-in with an IdP configuration: the AuthnRequest's ID and the
/// Redirect-binding URL to send the browser to (carrying `relay_state`).
pub fn authn_request_url(
    base_url: &str,
    idp: &IdpConfig,
    request_id: &str,
    relay_state: &str,
    now: OffsetDateTime,
) -> Result<String> {
    let Some(sso) = idp.sso_url.as_deref() else {
        return Err(SpError::Invalid(format!(
            "the identity provider {} publishes no HTTP-Redirect sign-in endpoint",
            idp.name
        )));
    };
    let s = sp_settings(base_url);
    let req = symbolon_saml::messages::AuthnRequest::new(
        request_id.into(),
        second(now),
        &s.entity_id,
        sso,
        &s.acs_url,
    );
    symbolon_saml::binding::encode_redirect(
        sso,
        symbolon_saml::binding::MessageKind::Request,
        req.to_xml().as_bytes(),
        Some(relay_state),
        None,
    )
    .map_err(|e| SpError::Crypto(e.to_string()))
}

/// The SP's entity ID and ACS URL, from the public base URL.
pub fn sp_settings(base_url: &str) -> SpSettings {
    let base = base_url.trim_end_matches('/');
    SpSettings {
        entity_id: format!("{base}/saml/metadata"),
        acs_url: format!("{base}/saml/acs"),
    }
}

/// The SP metadata document.
pub async fn sp_metadata<S: SpStore>(
    store: &S,
    base_url: &str,
    now: OffsetDateTime,
) -> Result<String> {
    use symbolon_saml::metadata::{BINDING_POST, Endpoint};
    use symbolon_saml::metadata_gen::{PublishedKey, SpMetadataParams};
    let key = sp_key(store, base_url, now).await?;
    let s = sp_settings(base_url);
    symbolon_saml::metadata_gen::sp_metadata(&SpMetadataParams {
        entity_id: s.entity_id,
        id: None,
        valid_until: None,
        authn_requests_signed: false,
        want_assertions_signed: true,
        keys: vec![PublishedKey {
            der: key.certificate_der,
            key_use: Some("signing"),
        }],
        single_logout: vec![],
        name_id_formats: vec![
            symbolon_saml::messages::NAMEID_EMAIL.into(),
            symbolon_saml::messages::NAMEID_UNSPECIFIED.into(),
        ],
        assertion_consumer: vec![Endpoint {
            binding: BINDING_POST.into(),
            location: s.acs_url,
            response_location: None,
            index: Some(0),
            is_default: Some(true),
        }],
        requested_attributes: vec![],
        service_name: Some("Symbolon".into()),
    })
    .ok_or_else(|| SpError::Crypto("the SP metadata could not be written".into()))
}
