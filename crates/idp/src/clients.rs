//! Clients (service providers) imported from SP metadata, who may use them, and the
//! persistent NameIDs issued to them.

use crate::common::{Actor, IdpError, Result, audit, second, valid_name};
use crate::groups::{group_or_error, group_path, user_group_paths};
use crate::realms::realm_or_404;
use crate::users::user_or_error;
use symbolon_dsig::{SecureRandom, SystemRandom};
use symbolon_saml::lint::{Finding, lint_entity};
use symbolon_saml::messages::{
    NAMEID_EMAIL, NAMEID_PERSISTENT, NAMEID_TRANSIENT, NAMEID_UNSPECIFIED,
};
use symbolon_saml::metadata::{BINDING_POST, BINDING_REDIRECT, Endpoint, parse_metadata_document};
use symbolon_store::{Client, ClientEndpoint, IdpStore, Mapper, MapperSource, User};
use time::OffsetDateTime;

/// Turn SP metadata into a client representation without saving it (Keycloak's
/// client-description-converter), with the metadata's lint findings.
pub fn client_from_metadata(
    realm: &str,
    metadata: &[u8],
    now: OffsetDateTime,
) -> Result<(Client, Vec<Finding>)> {
    let now = second(now);
    let md = parse_metadata_document(metadata)?;
    let mut sps: Vec<_> = md.entities.iter().filter(|e| e.sp.is_some()).collect();
    if sps.len() > 1 {
        sps.retain(|e| e.sp.as_ref().is_some_and(|s| s.is_saml2()));
    }
    let entity = match sps.as_slice() {
        [one] => *one,
        [] => {
            let idp = md.entities.iter().any(|e| e.idp.is_some());
            return Err(IdpError::Invalid(if idp {
                "this is an identity provider's metadata (it has an IDPSSODescriptor and no SPSSODescriptor): a client is imported from a service provider's metadata; an identity provider is added at the service provider (Identity providers > Add, or `symbolon sp idp add`)".into()
            } else {
                "the metadata has no SPSSODescriptor, so it describes no service provider".into()
            }));
        }
        more => {
            return Err(IdpError::Invalid(format!(
                "the metadata describes {} service providers; import one at a time",
                more.len()
            )));
        }
    };
    let sp = entity
        .sp
        .as_ref()
        .ok_or_else(|| IdpError::Invalid("no SPSSODescriptor".into()))?;
    let findings = lint_entity(entity, now);
    let ep = |e: &Endpoint| ClientEndpoint {
        binding: e.binding.clone(),
        location: e.location.clone(),
        index: e.index,
        is_default: e.is_default,
    };
    let supported = [
        NAMEID_EMAIL,
        NAMEID_PERSISTENT,
        NAMEID_TRANSIENT,
        NAMEID_UNSPECIFIED,
    ];
    let name_id_format = sp
        .name_id_formats
        .iter()
        .find(|f| supported.contains(&f.as_str()))
        .cloned()
        .unwrap_or_else(|| NAMEID_UNSPECIFIED.into());
    let mappers = sp
        .requested_attributes
        .iter()
        .map(|r| Mapper {
            name: r.friendly_name.clone().unwrap_or_else(|| r.name.clone()),
            saml_attribute: r.name.clone(),
            name_format: r.name_format.clone(),
            friendly_name: r.friendly_name.clone(),
            source: MapperSource::UserAttribute {
                attribute: r.friendly_name.clone().unwrap_or_else(|| r.name.clone()),
            },
        })
        .collect();
    let client = Client {
        id: uuid::Uuid::new_v4().to_string(),
        realm: realm.into(),
        client_id: entity.entity_id.clone(),
        name: None,
        description: None,
        enabled: true,
        home_url: None,
        idp_initiated_url_name: None,
        idp_initiated_relay_state: None,
        name_id_format,
        sign_documents: true,
        // Assertions are signed too by default (as SimpleSAMLphp and pysaml2 do): SP libraries
        // that insist on a signed assertion (node-saml, pysaml2's want_assertions_signed) then
        // accept it whatever their metadata says. The client setting still switches it off.
        sign_assertions: true,
        signature_algorithm: "rsa-sha256".into(),
        client_signature_required: sp.authn_requests_signed == Some(true),
        assertion_lifespan_secs: None,
        acs: sp.assertion_consumer.iter().map(ep).collect(),
        slo: sp.single_logout.iter().map(ep).collect(),
        signing_certs: sp.signing_certificates().map(<[u8]>::to_vec).collect(),
        mappers,
        restricted: false,
        // An SP that publishes an encryption key asks for encrypted assertions.
        encryption: symbolon_store::ClientEncryption {
            enabled: sp.encryption_certificates().next().is_some(),
            certs: sp.encryption_certificates().map(<[u8]>::to_vec).collect(),
            ..Default::default()
        },
        metadata_source: None,
        provisioning: None,
        created_at: now,
    };
    Ok((client, findings))
}

/// "Import a Client" from SP metadata, optionally with an IdP-initiated SSO URL name.
pub async fn import_client<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    metadata: &[u8],
    url_name: Option<&str>,
    now: OffsetDateTime,
) -> Result<(Client, Vec<Finding>)> {
    realm_or_404(store, realm).await?;
    let (mut client, findings) = client_from_metadata(realm, metadata, now)?;
    if let Some(u) = url_name {
        valid_name(u, "IdP-initiated SSO URL name")?;
        if store.client_by_url_name(realm, u).await?.is_some() {
            return Err(IdpError::Conflict(format!(
                "another client already uses the IdP-initiated SSO URL name {u:?}"
            )));
        }
        client.idp_initiated_url_name = Some(u.into());
    }
    if store.client(realm, &client.client_id).await?.is_some() {
        return Err(IdpError::Conflict(format!(
            "client {:?} already exists in realm {realm}",
            client.client_id
        )));
    }
    if !client.acs.iter().any(|a| a.binding == BINDING_POST) {
        return Err(IdpError::Invalid(
            "the SP has no HTTP-POST AssertionConsumerService: Symbolon answers by POST only"
                .into(),
        ));
    }
    store.create_client(&client).await?;
    audit(
        store,
        realm,
        actor,
        Some(&client.client_id),
        format!("imported client {} from metadata", client.client_id),
        now,
    )
    .await?;
    Ok((client, findings))
}

/// Save an edited client (recorded as an admin change).
pub async fn update_client<S: IdpStore>(
    store: &S,
    actor: &Actor,
    client: &Client,
    what: &str,
    now: OffsetDateTime,
) -> Result<()> {
    if let Some(u) = &client.idp_initiated_url_name {
        valid_name(u, "IdP-initiated SSO URL name")?;
        if let Some(other) = store.client_by_url_name(&client.realm, u).await?
            && other.id != client.id
        {
            return Err(IdpError::Conflict(format!(
                "another client already uses the IdP-initiated SSO URL name {u:?}"
            )));
        }
    }
    let before = store.client(&client.realm, &client.client_id).await?;
    if before.as_ref() == Some(client) {
        // Saved unchanged: nothing to record.
        return Ok(());
    }
    let changes = before
        .as_ref()
        .map(|b| client_changes(b, client))
        .unwrap_or_default();
    store.update_client(client).await?;
    let detail = if changes.is_empty() {
        format!("updated client {}: {what}", client.client_id)
    } else {
        format!(
            "updated client {}: {what} ({})",
            client.client_id,
            changes.join(", ")
        )
    };
    audit(
        store,
        &client.realm,
        actor,
        Some(&client.client_id),
        detail,
        now,
    )
    .await
}

/// What an edit changed in a client's settings, one phrase per field.
pub fn client_changes(old: &Client, new: &Client) -> Vec<String> {
    let mut out = Vec::new();
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut text = |what: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{what} {a:?} -> {b:?}"));
        }
    };
    text("name", o(&old.name), o(&new.name));
    text("description", o(&old.description), o(&new.description));
    text("home URL", o(&old.home_url), o(&new.home_url));
    text(
        "IdP-initiated SSO URL name",
        o(&old.idp_initiated_url_name),
        o(&new.idp_initiated_url_name),
    );
    text(
        "IdP-initiated RelayState",
        o(&old.idp_initiated_relay_state),
        o(&new.idp_initiated_relay_state),
    );
    text(
        "NameID format",
        old.name_id_format.clone(),
        new.name_id_format.clone(),
    );
    text(
        "signature algorithm",
        old.signature_algorithm.clone(),
        new.signature_algorithm.clone(),
    );
    text(
        "encryption algorithm",
        old.encryption.data_algorithm.clone(),
        new.encryption.data_algorithm.clone(),
    );
    text(
        "key transport",
        old.encryption.key_transport.clone(),
        new.encryption.key_transport.clone(),
    );
    text(
        "assertion lifespan",
        old.assertion_lifespan_secs
            .map(|l| l.to_string())
            .unwrap_or_default(),
        new.assertion_lifespan_secs
            .map(|l| l.to_string())
            .unwrap_or_default(),
    );
    for (what, a, b) in [
        ("enabled", old.enabled, new.enabled),
        ("sign documents", old.sign_documents, new.sign_documents),
        ("sign assertions", old.sign_assertions, new.sign_assertions),
        (
            "client signature required",
            old.client_signature_required,
            new.client_signature_required,
        ),
        ("restricted", old.restricted, new.restricted),
        (
            "encrypt assertions",
            old.encryption.enabled,
            new.encryption.enabled,
        ),
    ] {
        if a != b {
            out.push(format!("{what} {a} -> {b}"));
        }
    }
    out
}

/// A client's ACS endpoints in the SAML core's form.
pub fn client_acs(client: &Client) -> Vec<Endpoint> {
    endpoints(&client.acs)
}

/// The endpoint to send a client logout messages to (Redirect preferred), if it has one.
pub fn client_slo(client: &Client) -> Option<Endpoint> {
    symbolon_saml::logout::slo_endpoint(&endpoints(&client.slo)).cloned()
}

/// Where the client takes logout messages over `binding` (HTTP-Redirect, HTTP-POST or SOAP), if
/// set.
pub fn logout_location<'a>(client: &'a Client, binding: &str) -> Option<&'a str> {
    client
        .slo
        .iter()
        .find(|e| e.binding == binding)
        .map(|e| e.location.as_str())
}

/// Set a client's single-logout locations by hand: `redirect` for HTTP-Redirect, `post` for
/// HTTP-POST and `soap` for the back channel (SOAP; empty or `None`: no endpoint of that
/// binding). Endpoints of other bindings from its metadata are kept. A location is an absolute `https://` (or `http://`) URL with a
/// host, no fragment and no spaces, of at most 2,048 bytes. Nothing changes on an error.
pub fn set_logout_endpoints(
    client: &mut Client,
    redirect: Option<&str>,
    post: Option<&str>,
    soap: Option<&str>,
) -> Result<()> {
    let mut set = Vec::new();
    for (label, binding, value) in [
        ("HTTP-Redirect", BINDING_REDIRECT, redirect),
        ("HTTP-POST", BINDING_POST, post),
        ("SOAP", symbolon_saml::soap::BINDING_SOAP, soap),
    ] {
        let Some(url) = value.map(str::trim).filter(|u| !u.is_empty()) else {
            continue;
        };
        endpoint_url(url).map_err(|why| {
            IdpError::Invalid(format!("single logout service ({label}) {url:?}: {why}"))
        })?;
        set.push(ClientEndpoint {
            binding: binding.into(),
            location: url.into(),
            index: None,
            is_default: None,
        });
    }
    client.slo.retain(|e| {
        e.binding != BINDING_REDIRECT
            && e.binding != BINDING_POST
            && e.binding != symbolon_saml::soap::BINDING_SOAP
    });
    set.append(&mut client.slo);
    client.slo = set;
    Ok(())
}

/// Why `url` cannot be an endpoint location, if it cannot.
fn endpoint_url(url: &str) -> std::result::Result<(), &'static str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must start with https:// (or http:// for local testing)")?;
    if url.len() > 2048 {
        return Err("is longer than 2048 bytes");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains spaces or control characters");
    }
    if url.contains('#') {
        return Err("must not have a fragment (#...)");
    }
    let host = rest.split(['/', '?']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Err("has no host");
    }
    Ok(())
}

fn endpoints(list: &[ClientEndpoint]) -> Vec<Endpoint> {
    list.iter()
        .map(|e| Endpoint {
            binding: e.binding.clone(),
            location: e.location.clone(),
            response_location: None,
            index: e.index,
            is_default: e.is_default,
        })
        .collect()
}

/// The default HTTP-POST ACS location of a client.
pub fn default_post_acs_of(client: &Client) -> Option<String> {
    symbolon_saml::metadata::default_post_acs(&client_acs(client)).map(|e| e.location.clone())
}

/// Who a client is assigned to, as `user:NAME` or `group:/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    User(String),
    Group(String),
}

impl Subject {
    pub fn parse(s: &str) -> Result<Self> {
        match s.split_once(':') {
            Some(("user", u)) if !u.trim().is_empty() => Ok(Subject::User(u.trim().into())),
            Some(("group", g)) => Ok(Subject::Group(group_path(g)?)),
            _ => Err(IdpError::Invalid(format!(
                "{s:?} must be user:NAME or group:/PATH"
            ))),
        }
    }
}

pub(crate) async fn client_or_error<S: IdpStore>(
    store: &S,
    realm: &str,
    client_id: &str,
) -> Result<Client> {
    store
        .client(realm, client_id)
        .await?
        .ok_or_else(|| IdpError::NotFound(format!("no client {client_id:?} in realm {realm}")))
}

/// Open a client to every user of the realm, or restrict it to assigned users and groups.
pub async fn set_client_restricted<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    client_id: &str,
    restricted: bool,
    now: OffsetDateTime,
) -> Result<()> {
    let mut c = client_or_error(store, realm, client_id).await?;
    c.restricted = restricted;
    update_client(
        store,
        actor,
        &c,
        if restricted {
            "access restricted to assigned users and groups"
        } else {
            "access open to every user of the realm"
        },
        now,
    )
    .await
}

/// Assign a client to a user or a group (or take the assignment away).
pub async fn assign_client<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    client_id: &str,
    who: &Subject,
    grant: bool,
    now: OffsetDateTime,
) -> Result<()> {
    let c = client_or_error(store, realm, client_id).await?;
    let (a, label) = match who {
        Subject::User(u) => {
            let user = user_or_error(store, realm, u).await?;
            (
                symbolon_store::Assignment::User(user.id),
                format!("user {}", user.username),
            )
        }
        Subject::Group(p) => {
            let g = group_or_error(store, realm, p).await?;
            (
                symbolon_store::Assignment::Group(g.id),
                format!("group {}", g.path),
            )
        }
    };
    if grant {
        store.grant(&c.id, &a).await?;
    } else {
        store.revoke(&c.id, &a).await?;
    }
    let verb = if grant {
        "assigned to"
    } else {
        "unassigned from"
    };
    audit(
        store,
        realm,
        actor,
        Some(&c.client_id),
        format!("client {} {verb} {label}", c.client_id),
        now,
    )
    .await
}

/// A client's access rule, read once: open, or the assigned users and the paths of the
/// assigned groups (members of their subgroups included). Sign-in (`may_use`) and provisioning
/// (`provisioning::desired`) both decide by it.
#[derive(Debug)]
pub(crate) struct AccessRule {
    open: bool,
    users: std::collections::HashSet<String>,
    paths: Vec<String>,
}

impl AccessRule {
    pub(crate) async fn load<S: IdpStore>(store: &S, client: &Client) -> Result<Self> {
        if !client.restricted {
            return Ok(AccessRule {
                open: true,
                users: Default::default(),
                paths: vec![],
            });
        }
        let assignments = store.assignments(&client.id).await?;
        let groups = store.groups(&client.realm).await?;
        let mut rule = AccessRule {
            open: false,
            users: Default::default(),
            paths: vec![],
        };
        for a in assignments {
            match a {
                symbolon_store::Assignment::User(id) => {
                    rule.users.insert(id);
                }
                symbolon_store::Assignment::Group(id) => {
                    if let Some(g) = groups.iter().find(|g| g.id == id) {
                        rule.paths.push(g.path.clone());
                    }
                }
            }
        }
        Ok(rule)
    }

    /// Whether the rule admits the user (by ID) without looking at groups.
    pub(crate) fn admits_directly(&self, user_id: &str) -> bool {
        self.open || self.users.contains(user_id)
    }

    /// Whether the rule admits the user, a direct member of the groups at `paths`.
    pub(crate) fn admits<'p>(
        &self,
        user_id: &str,
        mut paths: impl Iterator<Item = &'p str>,
    ) -> bool {
        self.admits_directly(user_id)
            || paths.any(|p| {
                self.paths.iter().any(|a| {
                    p == a
                        || p.strip_prefix(a.as_str())
                            .is_some_and(|rest| rest.starts_with('/'))
                })
            })
    }
}

/// Whether a user may use a client: open clients admit everyone; restricted ones admit assigned
/// users and members of assigned groups or of their subgroups.
pub async fn may_use<S: IdpStore>(store: &S, client: &Client, user: &User) -> Result<bool> {
    let rule = AccessRule::load(store, client).await?;
    if rule.admits_directly(&user.id) {
        return Ok(true);
    }
    let mine = user_group_paths(store, user).await?;
    Ok(rule.admits(&user.id, mine.iter().map(String::as_str)))
}

/// Who can reach a client, for the administrator: `everyone`, or the assigned users and groups.
pub async fn client_access_summary<S: IdpStore>(store: &S, client: &Client) -> Result<Vec<String>> {
    if !client.restricted {
        return Ok(vec!["everyone in the realm".into()]);
    }
    let users = store.users(&client.realm).await?;
    let groups = store.groups(&client.realm).await?;
    Ok(store
        .assignments(&client.id)
        .await?
        .into_iter()
        .map(|a| match a {
            symbolon_store::Assignment::User(id) => format!(
                "user {}",
                users
                    .iter()
                    .find(|u| u.id == id)
                    .map_or(id.as_str(), |u| u.username.as_str())
            ),
            symbolon_store::Assignment::Group(id) => format!(
                "group {} (and subgroups)",
                groups
                    .iter()
                    .find(|g| g.id == id)
                    .map_or(id.as_str(), |g| g.path.as_str())
            ),
        })
        .collect())
}

/// The persistent pairwise NameID of a user for a client: random and opaque (160 bits), stored
/// the first time and the same ever after; different for every client.
pub async fn persistent_name_id<S: IdpStore>(
    store: &S,
    client: &Client,
    user: &User,
    now: OffsetDateTime,
) -> Result<String> {
    let mut raw = [0u8; 20];
    SystemRandom::new()
        .fill(&mut raw)
        .map_err(|_| IdpError::Crypto("no randomness".into()))?;
    let candidate = format!(
        "_{}",
        raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    Ok(store
        .persistent_id(
            &client.realm,
            &client.client_id,
            &user.id,
            &candidate,
            second(now),
        )
        .await?)
}

/// Import metadata again into an existing client (a certificate rollover, moved endpoints): the
/// endpoints and signing certificates come from the metadata; every setting, mapper and
/// assignment stays. Returns the client as saved and one line per change (empty: nothing
/// changed, nothing recorded).
pub async fn reimport_client<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    client_id: &str,
    metadata: &[u8],
    now: OffsetDateTime,
) -> Result<(Client, Vec<String>, Vec<Finding>)> {
    let mut c = client_or_error(store, realm, client_id).await?;
    let (fresh, findings) = client_from_metadata(realm, metadata, now)?;
    if fresh.client_id != c.client_id {
        return Err(IdpError::Invalid(format!(
            "this metadata is for {:?}, not for the client {:?}",
            fresh.client_id, c.client_id
        )));
    }
    if !fresh.acs.iter().any(|a| a.binding == BINDING_POST) {
        return Err(IdpError::Invalid(
            "the SP has no HTTP-POST AssertionConsumerService: Symbolon answers by POST only"
                .into(),
        ));
    }
    let mut changes = Vec::new();
    let locs = |v: &[ClientEndpoint]| -> Vec<String> {
        v.iter()
            .map(|e| {
                format!(
                    "{} ({})",
                    e.location,
                    e.binding.rsplit(':').next().unwrap_or("")
                )
            })
            .collect()
    };
    for (what, old, new) in [
        ("assertion consumer service", locs(&c.acs), locs(&fresh.acs)),
        ("single logout service", locs(&c.slo), locs(&fresh.slo)),
    ] {
        for gone in old.iter().filter(|o| !new.contains(o)) {
            changes.push(format!("{what} removed: {gone}"));
        }
        for added in new.iter().filter(|n| !old.contains(n)) {
            changes.push(format!("{what} added: {added}"));
        }
    }
    let fp = |v: &[Vec<u8>]| -> Vec<String> {
        v.iter()
            .map(|d| {
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, d)
                    .as_ref()
                    .iter()
                    .take(8)
                    .map(|b| format!("{b:02x}"))
                    .collect()
            })
            .collect()
    };
    let (old_fp, new_fp) = (fp(&c.signing_certs), fp(&fresh.signing_certs));
    for gone in old_fp.iter().filter(|o| !new_fp.contains(o)) {
        changes.push(format!("signing certificate removed: SHA-256 {gone}…"));
    }
    for added in new_fp.iter().filter(|n| !old_fp.contains(n)) {
        changes.push(format!("signing certificate added: SHA-256 {added}…"));
    }
    let (old_enc, new_enc) = (fp(&c.encryption.certs), fp(&fresh.encryption.certs));
    for gone in old_enc.iter().filter(|o| !new_enc.contains(o)) {
        changes.push(format!("encryption certificate removed: SHA-256 {gone}…"));
    }
    for added in new_enc.iter().filter(|n| !old_enc.contains(n)) {
        changes.push(format!("encryption certificate added: SHA-256 {added}…"));
    }
    if changes.is_empty() && c.acs == fresh.acs && c.slo == fresh.slo {
        return Ok((c, changes, findings));
    }
    if changes.is_empty() {
        changes.push("endpoint order or indexes changed".into());
    }
    c.acs = fresh.acs;
    c.slo = fresh.slo;
    c.signing_certs = fresh.signing_certs;
    // The SP's encryption certificates follow its metadata; whether to encrypt stays the
    // administrator's choice (an SP that stops publishing one is no longer encrypted to).
    if fresh.encryption.certs.is_empty() && c.encryption.enabled {
        changes.push("assertion encryption off: the metadata publishes no encryption key".into());
        c.encryption.enabled = false;
    }
    c.encryption.certs = fresh.encryption.certs;
    store.update_client(&c).await?;
    audit(
        store,
        realm,
        actor,
        Some(&c.client_id),
        format!(
            "re-imported metadata into client {}: {}",
            c.client_id,
            changes.join("; ")
        ),
        now,
    )
    .await?;
    Ok((c, changes, findings))
}

/// The data algorithms and key transports a client's encryption may be set to.
pub const ENCRYPTION_ALGORITHMS: [&str; 4] =
    ["aes256-gcm", "aes128-gcm", "aes256-cbc", "aes128-cbc"];
pub const KEY_TRANSPORTS: [&str; 2] = ["rsa-oaep-mgf1p", "rsa-oaep-sha256"];

/// Where and how to encrypt assertions to this client: `None` when encryption is off. On but
/// unusable (no certificate, not RSA, an unknown algorithm) is an error, never a clear assertion.
pub fn client_encryption(
    c: &Client,
) -> Result<
    Option<(
        symbolon_dsig::enc::EncryptionCert,
        symbolon_dsig::enc::EncryptOptions,
    )>,
> {
    use symbolon_dsig::enc::{DataAlgorithm, EncryptOptions, EncryptionCert, KeyTransport};
    let e = &c.encryption;
    if !e.enabled {
        return Ok(None);
    }
    let der = e.certs.first().ok_or_else(|| {
        IdpError::Invalid(format!(
            "assertion encryption is on for {} but it has no encryption certificate",
            c.client_id
        ))
    })?;
    let cert = EncryptionCert::from_der(der)
        .map_err(|err| IdpError::Invalid(format!("{}: {err}", c.client_id)))?;
    let data = match e.data_algorithm.as_str() {
        "aes256-gcm" => DataAlgorithm::Aes256Gcm,
        "aes128-gcm" => DataAlgorithm::Aes128Gcm,
        "aes256-cbc" => DataAlgorithm::Aes256Cbc,
        "aes128-cbc" => DataAlgorithm::Aes128Cbc,
        other => {
            return Err(IdpError::Invalid(format!(
                "unknown encryption algorithm {other:?}"
            )));
        }
    };
    let transport = KeyTransport::from_name(&e.key_transport)
        .ok_or_else(|| IdpError::Invalid(format!("unknown key transport {:?}", e.key_transport)))?;
    Ok(Some((cert, EncryptOptions { data, transport })))
}

#[cfg(test)]
mod tests {
    use super::AccessRule;

    #[test]
    fn access_rule_admits_assigned_users_groups_and_subgroups_only() {
        let rule = AccessRule {
            open: false,
            users: ["u1".to_string()].into(),
            paths: vec!["/eng".into()],
        };
        assert!(rule.admits("u1", std::iter::empty()));
        assert!(rule.admits("u2", ["/eng"].into_iter()));
        assert!(rule.admits("u2", ["/ops", "/eng/backend"].into_iter()));
        assert!(!rule.admits("u2", ["/engineering", "/ops"].into_iter()));
        assert!(!rule.admits_directly("u2"));
        let open = AccessRule {
            open: true,
            users: Default::default(),
            paths: vec![],
        };
        assert!(open.admits_directly("anyone"));
    }
}
