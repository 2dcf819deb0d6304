//! Single logout at the SP (SAML profiles 4.4): "Sign out" asks the identity provider to end
//! its session too (a signed LogoutRequest), and a LogoutRequest from the identity provider ends
//! the sessions it names, on every instance (sessions and their index live in the store), and is
//! answered with a signed LogoutResponse, also when no session matched.

use crate::common::{Result, SpError};
use crate::saml_sp::sp_settings;
use symbolon_dsig::{PinnedCert, SecureRandom, SigningKey};
use symbolon_saml::binding::MessageKind;
use symbolon_saml::idp::Arrival;
use symbolon_saml::logout::{
    LogoutError, LogoutMessage, Outgoing, check_logout, logout_request, logout_response, send,
    slo_endpoint,
};
use symbolon_saml::messages::LogoutRequest;
use symbolon_saml::metadata::{Endpoint, parse_metadata};
use symbolon_store::StateStore;
use symbolon_store::sp::{IdpConfig, SpStore};
use symbolon_xml::Document;
use time::OffsetDateTime;

/// State kind of the index from (IdP entity ID, SessionIndex) to the SP session, with the
/// accounts the session may enter: a LogoutRequest ends a session only when it verified with the
/// configuration of one of those accounts (a tenant that registered the same entity ID with its
/// own key cannot end another tenant's sessions). One entry per sign-in, whatever the fan-out.
pub const SLO_INDEX: &str = "sp-slo";

/// The index key of an IdP session.
pub fn slo_key(issuer: &str, session_index: &str) -> String {
    format!("{issuer}|{session_index}")
}

/// What the index keeps of a session.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct SloEntry {
    session: String,
    accounts: Vec<String>,
}

/// The index entry of a sign-in's IdP session, for the session stored under `session_key`:
/// `(key, value)`, or `None` when the IdP gave no SessionIndex.
pub fn slo_entry(sign_in: &crate::SignIn, session_key: &str) -> Option<(String, String)> {
    let si = sign_in.session_index.as_ref()?;
    let mut accounts: Vec<String> = sign_in.pairs.iter().map(|p| p.account_id.clone()).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let value = serde_json::to_string(&SloEntry {
        session: session_key.to_string(),
        accounts,
    })
    .ok()?;
    Some((slo_key(&sign_in.issuer, si), value))
}

/// The SP's single logout endpoint (both bindings).
pub fn slo_url(base_url: &str) -> String {
    format!("{}/saml/slo", base_url.trim_end_matches('/'))
}

/// The SP's back-channel logout endpoint (SOAP binding): an identity provider ends sessions
/// there without the user's browser (an administrator's revoke).
pub fn soap_url(base_url: &str) -> String {
    format!("{}/saml/slo/soap", base_url.trim_end_matches('/'))
}

/// The signed LogoutResponse, in a SOAP envelope, that answers a LogoutRequest received over
/// SOAP (no Destination: the answer goes back on the same connection).
pub fn soap_response_for(
    base_url: &str,
    req: &LogoutRequest,
    status: &str,
    key: &SigningKey,
    response_id: &str,
    now: OffsetDateTime,
    rng: &dyn SecureRandom,
) -> Result<String> {
    let xml = symbolon_saml::messages::LogoutResponse {
        id: response_id.into(),
        issue_instant: crate::common::second(now),
        destination: None,
        issuer: sp_settings(base_url).entity_id,
        in_response_to: req.id.clone(),
        status: status.into(),
    }
    .to_xml();
    symbolon_saml::soap::signed_envelope(&xml, response_id, key, rng)
        .map_err(|e| SpError::Crypto(e.to_string()))
}

/// The identity provider's single logout endpoint, from its metadata.
pub fn idp_slo_endpoint(idp: &IdpConfig) -> Option<Endpoint> {
    let entities = parse_metadata(idp.metadata_xml.as_bytes()).ok()?;
    let e = entities
        .into_iter()
        .find(|e| e.entity_id == idp.entity_id)?;
    let d = e.idp?;
    slo_endpoint(&d.single_logout).cloned()
}

/// What "Sign out" sends the identity provider: a LogoutRequest for the IdP session the sign-in
/// came from, signed with the SP's key; `None` when the IdP has no logout endpoint.
#[allow(clippy::too_many_arguments)]
pub fn logout_request_for(
    base_url: &str,
    idp: &IdpConfig,
    name_id: &str,
    name_id_format: Option<&str>,
    session_index: Option<&str>,
    key: &SigningKey,
    request_id: &str,
    relay_state: &str,
    now: OffsetDateTime,
    rng: &dyn SecureRandom,
) -> Result<Option<Outgoing>> {
    let Some(endpoint) = idp_slo_endpoint(idp) else {
        return Ok(None);
    };
    let s = sp_settings(base_url);
    let xml = logout_request(
        request_id,
        crate::common::second(now),
        &s.entity_id,
        &endpoint.location,
        name_id,
        name_id_format,
        session_index,
    );
    send(
        &xml,
        request_id,
        MessageKind::Request,
        &endpoint,
        Some(relay_state),
        key,
        rng,
    )
    .map(Some)
    .map_err(|e| SpError::Crypto(e.to_string()))
}

/// A logout message received at the SP's logout endpoint, checked against the configurations
/// that trust its Issuer: the message, and every configuration whose pinned keys verify it
/// (several accounts may pin the same key; another tenant's key verifies for that tenant only).
pub async fn receive_logout<S: SpStore>(
    store: &S,
    base_url: &str,
    doc: &Document<'_>,
    arrival: Arrival<'_>,
    now: OffsetDateTime,
) -> Result<(LogoutMessage, Vec<IdpConfig>)> {
    receive_logout_at(store, &slo_url(base_url), doc, arrival, now).await
}

/// [`receive_logout`] at one of the SP's logout endpoints (`endpoint`: the front-channel one, or
/// the SOAP one of [`soap_url`]).
pub async fn receive_logout_at<S: SpStore>(
    store: &S,
    endpoint: &str,
    doc: &Document<'_>,
    arrival: Arrival<'_>,
    now: OffsetDateTime,
) -> Result<(LogoutMessage, Vec<IdpConfig>)> {
    let issuer = symbolon_saml::sp::issuer_hint(doc)
        .ok_or_else(|| SpError::Invalid("the logout message names no Issuer".into()))?;
    let configs = store.idps_by_entity_id(&issuer).await?;
    if configs.is_empty() {
        return Err(SpError::NotFound(format!(
            "no account trusts the identity provider {issuer:?}"
        )));
    }
    let mut last: Option<LogoutError> = None;
    let mut verified: Option<(LogoutMessage, Vec<IdpConfig>)> = None;
    // One check per distinct set of pinned certificates (many accounts pin the same IdP's key):
    // the work done before a signature verifies does not grow with the number of accounts.
    type Outcome = std::result::Result<LogoutMessage, LogoutError>;
    let mut checked: Vec<(Vec<Vec<u8>>, Outcome)> = Vec::new();
    for c in configs {
        let outcome = match checked.iter().find(|(certs, _)| *certs == c.certs) {
            Some((_, o)) => o.clone(),
            None => {
                let certs: Vec<PinnedCert> = c
                    .certs
                    .iter()
                    .filter_map(|d| PinnedCert::from_der(d).ok())
                    .collect();
                let arrival = match &arrival {
                    Arrival::Redirect(m) => Arrival::Redirect(m),
                    Arrival::Post => Arrival::Post,
                };
                let o = check_logout(
                    doc,
                    arrival,
                    &certs,
                    &[endpoint],
                    now,
                    symbolon_saml::sp::DEFAULT_CLOCK_SKEW,
                );
                checked.push((c.certs.clone(), o.clone()));
                o
            }
        };
        match outcome {
            Ok(m) => match &mut verified {
                Some((_, cs)) => cs.push(c),
                None => verified = Some((m, vec![c])),
            },
            Err(e) => last = Some(e),
        }
    }
    verified.ok_or_else(|| SpError::Invalid(last.map(|e| e.to_string()).unwrap_or_default()))
}

/// End the sessions a LogoutRequest names (by SessionIndex), in the accounts whose configuration
/// verified it (`verified_by`); returns how many ended. Sessions live in the store under
/// `session_kind`, so this holds on every instance.
pub async fn end_sessions<S: StateStore>(
    store: &S,
    verified_by: &[IdpConfig],
    req: &LogoutRequest,
    session_kind: &str,
    now: OffsetDateTime,
) -> Result<usize> {
    let Some(issuer) = verified_by.first().map(|c| c.entity_id.as_str()) else {
        return Ok(0);
    };
    let mut ended = 0;
    for si in &req.session_indexes {
        let key = slo_key(issuer, si);
        let Some(v) = store.state(SLO_INDEX, &key, now).await? else {
            continue;
        };
        let Ok(entry) = serde_json::from_str::<SloEntry>(&v) else {
            continue;
        };
        // Only through an account of that session.
        if !verified_by
            .iter()
            .any(|c| entry.accounts.contains(&c.account_id))
        {
            continue;
        }
        store.delete_state(session_kind, &entry.session).await?;
        store.delete_state(SLO_INDEX, &key).await?;
        ended += 1;
    }
    Ok(ended)
}

/// The signed LogoutResponse that answers a LogoutRequest; `None` when the IdP publishes no
/// logout endpoint to send it to.
#[allow(clippy::too_many_arguments)]
pub fn logout_response_for(
    base_url: &str,
    idp: &IdpConfig,
    req: &LogoutRequest,
    status: &str,
    key: &SigningKey,
    response_id: &str,
    relay_state: Option<&str>,
    now: OffsetDateTime,
    rng: &dyn SecureRandom,
) -> Result<Option<Outgoing>> {
    let Some(endpoint) = idp_slo_endpoint(idp) else {
        return Ok(None);
    };
    let s = sp_settings(base_url);
    let to = endpoint
        .response_location
        .clone()
        .unwrap_or_else(|| endpoint.location.clone());
    let xml = logout_response(
        response_id,
        crate::common::second(now),
        &s.entity_id,
        &to,
        &req.id,
        status,
    );
    send(
        &xml,
        response_id,
        MessageKind::Response,
        &endpoint,
        relay_state,
        key,
        rng,
    )
    .map(Some)
    .map_err(|e| SpError::Crypto(e.to_string()))
}
