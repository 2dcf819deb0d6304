//! Realm roles (granted to users and to groups) and a client's protocol mappers. Roles granted to
//! a group are held by its members and by the members of its subgroups, as in Keycloak; the
//! role-list mapper puts a user's roles into the assertion.

use std::collections::BTreeSet;

use symbolon_store::{Assignment, IdpStore, Mapper, MapperSource, Role, User};
use time::OffsetDateTime;

use crate::clients::{Subject, client_or_error, update_client};
use crate::common::{Actor, IdpError, Result, audit, valid_name};
use crate::groups::{group_or_error, user_group_paths};
use crate::realms::realm_or_404;
use crate::users::user_or_error;

/// Create a realm role.
pub async fn add_role<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    name: &str,
    description: Option<&str>,
    now: OffsetDateTime,
) -> Result<Role> {
    realm_or_404(store, realm).await?;
    valid_name(name, "role name")?;
    if store.roles(realm).await?.iter().any(|r| r.name == name) {
        return Err(IdpError::Conflict(format!(
            "a role named {name:?} already exists in realm {realm}"
        )));
    }
    let role = Role {
        id: uuid::Uuid::new_v4().to_string(),
        realm: realm.into(),
        name: name.into(),
        description: description
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string),
    };
    store.create_role(&role).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("created role {name}"),
        now,
    )
    .await?;
    Ok(role)
}

/// Delete a realm role and every grant of it.
pub async fn delete_role<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    name: &str,
    now: OffsetDateTime,
) -> Result<()> {
    realm_or_404(store, realm).await?;
    role_or_error(store, realm, name).await?;
    store.delete_role(realm, name).await?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("deleted role {name}"),
        now,
    )
    .await
}

async fn role_or_error<S: IdpStore>(store: &S, realm: &str, name: &str) -> Result<Role> {
    store
        .roles(realm)
        .await?
        .into_iter()
        .find(|r| r.name == name)
        .ok_or_else(|| IdpError::Invalid(format!("no role {name:?} in realm {realm}")))
}

/// Grant a role to a user or a group (or take it back).
pub async fn grant_role<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    role: &str,
    who: &Subject,
    grant: bool,
    now: OffsetDateTime,
) -> Result<()> {
    realm_or_404(store, realm).await?;
    let r = role_or_error(store, realm, role).await?;
    let (a, label) = match who {
        Subject::User(u) => {
            let user = user_or_error(store, realm, u).await?;
            (Assignment::User(user.id), format!("user {}", user.username))
        }
        Subject::Group(p) => {
            let g = group_or_error(store, realm, p).await?;
            (Assignment::Group(g.id), format!("group {}", g.path))
        }
    };
    let detail = if grant {
        store.grant_role(&r.id, &a).await?;
        format!("granted role {} to {label}", r.name)
    } else {
        store.revoke_role(&r.id, &a).await?;
        format!("revoked role {} from {label}", r.name)
    };
    audit(store, realm, actor, None, detail, now).await
}

/// The roles a user holds: granted directly, or to one of their groups or an ancestor of one
/// (`/eng` grants reach members of `/eng/platform`; `/engineering` is not under `/eng`).
pub async fn user_roles<S: IdpStore>(store: &S, user: &User) -> Result<Vec<String>> {
    let grants = store.role_grants(&user.realm).await?;
    if grants.is_empty() {
        return Ok(vec![]);
    }
    let groups = store.groups(&user.realm).await?;
    let mine = user_group_paths(store, user).await?;
    let mut out = BTreeSet::new();
    for (role, holder) in grants {
        let holds = match &holder {
            Assignment::User(id) => *id == user.id,
            Assignment::Group(id) => groups.iter().any(|g| {
                g.id == *id
                    && mine
                        .iter()
                        .any(|p| *p == g.path || p.starts_with(&format!("{}/", g.path)))
            }),
        };
        if holds {
            out.insert(role);
        }
    }
    Ok(out.into_iter().collect())
}

/// Who holds each role of a realm, for the administrator: (role, `user NAME` / `group /PATH`).
pub async fn role_holders<S: IdpStore>(store: &S, realm: &str) -> Result<Vec<(String, String)>> {
    let users = store.users(realm).await?;
    let groups = store.groups(realm).await?;
    Ok(store
        .role_grants(realm)
        .await?
        .into_iter()
        .map(|(role, a)| {
            let who = match a {
                Assignment::User(id) => format!(
                    "user {}",
                    users
                        .iter()
                        .find(|u| u.id == id)
                        .map_or(id.as_str(), |u| u.username.as_str())
                ),
                Assignment::Group(id) => format!(
                    "group {}",
                    groups
                        .iter()
                        .find(|g| g.id == id)
                        .map_or(id.as_str(), |g| g.path.as_str())
                ),
            };
            (role, who)
        })
        .collect())
}

/// The NameFormats a mapper may declare.
pub const NAME_FORMATS: [&str; 3] = [
    "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
    "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
    "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified",
];

/// A NameFormat from its short name (`basic`, `uri`, `unspecified`) or its URI; empty means none.
pub fn name_format(word: &str) -> Result<Option<String>> {
    let w = word.trim();
    if w.is_empty() {
        return Ok(None);
    }
    NAME_FORMATS
        .iter()
        .find(|u| **u == w || u.rsplit(':').next() == Some(w))
        .map(|u| Some(u.to_string()))
        .ok_or_else(|| {
            IdpError::Invalid(format!(
                "unknown NameFormat {w:?} (basic, uri or unspecified)"
            ))
        })
}

/// User properties a mapper can read.
pub const USER_PROPERTIES: [&str; 4] = ["username", "email", "firstName", "lastName"];

/// Parse a mapper source from its kind and parameter, as the console, API and CLI name them:
/// `user-attribute` (attribute name), `user-property` (one of [`USER_PROPERTIES`]),
/// `group-list` / `group-list-full`, `role-list`, `hardcoded` (the value).
pub fn mapper_source(kind: &str, param: &str) -> Result<MapperSource> {
    let param = param.trim();
    let need = |what: &str| -> Result<String> {
        if param.is_empty() {
            Err(IdpError::Invalid(format!("a {kind} mapper needs {what}")))
        } else if param.len() > 256 {
            Err(IdpError::Invalid(format!("{what} is too long")))
        } else {
            Ok(param.to_string())
        }
    };
    Ok(match kind {
        "user-attribute" => MapperSource::UserAttribute {
            attribute: need("a user attribute name")?,
        },
        "user-property" => {
            let p = need("a user property")?;
            if !USER_PROPERTIES.contains(&p.as_str()) {
                return Err(IdpError::Invalid(format!(
                    "unknown user property {p:?} (username, email, firstName, lastName)"
                )));
            }
            MapperSource::UserProperty { property: p }
        }
        "group-list" => MapperSource::GroupList { full_path: false },
        "group-list-full" => MapperSource::GroupList { full_path: true },
        "role-list" => MapperSource::RoleList,
        "hardcoded" => MapperSource::Hardcoded {
            value: need("a value")?,
        },
        other => {
            return Err(IdpError::Invalid(format!(
                "unknown mapper type {other:?} (user-attribute, user-property, group-list, \
                 group-list-full, role-list, hardcoded)"
            )));
        }
    })
}

/// The kind and parameter of a mapper source (the inverse of [`mapper_source`]).
pub fn mapper_kind(source: &MapperSource) -> (&'static str, String) {
    match source {
        MapperSource::UserAttribute { attribute } => ("user-attribute", attribute.clone()),
        MapperSource::UserProperty { property } => ("user-property", property.clone()),
        MapperSource::GroupList { full_path: false } => ("group-list", String::new()),
        MapperSource::GroupList { full_path: true } => ("group-list-full", String::new()),
        MapperSource::RoleList => ("role-list", String::new()),
        MapperSource::Hardcoded { value } => ("hardcoded", value.clone()),
    }
}

/// Add a protocol mapper to a client. The SAML attribute name must be new on the client.
pub async fn add_mapper<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    client_id: &str,
    mapper: Mapper,
    now: OffsetDateTime,
) -> Result<()> {
    let mut c = client_or_error(store, realm, client_id).await?;
    let attr = mapper.saml_attribute.trim();
    if attr.is_empty() || attr.len() > 256 || attr.chars().any(char::is_control) {
        return Err(IdpError::Invalid(
            "the SAML attribute name must be 1-256 printable characters".into(),
        ));
    }
    if let Some(f) = &mapper.name_format
        && !NAME_FORMATS.contains(&f.as_str())
    {
        return Err(IdpError::Invalid(format!(
            "unknown NameFormat {f:?} (basic, uri or unspecified)"
        )));
    }
    if c.mappers.iter().any(|m| m.saml_attribute == attr) {
        return Err(IdpError::Conflict(format!(
            "the client already has a mapper for the SAML attribute {attr:?}"
        )));
    }
    let name = if mapper.name.trim().is_empty() {
        attr.to_string()
    } else {
        mapper.name.trim().to_string()
    };
    if c.mappers.iter().any(|m| m.name == name) {
        return Err(IdpError::Conflict(format!(
            "the client already has a mapper named {name:?}"
        )));
    }
    let what = format!("added mapper {name} -> {attr}");
    c.mappers.push(Mapper {
        name,
        saml_attribute: attr.to_string(),
        ..mapper
    });
    update_client(store, actor, &c, &what, now).await
}

/// Remove a client's mapper by name.
pub async fn remove_mapper<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    client_id: &str,
    name: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let mut c = client_or_error(store, realm, client_id).await?;
    let before = c.mappers.len();
    c.mappers.retain(|m| m.name != name);
    if c.mappers.len() == before {
        return Err(IdpError::Invalid(format!(
            "client {client_id} has no mapper named {name:?}"
        )));
    }
    update_client(store, actor, &c, &format!("removed mapper {name}"), now).await
}

/// Change a client's mapper (named `name`): its SAML attribute, NameFormat and source. Returns
/// whether anything changed (nothing is recorded otherwise).
pub async fn edit_mapper<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    client_id: &str,
    name: &str,
    new: Mapper,
    now: OffsetDateTime,
) -> Result<bool> {
    let mut c = client_or_error(store, realm, client_id).await?;
    let attr = new.saml_attribute.trim().to_string();
    if attr.is_empty() || attr.len() > 256 || attr.chars().any(char::is_control) {
        return Err(IdpError::Invalid(
            "the SAML attribute name must be 1-256 printable characters".into(),
        ));
    }
    if let Some(f) = &new.name_format
        && !NAME_FORMATS.contains(&f.as_str())
    {
        return Err(IdpError::Invalid(format!(
            "unknown NameFormat {f:?} (basic, uri or unspecified)"
        )));
    }
    if !c.mappers.iter().any(|m| m.name == name) {
        return Err(IdpError::NotFound(format!(
            "client {client_id} has no mapper named {name:?}"
        )));
    }
    if c.mappers
        .iter()
        .any(|m| m.name != name && m.saml_attribute == attr)
    {
        return Err(IdpError::Conflict(format!(
            "the client already has another mapper for the SAML attribute {attr:?}"
        )));
    }
    let Some(m) = c.mappers.iter_mut().find(|m| m.name == name) else {
        return Err(IdpError::NotFound(format!(
            "client {client_id} has no mapper named {name:?}"
        )));
    };
    let before = m.clone();
    m.saml_attribute = attr;
    m.name_format = new.name_format;
    m.source = new.source;
    if new.friendly_name.is_some() {
        m.friendly_name = new.friendly_name;
    }
    if *m == before {
        return Ok(false);
    }
    let (old_kind, old_param) = mapper_kind(&before.source);
    let (kind, param) = mapper_kind(&m.source);
    let what = format!(
        "changed mapper {name}: {} <- {old_kind} {old_param:?} to {} <- {kind} {param:?}",
        before.saml_attribute, m.saml_attribute
    );
    update_client(store, actor, &c, &what, now).await?;
    Ok(true)
}

/// Rename a realm role; its grants stay, and assertions carry the new name from now on.
/// Returns whether anything changed.
pub async fn rename_role<S: IdpStore>(
    store: &S,
    actor: &Actor,
    realm: &str,
    name: &str,
    new_name: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let new_name = new_name.trim();
    valid_name(new_name, "role name")?;
    if !store.roles(realm).await?.iter().any(|r| r.name == name) {
        return Err(IdpError::NotFound(format!(
            "no role {name:?} in realm {realm}"
        )));
    }
    if name == new_name {
        return Ok(false);
    }
    store
        .rename_role(realm, name, new_name)
        .await
        .map_err(|e| match e {
            symbolon_store::StoreError::Conflict(_) => {
                IdpError::Conflict(format!("realm {realm} already has a role {new_name:?}"))
            }
            other => other.into(),
        })?;
    audit(
        store,
        realm,
        actor,
        None,
        format!("renamed role {name} to {new_name}"),
        now,
    )
    .await?;
    Ok(true)
}
