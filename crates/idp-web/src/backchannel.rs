//! The `idp:backchannel-logout` job: the notices `symbolon_idp::backchannel` queued when a
//! session ended without its browser are sent as signed LogoutRequests, over SOAP, to the
//! clients that publish a SOAP logout endpoint. The answer must be a LogoutResponse to that
//! request, signed by the client when its metadata gives a signing certificate. Every outcome is
//! a `LOGOUT` event of the realm; a notice whose client did not answer is tried again (at most
//! `MAX_ATTEMPTS` times).

use symbolon_dsig::SystemRandom;
use symbolon_idp::backchannel::{LogoutNotice, retry, take_due};
use symbolon_saml::idp::Arrival;
use symbolon_saml::logout::{LogoutMessage, check_logout, logout_request};
use symbolon_saml::soap::{BINDING_SOAP, signed_envelope};
use symbolon_store::{Event, IdpStore};
use symbolon_web::soap_client::SoapPoster;
use time::OffsetDateTime;

/// How often the job runs.
pub(crate) const EVERY: std::time::Duration = std::time::Duration::from_secs(3);

/// What became of one notice.
enum Outcome {
    /// Nothing to send: the client is gone, disabled, or takes no logout over SOAP.
    NoBackChannel(&'static str),
    Answered(String),
    /// The client has no signing certificate, so its answer cannot be checked.
    Unverified,
    /// Worth another attempt (no answer, an error page).
    Failed(String),
}

/// One run: send what is due; the job's outcome line.
pub(crate) async fn run<S: IdpStore>(
    store: S,
    poster: SoapPoster,
    base_url: String,
    now: OffsetDateTime,
) -> Result<String, String> {
    let due = take_due(&store, now).await.map_err(|e| e.to_string())?;
    let (mut confirmed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    for (key, notice) in due {
        let outcome = send(&store, &poster, &base_url, &notice, now).await;
        let detail = match &outcome {
            Outcome::NoBackChannel(why) => {
                skipped += 1;
                format!(
                    "session of {} ended without the browser: {} {why}; it may keep its own session",
                    notice.username, notice.client_id
                )
            }
            Outcome::Answered(status) if status == symbolon_saml::sp::STATUS_SUCCESS => {
                confirmed += 1;
                format!(
                    "back-channel logout of {} confirmed by {}",
                    notice.username, notice.client_id
                )
            }
            Outcome::Unverified => {
                failed += 1;
                format!(
                    "back-channel logout of {} sent to {}; its answer cannot be checked (its metadata has no signing certificate), so it may keep its own session",
                    notice.username, notice.client_id
                )
            }
            Outcome::Answered(status) => {
                failed += 1;
                format!(
                    "back-channel logout of {} not confirmed by {}: {status}",
                    notice.username, notice.client_id
                )
            }
            Outcome::Failed(why) => {
                let again = retry(&store, &key, notice.clone(), now)
                    .await
                    .map_err(|e| e.to_string())?;
                if again {
                    continue;
                }
                failed += 1;
                format!(
                    "back-channel logout of {} at {} failed: {why}",
                    notice.username, notice.client_id
                )
            }
        };
        let e = Event {
            realm: notice.realm.clone(),
            at: now,
            kind: "LOGOUT".into(),
            actor: Some(notice.username.clone()),
            client_id: Some(notice.client_id.clone()),
            detail,
        };
        if let Err(e) = store.record(&e).await {
            tracing::warn!("recording a back-channel logout: {e}");
        }
    }
    Ok(format!(
        "{confirmed} confirmed, {failed} not confirmed or failed, {skipped} without a back channel"
    ))
}

async fn send<S: IdpStore>(
    store: &S,
    poster: &SoapPoster,
    base_url: &str,
    n: &LogoutNotice,
    now: OffsetDateTime,
) -> Outcome {
    let client = match store.client(&n.realm, &n.client_id).await {
        Ok(Some(c)) if c.enabled => c,
        Ok(_) => return Outcome::NoBackChannel("is gone or disabled"),
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let Some(endpoint) = client.slo.iter().find(|e| e.binding == BINDING_SOAP) else {
        return Outcome::NoBackChannel("publishes no SOAP logout endpoint");
    };
    let key = match symbolon_idp::client_signing_key(store, &client).await {
        Ok(Some(k)) => Ok(k),
        Ok(None) => Err("the realm has no active key".to_string()),
        Err(e) => Err(e.to_string()),
    };
    let key = match key.and_then(|k| symbolon_idp::signing_key(&k).map_err(|e| e.to_string())) {
        Ok(k) => k,
        Err(e) => return Outcome::Failed(e),
    };
    let rng = SystemRandom::new();
    let Ok(id) = symbolon_saml::messages::new_id(&rng) else {
        return Outcome::Failed("no randomness".into());
    };
    let issuer = symbolon_idp::entity_id(base_url, &n.realm);
    let xml = logout_request(
        &id,
        now,
        &issuer,
        &endpoint.location,
        &n.name_id,
        n.format.as_deref(),
        Some(&n.session_index),
    );
    let envelope = match signed_envelope(&xml, &id, &key, &rng) {
        Ok(e) => e,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let (status, body) = match poster.post(&endpoint.location, envelope).await {
        Ok(x) => x,
        Err(e) => return Outcome::Failed(e),
    };
    let limits = symbolon_xml::Limits::default();
    let msg = match symbolon_saml::soap::message(&body, &limits) {
        Ok(m) => m,
        Err(e) => return Outcome::Failed(format!("HTTP {status}: {e}")),
    };
    let doc = match symbolon_xml::parse(msg, &limits) {
        Ok(d) => d,
        Err(e) => return Outcome::Failed(format!("not acceptable XML: {e}")),
    };
    let certs =
        symbolon_saml::metadata::pin_certificates(client.signing_certs.iter().map(Vec::as_slice)).0;
    // The answer comes on the connection we opened: it names our SAML endpoint, or nothing (an
    // empty Destination, as pysaml2 writes over SOAP, is nothing too).
    let ours = symbolon_idp::saml_endpoint(base_url, &n.realm);
    if certs.is_empty() {
        // Nothing to check an answer with: it confirms nothing (whatever it says), and the
        // administrator is told so.
        return Outcome::Unverified;
    }
    let answer = check_logout(
        &doc,
        Arrival::Post,
        &certs,
        &[&ours, ""],
        now,
        time::Duration::seconds(120),
    )
    .map_err(|e| e.to_string());
    match answer {
        Ok(LogoutMessage::Response(r))
            if r.in_response_to == id && r.issuer == client.client_id =>
        {
            Outcome::Answered(r.status)
        }
        Ok(_) => Outcome::Failed("the answer is not a LogoutResponse to our request".into()),
        Err(e) => Outcome::Failed(e),
    }
}
