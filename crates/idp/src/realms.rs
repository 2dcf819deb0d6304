//! Realms, their signing keys with rollover (next, active, retired), the realm descriptor and
//! the realm's sign-in policy.

use crate::common::{Actor, IdpError, Result, audit, second, valid_name};
use symbolon_dsig::{SecureRandom, SignOptions, SigningKey, SystemRandom};
use symbolon_saml::messages::{
    NAMEID_EMAIL, NAMEID_PERSISTENT, NAMEID_TRANSIENT, NAMEID_UNSPECIFIED,
};
use symbolon_saml::metadata::{BINDING_POST, BINDING_REDIRECT, Endpoint};
use symbolon_saml::metadata_gen::{IdpMetadataParams, PublishedKey, idp_metadata, sign_metadata};
use symbolon_secret::KeyAlgorithm;
use symbolon_store::{IdpStore, KeyStatus, Realm, RealmKey, Secret};
use time::OffsetDateTime;

/// Generate a key pair and a self-signed certificate (valid three years).
pub fn generate_key(
    alg: KeyAlgorithm,
    common_name: &str,
    now: OffsetDateTime,
) -> Result<(Secret, Vec<u8>)> {
    let (pem, der) = symbolon_secret::generate_key(alg, common_name, now)?;
    Ok((Secret(pem), der))
}

pub(crate) fn kid(der: &[u8]) -> String {
    let d = symbolon_dsig::sha256(der);
    d.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// A freshly generated realm key in the given rollover state.
pub(crate) fn new_key(
    realm: &str,
    status: KeyStatus,
    alg: KeyAlgorithm,
    now: OffsetDateTime,
) -> Result<RealmKey> {
    let (pem, der) = generate_key(alg, &format!("{realm} realm signing key"), now)?;
    Ok(RealmKey {
        kid: kid(&der),
        realm: realm.into(),
        status,
        algorithm: alg.as_str().into(),
        private_key_pem: pem,
        certificate_der: der,
        created_at: now,
    })
}

pub(crate) async fn realm_or_404<S: IdpStore>(store: &S, realm: &str) -> Result<Realm> {
    store
        .realm(realm)
        .await?
        .ok_or_else(|| IdpError::NoRealm(realm.to_string()))
}

/// Create a realm with an active signing key.
pub async fn create_realm<S: IdpStore>(
    store: &S,
    actor: &Actor,
    name: &str,
    display_name: Option<&str>,
    alg: KeyAlgorithm,
    now: OffsetDateTime,
) -> Result<Realm> {
    valid_name(name, "realm name")?;
    if store.realm(name).await?.is_some() {
        return Err(IdpError::Conflict(format!("realm {name:?} already exists")));
    }
    let now = second(now);
    let realm = Realm {
        name: name.into(),
        display_name: display_name.unwrap_or(name).into(),
        enabled: true,
        assertion_lifespan_secs: 300,
        created_at: now,
    };
    let key = new_key(name, KeyStatus::Active, alg, now)?;
    store.create_realm(&realm).await?;
    store.add_key(&key).await?;
    audit(
        store,
        name,
        actor,
        None,
        format!("created realm {name} with an active {} key", alg.as_str()),
        now,
    )
    .await?;
    Ok(realm)
}

/// Rollover step 1: add a *next* key (published, not signing). Returns its kid.
pub async fn add_next_key<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    alg: KeyAlgorithm,
    now: OffsetDateTime,
) -> Result<String> {
    realm_or_404(store, realm).await?;
    let now = second(now);
    let key = new_key(realm, KeyStatus::Next, alg, now)?;
    let id = key.kid.clone();
    store.add_key(&key).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("added next key {id}"),
        now,
    )
    .await?;
    Ok(id)
}

/// Rollover step 2: the key signs from now on; the previous active key stays published as passive.
pub async fn promote_key<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    kid: &str,
    now: OffsetDateTime,
) -> Result<()> {
    realm_or_404(store, realm).await?;
    store.promote_key(realm, kid).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("promoted key {kid} to active"),
        now,
    )
    .await
}

/// Rollover step 3: a passive (or unused next) key is no longer published.
pub async fn retire_key<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    kid: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let key = store
        .keys(realm)
        .await?
        .into_iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| IdpError::Invalid(format!("no key {kid} in realm {realm}")))?;
    if key.status == KeyStatus::Active {
        return Err(IdpError::Invalid(
            "the active key cannot be retired: promote another key first".into(),
        ));
    }
    store.set_key_status(realm, kid, KeyStatus::Retired).await?;
    audit(store, realm, actor, None, format!("retired key {kid}"), now).await
}

/// The realm's active signing key.
pub async fn active_key<S: IdpStore>(store: &S, realm: &str) -> Result<(RealmKey, SigningKey)> {
    let key = crate::active_in(&store.keys(realm).await?)
        .cloned()
        .ok_or_else(|| IdpError::Invalid(format!("realm {realm} has no active key")))?;
    let signing = signing_key(&key)?;
    Ok((key, signing))
}

/// A stored realm key, parsed for signing (with its certificate).
pub fn signing_key(key: &RealmKey) -> Result<SigningKey> {
    Ok(SigningKey::from_pem(&key.private_key_pem.0, None)
        .map_err(|e| IdpError::Crypto(e.to_string()))?
        .with_certificate(key.certificate_der.clone()))
}

/// The realm's entity ID.
pub fn entity_id(base_url: &str, realm: &str) -> String {
    format!("{}/realms/{realm}", base_url.trim_end_matches('/'))
}

/// The realm's SAML endpoint (SSO and SLO, Redirect and POST).
pub fn saml_endpoint(base_url: &str, realm: &str) -> String {
    format!(
        "{}/realms/{realm}/protocol/saml",
        base_url.trim_end_matches('/')
    )
}

/// Signed realm descriptors, kept per realm while its keys are unchanged (which keys, their
/// status and certificates): a GET is then two reads and no signature. Bounded by the realms.
#[derive(Debug, Default)]
pub struct DescriptorCache {
    inner: std::sync::Mutex<std::collections::HashMap<String, CachedDescriptor>>,
}

/// A realm's signed descriptor and the fingerprint of the keys it was made from.
type CachedDescriptor = (Vec<u8>, std::sync::Arc<str>);

impl DescriptorCache {
    /// The descriptor kept in `slot` (a realm, or a realm's client) if it was made from these
    /// very keys, else one signed now and kept.
    fn get_or_sign(
        &self,
        slot: String,
        keys: &[RealmKey],
        realm: &str,
        base_url: &str,
    ) -> Result<std::sync::Arc<str>> {
        let fingerprint = keys_fingerprint(keys);
        {
            let c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((f, xml)) = c.get(&slot)
                && *f == fingerprint
            {
                return Ok(xml.clone());
            }
        }
        let xml: std::sync::Arc<str> = descriptor_of(keys, realm, base_url)?.into();
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(slot, (fingerprint, xml.clone()));
        Ok(xml)
    }
}

/// What a descriptor depends on besides the realm's name and the base URL.
fn keys_fingerprint(keys: &[RealmKey]) -> Vec<u8> {
    let mut d = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for k in keys {
        for part in [
            k.kid.as_bytes(),
            k.status.as_str().as_bytes(),
            k.certificate_der.as_slice(),
        ] {
            d.update(&(part.len() as u64).to_be_bytes());
            d.update(part);
        }
    }
    d.finish().as_ref().to_vec()
}

/// "SAML 2.0 Identity Provider Metadata": every published key, signed with the active key;
/// from the cache while the realm's keys are unchanged.
pub async fn descriptor<S: IdpStore>(
    store: &S,
    cache: &DescriptorCache,
    realm: &str,
    base_url: &str,
) -> Result<std::sync::Arc<str>> {
    // A realm always has keys (it is created with one, and deleted with them): only when there
    // are none is the realm itself read, to tell "no such realm" apart.
    let keys = store.keys(realm).await?;
    if keys.is_empty() {
        realm_or_404(store, realm).await?;
    }
    descriptor_of_keys(cache, realm, &keys, base_url)
}

/// The realm's descriptor made from `keys` (the realm's keys, in every state, as the store or
/// the SSO cache gives them): the cached document while they are unchanged.
pub fn descriptor_of_keys(
    cache: &DescriptorCache,
    realm: &str,
    keys: &[RealmKey],
    base_url: &str,
) -> Result<std::sync::Arc<str>> {
    cache.get_or_sign(realm.to_string(), keys, realm, base_url)
}

/// The descriptor a client's sign-in is checked against when it has keys of its own (see
/// `client_keys`): the realm's entity ID and endpoints, the keys
/// `client_published_keys` names, signed with the one that signs the client's messages; cached
/// like the realm's while those keys are unchanged.
pub async fn client_descriptor<S: IdpStore>(
    store: &S,
    cache: &DescriptorCache,
    client: &symbolon_store::Client,
    base_url: &str,
) -> Result<std::sync::Arc<str>> {
    let keys = crate::client_keys::client_published_keys(store, client).await?;
    let slot = format!("{}\u{0}{}", client.realm, client.id);
    cache.get_or_sign(slot, &keys, &client.realm, base_url)
}

/// The descriptor of these keys, signed now with the active one.
fn descriptor_of(keys: &[RealmKey], realm: &str, base_url: &str) -> Result<String> {
    let active = keys
        .iter()
        .find(|k| k.status == KeyStatus::Active)
        .ok_or_else(|| IdpError::Invalid(format!("realm {realm} has no active key")))?;
    let signing = signing_key(active)?;
    let sso = saml_endpoint(base_url, realm);
    let both = vec![
        Endpoint {
            binding: BINDING_POST.into(),
            location: sso.clone(),
            response_location: None,
            index: None,
            is_default: None,
        },
        Endpoint {
            binding: BINDING_REDIRECT.into(),
            location: sso.clone(),
            response_location: None,
            index: None,
            is_default: None,
        },
    ];
    let rng = SystemRandom::new();
    let id = symbolon_saml::messages::new_id(&rng).map_err(|e| IdpError::Crypto(e.to_string()))?;
    let params = IdpMetadataParams {
        entity_id: entity_id(base_url, realm),
        id: Some(id.clone()),
        valid_until: None,
        want_authn_requests_signed: false,
        keys: keys
            .iter()
            .filter(|k| k.status.published())
            .map(|k| PublishedKey {
                der: k.certificate_der.clone(),
                key_use: Some("signing"),
            })
            .collect(),
        // Single logout at the same endpoint as sign-in, both bindings.
        single_logout: both.clone(),
        name_id_formats: vec![
            NAMEID_PERSISTENT.into(),
            NAMEID_TRANSIENT.into(),
            NAMEID_UNSPECIFIED.into(),
            NAMEID_EMAIL.into(),
        ],
        single_sign_on: both,
    };
    let xml = idp_metadata(&params)
        .ok_or_else(|| IdpError::Invalid("metadata values are not valid XML names".into()))?;
    sign_metadata(
        &xml,
        &id,
        &signing,
        &SignOptions::for_key(&signing),
        &rng as &dyn SecureRandom,
    )
    .map_err(|e| IdpError::Crypto(e.to_string()))
}

/// The realm's sign-in policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthPolicy {
    /// A password (and the second factor when the user has set one up).
    Password,
    /// A password and a second factor, always: users without one are sent to set it up.
    SecondFactor,
    /// A passkey, or a password (and the user's second factor): passkeys are offered and may be
    /// required of a user (required action).
    PasskeyOrPassword,
    /// Passkeys only ("phishing-resistant"): password sign-in is disabled; a user without a
    /// passkey yet signs in with the password only to register one, then signs in with it.
    PasskeyOnly,
}

impl AuthPolicy {
    pub const ALL: [AuthPolicy; 4] = [
        AuthPolicy::Password,
        AuthPolicy::SecondFactor,
        AuthPolicy::PasskeyOrPassword,
        AuthPolicy::PasskeyOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthPolicy::Password => "password",
            AuthPolicy::SecondFactor => "second-factor",
            AuthPolicy::PasskeyOrPassword => "passkey-or-password",
            AuthPolicy::PasskeyOnly => "passkey-only",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            AuthPolicy::Password => "Password (plus the second factor of users who set one up)",
            AuthPolicy::SecondFactor => "Password and a second factor, required",
            AuthPolicy::PasskeyOrPassword => "Passkey or password",
            AuthPolicy::PasskeyOnly => {
                "Passkey only (phishing-resistant; passwords only to register a first passkey)"
            }
        }
    }

    /// Whether passkeys are offered (sign-in, account console, required actions).
    pub fn passkeys(self) -> bool {
        matches!(
            self,
            AuthPolicy::PasskeyOrPassword | AuthPolicy::PasskeyOnly
        )
    }
}

/// The realm's sign-in policy (`Password` for a value this version does not know: the stricter
/// reading would lock everyone out).
pub async fn auth_policy<S: IdpStore>(store: &S, realm: &str) -> Result<AuthPolicy> {
    let p = store.auth_policy(realm).await?;
    Ok(AuthPolicy::parse(&p).unwrap_or(AuthPolicy::Password))
}

pub async fn set_auth_policy<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    policy: AuthPolicy,
    now: OffsetDateTime,
) -> Result<()> {
    realm_or_404(store, realm).await?;
    store.set_auth_policy(realm, policy.as_str()).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("set the sign-in policy to {}", policy.as_str()),
        now,
    )
    .await
}
