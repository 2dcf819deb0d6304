//! The ACS as one domain function: a posted response validated against every account that
//! trusts its issuer (each with its own pinned keys), consumed once, turned into account + role
//! pairs; rejections recorded within bounds (security.md rules 13, 16, 17).

use std::collections::BTreeSet;

use symbolon_saml::sp::{Expectation, SpSettings, ValidatedAssertion, ValidationError};
use symbolon_store::StoreError;
use symbolon_store::sp::{
    AuditEntry, IdpConfig, Rejections, SeenUser, SignInBatch, SpStore, StateWrite, Trace,
};
use time::OffsetDateTime;

use crate::acs_cache::AcsCache;
use crate::common::{Result, second};
use crate::elide::elide_signatures;

/// One account + role a signed-in person may use.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pair {
    pub account_id: String,
    pub account_name: String,
    pub role: String,
    /// A master administrator signed in natively. Never true for a SAML sign-in.
    pub master: bool,
    /// The native user's ID (for the audit principal); empty for SAML.
    pub user_id: String,
    /// Name, locale and time zone as this account's own mapping profile reads them from the
    /// assertion (each account that trusts the IdP may read different attributes).
    #[serde(default)]
    pub profile: Profile,
}

/// What a sign-in says about the person, read through one account's mapping profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    pub display_name: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
}

impl Profile {
    fn read(c: &IdpConfig, v: &ValidatedAssertion) -> Self {
        Profile {
            display_name: attr_first(v, &c.name_attribute),
            locale: attr_first(v, &c.locale_attribute),
            timezone: attr_first(v, &c.timezone_attribute),
        }
    }
}

impl Pair {
    /// Whether this pair may administer its account (master administrators and Full Access).
    pub fn may_administer(&self) -> bool {
        self.master || self.role == "Full Access"
    }
}

/// The outcome of a response at the ACS.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SignIn {
    pub name_id: String,
    /// Before an account is chosen (the picker), the first validating account's reading; once
    /// in an account, its pair's [`Profile`] is what counts.
    pub display_name: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    /// Every account + role this person may use now.
    pub pairs: Vec<Pair>,
    /// Accounts that validated the response but are not offered: (account name, a
    /// [`not_offered`] code).
    pub refused: Vec<(String, String)>,
    /// The validated attributes (for the test sign-in page).
    pub attributes: Vec<(String, Vec<String>)>,
    /// Who vouched for it and the IdP's session, for single logout.
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub name_id_format: Option<String>,
    #[serde(default)]
    pub session_index: Option<String>,
}

/// Why a response was not accepted at all.
#[derive(Debug, thiserror::Error)]
pub enum AcsError {
    #[error("the SAMLResponse could not be read: {0}")]
    Malformed(String),
    #[error("no account trusts the identity provider {0:?}")]
    UnknownIssuer(String),
    #[error("the response was rejected: {0}")]
    Rejected(String),
    #[error("this response was already used")]
    Replay,
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// An attribute's values by its Name or, failing that, its FriendlyName (IdPs such as pysaml2
/// send `urn:mace:dir:attribute-def:displayName` with FriendlyName `displayName`).
fn attr_values<'a>(a: &'a ValidatedAssertion, name: &str) -> Option<&'a [String]> {
    a.attribute(name).or_else(|| {
        a.attributes
            .iter()
            .find(|x| x.friendly_name.as_deref() == Some(name))
            .map(|x| x.values.as_slice())
    })
}

fn attr_first(a: &ValidatedAssertion, name: &Option<String>) -> Option<String> {
    name.as_deref()
        .and_then(|n| attr_values(a, n))
        .and_then(|v| v.first())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// How the ACS evaluates a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcsMode<'a> {
    /// A real sign-in: every account that trusts the issuer takes part; the assertion is
    /// consumed; rejections are recorded (bounded, see [`AcsPolicy`]).
    SignIn,
    /// An administrator's "test sign-in": only this account's configurations are evaluated
    /// (nothing of another account is ever shown), nothing is consumed or recorded.
    Test { account_id: &'a str },
}

/// The service provider's acceptance and recording policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcsPolicy {
    /// An assertion is accepted at most this long after its IssueInstant (plus the clock skew),
    /// whatever its NotOnOrAfter says; bounds how long a replay-cache entry lives.
    pub max_assertion_lifetime: time::Duration,
    /// Rejections recorded (trace and audit entry) per identity provider configuration and
    /// window; further ones are only counted.
    pub trace_burst: u32,
    pub trace_window: time::Duration,
    /// Traces kept per account and identity provider (the newest).
    pub traces_kept: u32,
}

impl Default for AcsPolicy {
    fn default() -> Self {
        AcsPolicy {
            max_assertion_lifetime: symbolon_saml::sp::DEFAULT_MAX_ASSERTION_LIFETIME,
            trace_burst: 20,
            trace_window: time::Duration::minutes(10),
            traces_kept: 100,
        }
    }
}

/// What a trace keeps of a document that failed before any signature verified (it may come
/// from anyone): this many bytes. A document that verified and failed a protocol check is kept
/// up to [`TRACE_MAX_BYTES`].
pub const TRACE_EXCERPT_BYTES: usize = 2048;
pub const TRACE_MAX_BYTES: usize = 65_536;

/// State-store keys of the trace rate limit (per Issuer) and of the count of rejections not
/// recorded (per account).
fn trace_rate_key(issuer: &str) -> String {
    format!("sp-trace-rate:{issuer}")
}
fn traces_dropped_key(account_id: &str) -> String {
    format!("sp-traces-dropped:{account_id}")
}

/// How many rejections of this account were counted but not recorded in the last seven days.
pub async fn traces_not_kept<S: SpStore>(
    store: &S,
    account_id: &str,
    now: OffsetDateTime,
) -> Result<u32> {
    Ok(store
        .state(DROPPED_KIND, &traces_dropped_key(account_id), now)
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}
const DROPPED_KIND: &str = "sp-traces-dropped";

/// `text` cut to at most `max` bytes on a character boundary, saying how much was left out.
fn excerpt(text: &str, max: usize, why: &str) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n…({} more bytes not kept: {why})",
        text.get(..end).unwrap_or_default(),
        text.len() - end
    )
}

/// One refused response, as an account's administrators see it.
struct Rejection<'a> {
    code: &'a str,
    reason: String,
    /// The audit-log line.
    detail: String,
    /// What the trace keeps of the message.
    message: String,
    reference: &'a str,
}

/// A refusal as the trace (Failed sign-ins) and audit entry of the configuration's account,
/// both carrying the reference the person was shown.
fn rejection_entry(c: &IdpConfig, r: &Rejection<'_>, now: OffsetDateTime) -> (Trace, AuditEntry) {
    (
        Trace {
            account_id: c.account_id.clone(),
            at: second(now),
            idp_name: c.name.clone(),
            code: r.code.into(),
            reason: r.reason.clone(),
            message: r.message.clone(),
            reference: r.reference.into(),
        },
        AuditEntry {
            account_id: c.account_id.clone(),
            at: now,
            principal: format!("urn:symbolon:identity:{}:idp/{}", c.account_id, c.id),
            action: "SignInFailed".into(),
            detail: format!("{} (reference {})", r.detail, r.reference),
        },
    )
}

/// The refusals of one response, bounded per Issuer and window (a burst, then only a count per
/// refusing account), whoever sends the responses.
/// Tell each refusing account's webhooks (`sign-in.failed`, bounded per account and minute).
async fn notify_refusals<S: SpStore>(store: &S, r: &Rejections, now: OffsetDateTime) {
    for (t, _) in &r.entries {
        crate::webhooks::notify(
            store,
            &t.account_id,
            "sign-in.failed",
            serde_json::json!({
                "identityProvider": t.idp_name, "code": t.code, "reason": t.reason,
                "reference": t.reference,
            }),
            now,
        )
        .await;
    }
}

fn rejections(
    issuer: &str,
    entries: Vec<(Trace, AuditEntry)>,
    now: OffsetDateTime,
    policy: &AcsPolicy,
) -> Option<Rejections> {
    if entries.is_empty() {
        return None;
    }
    let dropped_keys: BTreeSet<String> = entries
        .iter()
        .map(|(t, _)| traces_dropped_key(&t.account_id))
        .collect();
    Some(Rejections {
        rate_key: trace_rate_key(issuer),
        burst: policy.trace_burst,
        window_ends: now + policy.trace_window,
        dropped_kind: DROPPED_KIND.into(),
        dropped_keys: dropped_keys.into_iter().collect(),
        dropped_expires: now + time::Duration::days(7),
        keep: policy.traces_kept,
        entries,
    })
}

/// What the ACS needs besides the response: the store, this process's [`AcsCache`], the SP's
/// keys, its settings and the acceptance policy.
#[derive(Debug)]
pub struct Acs<'a, S> {
    pub store: &'a S,
    pub cache: &'a AcsCache,
    /// The SP's keys, for an encrypted assertion.
    pub keys: &'a crate::SpKeys,
    pub sp: &'a SpSettings,
    pub policy: &'a AcsPolicy,
}

/// Consume a response posted to the ACS: validate it against every configuration whose entity
/// ID equals its Issuer (once per distinct pinned key set), work out the account + role pairs,
/// and write everything in one transaction: the assertion consumed (once, across instances), the
/// SAML user and audit entry of a single pair, the session `open_session` makes of the result,
/// and the refusals. Refusals are recorded in the account whose configuration refused the
/// response, with the precise reason, within the policy's bounds; an account that validated the
/// response but grants no role records it only when the person gets into no account at all.
/// In [`AcsMode::Test`] nothing is written and `open_session` is not called.
/// What a person deactivated or removed by provisioning is told.
/// Why an account that validated the response is not offered (the second of each
/// [`SignIn::refused`] pair): a code the HTTP crate renders in the person's language.
pub mod not_offered {
    /// The person is a master administrator of the account: SSO is always refused.
    pub const MASTER: &str = "master_administrator";
    /// Provisioning (SCIM) deactivated or removed the person.
    pub const DEPROVISIONED: &str = "deprovisioned";
    /// Followed by `:` and the mappings (`group -> role`, comma-separated) whose roles were
    /// deleted, the only ones the person's groups had.
    pub const ROLES_DELETED: &str = "roles_deleted";
}

pub async fn consume_response<S: SpStore>(
    acs: &Acs<'_, S>,
    xml: &[u8],
    in_response_to: Option<&str>,
    now: OffsetDateTime,
    mode: AcsMode<'_>,
    reference: &str,
    open_session: impl FnOnce(&SignIn) -> Option<StateWrite>,
) -> std::result::Result<SignIn, AcsError> {
    let (store, policy) = (acs.store, acs.policy);
    let test_only = matches!(mode, AcsMode::Test { .. });
    let doc = symbolon_xml::parse_bytes(xml, &symbolon_xml::Limits::default())
        .map_err(|e| AcsError::Malformed(e.to_string()))?;
    let issuer = symbolon_saml::sp::issuer_hint(&doc)
        .ok_or_else(|| AcsError::Malformed("the response names no Issuer".into()))?;
    let trust = acs.cache.trust(store, &issuer).await?;
    let included = |i: usize| match mode {
        AcsMode::Test { account_id } => trust
            .accounts
            .get(i)
            .is_some_and(|t| t.config.account_id == account_id),
        AcsMode::SignIn => true,
    };
    if !(0..trust.accounts.len()).any(included) {
        return Err(AcsError::UnknownIssuer(issuer));
    }
    let expect = Expectation {
        in_response_to,
        max_assertion_lifetime: policy.max_assertion_lifetime,
        ..Expectation::at(now)
    };
    // An encrypted assertion is decrypted once, with the SP's key, and only for an Issuer some
    // account trusts (one private-key operation per response, see `symbolon_saml::encrypted`).
    // AES-CBC only when a configuration for this Issuer opted in (and then only for those).
    let decrypted = if symbolon_saml::encrypted::has_encrypted_assertion(&doc) {
        let policy = symbolon_dsig::enc::DecryptPolicy {
            allow_cbc: trust.groups.iter().any(|(s, _)| s.allow_cbc),
        };
        Some(match acs.keys.existing(store).await {
            Ok(None) => Err(ValidationError::EncryptedAssertion),
            Ok(Some(k)) => {
                symbolon_saml::encrypted::decrypt_assertion(&doc, &k.decryption, &policy)
            }
            Err(crate::SpError::Store(e)) => return Err(AcsError::Store(e)),
            Err(e) => {
                tracing::error!("the SP key cannot decrypt: {e}");
                Err(ValidationError::EncryptedAssertion)
            }
        })
    } else {
        None
    };
    let decrypted_doc = match &decrypted {
        Some(Ok(d)) => Some(d.parse(&symbolon_xml::Limits::default())),
        _ => None,
    };
    let validate = |settings: &symbolon_saml::IdpSettings| match (&decrypted, &decrypted_doc) {
        (None, _) => symbolon_saml::sp::validate_response(&doc, settings, acs.sp, &expect),
        (Some(Err(e)), _) | (_, Some(Err(e))) => Err(e.clone()),
        (Some(Ok(dec)), Some(Ok(d))) => symbolon_saml::sp::validate_decrypted_response(
            &doc, d, dec.data, settings, acs.sp, &expect,
        ),
        (Some(Ok(_)), None) => Err(ValidationError::EncryptedAssertion),
    };
    // One validation per group of configurations that pin the same keys.
    let mut outcomes: Vec<std::result::Result<ValidatedAssertion, ValidationError>> = Vec::new();
    let mut accepted: Vec<(usize, usize)> = Vec::new();
    let mut reasons: Vec<(usize, usize)> = Vec::new();
    for (settings, members) in &trust.groups {
        let members: Vec<usize> = members.iter().copied().filter(|&i| included(i)).collect();
        if members.is_empty() {
            continue;
        }
        let g = outcomes.len();
        let outcome = validate(settings);
        let list = if outcome.is_ok() {
            &mut accepted
        } else {
            &mut reasons
        };
        list.extend(members.into_iter().map(|i| (i, g)));
        outcomes.push(outcome);
    }
    accepted.sort_unstable();
    let mut entries: Vec<(Trace, AuditEntry)> = Vec::new();
    if !test_only && !reasons.is_empty() {
        // Rejections may come from anyone: what they write is bounded per Issuer (a burst per
        // window, then only a count) and in size (an excerpt of documents that no signature
        // vouched for), and traces are pruned on a schedule.
        let text = String::from_utf8_lossy(xml);
        // A response that verified after decryption is kept as decrypted, so that the
        // administrator sees what was refused.
        let verified_text = match &decrypted {
            Some(Ok(d)) => std::borrow::Cow::Borrowed(d.xml.as_str()),
            _ => text.clone(),
        };
        let head = excerpt(&text, TRACE_EXCERPT_BYTES * 4, "no signature verified");
        // Nothing vouched for it with this account's keys: it may be another account's user's
        // response (an account may register any Issuer), so no identity value is kept.
        let unverified = excerpt(
            &crate::elide::elide_identity(&elide_signatures(&head)),
            TRACE_EXCERPT_BYTES,
            "no signature verified",
        );
        let mut verified: Option<String> = None;
        for &(i, g) in &reasons {
            let (Some(t), Some(Err(e))) = (trust.accounts.get(i), outcomes.get(g)) else {
                continue;
            };
            let message = if e.authenticated() {
                verified
                    .get_or_insert_with(|| {
                        excerpt(
                            &elide_signatures(&verified_text),
                            TRACE_MAX_BYTES,
                            "over the size kept",
                        )
                    })
                    .clone()
            } else {
                unverified.clone()
            };
            let rejection = Rejection {
                code: e.code(),
                reason: e.to_string(),
                detail: format!(
                    "response from {issuer} rejected by {}: {e} [{}]",
                    t.config.name,
                    e.code()
                ),
                message,
                reference,
            };
            entries.push(rejection_entry(&t.config, &rejection, now));
        }
    }
    let first = accepted
        .first()
        .and_then(|&(i, g)| Some((trust.accounts.get(i)?, outcomes.get(g)?.as_ref().ok()?)));
    let Some((profile, first)) = first else {
        if let Some(r) = rejections(&issuer, entries, now, policy) {
            // Best effort: the refusal stands whether or not it could be recorded.
            let _ = store.record_rejections(&r, now).await;
            notify_refusals(store, &r, now).await;
        }
        let why = reasons
            .first()
            .and_then(|&(_, g)| outcomes.get(g)?.as_ref().err().map(|e| e.to_string()))
            .unwrap_or_else(|| "no configuration accepted it".into());
        return Err(AcsError::Rejected(why));
    };
    let name_id = first.name_id.clone();
    let lower = name_id.to_lowercase();
    let mut pairs: Vec<Pair> = Vec::new();
    let mut refused = Vec::new();
    let mut no_role: Vec<(Trace, AuditEntry)> = Vec::new();
    for &(i, g) in &accepted {
        let (Some(t), Some(Ok(v))) = (trust.accounts.get(i), outcomes.get(g)) else {
            continue;
        };
        let c = &t.config;
        if t.masters.contains(&lower) {
            refused.push((t.account_name.clone(), not_offered::MASTER.to_string()));
            let rejection = Rejection {
                code: "master_administrator",
                reason: format!("{name_id} is a master administrator here: SSO is refused"),
                detail: format!(
                    "{name_id} is a master administrator of this account: single sign-on refused"
                ),
                message: String::new(),
                reference,
            };
            entries.push(rejection_entry(c, &rejection, now));
            continue;
        }
        // Provisioning (SCIM) has the last word on who may come in: a deactivated or deleted
        // user is refused whatever the assertion says.
        let provisioned = t.provisioned.get(&lower);
        if provisioned.is_some_and(|p| !p.active)
            || (provisioned.is_none() && t.removed.contains(&lower))
        {
            refused.push((
                t.account_name.clone(),
                not_offered::DEPROVISIONED.to_string(),
            ));
            let rejection = Rejection {
                code: "deprovisioned",
                reason: format!("{name_id} was deactivated or removed by provisioning"),
                detail: format!(
                    "{name_id} signed in through {} but was deactivated or removed by provisioning (SCIM): single sign-on refused",
                    c.name
                ),
                message: String::new(),
                reference,
            };
            entries.push(rejection_entry(c, &rejection, now));
            continue;
        }
        let mut groups: BTreeSet<&str> = c
            .role_attribute
            .as_deref()
            .and_then(|n| attr_values(v, n))
            .map(|vals| vals.iter().map(String::as_str).collect())
            .unwrap_or_default();
        // A provisioned user's groups count as if the assertion had named them.
        if let Some(p) = provisioned {
            groups.extend(p.groups.iter().map(String::as_str));
        }
        let mut names: BTreeSet<String> = BTreeSet::new();
        let mut deleted: Vec<String> = Vec::new();
        for m in &t.mappings {
            if groups.contains(m.group.as_str()) {
                match t.roles.iter().find(|r| r.id == m.role_id) {
                    Some(r) => {
                        names.insert(r.name.clone());
                    }
                    None => deleted.push(format!("{} -> {}", m.group, m.role_name)),
                }
            }
        }
        for role_id in t.saml_accounts.get(&lower).into_iter().flatten() {
            if let Some(r) = t.roles.iter().find(|r| &r.id == role_id) {
                names.insert(r.name.clone());
            }
        }
        if names.is_empty()
            && provisioned.is_some()
            && let Some(r) = t
                .default_role
                .as_ref()
                .and_then(|id| t.roles.iter().find(|r| &r.id == id))
        {
            names.insert(r.name.clone());
        }
        if names.is_empty() {
            let why = if deleted.is_empty() {
                "no group mapping and no SAML account gives this user a role here".to_string()
            } else {
                let list = deleted.join(", ");
                refused.push((
                    t.account_name.clone(),
                    format!("{}:{list}", not_offered::ROLES_DELETED),
                ));
                format!("the user's groups map only to roles that were deleted ({list})")
            };
            let rejection = Rejection {
                code: "no_role",
                reason: format!("{name_id}: {why}"),
                detail: format!(
                    "{name_id} signed in through {} but has no role here: {why}",
                    c.name
                ),
                message: String::new(),
                reference,
            };
            no_role.push(rejection_entry(c, &rejection, now));
            continue;
        }
        for role in names {
            pairs.push(Pair {
                account_id: c.account_id.clone(),
                account_name: t.account_name.clone(),
                role,
                master: false,
                user_id: String::new(),
                profile: Profile::read(c, v),
            });
        }
    }
    // An account that grants nothing is worth a trace only when the person got in nowhere.
    if pairs.is_empty() {
        entries.append(&mut no_role);
    }
    let sign_in = SignIn {
        display_name: attr_first(first, &profile.config.name_attribute),
        locale: attr_first(first, &profile.config.locale_attribute),
        timezone: attr_first(first, &profile.config.timezone_attribute),
        attributes: first
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.values.clone()))
            .collect(),
        name_id,
        pairs,
        refused,
        issuer: first.issuer.clone(),
        name_id_format: first.name_id_format.clone(),
        session_index: first.session_index.clone(),
    };
    if test_only {
        return Ok(sign_in);
    }
    let user = match sign_in.pairs.as_slice() {
        [p] => Some(SeenUser {
            account_id: p.account_id.clone(),
            name_id: sign_in.name_id.clone(),
            role: p.role.clone(),
            new_id: crate::accounts::new_saml_user_id(),
            at: second(now),
            action: "SignIn".into(),
            detail: crate::accounts::sign_in_detail(&sign_in.name_id, &p.role),
        }),
        _ => None,
    };
    // The session, and the index single logout finds it by (the IdP's Issuer and SessionIndex).
    let mut state = Vec::new();
    if !sign_in.pairs.is_empty()
        && let Some(w) = open_session(&sign_in)
    {
        if let Some((key, value)) = crate::logout::slo_entry(&sign_in, &w.key) {
            state.push(StateWrite {
                kind: crate::logout::SLO_INDEX.into(),
                key,
                value,
                expires: w.expires,
            });
        }
        // Where provisioning finds the session to end it.
        let accounts: Vec<&str> = sign_in
            .pairs
            .iter()
            .map(|p| p.account_id.as_str())
            .collect();
        state.extend(crate::scim::session_index_entries(
            &accounts,
            &sign_in.name_id,
            &w.key,
            w.expires,
        ));
        state.insert(0, w);
    }
    let k = first.replay_key();
    let batch = SignInBatch {
        issuer: k.issuer.clone(),
        assertion_id: k.assertion_id.clone(),
        until: k.until,
        user,
        state,
        rejections: rejections(&issuer, entries, now, policy),
    };
    if store.commit_sign_in(&batch, now).await? {
        if let Some(r) = &batch.rejections {
            notify_refusals(store, r, now).await;
        }
        return Ok(sign_in);
    }
    // A replay: nothing of the batch was written; the refusals are, with the replay itself
    // for every account that would have accepted the response.
    let message = excerpt(
        &elide_signatures(&String::from_utf8_lossy(xml)),
        TRACE_MAX_BYTES,
        "over the size kept",
    );
    let mut entries = batch.rejections.map(|r| r.entries).unwrap_or_default();
    for &(i, _) in &accepted {
        let Some(t) = trust.accounts.get(i) else {
            continue;
        };
        let rejection = Rejection {
            code: "replay",
            reason: "this response was already used (a replay)".into(),
            detail: format!("replayed assertion {} from {issuer}", k.assertion_id),
            message: message.clone(),
            reference,
        };
        entries.push(rejection_entry(&t.config, &rejection, now));
    }
    if let Some(r) = rejections(&issuer, entries, now, policy) {
        let _ = store.record_rejections(&r, now).await;
        notify_refusals(store, &r, now).await;
    }
    Err(AcsError::Replay)
}
