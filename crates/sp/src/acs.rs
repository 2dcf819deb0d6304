//! The ACS as one domain function: a posted response validated against every account that
//! trusts its issuer (each with its own pinned keys), consumed once, turned into account + role
//! pairs; rejections recorded within bounds (security.md rules 13, 16, 17).

use std::collections::BTreeSet;

use symbolon_saml::sp::{
    Expectation, IdpSettings, SpSettings, ValidatedAssertion, ValidationError,
};
use symbolon_store::StoreError;
use symbolon_store::sp::{IdpConfig, SpStore};
use time::OffsetDateTime;

use crate::common::{MASTER_REFUSED, Result, account_name, audit, second};

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
    /// Accounts that validated the response but are not offered: (account name, why).
    pub refused: Vec<(String, String)>,
    /// The validated attributes (for the test sign-in page).
    pub attributes: Vec<(String, Vec<String>)>,
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

/// State-store keys of the trace rate limit and of the count of rejections not recorded.
fn trace_rate_key(idp_id: &str) -> String {
    format!("sp-trace-rate:{idp_id}")
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

/// Record a refusal for the account of this configuration: a trace (Failed sign-ins) and an
/// audit entry, both carrying the reference the person was shown. Bounded per configuration
/// and window (a burst, then only a count), whoever sends the responses.
async fn record_rejection<S: SpStore>(
    store: &S,
    c: &IdpConfig,
    r: &Rejection<'_>,
    now: OffsetDateTime,
    policy: &AcsPolicy,
) {
    let burst = store
        .count_failure(&trace_rate_key(&c.id), now, now + policy.trace_window)
        .await
        .unwrap_or(u32::MAX);
    if burst > policy.trace_burst {
        let dropped = traces_not_kept(store, &c.account_id, now)
            .await
            .unwrap_or(0)
            .saturating_add(1);
        let _ = store
            .put_state(
                DROPPED_KIND,
                &traces_dropped_key(&c.account_id),
                &dropped.to_string(),
                now + time::Duration::days(7),
            )
            .await;
        return;
    }
    let _ = store
        .record_trace(
            &symbolon_store::sp::Trace {
                account_id: c.account_id.clone(),
                at: second(now),
                idp_name: c.name.clone(),
                code: r.code.into(),
                reason: r.reason.clone(),
                message: r.message.clone(),
                reference: r.reference.into(),
            },
            policy.traces_kept,
        )
        .await;
    let _ = audit(
        store,
        &c.account_id,
        &format!("urn:symbolon:identity:{}:idp/{}", c.account_id, c.id),
        "SignInFailed",
        format!("{} (reference {})", r.detail, r.reference),
        now,
    )
    .await;
}

/// Consume a response posted to the ACS: validate it against every configuration whose entity
/// ID equals its Issuer (each with its own pinned keys), consume the assertion once, then work out
/// the account + role pairs. Rejections are recorded in the audit log of each account whose
/// configuration refused it, with the precise reason, within the policy's bounds.
#[allow(clippy::too_many_arguments)]
pub async fn consume_response<S: SpStore>(
    store: &S,
    sp: &SpSettings,
    xml: &[u8],
    in_response_to: Option<&str>,
    now: OffsetDateTime,
    mode: AcsMode<'_>,
    policy: &AcsPolicy,
    reference: &str,
) -> std::result::Result<SignIn, AcsError> {
    let test_only = matches!(mode, AcsMode::Test { .. });
    let doc = symbolon_xml::parse_bytes(xml, &symbolon_xml::Limits::default())
        .map_err(|e| AcsError::Malformed(e.to_string()))?;
    let issuer = symbolon_saml::sp::issuer_hint(&doc)
        .ok_or_else(|| AcsError::Malformed("the response names no Issuer".into()))?;
    let mut configs = store.idps_by_entity_id(&issuer).await?;
    if let AcsMode::Test { account_id } = mode {
        configs.retain(|c| c.account_id == account_id);
    }
    if configs.is_empty() {
        return Err(AcsError::UnknownIssuer(issuer));
    }
    let mut accepted: Vec<(IdpConfig, ValidatedAssertion)> = Vec::new();
    let mut reasons: Vec<(IdpConfig, ValidationError)> = Vec::new();
    for c in configs {
        let (certs, _) =
            symbolon_saml::metadata::pin_certificates(c.certs.iter().map(Vec::as_slice));
        let mut settings = IdpSettings::new(c.entity_id.clone(), certs);
        settings.allow_idp_initiated = !c.sp_initiated;
        // The SP metadata says WantAssertionsSigned="true": that promise is kept.
        settings.require_signed_assertion = true;
        let expect = Expectation {
            in_response_to,
            max_assertion_lifetime: policy.max_assertion_lifetime,
            ..Expectation::at(now)
        };
        match symbolon_saml::sp::validate_response(&doc, &settings, sp, &expect) {
            Ok(v) => accepted.push((c, v)),
            Err(e) => reasons.push((c, e)),
        }
    }
    if !test_only && !reasons.is_empty() {
        // Rejections may come from anyone: what they write is bounded per identity provider
        // configuration (a burst per window, then only a count) and in size (an excerpt of
        // documents that no signature vouched for), and traces are pruned on a schedule.
        let text = String::from_utf8_lossy(xml);
        let head = excerpt(&text, TRACE_EXCERPT_BYTES * 4, "no signature verified");
        let unverified = excerpt(
            &elide_signatures(&head),
            TRACE_EXCERPT_BYTES,
            "no signature verified",
        );
        let mut verified: Option<String> = None;
        for (c, e) in &reasons {
            let message = if e.authenticated() {
                verified
                    .get_or_insert_with(|| {
                        excerpt(
                            &elide_signatures(&text),
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
                    c.name,
                    e.code()
                ),
                message,
                reference,
            };
            record_rejection(store, c, &rejection, now, policy).await;
        }
    }
    let Some((profile, first)) = accepted.first() else {
        let why = reasons
            .first()
            .map(|(_, e)| e.to_string())
            .unwrap_or_else(|| "no configuration accepted it".into());
        return Err(AcsError::Rejected(why));
    };
    let (profile, first) = (profile.clone(), first.clone());
    if !test_only {
        let k = first.replay_key();
        if !store
            .consume_assertion(&k.issuer, &k.assertion_id, k.until, now)
            .await?
        {
            let message = excerpt(
                &elide_signatures(&String::from_utf8_lossy(xml)),
                TRACE_MAX_BYTES,
                "over the size kept",
            );
            for (c, _) in &accepted {
                let rejection = Rejection {
                    code: "replay",
                    reason: "this response was already used (a replay)".into(),
                    detail: format!("replayed assertion {} from {issuer}", k.assertion_id),
                    message: message.clone(),
                    reference,
                };
                record_rejection(store, c, &rejection, now, policy).await;
            }
            return Err(AcsError::Replay);
        }
    }
    let name_id = first.name_id.clone();
    let lower = name_id.to_lowercase();
    let masters: Vec<String> = store
        .native_users_by_email(&lower)
        .await?
        .into_iter()
        .filter(|(u, _)| u.master)
        .map(|(u, _)| u.account_id)
        .collect();
    let mut pairs: Vec<Pair> = Vec::new();
    let mut refused = Vec::new();
    for (c, v) in &accepted {
        let account_name = account_name(store, &c.account_id).await?;
        if masters.contains(&c.account_id) {
            refused.push((account_name, MASTER_REFUSED.to_string()));
            if !test_only {
                let rejection = Rejection {
                    code: "master_administrator",
                    reason: format!("{name_id} is a master administrator here: SSO is refused"),
                    detail: format!(
                        "{name_id} is a master administrator of this account: single sign-on refused"
                    ),
                    message: String::new(),
                    reference,
                };
                record_rejection(store, c, &rejection, now, policy).await;
            }
            continue;
        }
        let roles = store.account_roles(&c.account_id).await?;
        let groups: BTreeSet<&str> = c
            .role_attribute
            .as_deref()
            .and_then(|n| attr_values(v, n))
            .map(|vals| vals.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let mut names: BTreeSet<String> = BTreeSet::new();
        let mut deleted: Vec<String> = Vec::new();
        for m in store.mappings(&c.id).await? {
            if groups.contains(m.group.as_str()) {
                match roles.iter().find(|r| r.id == m.role_id) {
                    Some(r) => {
                        names.insert(r.name.clone());
                    }
                    None => deleted.push(format!("{} -> {}", m.group, m.role_name)),
                }
            }
        }
        for sa in store.saml_accounts(&c.account_id).await? {
            if sa.name == lower
                && let Some(r) = roles.iter().find(|r| r.id == sa.role_id)
            {
                names.insert(r.name.clone());
            }
        }
        if names.is_empty() {
            let why = if deleted.is_empty() {
                "no group mapping and no SAML account gives this user a role here".to_string()
            } else {
                let why = format!(
                    "Your groups map only to roles that were deleted ({}). Ask the account administrator to map them again.",
                    deleted.join(", ")
                );
                refused.push((account_name, why.clone()));
                why
            };
            if !test_only {
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
                record_rejection(store, c, &rejection, now, policy).await;
            }
            continue;
        }
        for role in names {
            pairs.push(Pair {
                account_id: c.account_id.clone(),
                account_name: account_name.clone(),
                role,
                master: false,
                user_id: String::new(),
                profile: Profile::read(c, v),
            });
        }
    }
    Ok(SignIn {
        display_name: attr_first(&first, &profile.name_attribute),
        locale: attr_first(&first, &profile.locale_attribute),
        timezone: attr_first(&first, &profile.timezone_attribute),
        attributes: first
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.values.clone()))
            .collect(),
        name_id,
        pairs,
        refused,
    })
}

/// The message as an administrator may see it: signature values and certificates elided, at most
/// 64 KiB.
pub fn elide_signatures(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len().min(65_536));
    let mut rest = xml;
    while let Some(lt) = rest.find('<') {
        let (before, tag_on) = rest.split_at(lt);
        out.push_str(before);
        let Some(gt) = tag_on.find('>') else {
            out.push_str(tag_on);
            rest = "";
            break;
        };
        let (tag, after) = tag_on.split_at(gt + 1);
        out.push_str(tag);
        rest = after;
        // An opening tag whose local name carries a secret-looking value.
        let name = tag
            .trim_start_matches('<')
            .trim_end_matches('>')
            .split_whitespace()
            .next()
            .unwrap_or("");
        let local = name.rsplit(':').next().unwrap_or(name);
        if !name.starts_with('/')
            && (local == "SignatureValue" || local == "X509Certificate")
            && let Some(close) = rest.find("</")
        {
            out.push_str("…(elided)…");
            rest = rest.get(close..).unwrap_or("");
        }
    }
    out.push_str(rest);
    if out.len() > 65_536 {
        let mut cut = 65_536;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("\n…(truncated)");
    }
    out
}
