//! Records and the store trait of SCIM provisioning into the service provider: users and groups
//! pushed by an account's identity provider (RFC 7643 resources, kept as their JSON document
//! beside the columns they are found and compared by), group membership, and the account's
//! provisioning settings. Every row belongs to one account; membership can only join a user
//! and a group of the same account (a composite foreign key in both databases).

use time::OffsetDateTime;

use crate::Result;

/// A provisioned user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimUser {
    pub id: String,
    pub account_id: String,
    pub user_name: String,
    pub external_id: Option<String>,
    /// The NameID single sign-on expects for this user, lower-cased (from `userName`, or the
    /// attribute the account's settings name).
    pub name_id: String,
    pub active: bool,
    /// Counts changes (the ETag); 1 when created.
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub modified_at: OffsetDateTime,
    /// The resource's attributes as JSON (canonical names; no `id`, `meta`, `groups`).
    pub doc: String,
}

/// What makes two userNames the same in an account: compared without case.
pub fn user_name_key(user_name: &str) -> String {
    user_name.trim().to_lowercase()
}

/// A provisioned group (its members are kept apart, see [`ScimStore::scim_memberships`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimGroup {
    pub id: String,
    pub account_id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub modified_at: OffsetDateTime,
    /// The resource's attributes as JSON, without `members`.
    pub doc: String,
}

/// How an account takes provisioned users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimSettings {
    pub account_id: String,
    /// Where the NameID to expect comes from: `userName`, `emails` (the primary email, else
    /// the first) or `externalId`.
    pub name_source: String,
    /// The role of a provisioned user whom no group mapping gives one (`None`: such a user
    /// has no role and is refused).
    pub default_role_id: Option<String>,
}

impl ScimSettings {
    pub fn default_for(account_id: &str) -> Self {
        ScimSettings {
            account_id: account_id.into(),
            name_source: "userName".into(),
            default_role_id: None,
        }
    }
}

/// Provisioned users and groups, their membership and the account's settings.
pub trait ScimStore {
    /// Every provisioned user of the account, by creation.
    fn scim_users(&self, account_id: &str) -> impl Future<Output = Result<Vec<ScimUser>>> + Send;
    fn scim_user(
        &self,
        account_id: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<ScimUser>>> + Send;
    /// The user whose userName is this (compared without case).
    fn scim_user_by_name(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> impl Future<Output = Result<Option<ScimUser>>> + Send;
    /// `Conflict` when the account has a user of that userName. Forgets a removal of the same
    /// NameID in the same transaction.
    fn create_scim_user(&self, u: &ScimUser) -> impl Future<Output = Result<()>> + Send;
    /// Replace the user if its version is still `expected_version` (compare-and-set): `false`,
    /// with nothing written, when it changed meanwhile; `NotFound` when there is none;
    /// `Conflict` when the new userName is another user's.
    fn replace_scim_user(
        &self,
        u: &ScimUser,
        expected_version: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Delete the user and its memberships, and remember its NameID as removed (single sign-on
    /// stays refused for it until a user with that NameID is provisioned again), in one
    /// transaction; `NotFound` when there is none.
    fn delete_scim_user(
        &self,
        account_id: &str,
        id: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    fn scim_groups(&self, account_id: &str) -> impl Future<Output = Result<Vec<ScimGroup>>> + Send;
    fn scim_group(
        &self,
        account_id: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<ScimGroup>>> + Send;
    /// (group ID, user ID) of every membership in the account.
    fn scim_memberships(
        &self,
        account_id: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>>> + Send;
    /// The groups a user is a member of: (group ID, display name), by display name.
    fn scim_groups_of(
        &self,
        account_id: &str,
        user_id: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>>> + Send;
    /// The user IDs of a group's members, in the order they joined.
    fn scim_group_members(
        &self,
        account_id: &str,
        group_id: &str,
    ) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// Create a group with its members (users of the same account) in one transaction. Every
    /// member's version goes up and its `modified_at` becomes the group's (a user's `groups`
    /// are part of the user): so for each group write below.
    fn create_scim_group(
        &self,
        g: &ScimGroup,
        members: &[String],
    ) -> impl Future<Output = Result<()>> + Send;
    /// Replace a group (compare-and-set on its version, as for users), adding and removing
    /// members in the same transaction.
    fn replace_scim_group(
        &self,
        g: &ScimGroup,
        expected_version: i64,
        add: &[String],
        remove: &[String],
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Delete a group; its members' versions go up, their `modified_at` becomes `at`.
    fn delete_scim_group(
        &self,
        account_id: &str,
        id: &str,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The NameIDs removed by provisioning (see [`ScimStore::delete_scim_user`]).
    fn scim_removed(&self, account_id: &str) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// The account's settings (the defaults when none were set).
    fn scim_settings(&self, account_id: &str) -> impl Future<Output = Result<ScimSettings>> + Send;
    fn set_scim_settings(&self, s: &ScimSettings) -> impl Future<Output = Result<()>> + Send;
}
