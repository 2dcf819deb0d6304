//! The sign-in's state as the store keeps it between requests: login flows (what the SP asked
//! for, how far the user got), SSO sessions and each user's session index. Any instance can
//! serve any request of a flow; a restart signs no one out.

use serde::{Deserialize, Serialize};
use symbolon_saml::idp::{AC_PASSWORD_PROTECTED, AC_REFEDS_MFA, SignInMethod};
use symbolon_saml::messages::{Comparison, RequestedAuthnContext};
use symbolon_store::{StateStore, StoreError};
use time::OffsetDateTime;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flow {
    pub realm: String,
    pub client_id: String,
    pub acs_url: String,
    pub in_response_to: Option<String>,
    pub relay_state: Option<String>,
    pub csrf: String,
    pub expires: OffsetDateTime,
    /// The SP asked for more than a password (RequestedAuthnContext): a second factor is
    /// required, or the answer is NoAuthnContext.
    #[serde(default)]
    pub needs_mfa: bool,
    /// The user whose password was right, while the second factor is pending.
    #[serde(default)]
    pub password_ok: Option<String>,
    /// A sign-in to the user's own account console, not to an application.
    #[serde(default)]
    pub account: bool,
    /// The SP's RequestedAuthnContext, to choose the class the assertion says.
    #[serde(default)]
    pub requested: Option<Requested>,
    /// Only a passkey meets the request (FIDO): no password form.
    #[serde(default)]
    pub needs_passkey: bool,
    /// The user must register a passkey before the sign-in goes on (a required action, or the
    /// first sign-in in a passkey-only realm).
    #[serde(default)]
    pub enrol: Option<Enrol>,
    /// The NameID format the SP's NameIDPolicy asked for (`None`: the client's own).
    #[serde(default)]
    pub name_id_format: Option<String>,
}

/// A RequestedAuthnContext as a flow keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Requested {
    pub comparison: String,
    pub class_refs: Vec<String>,
}

impl Requested {
    pub fn of(r: &RequestedAuthnContext) -> Self {
        Requested {
            comparison: r.comparison.as_str().to_string(),
            class_refs: r.class_refs.clone(),
        }
    }
    /// Back to the SAML type; a value that no longer parses asks for the impossible (fails
    /// closed: NoAuthnContext, never a weaker assertion).
    pub fn context(&self) -> RequestedAuthnContext {
        match Comparison::parse(&self.comparison) {
            Some(comparison) => RequestedAuthnContext {
                comparison,
                class_refs: self.class_refs.clone(),
            },
            None => RequestedAuthnContext {
                comparison: Comparison::Exact,
                class_refs: vec![],
            },
        }
    }
}

/// A sign-in waiting for the user to register a passkey: who, and how they signed in so far.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Enrol {
    pub user_id: String,
    /// `password` or `password+totp`...
    pub method: String,
    pub second_factor: bool,
    /// Opened from a registration link (the SHA-256 of its token, taken when the passkey is
    /// registered): no password was used, so the new passkey must then sign in.
    #[serde(default)]
    pub link: Option<String>,
}

pub fn password_class() -> String {
    AC_PASSWORD_PROTECTED.to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SsoSession {
    /// The session's ID (its cookie value); empty for sessions stored before it was kept.
    #[serde(default)]
    pub id: String,
    pub realm: String,
    pub user_id: String,
    pub username: String,
    pub session_index: String,
    pub authn_instant: OffsetDateTime,
    pub expires: OffsetDateTime,
    /// How the user signed in: the AuthnContextClassRef the assertions carry.
    #[serde(default = "password_class")]
    pub class: String,
    /// The account console's form token for this session.
    #[serde(default)]
    pub csrf: String,
    /// Signed in with a passkey (user verified): may also claim FIDO.
    #[serde(default)]
    pub passkey: bool,
}

impl SsoSession {
    pub fn method(&self) -> SignInMethod {
        if self.passkey {
            SignInMethod::Passkey
        } else if self.class == AC_REFEDS_MFA {
            SignInMethod::PasswordAndSecondFactor
        } else {
            SignInMethod::Password
        }
    }
}

/// Kinds of short-lived state in the store (see `StateStore`), shared by every instance.
pub const ADMIN_SESSION: &str = "idp-admin-session";
pub const FLOW: &str = "idp-login-flow";
pub const SSO_SESSION: &str = "idp-sso-session";
pub const LOCKOUT: &str = "idp-lockout";
/// A passkey sign-in's challenge state, under the login flow's ID (taken once).
pub const PASSKEY_AUTH: &str = "idp-passkey-auth";
/// A passkey registration's challenge state (taken once): `flow:{flow}` during a sign-in,
/// `account:{session}` in the account console.
pub const PASSKEY_REG: &str = "idp-passkey-reg";
/// Index of a user's SSO sessions: key `{user_id}:{session_id}`.
pub const USER_SESSION: &str = "idp-user-session";
pub const SSO_SESSION_KIND: &str = SSO_SESSION;

/// One entry of a user's session list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserSession {
    pub session_id: String,
    pub started: i64,
    pub method: String,
    /// When an assertion was last issued from this session (Unix seconds; 0: never).
    #[serde(default)]
    pub last_used: i64,
    /// The clients (entity IDs) this session signed the user in to, first reach first.
    #[serde(default)]
    pub clients: Vec<String>,
    /// The NameID (and its format) each client was given, for single logout.
    #[serde(default)]
    pub name_ids: std::collections::BTreeMap<String, (String, Option<String>)>,
}

/// At most this many clients are remembered per session.
pub const MAX_CLIENTS_REMEMBERED: usize = 50;

/// A public handle of a session: never the session ID itself (that is a bearer secret).
pub fn session_handle(session_id: &str) -> String {
    symbolon_secret::hex_sha256(session_id)
        .chars()
        .take(32)
        .collect()
}

/// How stale a session's "last used" may get before an assertion writes it again.
pub const LAST_USED_PRECISION: time::Duration = time::Duration::minutes(1);

/// Note that a session issued an assertion to `client_id` now (for the admin sessions view).
/// One point read of the session's index entry; a write only when the client is new to the
/// session or "last used" is older than [`LAST_USED_PRECISION`], so the SSO path does not write
/// on every assertion. Sessions from before `SsoSession::id` are found by their SessionIndex.
pub async fn touch_session<S: StateStore>(
    store: &S,
    session: &SsoSession,
    client_id: &str,
    name_id: Option<(&str, &str)>,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let found = if session.id.is_empty() {
        store
            .list_state(USER_SESSION, &format!("{}:", session.user_id), now)
            .await?
            .into_iter()
            .filter_map(|(k, v)| serde_json::from_str::<UserSession>(&v).ok().map(|u| (k, u)))
            .find(|(_, u)| {
                format!("_{}", u.session_id.get(..32).unwrap_or(&u.session_id))
                    == session.session_index
            })
    } else {
        let key = format!("{}:{}", session.user_id, session.id);
        get_state::<_, UserSession>(store, USER_SESSION, &key)
            .await?
            .map(|u| (key, u))
    };
    let Some((key, mut u)) = found else {
        return Ok(());
    };
    let new_client =
        !u.clients.iter().any(|c| c == client_id) && u.clients.len() < MAX_CLIENTS_REMEMBERED;
    let stale = now.unix_timestamp() - u.last_used >= LAST_USED_PRECISION.whole_seconds();
    let new_name = name_id.is_some_and(|(n, f)| {
        u.name_ids.get(client_id) != Some(&(n.to_string(), Some(f.to_string())))
    }) && u.name_ids.len() < MAX_CLIENTS_REMEMBERED;
    if !new_client && !stale && !new_name {
        return Ok(());
    }
    u.last_used = now.unix_timestamp();
    if new_client {
        u.clients.push(client_id.to_string());
    }
    if new_name && let Some((n, f)) = name_id {
        u.name_ids
            .insert(client_id.to_string(), (n.to_string(), Some(f.to_string())));
    }
    put_state(store, USER_SESSION, &key, &u, session.expires).await
}

/// An active SSO session, as the admin console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// [`session_handle`] of the session ID.
    pub handle: String,
    pub user_id: String,
    pub username: String,
    pub started: OffsetDateTime,
    pub last_used: Option<OffsetDateTime>,
    pub clients: Vec<String>,
    pub method: String,
    pub expires: OffsetDateTime,
}

/// The live SSO sessions of a realm (optionally of one user), newest first, with the index key
/// and the session ID each lives under (for revocation).
pub async fn realm_sessions<S: StateStore>(
    store: &S,
    realm: &str,
    user_id: Option<&str>,
    now: OffsetDateTime,
) -> Result<Vec<(SessionView, String, String)>, StoreError> {
    let prefix = user_id.map(|u| format!("{u}:")).unwrap_or_default();
    let mut out = Vec::new();
    for (key, v) in store.list_state(USER_SESSION, &prefix, now).await? {
        let Ok(u) = serde_json::from_str::<UserSession>(&v) else {
            continue;
        };
        let Some(s) = get_state::<_, SsoSession>(store, SSO_SESSION, &u.session_id).await? else {
            continue;
        };
        if s.realm != realm || s.expires <= now {
            continue;
        }
        let at = |t: i64| OffsetDateTime::from_unix_timestamp(t).ok();
        out.push((
            SessionView {
                handle: session_handle(&u.session_id),
                user_id: s.user_id,
                username: s.username,
                started: at(u.started).unwrap_or(s.authn_instant),
                last_used: (u.last_used > 0).then(|| at(u.last_used)).flatten(),
                clients: u.clients,
                method: u.method,
                expires: s.expires,
            },
            key,
            u.session_id,
        ));
    }
    out.sort_by_key(|v| std::cmp::Reverse(v.0.started));
    Ok(out)
}

/// Read a JSON value from the state store; a value that no longer parses counts as absent.
pub async fn get_state<S: StateStore, T: serde::de::DeserializeOwned>(
    store: &S,
    kind: &str,
    key: &str,
) -> Result<Option<T>, StoreError> {
    Ok(store
        .state(kind, key, OffsetDateTime::now_utc())
        .await?
        .and_then(|v| serde_json::from_str(&v).ok()))
}

pub async fn put_state<S: StateStore, T: Serialize>(
    store: &S,
    kind: &str,
    key: &str,
    value: &T,
    expires: OffsetDateTime,
) -> Result<(), StoreError> {
    let v = serde_json::to_string(value).map_err(|e| StoreError::Backend(e.to_string()))?;
    store.put_state(kind, key, &v, expires).await
}

/// Sign out every SSO session of a user (after an administrator reset their credentials).
/// Returns how many.
pub async fn sign_out_everywhere<S: StateStore>(
    store: &S,
    user_id: &str,
    now: OffsetDateTime,
) -> Result<usize, StoreError> {
    let list = store
        .list_state(USER_SESSION, &format!("{user_id}:"), now)
        .await?;
    let n = list.len();
    for (key, v) in list {
        if let Ok(u) = serde_json::from_str::<UserSession>(&v) {
            // Its clients are told over the back channel (where they take it).
            if let Some(mut s) =
                get_state::<_, SsoSession>(store, SSO_SESSION, &u.session_id).await?
            {
                if s.id.is_empty() {
                    s.id = u.session_id.clone();
                }
                crate::backchannel::queue_notices(store, &s, &u, now).await?;
            }
            store.delete_state(SSO_SESSION, &u.session_id).await?;
        }
        store.delete_state(USER_SESSION, &key).await?;
    }
    Ok(n)
}

/// End one SSO session: the session and its entry in the user's index. Returns the index entry
/// (the clients it reached and the NameIDs they were given), if it was there.
pub async fn end_session<S: StateStore>(
    store: &S,
    session: &SsoSession,
) -> Result<Option<UserSession>, StoreError> {
    let key = format!("{}:{}", session.user_id, session.id);
    let entry = get_state::<_, UserSession>(store, USER_SESSION, &key).await?;
    store.delete_state(SSO_SESSION, &session.id).await?;
    store.delete_state(USER_SESSION, &key).await?;
    Ok(entry)
}
