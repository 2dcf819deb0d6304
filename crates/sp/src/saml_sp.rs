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

/// The SP's key as PEM: the private key, then its certificate (what [`import_sp_key`] reads),
/// to move a deployment to new servers without the identity providers noticing.
pub async fn export_sp_key<S: SpStore>(store: &S) -> Result<String> {
    let k = store.sp_key().await?.ok_or_else(|| {
        SpError::NotFound("the SP has no key yet (it makes one when it first serves)".into())
    })?;
    let b64 = symbolon_dsig::encode_base64(&k.certificate_der);
    let mut pem = k.private_key_pem.0.trim_end().to_string();
    pem.push_str("\n-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    Ok(pem)
}

/// Give a new SP the key another one had (PEM: a PKCS#8 private key and its certificate). Refused
/// when the key does not belong to the certificate, or when the SP has another key already (it
/// may be published; replacing it is a rollover, not an import). The same key again is fine.
pub async fn import_sp_key<S: SpStore>(store: &S, pem: &str, now: OffsetDateTime) -> Result<SpKey> {
    let key_pem = pem
        .find("-----BEGIN PRIVATE KEY-----")
        .and_then(|start| {
            let end = pem[start..].find("-----END PRIVATE KEY-----")? + start + 25;
            pem.get(start..end)
        })
        .ok_or_else(|| SpError::Invalid("no PRIVATE KEY (PKCS#8) block in the PEM".into()))?;
    // The key block, and the certificate from the same text.
    let signing = SigningKey::from_pem(key_pem, Some(pem))
        .map_err(|e| SpError::Invalid(format!("the private key does not parse: {e}")))?;
    let cert = signing
        .certificate_der()
        .ok_or_else(|| SpError::Invalid("no CERTIFICATE block in the PEM".into()))?
        .to_vec();
    let pinned = symbolon_dsig::PinnedCert::from_der(&cert)
        .map_err(|e| SpError::Invalid(format!("the certificate does not parse: {e}")))?;
    if !signing.pairs_with(&pinned, &symbolon_dsig::SystemRandom::new()) {
        return Err(SpError::Invalid(
            "the private key does not belong to the certificate".into(),
        ));
    }
    let kid: String = symbolon_dsig::sha256(&cert)
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect();
    let stored = store
        .init_sp_key(&SpKey {
            kid: kid.clone(),
            private_key_pem: symbolon_store::Secret(format!("{key_pem}\n")),
            certificate_der: cert,
            created_at: second(now),
        })
        .await?;
    if stored.kid != kid {
        return Err(SpError::Conflict(
            "the SP has another key already; an import only gives a new SP its first key".into(),
        ));
    }
    Ok(stored)
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
        // Single logout: both front-channel bindings at one URL, and the back channel (SOAP)
        // for an identity provider that ends sessions without the browser.
        single_logout: [BINDING_REDIRECT, BINDING_POST]
            .into_iter()
            .map(|b| (b, crate::logout::slo_url(base_url)))
            .chain([(
                symbolon_saml::soap::BINDING_SOAP,
                crate::logout::soap_url(base_url),
            )])
            .map(|(b, location)| Endpoint {
                binding: b.into(),
                location,
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
