//! The provisioning job: for every client with a SCIM target, compute who should exist at the
//! service provider (`symbolon_idp::provisioning`), send what changed since the last run, and
//! record the links and the status the console shows. A failed run stops at the failing request
//! (what it did stays done and linked), records an event, and the client is retried with a
//! growing backoff. Once a day a run is a full reconcile: every user is read back, what differs
//! at the remote end (drift) is counted, and everything is sent again.

use std::collections::HashMap;

use serde_json::{Value, json};
use symbolon_idp::provisioning::{
    LINK_GROUP, LINK_USER, Op, backoff, desired, digest, group_resource, plan,
};
use symbolon_store::provisioning::{Provisioning, ScimLink};
use symbolon_store::{Client, Event, IdpStore};
use symbolon_web::scim_client::{Method, ScimHttp, ScimHttpError, with_query};
use time::OffsetDateTime;

/// How often a full reconcile runs per client.
const RECONCILE_EVERY: time::Duration = time::Duration::hours(24);

/// One run over every client that provisions. Returns a summary for the job status.
pub(crate) async fn run<S: IdpStore>(
    store: S,
    http: ScimHttp,
    now: OffsetDateTime,
) -> Result<String, String> {
    let e = |e: symbolon_store::StoreError| e.to_string();
    let (mut clients, mut changed, mut failed) = (0u32, 0u32, 0u32);
    // Read before anything is computed: a change made during the run bumps it past this.
    let version = store.idp_config_version().await.map_err(e)?;
    for realm in store.realms().await.map_err(e)? {
        for client in store.clients(&realm.name).await.map_err(e)? {
            let Some(target) = client.provisioning.clone() else {
                continue;
            };
            let mut status = store.provisioning_status(&client.id).await.map_err(e)?;
            if status.next_attempt.is_some_and(|t| t > now) {
                continue;
            }
            let full = status
                .last_reconcile
                .is_none_or(|t| now - t >= RECONCILE_EVERY);
            // Nothing this client depends on changed since a run that left nothing pending.
            if !full
                && status.seen_version == Some(version)
                && status.last_error.is_none()
                && status.pending == 0
            {
                continue;
            }
            clients += 1;
            let outcome = push(&store, &http, &client, &target, full).await;
            status.last_run = Some(now);
            status.changed = outcome.changed;
            status.pending = outcome.pending;
            changed += outcome.changed;
            match outcome.error {
                None => {
                    status.seen_version = Some(version);
                    status.last_success = Some(now);
                    status.last_error = None;
                    status.failures = 0;
                    status.next_attempt = None;
                    if full {
                        status.last_reconcile = Some(now);
                        status.drift = outcome.drift;
                    }
                }
                Some(why) => {
                    failed += 1;
                    status.seen_version = None;
                    status.failures = status.failures.saturating_add(1);
                    status.next_attempt = Some(now + backoff(status.failures));
                    tracing::warn!(client = %client.client_id, realm = %client.realm, "provisioning failed: {why}");
                    let _ = store
                        .record(&Event {
                            realm: client.realm.clone(),
                            at: now,
                            kind: "PROVISIONING_ERROR".into(),
                            actor: None,
                            client_id: Some(client.client_id.clone()),
                            detail: why.clone(),
                        })
                        .await;
                    status.last_error = Some(why);
                }
            }
            let links = store.scim_links(&client.id).await.map_err(e)?;
            let users: Vec<&ScimLink> = links.iter().filter(|l| l.kind == LINK_USER).collect();
            status.users = u32::try_from(users.len()).unwrap_or(u32::MAX);
            status.active_users =
                u32::try_from(users.iter().filter(|l| l.active).count()).unwrap_or(u32::MAX);
            status.groups = u32::try_from(links.iter().filter(|l| l.kind == LINK_GROUP).count())
                .unwrap_or(u32::MAX);
            store
                .set_provisioning_status(&client.id, &status)
                .await
                .map_err(e)?;
        }
    }
    let summary =
        format!("{clients} client(s) provisioned, {changed} change(s) sent, {failed} failed");
    if failed > 0 {
        Err(summary)
    } else {
        Ok(summary)
    }
}

#[derive(Debug, Default)]
struct Outcome {
    changed: u32,
    pending: u32,
    drift: u32,
    error: Option<String>,
}

struct Target<'a> {
    http: &'a ScimHttp,
    base: &'a str,
    token: &'a str,
}

impl Target<'_> {
    async fn send(
        &self,
        m: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ScimHttpError> {
        self.http
            .send(m, &format!("{}{path}", self.base), self.token, body)
            .await
    }

    /// The ID of the resource whose `attr` equals `value` (after a 409 on create: adopt it).
    async fn find(
        &self,
        endpoint: &str,
        attr: &str,
        value: &str,
    ) -> Result<Option<String>, ScimHttpError> {
        let quoted = serde_json::to_string(value).unwrap_or_default();
        let filter = format!("{attr} eq {quoted}");
        let url = with_query(&format!("{}{endpoint}", self.base), &[("filter", &filter)])?;
        let v = self.http.send(Method::GET, &url, self.token, None).await?;
        Ok(v.get("Resources")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string))
    }

    /// Create, adopting an existing resource of the same name (409): its ID.
    async fn create(
        &self,
        endpoint: &str,
        rep: &Value,
        key: &str,
    ) -> Result<String, ScimHttpError> {
        match self.send(Method::POST, endpoint, Some(rep)).await {
            Ok(v) => id_of(&v),
            Err(e) if e.status == 409 => {
                let name = rep.get(key).and_then(Value::as_str).unwrap_or_default();
                let id = self.find(endpoint, key, name).await?.ok_or(e)?;
                self.send(Method::PUT, &format!("{endpoint}/{id}"), Some(rep))
                    .await?;
                Ok(id)
            }
            Err(e) => Err(e),
        }
    }
}

fn id_of(v: &Value) -> Result<String, ScimHttpError> {
    v.get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ScimHttpError {
            status: 0,
            detail: "the service provider answered without an id".into(),
        })
}

/// Whether what the service provider holds differs from what was sent, in what matters.
fn drifted(remote: &Value, rep: &Value) -> bool {
    ["userName", "active", "externalId"]
        .iter()
        .any(|k| match (remote.get(k), rep.get(k)) {
            (Some(Value::String(a)), Some(Value::String(b))) => !a.eq_ignore_ascii_case(b),
            (a, b) => a != b,
        })
}

async fn push<S: IdpStore>(
    store: &S,
    http: &ScimHttp,
    client: &Client,
    target: &Provisioning,
    full: bool,
) -> Outcome {
    let mut out = Outcome::default();
    let fail = |out: &mut Outcome, why: String| out.error = Some(why);
    let (links, want) = match (
        store.scim_links(&client.id).await,
        desired(store, client).await,
    ) {
        (Ok(l), Ok(d)) => (l, d),
        (Err(e), _) => {
            fail(&mut out, e.to_string());
            return out;
        }
        (_, Err(e)) => {
            fail(&mut out, e.to_string());
            return out;
        }
    };
    let ops = plan(&want, &links, target.delete_removed, full);
    let t = Target {
        http,
        base: &target.url,
        token: &target.token,
    };
    let mut remote_user: HashMap<String, String> = links
        .iter()
        .filter(|l| l.kind == LINK_USER)
        .map(|l| (l.local_id.clone(), l.remote_id.clone()))
        .collect();
    let group_digest: HashMap<&str, &str> = links
        .iter()
        .filter(|l| l.kind == LINK_GROUP)
        .map(|l| (l.local_id.as_str(), l.digest.as_str()))
        .collect();
    let total = ops.len();
    let link = |kind: &str, local: &str, remote: &str, digest: String, active: bool| ScimLink {
        client_id: client.id.clone(),
        kind: kind.into(),
        local_id: local.into(),
        remote_id: remote.into(),
        digest,
        active,
    };
    for (i, op) in ops.iter().enumerate() {
        let step: Result<Option<ScimLink>, String> = async {
            let m = |e: ScimHttpError| e.to_string();
            match op {
                Op::CreateUser { local } => {
                    let rep = want.users.get(local).cloned().unwrap_or(Value::Null);
                    let id = t.create("/Users", &rep, "userName").await.map_err(m)?;
                    remote_user.insert(local.clone(), id.clone());
                    Ok(Some(link(LINK_USER, local, &id, digest(&rep), true)))
                }
                Op::ReplaceUser { local, remote } => {
                    let rep = want.users.get(local).cloned().unwrap_or(Value::Null);
                    if full {
                        match t.send(Method::GET, &format!("/Users/{remote}"), None).await {
                            Ok(v) if drifted(&v, &rep) => out.drift += 1,
                            Ok(_) => {}
                            Err(e) if e.status == 404 => out.drift += 1,
                            Err(e) => return Err(m(e)),
                        }
                    }
                    let id = match t
                        .send(Method::PUT, &format!("/Users/{remote}"), Some(&rep))
                        .await
                    {
                        Ok(_) => remote.clone(),
                        // Removed at the remote end: provisioned again.
                        Err(e) if e.status == 404 => {
                            t.create("/Users", &rep, "userName").await.map_err(m)?
                        }
                        Err(e) => return Err(m(e)),
                    };
                    remote_user.insert(local.clone(), id.clone());
                    Ok(Some(link(LINK_USER, local, &id, digest(&rep), true)))
                }
                Op::DeactivateUser { local, remote } => {
                    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "replace", "path": "active", "value": false}]});
                    match t
                        .send(Method::PATCH, &format!("/Users/{remote}"), Some(&body))
                        .await
                    {
                        Ok(_) => Ok(Some(link(LINK_USER, local, remote, String::new(), false))),
                        Err(e) if e.status == 404 => {
                            store
                                .delete_scim_link(&client.id, LINK_USER, local)
                                .await
                                .map_err(|e| e.to_string())?;
                            remote_user.remove(local);
                            Ok(None)
                        }
                        Err(e) => Err(m(e)),
                    }
                }
                Op::DeleteUser { local, remote } => {
                    match t
                        .send(Method::DELETE, &format!("/Users/{remote}"), None)
                        .await
                    {
                        Ok(_) => {}
                        Err(e) if e.status == 404 => {}
                        Err(e) => return Err(m(e)),
                    }
                    store
                        .delete_scim_link(&client.id, LINK_USER, local)
                        .await
                        .map_err(|e| e.to_string())?;
                    remote_user.remove(local);
                    Ok(None)
                }
                Op::PutGroup { local, remote } => {
                    let Some(g) = want.groups.get(local) else {
                        return Ok(None);
                    };
                    let members: Vec<String> = g
                        .members
                        .iter()
                        .filter_map(|u| remote_user.get(u).cloned())
                        .collect();
                    let rep = group_resource(&g.display, local, &members);
                    let d = digest(&rep);
                    let id = match remote {
                        Some(r)
                            if !full && group_digest.get(local.as_str()) == Some(&d.as_str()) =>
                        {
                            return Ok(None);
                        }
                        Some(r) => match t
                            .send(Method::PUT, &format!("/Groups/{r}"), Some(&rep))
                            .await
                        {
                            Ok(_) => r.clone(),
                            Err(e) if e.status == 404 => {
                                t.create("/Groups", &rep, "displayName").await.map_err(m)?
                            }
                            Err(e) => return Err(m(e)),
                        },
                        None => t.create("/Groups", &rep, "displayName").await.map_err(m)?,
                    };
                    Ok(Some(link(LINK_GROUP, local, &id, d, true)))
                }
                Op::DeleteGroup { local, remote } => {
                    match t
                        .send(Method::DELETE, &format!("/Groups/{remote}"), None)
                        .await
                    {
                        Ok(_) => {}
                        Err(e) if e.status == 404 => {}
                        Err(e) => return Err(m(e)),
                    }
                    store
                        .delete_scim_link(&client.id, LINK_GROUP, local)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(None)
                }
            }
        }
        .await;
        match step {
            Ok(l) => {
                if let Some(l) = l {
                    if let Err(e) = store.put_scim_link(&l).await {
                        fail(&mut out, e.to_string());
                        out.pending = u32::try_from(total - i).unwrap_or(u32::MAX);
                        return out;
                    }
                    out.changed += 1;
                } else if !matches!(op, Op::PutGroup { .. }) {
                    out.changed += 1;
                }
            }
            Err(why) => {
                fail(&mut out, format!("{}: {why}", describe(op)));
                out.pending = u32::try_from(total - i).unwrap_or(u32::MAX);
                return out;
            }
        }
    }
    out
}

fn describe(op: &Op) -> String {
    match op {
        Op::CreateUser { local } => format!("creating user {local}"),
        Op::ReplaceUser { local, .. } => format!("updating user {local}"),
        Op::DeactivateUser { local, .. } => format!("deactivating user {local}"),
        Op::DeleteUser { local, .. } => format!("deleting user {local}"),
        Op::PutGroup { local, .. } => format!("sending group {local}"),
        Op::DeleteGroup { local, .. } => format!("deleting group {local}"),
    }
}
