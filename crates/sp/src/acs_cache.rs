//! What the ACS decides from, kept in memory per Issuer: every configuration that trusts it with
//! its pinned keys parsed once, its account's name, roles, mappings, SAML accounts and master
//! administrators. Valid while the store's configuration version is unchanged (the database
//! bumps it on every change, so every instance sees every change at its next sign-in).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use symbolon_saml::sp::IdpSettings;
use symbolon_store::StoreError;
use symbolon_store::sp::{AccountRole, GroupMapping, IdpConfig, SpStore};

use crate::common::account_name;

/// One configuration that trusts the Issuer, with what its account grants.
#[derive(Debug)]
pub(crate) struct Trusting {
    pub(crate) config: IdpConfig,
    pub(crate) account_name: String,
    pub(crate) roles: Vec<AccountRole>,
    pub(crate) mappings: Vec<GroupMapping>,
    /// Pre-registered SAML accounts: lower-cased name -> role IDs.
    pub(crate) saml_accounts: HashMap<String, Vec<String>>,
    /// Lower-cased emails of the account's master administrators.
    pub(crate) masters: BTreeSet<String>,
    /// Users provisioned by SCIM: expected NameID (lower-cased) -> state and group names.
    pub(crate) provisioned: HashMap<String, Provisioned>,
    /// NameIDs whose provisioned user was deleted (refused until provisioned again).
    pub(crate) removed: BTreeSet<String>,
    /// The role of a provisioned user whom no mapping gives one.
    pub(crate) default_role: Option<String>,
}

/// What SCIM says of a person.
#[derive(Debug)]
pub(crate) struct Provisioned {
    pub(crate) active: bool,
    /// The display names of the person's provisioned groups.
    pub(crate) groups: Vec<String>,
}

async fn provisioned<S: SpStore>(
    store: &S,
    account_id: &str,
) -> Result<HashMap<String, Provisioned>, StoreError> {
    let mut groups = crate::scim::groups_by_user(store, account_id).await?;
    Ok(store
        .scim_users(account_id)
        .await?
        .into_iter()
        .map(|u| {
            let p = Provisioned {
                active: u.active,
                groups: groups
                    .remove(&u.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(_, name)| name)
                    .collect(),
            };
            (u.name_id, p)
        })
        .collect())
}

/// Everything that trusts one Issuer, with the configurations grouped by equal validation
/// settings (pinned key set, unsolicited responses allowed, ...): a response is validated once
/// per group, however many accounts share it.
#[derive(Debug)]
pub(crate) struct Trust {
    pub(crate) accounts: Vec<Trusting>,
    pub(crate) groups: Vec<(IdpSettings, Vec<usize>)>,
}

impl Trust {
    async fn load<S: SpStore>(store: &S, issuer: &str) -> Result<Self, StoreError> {
        let configs = store.idps_by_entity_id(issuer).await?;
        let mut accounts = Vec::with_capacity(configs.len());
        let mut groups: Vec<(IdpSettings, Vec<usize>)> = Vec::new();
        for config in configs {
            let (certs, _) =
                symbolon_saml::metadata::pin_certificates(config.certs.iter().map(Vec::as_slice));
            let mut settings = IdpSettings::new(config.entity_id.clone(), certs);
            settings.allow_idp_initiated = !config.sp_initiated;
            settings.allow_cbc = config.allow_cbc;
            // The SP metadata says WantAssertionsSigned="true": that promise is kept.
            settings.require_signed_assertion = true;
            let index = accounts.len();
            match groups.iter_mut().find(|(s, _)| *s == settings) {
                Some((_, members)) => members.push(index),
                None => groups.push((settings, vec![index])),
            }
            let mut saml_accounts: HashMap<String, Vec<String>> = HashMap::new();
            for a in store.saml_accounts(&config.account_id).await? {
                saml_accounts.entry(a.name).or_default().push(a.role_id);
            }
            let masters = store
                .native_users(&config.account_id)
                .await?
                .into_iter()
                .filter(|u| u.master)
                .map(|u| u.email.to_lowercase())
                .collect();
            let settings = store.scim_settings(&config.account_id).await?;
            accounts.push(Trusting {
                provisioned: provisioned(store, &config.account_id).await?,
                removed: store
                    .scim_removed(&config.account_id)
                    .await?
                    .into_iter()
                    .collect(),
                default_role: settings.default_role_id,
                account_name: account_name(store, &config.account_id).await?,
                roles: store.account_roles(&config.account_id).await?,
                mappings: store.mappings(&config.id).await?,
                saml_accounts,
                masters,
                config,
            });
        }
        Ok(Trust { accounts, groups })
    }
}

#[derive(Debug, Default)]
struct Cached {
    version: Option<i64>,
    by_issuer: HashMap<String, Arc<Trust>>,
}

/// This process's copy of what the ACS decides from. Holds only issuers that some account
/// trusts (an unknown Issuer is never cached), so its size is bounded by the configuration.
#[derive(Debug, Default)]
pub struct AcsCache {
    inner: Mutex<Cached>,
}

impl AcsCache {
    /// What trusts `issuer` now: one read of the configuration version, and a load from the
    /// store only when it changed or the issuer is new here.
    pub(crate) async fn trust<S: SpStore>(
        &self,
        store: &S,
        issuer: &str,
    ) -> Result<Arc<Trust>, StoreError> {
        let version = store.sp_config_version().await?;
        {
            let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            if c.version != Some(version) {
                c.version = Some(version);
                c.by_issuer.clear();
            }
            if let Some(t) = c.by_issuer.get(issuer) {
                return Ok(t.clone());
            }
        }
        let trust = Arc::new(Trust::load(store, issuer).await?);
        if !trust.accounts.is_empty() {
            let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            // Kept only if no change came in meanwhile (else the next sign-in reloads).
            if c.version == Some(version) {
                c.by_issuer.insert(issuer.to_string(), trust.clone());
            }
        }
        Ok(trust)
    }
}
