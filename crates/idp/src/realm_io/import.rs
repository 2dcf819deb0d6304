//! A realm document brought into the store: checked whole first, then written resource by
//! resource, each write an `ADMIN` event.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use symbolon_store::{Assignment, Client, Group, IdpStore, KeyStatus, Realm, Role, User};
use time::OffsetDateTime;

use super::check::{
    AccessWant, Password, WantUser, access_want, bad, flatten_groups, grouped, key_from_rep,
    want_client, want_user,
};
use super::{Action, IfExists, ImportOptions, ImportReport, RealmDoc};
use crate::common::{Actor, IdpError, Result, audit, second, valid_name};
use crate::realms::AuthPolicy;

/// Import `rep` (see the module documentation). Errors before any write when the file is
/// invalid, refers to what neither it nor the realm has, or (`IfExists::Fail`) names something
/// that exists.
pub async fn import_realm<S: IdpStore>(
    store: &S,
    actor: &Actor,
    rep: &RealmDoc,
    opts: &ImportOptions<'_>,
    now: OffsetDateTime,
) -> Result<ImportReport> {
    let now = second(now);
    let name = rep.realm.as_str();
    valid_name(name, "realm name")?;

    // 1. The file alone.
    let display_name = match rep.display_name.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(d) if d.chars().count() > 100 || d.chars().any(char::is_control) => {
            return Err(bad("displayName must be 1-100 printable characters".into()));
        }
        Some(d) => Some(d.to_string()),
    };
    if let Some(l) = rep.assertion_lifespan
        && !(10..=86_400).contains(&l)
    {
        return Err(bad("assertionLifespan must be 10 to 86400 seconds".into()));
    }
    let policy = match rep.sign_in_policy.as_deref() {
        None => None,
        Some(p) => Some(AuthPolicy::parse(p).ok_or_else(|| {
            bad(format!(
                "signInPolicy {p:?} is not one of password, second-factor, passkey-or-password, passkey-only"
            ))
        })?),
    };
    let mut roles: BTreeMap<String, Option<String>> = BTreeMap::new();
    for r in &rep.roles.realm {
        valid_name(&r.name, "role name")?;
        let d = r
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string);
        if roles.insert(r.name.clone(), d).is_some() {
            return Err(bad(format!("role {:?} is listed twice", r.name)));
        }
    }
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    flatten_groups(&rep.groups, "", &mut groups)?;
    // Parents a path names without listing them are created too.
    for path in groups.keys().cloned().collect::<Vec<_>>() {
        let mut prefix = String::new();
        for seg in path.trim_start_matches('/').split('/') {
            prefix.push('/');
            prefix.push_str(seg);
            groups.entry(prefix.clone()).or_default();
        }
    }
    let mut users: BTreeMap<String, WantUser> = BTreeMap::new();
    for u in &rep.users {
        let w = want_user(u)?;
        if users.contains_key(&w.username) {
            return Err(bad(format!("user {:?} is listed twice", w.username)));
        }
        users.insert(w.username.clone(), w);
    }
    let keys = rep
        .keys
        .iter()
        .map(|k| key_from_rep(name, k, now))
        .collect::<Result<Vec<_>>>()?;
    if keys
        .iter()
        .filter(|k| k.status == KeyStatus::Active)
        .count()
        > 1
    {
        return Err(bad(
            "a realm has one active key; the file lists several".into()
        ));
    }
    let kids: BTreeSet<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
    if kids.len() != keys.len() {
        return Err(bad("a key is listed twice".into()));
    }

    // 2. Against the realm as it is.
    let realm = store.realm(name).await?;
    // A new realm takes the file's keys when one of them is active and has its private key.
    let movable_keys = realm.is_none()
        && keys
            .iter()
            .any(|k| k.status == KeyStatus::Active && !k.private_key_pem.0.is_empty());
    if movable_keys {
        for other in store.realms().await? {
            let taken = store.keys(&other.name).await?;
            if let Some(k) = keys.iter().find(|k| taken.iter().any(|t| t.kid == k.kid)) {
                return Err(IdpError::Conflict(format!(
                    "key {} is a key of realm {} already: a key belongs to one realm (import \
                     the file without its keys, and the realm gets a new one)",
                    k.kid, other.name
                )));
            }
        }
    }
    let (have_roles, have_groups, have_users, have_clients) = if realm.is_some() {
        (
            store.roles(name).await?,
            store.groups(name).await?,
            store.users(name).await?,
            store.clients(name).await?,
        )
    } else {
        Default::default()
    };
    let role_known = |r: &str| roles.contains_key(r) || have_roles.iter().any(|h| h.name == r);
    let group_known = |p: &str| groups.contains_key(p) || have_groups.iter().any(|h| h.path == p);
    let user_known = |u: &str| users.contains_key(u) || have_users.iter().any(|h| h.username == u);
    for (path, rs) in &groups {
        if let Some(r) = rs.iter().find(|r| !role_known(r)) {
            return Err(bad(format!(
                "group {path} is granted role {r:?}, which is neither in the file nor in the realm"
            )));
        }
    }
    for w in users.values() {
        if let Some(g) = w.groups.iter().find(|g| !group_known(g)) {
            return Err(bad(format!(
                "user {} is in group {g}, which is neither in the file nor in the realm",
                w.username
            )));
        }
        if let Some(r) = w.roles.iter().find(|r| !role_known(r)) {
            return Err(bad(format!(
                "user {} is granted role {r:?}, which is neither in the file nor in the realm",
                w.username
            )));
        }
    }
    let mut report = ImportReport {
        dry_run: opts.dry_run,
        ..Default::default()
    };
    let mut clients: Vec<(Client, Option<&Client>, AccessWant)> = Vec::new();
    let mut url_names = BTreeSet::new();
    for c in &rep.clients {
        if c.client.protocol != "saml" {
            report.push(
                Action::Skipped,
                "CLIENT",
                &c.client.client_id,
                Some(format!("not a SAML client ({})", c.client.protocol)),
            );
            continue;
        }
        let existing = have_clients
            .iter()
            .find(|h| h.client_id == c.client.client_id);
        if clients
            .iter()
            .any(|(w, _, _)| w.client_id == c.client.client_id)
        {
            return Err(bad(format!(
                "client {:?} is listed twice",
                c.client.client_id
            )));
        }
        let want = want_client(name, c, existing, opts.check_url, now)?;
        if let Some(u) = &want.idp_initiated_url_name {
            let taken_by_other = have_clients.iter().any(|h| {
                h.client_id != want.client_id && h.idp_initiated_url_name.as_ref() == Some(u)
            });
            if !url_names.insert(u.clone()) || taken_by_other {
                return Err(IdpError::Conflict(format!(
                    "two clients would use the IdP-initiated SSO URL name {u:?}"
                )));
            }
        }
        let access = access_want(c)?;
        if let Some(u) = access.users.iter().find(|u| !user_known(u)) {
            return Err(bad(format!(
                "client {} may be used by user {u:?}, who is neither in the file nor in the realm",
                want.client_id
            )));
        }
        if let Some(g) = access.groups.iter().find(|g| !group_known(g)) {
            return Err(bad(format!(
                "client {} may be used by group {g}, which is neither in the file nor in the realm",
                want.client_id
            )));
        }
        clients.push((want, existing, access));
    }
    if opts.if_exists == IfExists::Fail {
        let mut taken: Vec<String> = Vec::new();
        taken.extend(
            roles
                .keys()
                .filter(|r| have_roles.iter().any(|h| h.name == **r))
                .map(|r| format!("role {r}")),
        );
        taken.extend(
            groups
                .keys()
                .filter(|p| have_groups.iter().any(|h| h.path == **p))
                .map(|p| format!("group {p}")),
        );
        taken.extend(
            users
                .keys()
                .filter(|u| have_users.iter().any(|h| h.username == **u))
                .map(|u| format!("user {u}")),
        );
        taken.extend(
            clients
                .iter()
                .filter(|(_, e, _)| e.is_some())
                .map(|(c, _, _)| format!("client {}", c.client_id)),
        );
        if !taken.is_empty() {
            return Err(IdpError::Conflict(format!(
                "realm {name} already has {} (nothing was imported; choose skip or overwrite)",
                taken.join(", ")
            )));
        }
    }

    // 3. Writes (none in a dry run).
    let write = !opts.dry_run;
    let overwrite = opts.if_exists == IfExists::Overwrite;
    let ev = |detail: String| audit(store, name, actor, None, detail, now);
    match &realm {
        None => {
            if write {
                let r = Realm {
                    name: name.into(),
                    display_name: display_name.clone().unwrap_or_else(|| name.into()),
                    enabled: rep.enabled.unwrap_or(true),
                    assertion_lifespan_secs: rep.assertion_lifespan.unwrap_or(300),
                    created_at: now,
                };
                store.create_realm(&r).await?;
                if movable_keys {
                    for k in keys.iter().filter(|k| !k.private_key_pem.0.is_empty()) {
                        store.add_key(k).await?;
                    }
                } else {
                    let alg = symbolon_secret::KeyAlgorithm::Rsa2048;
                    store
                        .add_key(&crate::realms::new_key(name, KeyStatus::Active, alg, now)?)
                        .await?;
                }
                if let Some(p) = policy {
                    store.set_auth_policy(name, p.as_str()).await?;
                }
                ev(format!("imported realm {name}")).await?;
            }
            report.push(Action::Added, "REALM", name, None);
            for k in &keys {
                if movable_keys && !k.private_key_pem.0.is_empty() {
                    report.push(Action::Added, "KEY", &k.kid, None);
                } else {
                    report.push(
                        Action::Skipped,
                        "KEY",
                        &k.kid,
                        Some(if movable_keys {
                            "no private key in the file".into()
                        } else {
                            "no active key with its private key in the file (export with \
                             credentials to move keys): the realm got a new key"
                                .into()
                        }),
                    );
                }
            }
        }
        Some(have) if overwrite => {
            let mut r = have.clone();
            let mut changes = Vec::new();
            if let Some(d) = &display_name
                && *d != r.display_name
            {
                changes.push(format!("display name {:?} -> {d:?}", r.display_name));
                r.display_name = d.clone();
            }
            if let Some(e) = rep.enabled
                && e != r.enabled
            {
                changes.push(format!("enabled {} -> {e}", r.enabled));
                r.enabled = e;
            }
            if let Some(l) = rep.assertion_lifespan
                && l != r.assertion_lifespan_secs
            {
                changes.push(format!(
                    "assertion lifespan {}s -> {l}s",
                    r.assertion_lifespan_secs
                ));
                r.assertion_lifespan_secs = l;
            }
            let have_policy = crate::realms::auth_policy(store, name).await?;
            let new_policy = policy.filter(|p| *p != have_policy);
            if let Some(p) = new_policy {
                changes.push(format!(
                    "sign-in policy {} -> {}",
                    have_policy.as_str(),
                    p.as_str()
                ));
            }
            if changes.is_empty() {
                report.push(Action::Unchanged, "REALM", name, None);
            } else {
                let detail = changes.join(", ");
                if write {
                    store.update_realm(&r).await?;
                    if let Some(p) = new_policy {
                        store.set_auth_policy(name, p.as_str()).await?;
                    }
                    ev(format!("import overwrote realm {name}: {detail}")).await?;
                }
                report.push(Action::Overwritten, "REALM", name, Some(detail));
            }
        }
        Some(_) => report.push(
            Action::Skipped,
            "REALM",
            name,
            Some("the realm exists; its settings stay as they are".into()),
        ),
    }
    if realm.is_some() {
        let have_keys = store.keys(name).await?;
        for k in &keys {
            if !have_keys.iter().any(|h| h.kid == k.kid) {
                report.push(
                    Action::Skipped,
                    "KEY",
                    &k.kid,
                    Some("keys are imported only into a realm the import creates".into()),
                );
            }
        }
    }

    // Roles.
    let mut role_ids: BTreeMap<String, String> = have_roles
        .iter()
        .map(|r| (r.name.clone(), r.id.clone()))
        .collect();
    for (r, description) in &roles {
        match have_roles.iter().find(|h| h.name == *r) {
            None => {
                let role = Role {
                    id: uuid::Uuid::new_v4().to_string(),
                    realm: name.into(),
                    name: r.clone(),
                    description: description.clone(),
                };
                if write {
                    store.create_role(&role).await?;
                    ev(format!("imported role {r}")).await?;
                }
                role_ids.insert(r.clone(), role.id);
                report.push(Action::Added, "REALM_ROLE", r, None);
            }
            Some(h) if overwrite && h.description != *description => report.push(
                Action::Skipped,
                "REALM_ROLE",
                r,
                Some("a role's description is not changed by an import".into()),
            ),
            Some(_) if overwrite => report.push(Action::Unchanged, "REALM_ROLE", r, None),
            Some(_) => report.push(Action::Skipped, "REALM_ROLE", r, None),
        }
    }
    let grants = if realm.is_some() {
        store.role_grants(name).await?
    } else {
        Vec::new()
    };
    let held = |who: &Assignment| -> BTreeSet<String> {
        grants
            .iter()
            .filter(|(_, a)| a == who)
            .map(|(r, _)| r.clone())
            .collect()
    };
    // Grant or revoke so that `who` holds exactly `want`; the phrases of what changed.
    let set_roles = async |who: &Assignment, want: &BTreeSet<String>, had: &BTreeSet<String>| {
        let mut changes = Vec::new();
        for r in want.difference(had) {
            if write && let Some(id) = role_ids.get(r) {
                store.grant_role(id, who).await?;
            }
            changes.push(format!("role {r} granted"));
        }
        for r in had.difference(want) {
            if write && let Some(id) = role_ids.get(r) {
                store.revoke_role(id, who).await?;
            }
            changes.push(format!("role {r} revoked"));
        }
        Ok::<_, IdpError>(changes)
    };

    // Groups, parents first.
    let mut group_ids: BTreeMap<String, String> = have_groups
        .iter()
        .map(|g| (g.path.clone(), g.id.clone()))
        .collect();
    for (path, want_roles) in &groups {
        match have_groups.iter().find(|h| h.path == *path) {
            None => {
                let g = Group {
                    id: uuid::Uuid::new_v4().to_string(),
                    realm: name.into(),
                    path: path.clone(),
                };
                if write {
                    store.create_group(&g).await?;
                }
                let changes = set_roles(
                    &Assignment::Group(g.id.clone()),
                    want_roles,
                    &BTreeSet::new(),
                )
                .await?;
                if write {
                    ev(format!("imported group {path}")).await?;
                }
                group_ids.insert(path.clone(), g.id);
                report.push(
                    Action::Added,
                    "GROUP",
                    path,
                    (!changes.is_empty()).then(|| changes.join(", ")),
                );
            }
            Some(h) if overwrite => {
                let who = Assignment::Group(h.id.clone());
                let changes = set_roles(&who, want_roles, &held(&who)).await?;
                overwritten(&mut report, "GROUP", path, changes, write, &ev).await?;
            }
            Some(_) => report.push(Action::Skipped, "GROUP", path, None),
        }
    }

    // Users.
    for w in users.values() {
        let have = have_users.iter().find(|h| h.username == w.username);
        if have.is_some() && !overwrite {
            report.push(Action::Skipped, "USER", &w.username, None);
            continue;
        }
        let mut user = match have {
            Some(h) => h.clone(),
            None => User {
                id: uuid::Uuid::new_v4().to_string(),
                realm: name.into(),
                username: w.username.clone(),
                email: None,
                first_name: None,
                last_name: None,
                enabled: true,
                attributes: Vec::new(),
                created_at: now,
            },
        };
        let mut changes = Vec::new();
        let mut text = |what: &str, cur: &mut Option<String>, want: &Option<String>| {
            if cur != want {
                changes.push(format!("{what} changed"));
                cur.clone_from(want);
            }
        };
        text("email", &mut user.email, &w.email);
        text("first name", &mut user.first_name, &w.first_name);
        text("last name", &mut user.last_name, &w.last_name);
        if user.enabled != w.enabled {
            changes.push(format!("enabled {} -> {}", user.enabled, w.enabled));
            user.enabled = w.enabled;
        }
        if grouped(&user.attributes) != grouped(&w.attributes) {
            changes.push("attributes changed".into());
            user.attributes.clone_from(&w.attributes);
        }
        let hash = match (&w.password, have) {
            (None, _) => None,
            (Some(Password::Hash(h)), None) => Some(h.clone()),
            (Some(Password::Clear(p)), None) => Some(symbolon_secret::hashing::hash(p).await??),
            // A hash cannot be compared with a password that was re-hashed since (at sign-in,
            // with this product's parameters): it sets a password only where there is none. A
            // clear-text value is the way to change one.
            (Some(Password::Hash(h)), Some(u)) => store
                .password_hash(name, &u.id)
                .await?
                .is_none()
                .then(|| h.clone()),
            (Some(Password::Clear(p)), Some(u)) => {
                let same = match store.password_hash(name, &u.id).await? {
                    Some(cur) => symbolon_secret::hashing::verify(p, &cur).await?,
                    None => false,
                };
                if same {
                    None
                } else {
                    Some(symbolon_secret::hashing::hash(p).await??)
                }
            }
        };
        if have.is_some() && hash.is_some() {
            changes.push("password set".into());
        }
        match have {
            None => {
                if write {
                    store.create_user(&user, hash.as_deref()).await?;
                }
            }
            Some(_) => {
                if write && changes.iter().any(|c| c != "password set") {
                    store.update_user(&user).await?;
                }
                if write && let Some(h) = &hash {
                    store.set_password_hash(name, &user.id, h).await?;
                }
            }
        }
        let member_of: BTreeSet<String> = match have {
            Some(u) => store
                .user_groups(&u.id)
                .await?
                .into_iter()
                .map(|g| g.path)
                .collect(),
            None => BTreeSet::new(),
        };
        for g in w.groups.difference(&member_of) {
            if write && let Some(id) = group_ids.get(g) {
                store.add_member(&user.id, id).await?;
            }
            changes.push(format!("joined {g}"));
        }
        for g in member_of.difference(&w.groups) {
            if write && let Some(id) = group_ids.get(g) {
                store.remove_member(&user.id, id).await?;
            }
            changes.push(format!("left {g}"));
        }
        let who = Assignment::User(user.id.clone());
        let had = if have.is_some() {
            held(&who)
        } else {
            BTreeSet::new()
        };
        changes.extend(set_roles(&who, &w.roles, &had).await?);
        if have.is_none() {
            if write {
                ev(format!("imported user {}", w.username)).await?;
                crate::webhooks::notify(
                    store,
                    name,
                    "user.created",
                    serde_json::json!({ "id": user.id, "username": user.username, "email": user.email }),
                    now,
                )
                .await;
            }
            let notes = (!w.notes.is_empty()).then(|| w.notes.join(", "));
            report.push(Action::Added, "USER", &w.username, notes);
        } else {
            overwritten(&mut report, "USER", &w.username, changes, write, &ev).await?;
        }
    }

    // Clients, and who may use them.
    let user_ids: BTreeMap<String, String> = if write {
        store
            .users(name)
            .await?
            .into_iter()
            .map(|u| (u.username, u.id))
            .collect()
    } else {
        have_users
            .iter()
            .map(|u| (u.username.clone(), u.id.clone()))
            .collect()
    };
    for (want, have, access) in &clients {
        if have.is_some() && !overwrite {
            report.push(Action::Skipped, "CLIENT", &want.client_id, None);
            continue;
        }
        let mut changes = match have {
            Some(h) => crate::clients::client_changes(h, want),
            None => Vec::new(),
        };
        if let Some(h) = have {
            if h.mappers != want.mappers {
                changes.push("mappers changed".into());
            }
            if h.acs != want.acs || h.slo != want.slo {
                changes.push("endpoints changed".into());
            }
            if h.signing_certs != want.signing_certs || h.encryption.certs != want.encryption.certs
            {
                changes.push("certificates changed".into());
            }
            if h.metadata_source.as_ref().map(|s| &s.url)
                != want.metadata_source.as_ref().map(|s| &s.url)
            {
                changes.push("metadata URL changed".into());
            }
        }
        let differs = have.is_none_or(|h| h != want);
        if write && differs {
            match have {
                None => store.create_client(want).await?,
                Some(_) => store.update_client(want).await?,
            }
        }
        // Assignments: exactly the file's.
        let had: HashSet<Assignment> = match have {
            Some(h) => store.assignments(&h.id).await?.into_iter().collect(),
            None => HashSet::new(),
        };
        let mut wanted = HashSet::new();
        for u in &access.users {
            wanted.insert(Assignment::User(
                user_ids
                    .get(u)
                    .cloned()
                    .unwrap_or_else(|| format!("new:{u}")),
            ));
        }
        for g in &access.groups {
            wanted.insert(Assignment::Group(
                group_ids.get(g).cloned().unwrap_or_default(),
            ));
        }
        for a in wanted.difference(&had) {
            if write {
                store.grant(&want.id, a).await?;
            }
            changes.push("access granted".into());
        }
        for a in had.difference(&wanted) {
            if write {
                store.revoke(&want.id, a).await?;
            }
            changes.push("access revoked".into());
        }
        if have.is_none() {
            if write {
                audit(
                    store,
                    name,
                    actor,
                    Some(&want.client_id),
                    format!("imported client {}", want.client_id),
                    now,
                )
                .await?;
            }
            report.push(Action::Added, "CLIENT", &want.client_id, None);
        } else {
            if changes.is_empty() && differs {
                changes.push("settings changed".into());
            }
            overwritten(&mut report, "CLIENT", &want.client_id, changes, write, &ev).await?;
        }
    }
    Ok(report)
}

/// Report an overwrite (recorded as an admin change) or that nothing changed.
async fn overwritten<F>(
    report: &mut ImportReport,
    kind: &str,
    name: &str,
    changes: Vec<String>,
    write: bool,
    ev: &impl Fn(String) -> F,
) -> Result<()>
where
    F: Future<Output = Result<()>>,
{
    if changes.is_empty() {
        report.push(Action::Unchanged, kind, name, None);
        return Ok(());
    }
    let detail = changes.join(", ");
    if write {
        ev(format!(
            "import overwrote {} {name}: {detail}",
            kind.to_lowercase().replace('_', " ")
        ))
        .await?;
    }
    report.push(Action::Overwritten, kind, name, Some(detail));
    Ok(())
}
