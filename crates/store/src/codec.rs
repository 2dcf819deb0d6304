//! Backend-neutral codecs both database backends share: the JSON columns and the small enums
//! stored as text. The backends keep only SQL and the reading of their own row types.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::sp::{AccountRole, ApiKey, IdpConfig, NativeUser};
use crate::{
    AdminToken, Assignment, Client, ClientEndpoint, Group, Mapper, PasskeyRecord, Realm, Result,
    StoreError, User,
};

/// The client's settings as stored in its JSON column.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClientData {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub home_url: Option<String>,
    pub idp_initiated_relay_state: Option<String>,
    pub name_id_format: String,
    pub sign_documents: bool,
    pub sign_assertions: bool,
    pub signature_algorithm: String,
    pub client_signature_required: bool,
    pub assertion_lifespan_secs: Option<i64>,
    pub acs: Vec<ClientEndpoint>,
    pub slo: Vec<ClientEndpoint>,
    pub signing_certs: Vec<String>,
    pub mappers: Vec<Mapper>,
    pub restricted: bool,
    #[serde(default)]
    pub encryption: crate::ClientEncryption,
    #[serde(default)]
    pub metadata_source: Option<crate::MetadataSource>,
    #[serde(default)]
    pub provisioning: Option<crate::provisioning::Provisioning>,
}

/// A list of byte strings as base64 text, for JSON columns.
pub mod b64_list {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let b64 = base64::engine::general_purpose::STANDARD;
        s.collect_seq(v.iter().map(|d| b64.encode(d)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let b64 = base64::engine::general_purpose::STANDARD;
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|t| b64.decode(t).map_err(serde::de::Error::custom))
            .collect()
    }
}

pub fn client_data(c: &Client) -> Result<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    serde_json::to_string(&ClientData {
        name: c.name.clone(),
        description: c.description.clone(),
        enabled: c.enabled,
        home_url: c.home_url.clone(),
        idp_initiated_relay_state: c.idp_initiated_relay_state.clone(),
        name_id_format: c.name_id_format.clone(),
        sign_documents: c.sign_documents,
        sign_assertions: c.sign_assertions,
        signature_algorithm: c.signature_algorithm.clone(),
        client_signature_required: c.client_signature_required,
        assertion_lifespan_secs: c.assertion_lifespan_secs,
        acs: c.acs.clone(),
        slo: c.slo.clone(),
        signing_certs: c.signing_certs.iter().map(|d| b64.encode(d)).collect(),
        mappers: c.mappers.clone(),
        restricted: c.restricted,
        encryption: c.encryption.clone(),
        metadata_source: c.metadata_source.clone(),
        provisioning: c.provisioning.clone(),
    })
    .map_err(|e| StoreError::Backend(e.to_string()))
}

/// The key ID a client's outbound SCIM token is sealed under (binding it to that client).
fn token_kid(client_row_id: &str) -> String {
    format!("scim-token:{client_row_id}")
}

/// The client's JSON data with its outbound SCIM token sealed when the store has a cipher.
pub fn client_data_sealed(c: &Client, cipher: Option<&crate::seal::KeyCipher>) -> Result<String> {
    match &c.provisioning {
        Some(p) if cipher.is_some() => {
            let mut sealed = c.clone();
            if let Some(t) = sealed.provisioning.as_mut() {
                t.token = crate::seal::seal_for_store(cipher, &token_kid(&c.id), &p.token)?;
            }
            client_data(&sealed)
        }
        _ => client_data(c),
    }
}

/// A client read from the store, its outbound SCIM token opened when sealed.
pub fn open_client(mut c: Client, cipher: Option<&crate::seal::KeyCipher>) -> Result<Client> {
    let kid = token_kid(&c.id);
    if let Some(p) = c.provisioning.as_mut() {
        p.token = crate::seal::open_from_store(cipher, &kid, &p.token)?;
    }
    Ok(c)
}

/// The columns of a client row besides its JSON data.
#[derive(Debug)]
pub struct ClientColumns {
    pub id: String,
    pub realm: String,
    pub client_id: String,
    pub url_name: Option<String>,
    pub created_at: OffsetDateTime,
}

/// A client from its row's columns and JSON data.
pub fn client_from_data(cols: ClientColumns, data: &str) -> Result<Client> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let d: ClientData =
        serde_json::from_str(data).map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(Client {
        id: cols.id,
        realm: cols.realm,
        client_id: cols.client_id,
        idp_initiated_url_name: cols.url_name,
        name: d.name,
        description: d.description,
        enabled: d.enabled,
        home_url: d.home_url,
        idp_initiated_relay_state: d.idp_initiated_relay_state,
        name_id_format: d.name_id_format,
        sign_documents: d.sign_documents,
        sign_assertions: d.sign_assertions,
        signature_algorithm: d.signature_algorithm,
        client_signature_required: d.client_signature_required,
        assertion_lifespan_secs: d.assertion_lifespan_secs,
        acs: d.acs,
        slo: d.slo,
        signing_certs: d
            .signing_certs
            .iter()
            .map(|s| {
                b64.decode(s)
                    .map_err(|e| StoreError::Backend(e.to_string()))
            })
            .collect::<Result<_>>()?,
        mappers: d.mappers,
        restricted: d.restricted,
        encryption: d.encryption,
        metadata_source: d.metadata_source,
        provisioning: d.provisioning,
        created_at: cols.created_at,
    })
}

/// An assignment as its stored (kind, id) pair.
pub fn assignment_parts(a: &Assignment) -> (&'static str, &str) {
    match a {
        Assignment::User(id) => ("user", id.as_str()),
        Assignment::Group(id) => ("group", id.as_str()),
    }
}

/// An assignment from its stored (kind, id) pair.
pub fn assignment_of(kind: &str, id: String) -> Assignment {
    if kind == "user" {
        Assignment::User(id)
    } else {
        Assignment::Group(id)
    }
}

/// A row of either backend, read by column name. Each backend wraps its row type and says how
/// it stores a flag (SQLite: an integer, PostgreSQL: a boolean); times are Unix seconds in both.
pub trait Columns {
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn int(&self, col: &str) -> Result<i64>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    fn flag(&self, col: &str) -> Result<bool>;
    fn bytes(&self, col: &str) -> Result<Vec<u8>>;

    /// A time stored as Unix seconds.
    fn time(&self, col: &str) -> Result<OffsetDateTime> {
        Ok(from_unix(self.int(col)?))
    }
    fn opt_time(&self, col: &str) -> Result<Option<OffsetDateTime>> {
        Ok(self.opt_int(col)?.map(from_unix))
    }
}

/// A stored Unix time (an impossible one reads as the epoch rather than failing the row).
pub fn from_unix(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

pub fn event_row(r: &impl Columns) -> Result<crate::Event> {
    Ok(crate::Event {
        realm: r.text("realm")?,
        at: r.time("at")?,
        kind: r.text("kind")?,
        actor: r.opt_text("actor")?,
        client_id: r.opt_text("client_id")?,
        detail: r.text("detail")?,
    })
}

pub fn realm_row(r: &impl Columns) -> Result<Realm> {
    Ok(Realm {
        name: r.text("name")?,
        display_name: r.text("display_name")?,
        enabled: r.flag("enabled")?,
        assertion_lifespan_secs: r.int("assertion_lifespan_secs")?,
        created_at: r.time("created_at")?,
    })
}

/// A realm key or a client's key (`realm_keys`, `client_keys`); `open` unseals the stored private
/// key (the store's cipher, bound to the key ID).
pub fn key_row(
    r: &impl Columns,
    open: impl FnOnce(&str, &str) -> Result<String>,
) -> Result<crate::RealmKey> {
    let status = r.text("status")?;
    let kid = r.text("kid")?;
    let stored = r.text("private_key_pem")?;
    Ok(crate::RealmKey {
        private_key_pem: crate::Secret(open(&kid, &stored)?),
        kid,
        realm: r.text("realm")?,
        status: crate::KeyStatus::parse(&status)
            .ok_or_else(|| crate::StoreError::Backend(format!("bad key status {status:?}")))?,
        algorithm: r.text("algorithm")?,
        certificate_der: r.bytes("certificate_der")?,
        created_at: r.time("created_at")?,
    })
}

/// An SP account's SAML user (`sp_saml_users`).
pub fn saml_user_row(r: &impl Columns) -> Result<crate::sp::SamlUser> {
    Ok(crate::sp::SamlUser {
        id: r.text("id")?,
        account_id: r.text("account_id")?,
        name_id: r.text("name_id")?,
        last_role: r.text("last_role")?,
        last_logon: r.time("last_logon")?,
    })
}

/// An SP audit-log entry (`sp_audit`).
pub fn audit_row(r: &impl Columns) -> Result<crate::sp::AuditEntry> {
    Ok(crate::sp::AuditEntry {
        account_id: r.text("account_id")?,
        at: r.time("at")?,
        principal: r.text("principal")?,
        action: r.text("action")?,
        detail: r.text("detail")?,
    })
}

pub fn user_row(r: &impl Columns) -> Result<User> {
    Ok(User {
        id: r.text("id")?,
        realm: r.text("realm")?,
        username: r.text("username")?,
        email: r.opt_text("email")?,
        first_name: r.opt_text("first_name")?,
        last_name: r.opt_text("last_name")?,
        enabled: r.flag("enabled")?,
        attributes: serde_json::from_str(&r.text("attributes")?).map_err(json_err)?,
        created_at: r.time("created_at")?,
    })
}

pub fn client_row(r: &impl Columns) -> Result<Client> {
    client_from_data(
        ClientColumns {
            id: r.text("id")?,
            realm: r.text("realm")?,
            client_id: r.text("client_id")?,
            url_name: r.opt_text("url_name")?,
            created_at: r.time("created_at")?,
        },
        &r.text("data")?,
    )
}

pub fn token_row(r: &impl Columns) -> Result<AdminToken> {
    Ok(AdminToken {
        id: r.text("id")?,
        name: r.text("name")?,
        token_sha256: r.text("token_sha256")?,
        created_at: r.time("created_at")?,
        revoked: r.flag("revoked")?,
    })
}

pub fn group_row(r: &impl Columns) -> Result<Group> {
    Ok(Group {
        id: r.text("id")?,
        realm: r.text("realm")?,
        path: r.text("path")?,
    })
}

pub fn passkey_row(r: &impl Columns) -> Result<PasskeyRecord> {
    Ok(PasskeyRecord {
        id: r.text("id")?,
        user_id: r.text("user_id")?,
        credential_id: r.text("credential_id")?,
        name: r.text("name")?,
        passkey: r.text("passkey")?,
        sign_count: u32::try_from(r.int("sign_count")?).unwrap_or(u32::MAX),
        backup_eligible: r.flag("backup_eligible")?,
        backup_state: r.flag("backup_state")?,
        created_at: r.time("created_at")?,
        last_used: r.opt_time("last_used")?,
        flagged_at: r.opt_time("flagged_at")?,
    })
}

pub fn role_row(r: &impl Columns) -> Result<AccountRole> {
    Ok(AccountRole {
        id: r.text("id")?,
        account_id: r.text("account_id")?,
        name: r.text("name")?,
        builtin: r.flag("builtin")?,
    })
}

pub fn native_user_row(r: &impl Columns) -> Result<NativeUser> {
    Ok(NativeUser {
        id: r.text("id")?,
        account_id: r.text("account_id")?,
        email: r.text("email")?,
        display_name: r.opt_text("display_name")?,
        master: r.flag("master")?,
        role_id: r.opt_text("role_id")?,
        created_at: r.time("created_at")?,
    })
}

/// Certificates (DER) as the JSON list of base64 strings an IdP configuration stores.
pub fn certs_text(certs: &[Vec<u8>]) -> Result<String> {
    let b64: Vec<String> = certs
        .iter()
        .map(|c| base64::engine::general_purpose::STANDARD.encode(c))
        .collect();
    serde_json::to_string(&b64).map_err(json_err)
}

/// The certificates of [`certs_text`] back.
pub fn certs_of(text: &str) -> Result<Vec<Vec<u8>>> {
    let b64: Vec<String> = serde_json::from_str(text).map_err(json_err)?;
    b64.iter()
        .map(|c| {
            base64::engine::general_purpose::STANDARD
                .decode(c)
                .map_err(|e| StoreError::Backend(e.to_string()))
        })
        .collect()
}

pub fn idp_row(r: &impl Columns) -> Result<IdpConfig> {
    Ok(IdpConfig {
        id: r.text("id")?,
        account_id: r.text("account_id")?,
        name: r.text("name")?,
        description: r.opt_text("description")?,
        entity_id: r.text("entity_id")?,
        certs: certs_of(&r.text("certs")?)?,
        sso_url: r.opt_text("sso_url")?,
        metadata_xml: r.text("metadata_xml")?,
        name_attribute: r.opt_text("name_attribute")?,
        locale_attribute: r.opt_text("locale_attribute")?,
        timezone_attribute: r.opt_text("timezone_attribute")?,
        role_attribute: r.opt_text("role_attribute")?,
        sp_initiated: r.flag("sp_initiated")?,
        allow_cbc: r.flag("allow_cbc")?,
        metadata_source: match r.opt_text("metadata_source")? {
            None => None,
            Some(t) => {
                Some(serde_json::from_str(&t).map_err(|e| StoreError::Backend(e.to_string()))?)
            }
        },
        created_at: r.time("created_at")?,
    })
}

pub fn api_key_row(r: &impl Columns) -> Result<ApiKey> {
    Ok(ApiKey {
        id: r.text("id")?,
        account_id: r.text("account_id")?,
        name: r.text("name")?,
        key_sha256: r.text("key_sha256")?,
        created_at: r.time("created_at")?,
        revoked: r.flag("revoked")?,
        scope: r.text("scope")?,
    })
}

pub fn scim_user_row(r: &impl Columns) -> Result<crate::scim::ScimUser> {
    Ok(crate::scim::ScimUser {
        id: r.text("id")?,
        account_id: r.text("account_id")?,
        user_name: r.text("user_name")?,
        external_id: r.opt_text("external_id")?,
        name_id: r.text("name_id")?,
        active: r.flag("active")?,
        version: r.int("version")?,
        created_at: r.time("created_at")?,
        modified_at: r.time("modified_at")?,
        doc: r.text("doc")?,
    })
}

pub fn scim_group_row(r: &impl Columns) -> Result<crate::scim::ScimGroup> {
    Ok(crate::scim::ScimGroup {
        id: r.text("id")?,
        account_id: r.text("account_id")?,
        display_name: r.text("display_name")?,
        external_id: r.opt_text("external_id")?,
        version: r.int("version")?,
        created_at: r.time("created_at")?,
        modified_at: r.time("modified_at")?,
        doc: r.text("doc")?,
    })
}

/// `Ok` when a write touched a row, else `NotFound(what, key)`: how every backend reports an
/// update or delete of something that is not there.
pub fn found(rows_affected: u64, what: &'static str, key: &str) -> Result<()> {
    if rows_affected == 0 {
        Err(crate::StoreError::NotFound(what, key.to_string()))
    } else {
        Ok(())
    }
}

/// A metadata source as its stored JSON text.
pub fn source_text(s: &Option<crate::MetadataSource>) -> Result<Option<String>> {
    s.as_ref()
        .map(|s| serde_json::to_string(s).map_err(|e| StoreError::Backend(e.to_string())))
        .transpose()
}

pub fn scim_link_row(r: &impl Columns) -> Result<crate::provisioning::ScimLink> {
    Ok(crate::provisioning::ScimLink {
        client_id: r.text("client_id")?,
        kind: r.text("kind")?,
        local_id: r.text("local_id")?,
        remote_id: r.text("remote_id")?,
        digest: r.text("digest")?,
        active: r.flag("active")?,
    })
}

/// A provisioning status from its JSON column (the default when there is none yet).
pub fn provisioning_status_of(
    data: Option<&str>,
) -> Result<crate::provisioning::ProvisioningStatus> {
    match data {
        None => Ok(Default::default()),
        Some(d) => serde_json::from_str(d).map_err(json_err),
    }
}

pub fn provisioning_status_text(s: &crate::provisioning::ProvisioningStatus) -> Result<String> {
    serde_json::to_string(s).map_err(json_err)
}
