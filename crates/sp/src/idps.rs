//! Identity-provider configurations of an account: added from IdP metadata, renamed, their
//! metadata replaced, removed; group-to-role mappings and the attribute profile.

use crate::accounts::account;
use crate::common::{Actor, Result, SpError, audit, non_empty, second};
use symbolon_saml::lint::lint_entity;
use symbolon_saml::metadata::{BINDING_REDIRECT, IdpTrust, parse_metadata, select_entity};
use symbolon_store::StoreError;
use symbolon_store::sp::{IdpConfig, SpStore};
use time::OffsetDateTime;

/// What an administrator sees after adding an IdP: the parsed metadata and the findings.
#[derive(Debug, Clone)]
pub struct IdpSummary {
    pub config: IdpConfig,
    /// (severity, message)
    pub findings: Vec<(String, String)>,
    /// One line per pinned certificate: subject and expiry, with a warning within 30 days.
    pub certificates: Vec<String>,
}

/// Certificate lines for an administrator (expiry warnings within 30 days).
pub fn describe_certs(certs: &[Vec<u8>], now: OffsetDateTime) -> Vec<String> {
    certs
        .iter()
        .map(|der| match symbolon_dsig::describe_certificate(der) {
            Ok(c) => {
                let until = OffsetDateTime::from_unix_timestamp(c.not_after)
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH);
                let left = until - now;
                let warn = if left.is_negative() {
                    " (EXPIRED)".to_string()
                } else if left < time::Duration::days(30) {
                    format!(" (expires in {} days)", left.whole_days())
                } else {
                    String::new()
                };
                format!("{}, valid until {}{warn}", c.subject, until.date())
            }
            Err(e) => format!("unreadable certificate: {e}"),
        })
        .collect()
}

/// "Add Identity Provider": name, description and the IdP's metadata XML.
pub async fn add_idp<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    name: &str,
    description: Option<&str>,
    metadata_xml: &[u8],
    now: OffsetDateTime,
) -> Result<IdpSummary> {
    account(store, account_id).await?;
    let name = non_empty("the name", name, 100)?;
    let parsed = parse_idp_metadata(metadata_xml, now)?;
    let config = IdpConfig {
        id: uuid::Uuid::new_v4().to_string(),
        account_id: account_id.into(),
        name: name.clone(),
        description: description
            .map(str::to_string)
            .filter(|d| !d.trim().is_empty()),
        entity_id: parsed.entity_id,
        certs: parsed.certs,
        sso_url: parsed.sso_url,
        metadata_xml: String::from_utf8_lossy(metadata_xml).into_owned(),
        name_attribute: None,
        locale_attribute: None,
        timezone_attribute: None,
        role_attribute: None,
        sp_initiated: false,
        allow_cbc: false,
        metadata_source: None,
        created_at: second(now),
    };
    store.create_idp(&config).await.map_err(|e| match e {
        StoreError::Conflict(_) => SpError::Conflict(format!(
            "the account already has an identity provider named {name:?}"
        )),
        other => other.into(),
    })?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("added identity provider {name} ({})", config.entity_id),
        now,
    )
    .await?;
    Ok(IdpSummary {
        certificates: describe_certs(&config.certs, now),
        config,
        findings: parsed.findings,
    })
}

/// What an IdP's metadata gives a configuration.
pub(crate) struct ParsedIdp {
    pub(crate) entity_id: String,
    pub(crate) certs: Vec<Vec<u8>>,
    pub(crate) sso_url: Option<String>,
    pub(crate) findings: Vec<(String, String)>,
}

pub(crate) fn parse_idp_metadata(metadata_xml: &[u8], now: OffsetDateTime) -> Result<ParsedIdp> {
    let entities = parse_metadata(metadata_xml)?;
    let entity = select_entity(entities, None)?;
    let trust = IdpTrust::from_entity(&entity)?;
    let idp = entity.idp.as_ref();
    let sso_url = idp
        .and_then(|i| i.sso(BINDING_REDIRECT))
        .map(|e| e.location.clone());
    let mut certs: Vec<Vec<u8>> = Vec::new();
    for c in idp.into_iter().flat_map(|i| i.signing_certificates()) {
        if !certs.iter().any(|x| x.as_slice() == c) {
            certs.push(c.to_vec());
        }
    }
    let findings = lint_entity(&entity, now)
        .into_iter()
        .map(|f| (format!("{:?}", f.severity).to_lowercase(), f.message))
        .chain(
            trust
                .skipped
                .iter()
                .map(|s| ("warning".to_string(), format!("certificate left out: {s}"))),
        )
        .collect();
    Ok(ParsedIdp {
        entity_id: trust.entity_id,
        certs,
        sso_url,
        findings,
    })
}

/// Replace an IdP configuration's metadata (a rollover, a moved endpoint). Mappings and the
/// mapping profile stay. The entity ID may not change: that is another identity provider.
pub async fn replace_idp_metadata<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    idp_name: &str,
    metadata_xml: &[u8],
    now: OffsetDateTime,
) -> Result<IdpSummary> {
    let mut c = idp_named(store, account_id, idp_name).await?;
    let parsed = parse_idp_metadata(metadata_xml, now)?;
    if parsed.entity_id != c.entity_id {
        return Err(SpError::Invalid(format!(
            "this metadata is for {:?}, not {:?}; add it as another identity provider",
            parsed.entity_id, c.entity_id
        )));
    }
    c.certs = parsed.certs;
    c.sso_url = parsed.sso_url;
    c.metadata_xml = String::from_utf8_lossy(metadata_xml).into_owned();
    store.update_idp(&c).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!(
            "replaced the metadata of {} ({} signing certificates)",
            c.name,
            c.certs.len()
        ),
        now,
    )
    .await?;
    Ok(IdpSummary {
        certificates: describe_certs(&c.certs, now),
        config: c,
        findings: parsed.findings,
    })
}

/// Rename an IdP configuration or change its description.
pub async fn rename_idp<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    idp_name: &str,
    new_name: &str,
    description: Option<&str>,
    now: OffsetDateTime,
) -> Result<IdpConfig> {
    let mut c = idp_named(store, account_id, idp_name).await?;
    let new_name = non_empty("the name", new_name, 100)?;
    if new_name != c.name && idp_named(store, account_id, &new_name).await.is_ok() {
        return Err(SpError::Conflict(format!(
            "the account already has an identity provider named {new_name:?}"
        )));
    }
    let description = description
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    let mut changes = Vec::new();
    if new_name != c.name {
        changes.push(format!("name {:?} -> {new_name:?}", c.name));
    }
    if description != c.description {
        changes.push(format!(
            "description {:?} -> {:?}",
            c.description.as_deref().unwrap_or(""),
            description.as_deref().unwrap_or("")
        ));
    }
    if changes.is_empty() {
        return Ok(c);
    }
    let old = std::mem::replace(&mut c.name, new_name);
    c.description = description;
    store.update_idp(&c).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("changed identity provider {old}: {}", changes.join(", ")),
        now,
    )
    .await?;
    Ok(c)
}

/// Delete an IdP configuration and its mappings.
pub async fn delete_idp<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    idp_name: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let c = idp_named(store, account_id, idp_name).await?;
    store.delete_idp(account_id, &c.id).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!("deleted identity provider {} ({})", c.name, c.entity_id),
        now,
    )
    .await
}

/// An account's IdP configuration by name.
pub async fn idp_named<S: SpStore>(store: &S, account_id: &str, name: &str) -> Result<IdpConfig> {
    store
        .idps(account_id)
        .await?
        .into_iter()
        .find(|i| i.name == name)
        .ok_or_else(|| {
            SpError::NotFound(format!(
                "the account has no identity provider named {name:?}"
            ))
        })
}

/// The mapping profile: which attributes carry the name, locale, time zone and groups.
#[derive(Debug, Clone, Default)]
pub struct MappingProfile {
    pub name: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub role: Option<String>,
    pub sp_initiated: bool,
    /// Accept assertions encrypted with AES-CBC (for an IdP that cannot do AES-GCM).
    pub allow_cbc: bool,
}

/// Save an IdP's mapping profile and SSO mode.
pub async fn set_profile<S: SpStore>(
    store: &S,
    actor: &Actor,
    account_id: &str,
    idp_name: &str,
    p: &MappingProfile,
    now: OffsetDateTime,
) -> Result<()> {
    let mut c = idp_named(store, account_id, idp_name).await?;
    let clean = |v: &Option<String>| {
        v.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let before = c.clone();
    c.name_attribute = clean(&p.name);
    c.locale_attribute = clean(&p.locale);
    c.timezone_attribute = clean(&p.timezone);
    c.role_attribute = clean(&p.role);
    c.sp_initiated = p.sp_initiated;
    c.allow_cbc = p.allow_cbc;
    let shown = |v: &Option<String>| format!("{:?}", v.as_deref().unwrap_or(""));
    let mut changes = Vec::new();
    for (what, old, new) in [
        ("name attribute", &before.name_attribute, &c.name_attribute),
        (
            "locale attribute",
            &before.locale_attribute,
            &c.locale_attribute,
        ),
        (
            "time zone attribute",
            &before.timezone_attribute,
            &c.timezone_attribute,
        ),
        ("role attribute", &before.role_attribute, &c.role_attribute),
    ] {
        if old != new {
            changes.push(format!("{what} {} -> {}", shown(old), shown(new)));
        }
    }
    if before.allow_cbc != c.allow_cbc {
        changes.push(format!(
            "AES-CBC encrypted assertions accepted {} -> {}",
            before.allow_cbc, c.allow_cbc
        ));
    }
    if before.sp_initiated != c.sp_initiated {
        changes.push(format!(
            "SP-initiated only {} -> {}",
            before.sp_initiated, c.sp_initiated
        ));
    }
    if changes.is_empty() {
        return Ok(());
    }
    store.update_idp(&c).await?;
    audit(
        store,
        account_id,
        &actor.0,
        "Admin",
        format!(
            "updated the mapping profile of {}: {}",
            c.name,
            changes.join(", ")
        ),
        now,
    )
    .await
}

/// What an administrator sees of an added identity provider (for the page after adding it):
/// the configuration, its certificates and the findings of its stored metadata.
pub async fn idp_summary<S: SpStore>(
    store: &S,
    account_id: &str,
    id: &str,
    now: OffsetDateTime,
) -> Result<IdpSummary> {
    let config = store
        .idps(account_id)
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or_else(|| SpError::NotFound("there is no such identity provider here".into()))?;
    let findings = parse_idp_metadata(config.metadata_xml.as_bytes(), now)
        .map(|p| p.findings)
        .unwrap_or_default();
    Ok(IdpSummary {
        certificates: describe_certs(&config.certs, now),
        config,
        findings,
    })
}
