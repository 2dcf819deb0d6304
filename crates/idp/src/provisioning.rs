//! Outbound SCIM provisioning of a client's users (RFC 7644, the IdP as the SCIM client): who
//! should exist at the service provider (the realm's enabled users the client's access rules
//! admit), in what representation (userName from the client's NameID source, names, email,
//! locale, time zone, groups), and the plan that brings the remote side there from what was
//! last sent (the links). No HTTP here: the HTTP crate runs the plan and records the links.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};
use symbolon_store::provisioning::ScimLink;
use symbolon_store::{Client, IdpStore, MapperSource, User};

use crate::common::Result;

pub const LINK_USER: &str = "user";
pub const LINK_GROUP: &str = "group";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// A group to provision: its display name (what the SP's group mappings match) and members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredGroup {
    pub display: String,
    /// Local user IDs.
    pub members: Vec<String>,
}

/// What should exist at the service provider.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Desired {
    /// Local user ID -> the User resource to send.
    pub users: BTreeMap<String, Value>,
    /// Local group ID -> the group.
    pub groups: BTreeMap<String, DesiredGroup>,
}

/// The SHA-256 of a representation (what is compared with the link's digest).
pub fn digest(v: &Value) -> String {
    symbolon_secret::hex_sha256(&v.to_string())
}

/// The User resource sent for `user`.
pub fn user_resource(client: &Client, user: &User) -> Value {
    let user_name = match client.name_id_format.as_str() {
        symbolon_saml::messages::NAMEID_EMAIL => {
            user.email.clone().unwrap_or_else(|| user.username.clone())
        }
        _ => user.username.clone(),
    };
    // A value the client's mappers give a SAML attribute of one of these names (what the
    // service provider already reads from assertions), else the user attribute of that name.
    let attr = |names: &[&str]| {
        mapped(client, user, names).or_else(|| {
            user.attributes
                .iter()
                .find(|(k, _)| names.contains(&k.as_str()))
                .map(|(_, v)| v.clone())
        })
    };
    let mut o = Map::new();
    o.insert("schemas".into(), json!([USER_SCHEMA]));
    o.insert("userName".into(), json!(user_name));
    o.insert("externalId".into(), json!(user.id));
    let mut name = Map::new();
    if let Some(g) = &user.first_name {
        name.insert("givenName".into(), json!(g));
    }
    if let Some(f) = &user.last_name {
        name.insert("familyName".into(), json!(f));
    }
    let display = mapped(client, user, &["displayName", "name", "cn"]).unwrap_or_else(|| {
        match (&user.first_name, &user.last_name) {
            (Some(g), Some(f)) => format!("{g} {f}"),
            (Some(n), None) | (None, Some(n)) => n.clone(),
            (None, None) => user.username.clone(),
        }
    });
    if !name.is_empty() {
        o.insert("name".into(), Value::Object(name));
    }
    o.insert("displayName".into(), json!(display));
    if let Some(e) = &user.email {
        o.insert(
            "emails".into(),
            json!([{"value": e, "type": "work", "primary": true}]),
        );
    }
    if let Some(l) = attr(&["locale"]) {
        o.insert("locale".into(), json!(l));
    }
    if let Some(t) = attr(&["timezone", "tz", "zoneinfo"]) {
        o.insert("timezone".into(), json!(t));
    }
    o.insert("active".into(), json!(true));
    Value::Object(o)
}

/// The value a mapper of the client gives the SAML attribute named one of `names` (by name or
/// friendly name, without case), for mappers that give a single value of the user.
fn mapped(client: &Client, user: &User, names: &[&str]) -> Option<String> {
    let m = client.mappers.iter().find(|m| {
        names.iter().any(|n| {
            m.saml_attribute.eq_ignore_ascii_case(n)
                || m.friendly_name
                    .as_deref()
                    .is_some_and(|f| f.eq_ignore_ascii_case(n))
        })
    })?;
    match &m.source {
        MapperSource::UserAttribute { attribute } => user
            .attributes
            .iter()
            .find(|(k, _)| k == attribute)
            .map(|(_, v)| v.clone()),
        MapperSource::UserProperty { property } => match property.as_str() {
            "username" => Some(user.username.clone()),
            "email" => user.email.clone(),
            "firstName" => user.first_name.clone(),
            "lastName" => user.last_name.clone(),
            _ => None,
        },
        MapperSource::Hardcoded { value } => Some(value.clone()),
        MapperSource::GroupList { .. } | MapperSource::RoleList => None,
    }
}

/// The Group resource sent for a group, with its members' remote IDs.
pub fn group_resource(display: &str, local_id: &str, remote_members: &[String]) -> Value {
    let mut o = Map::new();
    o.insert("schemas".into(), json!([GROUP_SCHEMA]));
    o.insert("displayName".into(), json!(display));
    o.insert("externalId".into(), json!(local_id));
    if !remote_members.is_empty() {
        o.insert(
            "members".into(),
            Value::Array(
                remote_members
                    .iter()
                    .map(|m| json!({"value": m, "type": "User"}))
                    .collect(),
            ),
        );
    }
    Value::Object(o)
}

/// Whether the client's group mapper (if any) names groups by full path.
fn full_paths(client: &Client) -> bool {
    client
        .mappers
        .iter()
        .find_map(|m| match m.source {
            MapperSource::GroupList { full_path } => Some(full_path),
            _ => None,
        })
        .unwrap_or(true)
}

/// Who and what should be provisioned for `client`: its realm's enabled users that its access
/// rules admit (the same rule as sign-in, `may_use`), and their groups.
pub async fn desired<S: IdpStore>(store: &S, client: &Client) -> Result<Desired> {
    let groups = store.groups(&client.realm).await?;
    let mut paths_of: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for g in &groups {
        for u in store.group_member_ids(&g.id).await? {
            paths_of
                .entry(u)
                .or_default()
                .push((g.id.clone(), g.path.clone()));
        }
    }
    let rule = crate::clients::AccessRule::load(store, client).await?;
    let mut out = Desired::default();
    let full = full_paths(client);
    for u in store.users(&client.realm).await? {
        if !u.enabled {
            continue;
        }
        let mine = paths_of.get(&u.id).map(Vec::as_slice).unwrap_or_default();
        if !rule.admits(&u.id, mine.iter().map(|(_, p)| p.as_str())) {
            continue;
        }
        for (gid, path) in mine {
            let display = if full {
                path.clone()
            } else {
                path.rsplit('/').next().unwrap_or(path).to_string()
            };
            out.groups
                .entry(gid.clone())
                .or_insert_with(|| DesiredGroup {
                    display,
                    members: Vec::new(),
                })
                .members
                .push(u.id.clone());
        }
        out.users.insert(u.id.clone(), user_resource(client, &u));
    }
    Ok(out)
}

/// One step of bringing the service provider up to date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    CreateUser {
        local: String,
    },
    ReplaceUser {
        local: String,
        remote: String,
    },
    DeactivateUser {
        local: String,
        remote: String,
    },
    DeleteUser {
        local: String,
        remote: String,
    },
    /// Create or replace a group (the members' remote IDs are known only when the users ran).
    PutGroup {
        local: String,
        remote: Option<String>,
    },
    DeleteGroup {
        local: String,
        remote: String,
    },
}

/// The steps from what was last sent (`links`) to `desired`: users first (groups refer to
/// them), removals last. `full`: replace every user and group even when unchanged (the
/// periodic reconcile, which overwrites what changed at the remote end).
pub fn plan(desired: &Desired, links: &[ScimLink], delete_removed: bool, full: bool) -> Vec<Op> {
    let by = |kind: &str| -> HashMap<&str, &ScimLink> {
        links
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| (l.local_id.as_str(), l))
            .collect()
    };
    let users = by(LINK_USER);
    let groups = by(LINK_GROUP);
    let mut ops = Vec::new();
    for (id, rep) in &desired.users {
        match users.get(id.as_str()) {
            None => ops.push(Op::CreateUser { local: id.clone() }),
            Some(l) if full || !l.active || l.digest != digest(rep) => ops.push(Op::ReplaceUser {
                local: id.clone(),
                remote: l.remote_id.clone(),
            }),
            Some(_) => {}
        }
    }
    for id in desired.groups.keys() {
        ops.push(Op::PutGroup {
            local: id.clone(),
            remote: groups.get(id.as_str()).map(|l| l.remote_id.clone()),
        });
    }
    for (id, l) in &groups {
        if !desired.groups.contains_key(*id) {
            ops.push(Op::DeleteGroup {
                local: id.to_string(),
                remote: l.remote_id.clone(),
            });
        }
    }
    for (id, l) in &users {
        if desired.users.contains_key(*id) {
            continue;
        }
        if delete_removed {
            ops.push(Op::DeleteUser {
                local: id.to_string(),
                remote: l.remote_id.clone(),
            });
        } else if l.active {
            ops.push(Op::DeactivateUser {
                local: id.to_string(),
                remote: l.remote_id.clone(),
            });
        }
    }
    ops
}

/// Provision the client's users to a SCIM service provider at `url` with `token`, or stop
/// (`None`). The URL must be HTTPS unless `allow_http`; the token is kept with the client and
/// never shown again. Recorded as an admin change.
#[allow(clippy::too_many_arguments)]
pub async fn set_provisioning<S: IdpStore>(
    store: &S,
    actor: &crate::Actor,
    realm: &str,
    client_id: &str,
    target: Option<symbolon_store::provisioning::Provisioning>,
    now: time::OffsetDateTime,
) -> Result<()> {
    let mut c = crate::clients::client_or_error(store, realm, client_id).await?;
    let detail = match &target {
        Some(t) => {
            let url = t.url.trim();
            let scheme_ok =
                url.starts_with("https://") || (t.allow_http && url.starts_with("http://"));
            let host = url.split("://").nth(1).unwrap_or("");
            if !scheme_ok
                || host.is_empty()
                || host.starts_with('/')
                || url.len() > 2000
                || url.chars().any(char::is_whitespace)
            {
                return Err(crate::IdpError::Invalid(format!(
                    "the SCIM URL must be an https:// URL{}: {url:?}",
                    if t.allow_http { " or http://" } else { "" }
                )));
            }
            if t.token.trim().is_empty()
                || t.token.len() > 4096
                || t.token.chars().any(char::is_whitespace)
            {
                return Err(crate::IdpError::Invalid(
                    "the SCIM token is required (one line, no spaces)".into(),
                ));
            }
            format!(
                "provisioning to {url} ({} removed users)",
                if t.delete_removed {
                    "deleting"
                } else {
                    "deactivating"
                }
            )
        }
        None => "provisioning stopped".to_string(),
    };
    let before = c.provisioning.as_ref().map(|p| p.url.clone());
    c.provisioning = target.map(|mut t| {
        t.url = t.url.trim().trim_end_matches('/').to_string();
        t.token = t.token.trim().to_string();
        t
    });
    crate::clients::update_client(store, actor, &c, &detail, now).await?;
    if let Some(t) = &c.provisioning {
        // Another service provider: what was linked belongs to the old one, and its history
        // too. The same one (a new token, another setting): the next run is due at once.
        let mut status = store.provisioning_status(&c.id).await?;
        if before.as_deref().is_some_and(|u| u != t.url) {
            for l in store.scim_links(&c.id).await? {
                store.delete_scim_link(&c.id, &l.kind, &l.local_id).await?;
            }
            status = Default::default();
        }
        status.failures = 0;
        status.next_attempt = None;
        status.last_error = None;
        store.set_provisioning_status(&c.id, &status).await?;
    }
    Ok(())
}

/// How long to wait after `failures` failed runs in a row: 10 s doubling, at most an hour.
pub fn backoff(failures: u32) -> time::Duration {
    let secs = 10u64.saturating_mul(1u64 << failures.min(12));
    time::Duration::seconds(i64::try_from(secs.min(3600)).unwrap_or(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(kind: &str, local: &str, digest: &str, active: bool) -> ScimLink {
        ScimLink {
            client_id: "c".into(),
            kind: kind.into(),
            local_id: local.into(),
            remote_id: format!("r-{local}"),
            digest: digest.into(),
            active,
        }
    }

    #[test]
    fn plans_only_what_changed() {
        let mut d = Desired::default();
        let a = json!({"userName": "a"});
        d.users.insert("a".into(), a.clone());
        d.users.insert("b".into(), json!({"userName": "b"}));
        d.users.insert("c".into(), json!({"userName": "c"}));
        d.groups.insert(
            "g".into(),
            DesiredGroup {
                display: "/eng".into(),
                members: vec!["a".into()],
            },
        );
        let links = vec![
            link(LINK_USER, "a", &digest(&a), true),
            link(LINK_USER, "b", "stale", true),
            link(LINK_USER, "gone", "x", true),
            link(LINK_USER, "off", "x", false),
            link(LINK_GROUP, "old", "x", true),
        ];
        let ops = plan(&d, &links, false, false);
        assert_eq!(
            ops,
            vec![
                Op::ReplaceUser {
                    local: "b".into(),
                    remote: "r-b".into()
                },
                Op::CreateUser { local: "c".into() },
                Op::PutGroup {
                    local: "g".into(),
                    remote: None
                },
                Op::DeleteGroup {
                    local: "old".into(),
                    remote: "r-old".into()
                },
                Op::DeactivateUser {
                    local: "gone".into(),
                    remote: "r-gone".into()
                },
            ]
        );
        let del = plan(&d, &links, true, false);
        assert!(del.contains(&Op::DeleteUser {
            local: "off".into(),
            remote: "r-off".into()
        }));
        assert!(del.contains(&Op::DeleteUser {
            local: "gone".into(),
            remote: "r-gone".into()
        }));
        // A deactivated user admitted again is replaced (reactivated).
        let back = plan(
            &d,
            &[link(LINK_USER, "a", &digest(&a), false)],
            false,
            false,
        );
        assert!(back.contains(&Op::ReplaceUser {
            local: "a".into(),
            remote: "r-a".into()
        }));
        // The reconcile replaces everything.
        let full = plan(&d, &links, false, true);
        assert!(full.contains(&Op::ReplaceUser {
            local: "a".into(),
            remote: "r-a".into()
        }));
    }

    #[test]
    fn the_clients_mappers_give_locale_time_zone_and_display_name() {
        use symbolon_store::{Mapper, MapperSource};
        let user = User {
            id: "u1".into(),
            realm: "r".into(),
            username: "alice".into(),
            email: Some("alice@corp.test".into()),
            first_name: Some("Alice".into()),
            last_name: None,
            enabled: true,
            attributes: vec![
                ("lang".into(), "ja".into()),
                ("tz".into(), "Asia/Tokyo".into()),
            ],
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        };
        let mapper = |attr: &str, source: MapperSource| Mapper {
            name: attr.into(),
            saml_attribute: attr.into(),
            name_format: None,
            friendly_name: None,
            source,
        };
        let client = crate::signin::tests::client(
            symbolon_saml::messages::NAMEID_UNSPECIFIED,
            vec![
                mapper(
                    "locale",
                    MapperSource::UserAttribute {
                        attribute: "lang".into(),
                    },
                ),
                mapper(
                    "displayName",
                    MapperSource::UserProperty {
                        property: "firstName".into(),
                    },
                ),
            ],
        );
        let rep = user_resource(&client, &user);
        assert_eq!(rep["locale"], "ja", "from the mapper's source attribute");
        assert_eq!(
            rep["timezone"], "Asia/Tokyo",
            "no mapper: the user attribute tz"
        );
        assert_eq!(rep["displayName"], "Alice");
        assert_eq!(
            rep["userName"], "alice",
            "unspecified NameID format: the username"
        );
        assert_eq!(rep["emails"][0]["value"], "alice@corp.test");
    }

    #[test]
    fn backoff_grows_and_stops_at_an_hour() {
        assert_eq!(backoff(0), time::Duration::seconds(10));
        assert_eq!(backoff(3), time::Duration::seconds(80));
        assert_eq!(backoff(40), time::Duration::hours(1));
    }
}
