//! The checks of a realm document that need no store: each resource of the file made into
//! what the store keeps (a user, a client, a key), or the reason it cannot be.

use std::collections::{BTreeMap, BTreeSet};

use symbolon_saml::messages::NAMEID_UNSPECIFIED;
use symbolon_store::{Client, KeyStatus, RealmKey};
use time::OffsetDateTime;

use super::{ClientDoc, CredentialDoc, GroupDoc, KeyDoc};
use crate::common::{IdpError, Result, second, valid_name};
use crate::kc::{UrlCheck, apply, apply_source, mapper_from_rep};
use crate::lifecycle::{attribute_key, attribute_values};
use crate::users::normalize_username;

pub(super) fn bad(m: String) -> IdpError {
    IdpError::Invalid(m)
}

/// A password from the file: to be hashed, or a hash as exported.
pub(super) enum Password {
    Clear(String),
    Hash(String),
}

/// A user as the file wants it, checked.
pub(super) struct WantUser {
    pub(super) username: String,
    pub(super) enabled: bool,
    pub(super) email: Option<String>,
    pub(super) first_name: Option<String>,
    pub(super) last_name: Option<String>,
    pub(super) attributes: Vec<(String, String)>,
    pub(super) groups: BTreeSet<String>,
    pub(super) roles: BTreeSet<String>,
    pub(super) password: Option<Password>,
    /// What of the user's credentials is not imported, and why.
    pub(super) notes: Vec<String>,
}

/// Attributes as a map of value lists (the order of keys does not matter, of values it does).
pub(super) fn grouped(attrs: &[(String, String)]) -> BTreeMap<&str, Vec<&str>> {
    let mut m: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, v) in attrs {
        m.entry(k).or_default().push(v);
    }
    m
}

/// Keycloak nests groups; the store keeps paths. Each group's path is its own `path` or its
/// parent's path and its name.
pub(super) fn flatten_groups(
    reps: &[GroupDoc],
    parent: &str,
    out: &mut BTreeMap<String, BTreeSet<String>>,
) -> Result<()> {
    for g in reps {
        let raw = match &g.path {
            Some(p) => p.clone(),
            None => format!("{parent}/{}", g.name),
        };
        let path = crate::groups::group_path(&raw)?;
        let roles: BTreeSet<String> = g.realm_roles.iter().cloned().collect();
        if out.insert(path.clone(), roles).is_some() {
            return Err(bad(format!("group {path} is listed twice")));
        }
        flatten_groups(&g.sub_groups, &path, out)?;
    }
    Ok(())
}

pub(super) fn want_user(u: &super::UserDoc) -> Result<WantUser> {
    let username = normalize_username(&u.username);
    if username.is_empty() || username.len() > 255 || username.chars().any(char::is_control) {
        return Err(bad(format!(
            "username {:?} must be 1-255 printable characters",
            u.username
        )));
    }
    let opt = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    for v in [&u.email, &u.first_name, &u.last_name]
        .into_iter()
        .flatten()
    {
        if v.len() > 255 || v.chars().any(char::is_control) {
            return Err(bad(format!(
                "user {username}: email and names must be at most 255 printable characters"
            )));
        }
    }
    let mut attributes = Vec::new();
    for (k, values) in &u.attributes {
        let key = attribute_key(k)?;
        attribute_values(values)?;
        attributes.extend(values.iter().map(|v| (key.clone(), v.clone())));
    }
    let groups = u
        .groups
        .iter()
        .map(|g| crate::groups::group_path(g))
        .collect::<Result<BTreeSet<_>>>()?;
    for r in &u.realm_roles {
        valid_name(r, "role name")?;
    }
    let mut password = None;
    let mut notes = Vec::new();
    for c in &u.credentials {
        if c.kind != "password" {
            notes.push(format!("{} credential not imported", c.kind));
            continue;
        }
        if password.is_some() {
            return Err(bad(format!("user {username} has two passwords")));
        }
        match password_of(&username, c)? {
            Some(p) => password = Some(p),
            None => notes.push(
                "password not imported (not an Argon2 hash: set one, or send a registration link)"
                    .into(),
            ),
        }
    }
    Ok(WantUser {
        username,
        enabled: u.enabled,
        email: opt(&u.email),
        first_name: opt(&u.first_name),
        last_name: opt(&u.last_name),
        attributes,
        groups,
        roles: u.realm_roles.iter().cloned().collect(),
        password,
        notes,
    })
}

/// A password credential: clear text, or an Argon2 hash; `None` for a hash this product cannot
/// check (Keycloak's PBKDF2), which is left out rather than failing the import.
pub(super) fn password_of(username: &str, c: &CredentialDoc) -> Result<Option<Password>> {
    if let Some(v) = &c.value {
        if v.chars().count() < symbolon_secret::MIN_PASSWORD_CHARS {
            return Err(bad(format!(
                "user {username}: the password must have at least {} characters",
                symbolon_secret::MIN_PASSWORD_CHARS
            )));
        }
        return Ok(Some(Password::Clear(v.clone())));
    }
    let secret = c
        .secret_data
        .as_deref()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
    if let Some(phc) = secret
        .as_ref()
        .and_then(|s| keycloak_argon2(s, c.credential_data.as_deref()?))
    {
        return Ok(symbolon_secret::is_usable_hash(&phc).then_some(Password::Hash(phc)));
    }
    let hash = secret
        .as_ref()
        .and_then(|v| v.get("value").and_then(|h| h.as_str()).map(str::to_string))
        .ok_or_else(|| {
            bad(format!(
                "user {username}: a password credential needs a value, or secretData with the value"
            ))
        })?;
    Ok(symbolon_secret::is_usable_hash(&hash).then_some(Password::Hash(hash)))
}

/// Keycloak's Argon2 credential (`secretData` `{"value", "salt"}` in padded base64,
/// `credentialData` with the algorithm and its parameters) as the PHC string this product
/// stores; `None` when it is not one. A user moved from Keycloak keeps their password, and the
/// first sign-in re-hashes it with this product's parameters.
pub(super) fn keycloak_argon2(secret: &serde_json::Value, credential_data: &str) -> Option<String> {
    use data_encoding::{BASE64, BASE64_NOPAD};
    let data: serde_json::Value = serde_json::from_str(credential_data).ok()?;
    if data.get("algorithm")?.as_str()? != "argon2" {
        return None;
    }
    let param = |k: &str| -> Option<String> {
        let v = data.get("additionalParameters")?.get(k)?;
        v.as_array()
            .and_then(|a| a.first())
            .unwrap_or(v)
            .as_str()
            .map(str::to_string)
    };
    let kind = match param("type").as_deref().unwrap_or("id") {
        "id" => "argon2id",
        "i" => "argon2i",
        "d" => "argon2d",
        _ => return None,
    };
    let version = match param("version").as_deref().unwrap_or("1.3") {
        "1.3" => 19,
        "1.0" => 16,
        _ => return None,
    };
    let m: u32 = param("memory")?.parse().ok()?;
    let p: u32 = param("parallelism")?.parse().ok()?;
    let t = data.get("hashIterations")?.as_u64()?;
    let b64 = |k: &str| -> Option<String> {
        let raw = BASE64.decode(secret.get(k)?.as_str()?.as_bytes()).ok()?;
        Some(BASE64_NOPAD.encode(&raw))
    };
    let (hash, salt) = (b64("value")?, b64("salt")?);
    Some(format!(
        "${kind}$v={version}$m={m},t={t},p={p}${salt}${hash}"
    ))
}

pub(super) fn key_from_rep(realm: &str, k: &KeyDoc, now: OffsetDateTime) -> Result<RealmKey> {
    let status = KeyStatus::parse(&k.status)
        .ok_or_else(|| bad(format!("key {}: unknown status {:?}", k.kid, k.status)))?;
    let der = symbolon_dsig::decode_base64(&k.certificate)
        .ok_or_else(|| bad(format!("key {}: the certificate is not base64", k.kid)))?;
    let key = RealmKey {
        kid: k.kid.clone(),
        realm: realm.into(),
        status,
        algorithm: k.algorithm.clone(),
        private_key_pem: symbolon_store::Secret(k.private_key.clone().unwrap_or_default()),
        certificate_der: der,
        created_at: k.created_at.map_or(now, second),
    };
    if k.private_key.is_some() {
        // The private key must parse and belong to the certificate.
        let signing = crate::realms::signing_key(&key)?;
        let pinned = symbolon_dsig::PinnedCert::from_der(&key.certificate_der)
            .map_err(|e| bad(format!("key {}: {e}", k.kid)))?;
        if !signing.pairs_with(&pinned, &symbolon_dsig::SystemRandom::new()) {
            return Err(bad(format!(
                "key {}: the private key does not belong to the certificate",
                k.kid
            )));
        }
    }
    Ok(key)
}

/// Who the file lets use a client.
pub(super) struct AccessWant {
    pub(super) users: BTreeSet<String>,
    pub(super) groups: BTreeSet<String>,
}

pub(super) fn access_want(c: &ClientDoc) -> Result<AccessWant> {
    let Some(a) = &c.access else {
        return Ok(AccessWant {
            users: BTreeSet::new(),
            groups: BTreeSet::new(),
        });
    };
    Ok(AccessWant {
        users: a.users.iter().map(|u| normalize_username(u)).collect(),
        groups: a
            .groups
            .iter()
            .map(|g| crate::groups::group_path(g))
            .collect::<Result<_>>()?,
    })
}

/// A certificate from the file: base64 DER, or a PEM block.
pub(super) fn cert_der(client: &str, text: &str) -> Result<Vec<u8>> {
    let der = match symbolon_dsig::pem_blocks(text).into_iter().next() {
        Some((_, der)) => der,
        None => symbolon_dsig::decode_base64(text)
            .ok_or_else(|| bad(format!("client {client}: a certificate is not base64")))?,
    };
    symbolon_dsig::PinnedCert::from_der(&der).map_err(|e| {
        bad(format!(
            "client {client}: a certificate does not parse: {e}"
        ))
    })?;
    Ok(der)
}

/// The client as the file wants it: the existing one with the file's settings, or a new one.
pub(super) fn want_client(
    realm: &str,
    c: &ClientDoc,
    existing: Option<&Client>,
    check_url: &UrlCheck,
    now: OffsetDateTime,
) -> Result<Client> {
    let id = c.client.client_id.trim();
    if id.is_empty() || id.len() > 1024 || id.chars().any(char::is_control) {
        return Err(bad("a client needs a clientId (the SP's entity ID)".into()));
    }
    let certs = |list: &[String], attr: &str| -> Result<Vec<Vec<u8>>> {
        if !list.is_empty() {
            return list.iter().map(|t| cert_der(id, t)).collect();
        }
        match c.client.attributes.get(attr).map(|t| t.trim()) {
            Some(t) if !t.is_empty() => Ok(vec![cert_der(id, t)?]),
            _ => Ok(Vec::new()),
        }
    };
    let signing_certs = certs(&c.signing_certificates, "saml.signing.certificate")?;
    let encryption_certs = certs(&c.encryption_certificates, "saml.encryption.certificate")?;
    let mut client = match existing {
        Some(e) => e.clone(),
        None => Client {
            id: uuid::Uuid::new_v4().to_string(),
            realm: realm.into(),
            client_id: id.into(),
            name: None,
            description: None,
            enabled: true,
            home_url: None,
            idp_initiated_url_name: None,
            idp_initiated_relay_state: None,
            name_id_format: NAMEID_UNSPECIFIED.into(),
            sign_documents: true,
            sign_assertions: true,
            signature_algorithm: "rsa-sha256".into(),
            client_signature_required: !signing_certs.is_empty(),
            assertion_lifespan_secs: None,
            acs: Vec::new(),
            slo: Vec::new(),
            signing_certs: Vec::new(),
            mappers: Vec::new(),
            restricted: false,
            encryption: Default::default(),
            metadata_source: None,
            provisioning: None,
            created_at: second(now),
        },
    };
    if existing.is_none() || !signing_certs.is_empty() {
        client.signing_certs = signing_certs;
    }
    if existing.is_none() || !encryption_certs.is_empty() {
        client.encryption.certs = encryption_certs;
    }
    apply(&c.client, &mut client).map_err(|e| bad(format!("client {id}: {e}")))?;
    client.client_id = id.into();
    apply_source(&c.client, &mut client, check_url, now)
        .map_err(|e| bad(format!("client {id}: {e}")))?;
    if client.client_signature_required && client.signing_certs.is_empty() {
        return Err(bad(format!(
            "client {id}: saml.client.signature is true but the client has no signing certificate"
        )));
    }
    let mut mappers = Vec::with_capacity(c.protocol_mappers.len());
    for m in &c.protocol_mappers {
        let mut m = mapper_from_rep(m).map_err(|e| bad(format!("client {id}: {e}")))?;
        if m.name.trim().is_empty() {
            m.name = m.saml_attribute.clone();
        }
        if m.saml_attribute.trim().is_empty() {
            return Err(bad(format!(
                "client {id}: mapper {:?} has no attribute.name",
                m.name
            )));
        }
        if mappers
            .iter()
            .any(|x: &symbolon_store::Mapper| x.name == m.name)
        {
            return Err(bad(format!(
                "client {id}: two mappers are named {:?}",
                m.name
            )));
        }
        mappers.push(m);
    }
    client.mappers = mappers;
    client.restricted = c.access.as_ref().is_some_and(|a| a.restricted);
    Ok(client)
}
