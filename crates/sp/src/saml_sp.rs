//! The SP's own SAML face: its signing key, its settings, its metadata, and SP-initiated
//! AuthnRequests.

use crate::common::{Result, SpError, second};
use symbolon_dsig::SigningKey;
use symbolon_dsig::enc::DecryptionKey;
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

/// The SP's key pair in the two roles it plays: signing AuthnRequests, decrypting encrypted
/// assertions (the same RSA key, published for both uses in the SP metadata).
pub struct SpKeyPair {
    pub signing: SigningKey,
    pub decryption: DecryptionKey,
}

impl std::fmt::Debug for SpKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SpKeyPair(..)")
    }
}

/// The SP's keys, parsed once per key: [`SpKeys::get`] reads the stored key's ID and parses the
/// PEM only when it changed (a restore from a dump brings another key).
#[derive(Default)]
pub struct SpKeys {
    parsed: std::sync::Mutex<Option<(String, std::sync::Arc<SpKeyPair>)>>,
}

impl std::fmt::Debug for SpKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SpKeys(..)")
    }
}

impl SpKeys {
    /// The keys, generated on first use.
    pub async fn get<S: SpStore>(
        &self,
        store: &S,
        base_url: &str,
        now: OffsetDateTime,
    ) -> Result<std::sync::Arc<SpKeyPair>> {
        let k = sp_key(store, base_url, now).await?;
        self.parsed(k)
    }

    /// The keys if there are any yet (the ACS never creates them: nothing can have been
    /// encrypted to a key that does not exist).
    pub async fn existing<S: SpStore>(
        &self,
        store: &S,
    ) -> Result<Option<std::sync::Arc<SpKeyPair>>> {
        match store.sp_key().await? {
            Some(k) => self.parsed(k).map(Some),
            None => Ok(None),
        }
    }

    fn parsed(&self, k: SpKey) -> Result<std::sync::Arc<SpKeyPair>> {
        if let Ok(g) = self.parsed.lock()
            && let Some((kid, pair)) = g.as_ref()
            && *kid == k.kid
        {
            return Ok(pair.clone());
        }
        let crypto = |e: String| SpError::Crypto(e);
        let pair = std::sync::Arc::new(SpKeyPair {
            signing: SigningKey::from_pem(&k.private_key_pem.0, None)
                .map_err(|e| crypto(e.to_string()))?
                .with_certificate(k.certificate_der),
            decryption: DecryptionKey::from_pem(&k.private_key_pem.0)
                .map_err(|e| crypto(e.to_string()))?,
        });
        if let Ok(mut g) = self.parsed.lock() {
            *g = Some((k.kid, pair.clone()));
        }
        Ok(pair)
    }
}

/// Where an SP-initiated AuthnRequest goes, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthnRequestOut {
    /// HTTP-Redirect: send the browser to this URL (the query carries the signature).
    Redirect(String),
    /// HTTP-POST: an auto-submitting form to `action` with the enveloped-signed `xml` as
    /// `SAMLRequest` (and the RelayState).
    Post { action: String, xml: String },
}

/// The IdP's sign-in endpoint: Redirect if it publishes one, else POST (read from its metadata).
fn sso_endpoint(idp: &IdpConfig) -> Option<(bool, String)> {
    use symbolon_saml::metadata::{BINDING_POST, parse_metadata};
    if let Some(u) = &idp.sso_url {
        return Some((true, u.clone()));
    }
    let entities = parse_metadata(idp.metadata_xml.as_bytes()).ok()?;
    entities
        .iter()
        .filter(|e| e.entity_id == idp.entity_id)
        .filter_map(|e| e.idp.as_ref())
        .find_map(|d| d.sso(BINDING_POST))
        .map(|e| (false, e.location.clone()))
}

/// Start an SP-initiated sign-in with an IdP configuration: an AuthnRequest with ID
/// `request_id`, signed with the SP's key (a query signature over Redirect, an enveloped one over
/// POST: the SP metadata says `AuthnRequestsSigned="true"`), carrying `relay_state`.
pub fn authn_request(
    base_url: &str,
    idp: &IdpConfig,
    key: &SigningKey,
    request_id: &str,
    relay_state: &str,
    now: OffsetDateTime,
    rng: &dyn symbolon_dsig::SecureRandom,
) -> Result<AuthnRequestOut> {
    let Some((redirect, sso)) = sso_endpoint(idp) else {
        return Err(SpError::Invalid(format!(
            "the identity provider {} publishes no HTTP-Redirect or HTTP-POST sign-in endpoint",
            idp.name
        )));
    };
    let s = sp_settings(base_url);
    let req = symbolon_saml::messages::AuthnRequest::new(
        request_id.into(),
        second(now),
        &s.entity_id,
        &sso,
        &s.acs_url,
    );
    let crypto = |e: symbolon_dsig::SignError| SpError::Crypto(e.to_string());
    let alg = key.default_algorithm();
    if redirect {
        symbolon_saml::binding::encode_redirect(
            &sso,
            symbolon_saml::binding::MessageKind::Request,
            req.to_xml().as_bytes(),
            Some(relay_state),
            Some((key, alg, rng)),
        )
        .map(AuthnRequestOut::Redirect)
        .map_err(crypto)
    } else {
        let opts = symbolon_dsig::SignOptions::for_key(key);
        let xml = symbolon_dsig::sign_enveloped(&req.to_xml(), request_id, key, &opts, rng)
            .map_err(crypto)?;
        Ok(AuthnRequestOut::Post { action: sso, xml })
    }
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
    use symbolon_saml::metadata::{BINDING_POST, BINDING_REDIRECT, Endpoint};
    use symbolon_saml::metadata_gen::{PublishedKey, SpMetadataParams};
    let key = sp_key(store, base_url, now).await?;
    let s = sp_settings(base_url);
    symbolon_saml::metadata_gen::sp_metadata(&SpMetadataParams {
        entity_id: s.entity_id,
        id: None,
        valid_until: None,
        authn_requests_signed: true,
        want_assertions_signed: true,
        keys: vec![
            PublishedKey {
                der: key.certificate_der.clone(),
                key_use: Some("signing"),
            },
            PublishedKey {
                der: key.certificate_der,
                key_use: Some("encryption"),
            },
        ],
        // Single logout: both bindings at one URL.
        single_logout: [BINDING_REDIRECT, BINDING_POST]
            .into_iter()
            .map(|b| Endpoint {
                binding: b.into(),
                location: crate::logout::slo_url(base_url),
                response_location: None,
                index: None,
                is_default: None,
            })
            .collect(),
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
