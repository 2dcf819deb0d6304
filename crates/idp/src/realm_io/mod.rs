//! A realm as one JSON document: its settings, realm roles, groups (with their roles), users
//! (with their groups and roles, credentials only when asked), SAML clients (with their mappers
//! and who may use them) and key metadata. Field names are Keycloak's realm representation
//! (`RealmRepresentation`, `UserRepresentation`, `GroupRepresentation`, `ClientRepresentation`,
//! `ProtocolMapperRepresentation`) wherever Keycloak has the concept, so a realm exported from
//! Keycloak 26 with SAML clients imports here; what Keycloak has no word for is named in the
//! same style and documented on the field. Fields this product does not know are ignored on
//! import (a Keycloak export has hundreds); OpenID Connect clients are skipped and reported.
//!
//! Import is Keycloak's partial import: every resource in the file is added, or, when it
//! exists, skipped, overwritten or the import fails (`IfExists`). The whole file is checked
//! before the first write (names, references between users, groups, roles and clients,
//! credentials, certificates, keys), so a bad file writes nothing. Overwriting a resource that
//! already matches the file is reported `UNCHANGED` and writes nothing: importing the same file
//! twice changes nothing the second time, which `symbolon apply` relies on.

mod check;
mod export;
mod import;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::kc::{ClientRep, MapperRep};

pub use export::export_realm;
pub use import::import_realm;
pub use symbolon_store::portable::{Action, IfExists, ImportItem, ImportOptions, ImportReport};

fn yes() -> bool {
    true
}

/// `RealmRepresentation`, as far as this product has the concepts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RealmDoc {
    /// The realm's URL name (in a partial import through the API, the path's realm when
    /// absent).
    #[serde(default)]
    pub realm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Symbolon: the default assertion lifespan, in seconds (10-86400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertion_lifespan: Option<i64>,
    /// Symbolon: the sign-in policy (`password`, `second-factor`, `passkey-or-password`,
    /// `passkey-only`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_policy: Option<String>,
    #[serde(default)]
    pub roles: RolesDoc,
    #[serde(default)]
    pub groups: Vec<GroupDoc>,
    #[serde(default)]
    pub users: Vec<UserDoc>,
    #[serde(default)]
    pub clients: Vec<ClientDoc>,
    /// Symbolon: the realm's signing keys (certificate, status; the private key only in an
    /// export with credentials). Imported only into a realm the import creates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyDoc>,
}

/// `RolesRepresentation`: only realm roles (client roles are an OpenID Connect concept here).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RolesDoc {
    #[serde(default)]
    pub realm: Vec<RoleDoc>,
}

/// `RoleRepresentation` (a realm role).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoleDoc {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `GroupRepresentation`: a group with its subgroups and the realm roles granted to it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupDoc {
    /// The last segment of the path.
    pub name: String,
    /// The full path (`/eng/platform`); derived from the parents' names when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub realm_roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion)]
    pub sub_groups: Vec<GroupDoc>,
}

/// `UserRepresentation`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDoc {
    /// The user's ID where it was exported (informative: an import gives new users new IDs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub username: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Multi-valued attributes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, Vec<String>>,
    /// Full paths of the groups the user is a direct member of.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Realm roles granted to the user directly.
    #[serde(default)]
    pub realm_roles: Vec<String>,
    /// A password: `{"type": "password", "value": "..."}` (hashed on import; on an existing
    /// user, set when it is not the user's password already), or as exported with credentials,
    /// the Argon2 hash in `secretData` (`{"value": "$argon2id$..."}`; Keycloak's Argon2 form is
    /// read too), which gives a password only to a user who has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<CredentialDoc>,
}

/// `CredentialRepresentation` (passwords only; authenticator apps and passkeys are not moved).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialDoc {
    #[serde(rename = "type")]
    pub kind: String,
    /// A clear-text password (import only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// JSON text: `{"value": "<PHC string>"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_data: Option<String>,
    /// JSON text: `{"algorithm": "argon2"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_data: Option<String>,
}

/// A SAML client in a realm file: Keycloak's `ClientRepresentation` with its
/// `protocolMappers`, and Symbolon's certificate lists and access.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientDoc {
    #[serde(flatten)]
    pub client: ClientRep,
    #[serde(default)]
    pub protocol_mappers: Vec<MapperRep>,
    /// Symbolon: every certificate the client signs requests with (base64 DER). Keycloak's
    /// `saml.signing.certificate` attribute, read when this is absent, holds one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signing_certificates: Vec<String>,
    /// Symbolon: the client's encryption certificates (base64 DER); Keycloak's
    /// `saml.encryption.certificate` attribute, read when this is absent, holds one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub encryption_certificates: Vec<String>,
    /// Symbolon: who may use the client (absent: everyone in the realm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessDoc>,
}

/// Who may use a restricted client: usernames and group paths.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccessDoc {
    pub restricted: bool,
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// A realm signing key.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyDoc {
    pub kid: String,
    /// `next`, `active`, `passive` or `retired`.
    pub status: String,
    /// `rsa2048`, `rsa3072` or `ec-p256`.
    pub algorithm: String,
    /// Base64 DER.
    pub certificate: String,
    /// When the key was made (RFC 3339).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub created_at: Option<time::OffsetDateTime>,
    /// PKCS#8 PEM (only in an export with credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
}
