//! A realm read out of the store into its document.

use std::collections::{BTreeMap, BTreeSet};

use symbolon_store::{Assignment, IdpStore};

use super::{
    AccessDoc, ClientDoc, CredentialDoc, GroupDoc, KeyDoc, RealmDoc, RoleDoc, RolesDoc, UserDoc,
};
use crate::common::Result;
use crate::kc::{client_rep, mapper_rep};
use crate::realms::realm_or_404;

/// The realm `name` as a document. Users' password hashes and the realm's private keys only
/// `with_credentials` (the file is then as secret as the database).
pub async fn export_realm<S: IdpStore>(
    store: &S,
    name: &str,
    with_credentials: bool,
) -> Result<RealmDoc> {
    let realm = realm_or_404(store, name).await?;
    let policy = crate::realms::auth_policy(store, name).await?;
    let roles = store.roles(name).await?;
    let groups = store.groups(name).await?;
    let grants = store.role_grants(name).await?;
    let users = store.users(name).await?;
    let group_path: BTreeMap<&str, &str> = groups
        .iter()
        .map(|g| (g.id.as_str(), g.path.as_str()))
        .collect();
    let user_name: BTreeMap<&str, &str> = users
        .iter()
        .map(|u| (u.id.as_str(), u.username.as_str()))
        .collect();
    let roles_of = |who: &Assignment| -> Vec<String> {
        let set: BTreeSet<String> = grants
            .iter()
            .filter(|(_, a)| a == who)
            .map(|(r, _)| r.clone())
            .collect();
        set.into_iter().collect()
    };

    let mut user_reps = Vec::with_capacity(users.len());
    for u in &users {
        let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in &u.attributes {
            attributes.entry(k.clone()).or_default().push(v.clone());
        }
        let mut member_of: Vec<String> = store
            .user_groups(&u.id)
            .await?
            .into_iter()
            .map(|g| g.path)
            .collect();
        member_of.sort();
        let mut credentials = Vec::new();
        if with_credentials && let Some(hash) = store.password_hash(name, &u.id).await? {
            credentials.push(CredentialDoc {
                kind: "password".into(),
                value: None,
                secret_data: Some(serde_json::json!({ "value": hash }).to_string()),
                credential_data: Some(serde_json::json!({ "algorithm": "argon2" }).to_string()),
            });
        }
        user_reps.push(UserDoc {
            id: Some(u.id.clone()),
            username: u.username.clone(),
            enabled: u.enabled,
            email: u.email.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            attributes,
            groups: member_of,
            realm_roles: roles_of(&Assignment::User(u.id.clone())),
            credentials,
        });
    }

    let mut clients = Vec::new();
    for c in store.clients(name).await? {
        let mut access = AccessDoc {
            restricted: c.restricted,
            ..Default::default()
        };
        for a in store.assignments(&c.id).await? {
            match &a {
                Assignment::User(id) => {
                    if let Some(n) = user_name.get(id.as_str()) {
                        access.users.push((*n).to_string());
                    }
                }
                Assignment::Group(id) => {
                    if let Some(p) = group_path.get(id.as_str()) {
                        access.groups.push((*p).to_string());
                    }
                }
            }
        }
        access.users.sort();
        access.groups.sort();
        let b64 = |certs: &[Vec<u8>]| -> Vec<String> {
            certs
                .iter()
                .map(|c| symbolon_dsig::encode_base64(c))
                .collect()
        };
        let mut rep = client_rep(&c);
        rep.id = None;
        if let Some(cert) = c.encryption.certs.first() {
            rep.attributes.insert(
                "saml.encryption.certificate".into(),
                symbolon_dsig::encode_base64(cert),
            );
        }
        clients.push(ClientDoc {
            client: rep,
            protocol_mappers: c.mappers.iter().map(mapper_rep).collect(),
            signing_certificates: b64(&c.signing_certs),
            encryption_certificates: b64(&c.encryption.certs),
            access: (access != AccessDoc::default()).then_some(access),
        });
    }

    let keys = store
        .keys(name)
        .await?
        .into_iter()
        .map(|k| KeyDoc {
            kid: k.kid,
            status: k.status.as_str().into(),
            algorithm: k.algorithm,
            certificate: symbolon_dsig::encode_base64(&k.certificate_der),
            created_at: Some(k.created_at),
            private_key: with_credentials.then(|| k.private_key_pem.0.clone()),
        })
        .collect();

    Ok(RealmDoc {
        realm: realm.name.clone(),
        display_name: Some(realm.display_name.clone()),
        enabled: Some(realm.enabled),
        assertion_lifespan: Some(realm.assertion_lifespan_secs),
        sign_in_policy: Some(policy.as_str().into()),
        roles: RolesDoc {
            realm: roles
                .iter()
                .map(|r| RoleDoc {
                    name: r.name.clone(),
                    description: r.description.clone(),
                })
                .collect(),
        },
        groups: group_tree(&groups, &|id| roles_of(&Assignment::Group(id.to_string()))),
        users: user_reps,
        clients,
        keys,
    })
}

/// The realm's groups as Keycloak nests them: top-level groups with their subgroups.
fn group_tree(
    groups: &[symbolon_store::Group],
    roles_of: &dyn Fn(&str) -> Vec<String>,
) -> Vec<GroupDoc> {
    let mut sorted: Vec<&symbolon_store::Group> = groups.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    fn children(
        parent: &str,
        sorted: &[&symbolon_store::Group],
        roles_of: &dyn Fn(&str) -> Vec<String>,
    ) -> Vec<GroupDoc> {
        sorted
            .iter()
            .filter(|g| {
                g.path
                    .strip_prefix(parent)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
            })
            .map(|g| GroupDoc {
                name: g.path.rsplit('/').next().unwrap_or_default().to_string(),
                path: Some(g.path.clone()),
                realm_roles: roles_of(&g.id),
                sub_groups: children(&g.path, sorted, roles_of),
            })
            .collect()
    }
    children("", &sorted, roles_of)
}
