//! Outbound SCIM provisioning from the identity provider: per client, where its users and groups
//! are pushed (kept with the client, see [`crate::Client::provisioning`]), which remote resource
//! each local user and group became (a link with the digest of what was last sent), and how
//! the last runs went.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Result;

/// Where a client's users are provisioned.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provisioning {
    /// The SCIM base URL (the one `/Users` and `/Groups` hang off).
    pub url: String,
    /// The bearer token the SCIM service provider issued.
    pub token: String,
    /// A user who may no longer use the client is deleted (true) or deactivated (false).
    #[serde(default)]
    pub delete_removed: bool,
    /// Plain `http://` allowed (HTTPS is required otherwise).
    #[serde(default)]
    pub allow_http: bool,
}

impl std::fmt::Debug for Provisioning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provisioning")
            .field("url", &self.url)
            .field("token", &"..")
            .field("delete_removed", &self.delete_removed)
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

/// A local user or group and the remote resource it was provisioned as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimLink {
    pub client_id: String,
    /// `user` or `group`.
    pub kind: String,
    pub local_id: String,
    pub remote_id: String,
    /// SHA-256 of the representation last sent (hex).
    pub digest: String,
    /// Whether the remote user is active (a removed user is deactivated, not deleted, unless
    /// the client says so).
    pub active: bool,
}

/// How provisioning of a client went, for its administrators.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisioningStatus {
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_run: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_success: Option<OffsetDateTime>,
    /// The last run's error, if it failed.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Failed runs in a row (the backoff grows with them).
    #[serde(default)]
    pub failures: u32,
    /// No run before then (backoff after failures).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub next_attempt: Option<OffsetDateTime>,
    /// Remote users and groups linked, active users among them.
    #[serde(default)]
    pub users: u32,
    #[serde(default)]
    pub active_users: u32,
    #[serde(default)]
    pub groups: u32,
    /// Changes the last run did not get to (an error stopped it).
    #[serde(default)]
    pub pending: u32,
    /// Changes made by the last run.
    #[serde(default)]
    pub changed: u32,
    /// The last full reconcile, and what it found changed at the remote end.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_reconcile: Option<OffsetDateTime>,
    #[serde(default)]
    pub drift: u32,
    /// The `idp_config_version` the last successful run computed from: while it is unchanged
    /// (and no reconcile is due), a run has nothing to do and is skipped.
    #[serde(default)]
    pub seen_version: Option<i64>,
}

/// Links and status of outbound provisioning.
pub trait ProvisioningStore {
    fn scim_links(&self, client_id: &str) -> impl Future<Output = Result<Vec<ScimLink>>> + Send;
    /// Insert or replace the link of (client, kind, local ID).
    fn put_scim_link(&self, link: &ScimLink) -> impl Future<Output = Result<()>> + Send;
    fn delete_scim_link(
        &self,
        client_id: &str,
        kind: &str,
        local_id: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    fn provisioning_status(
        &self,
        client_id: &str,
    ) -> impl Future<Output = Result<ProvisioningStatus>> + Send;
    /// A number that changes whenever users, groups, memberships, clients or client access
    /// change (database triggers), read once per provisioning run.
    fn idp_config_version(&self) -> impl Future<Output = Result<i64>> + Send;
    fn set_provisioning_status(
        &self,
        client_id: &str,
        status: &ProvisioningStatus,
    ) -> impl Future<Output = Result<()>> + Send;
}
