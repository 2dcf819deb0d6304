//! Answers to the service provider: the signed Response (or a signed error status) delivered
//! to its ACS through an auto-submitting form.

use crate::error::{WebError, random_token};
use crate::state::{AppState, event};
use axum::http::StatusCode;
use axum::response::Response;
use symbolon_dsig::{SignOptions, SystemRandom};
use symbolon_idp::sessions::SsoSession;
use symbolon_saml::binding::{post_form, post_form_script_csp_hash};
use symbolon_saml::idp::{ResponseParams, SignParts, SpRegistration, build_response_for};
use symbolon_saml::messages::{NAMEID_EMAIL, NAMEID_PERSISTENT, new_id};
use symbolon_saml::metadata::pin_certificates;
use symbolon_store::{Client, IdpStore, MapperSource, Realm, User};
use time::{Duration, OffsetDateTime};

pub(crate) fn registration(c: &Client) -> SpRegistration {
    let acs = symbolon_idp::client_acs(c);
    SpRegistration {
        entity_id: c.client_id.clone(),
        acs,
        signing_certs: pin_certificates(c.signing_certs.iter().map(Vec::as_slice)).0,
        require_signed_requests: c.client_signature_required,
        allow_sha1: false,
    }
}

/// Why a request was refused: recorded for the administrator, a short message for the user.
pub(crate) async fn reject<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
    client: Option<&str>,
    reason: String,
) -> WebError {
    event(
        st,
        realm,
        "AUTHN_REQUEST_ERROR",
        None,
        client,
        reason.clone(),
    )
    .await;
    WebError::bad_request(crate::error::Msg::With(
        "err-request-refused",
        "reason",
        reason,
    ))
}

/// Build, sign and deliver the Response through an auto-submitting form.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn issue<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    client: &Client,
    user: &User,
    session: &SsoSession,
    acs_url: &str,
    in_response_to: Option<String>,
    relay_state: Option<String>,
    requested_format: Option<&str>,
) -> Result<Response, WebError> {
    if !symbolon_idp::may_use(&st.store, client, user).await? {
        event(
            st,
            &realm.name,
            "LOGIN_ERROR",
            Some(&user.username),
            Some(&client.client_id),
            "user is not assigned to this client".into(),
        )
        .await;
        return Err(WebError::new(
            StatusCode::FORBIDDEN,
            "err-access-denied-title",
            "err-access-denied",
        ));
    }
    let groups = symbolon_idp::user_group_paths(&st.store, user).await?;
    let roles = if client
        .mappers
        .iter()
        .any(|m| m.source == MapperSource::RoleList)
    {
        symbolon_idp::roles::user_roles(&st.store, user).await?
    } else {
        vec![]
    };
    let key = st.client_signing_key(client).await?;
    let rng = SystemRandom::new();
    let id = || new_id(&rng).map_err(|_| WebError::internal());
    let format = requested_format.unwrap_or(&client.name_id_format);
    let (name_id, format) = if format == NAMEID_PERSISTENT {
        (
            symbolon_idp::persistent_name_id(&st.store, client, user, OffsetDateTime::now_utc())
                .await?,
            NAMEID_PERSISTENT.to_string(),
        )
    } else if format == NAMEID_EMAIL && user.email.is_none() && requested_format.is_some() {
        // The SP asked for an email address this user does not have: say so in SAML terms.
        return refuse_request(
            st,
            realm,
            client,
            Some(&user.username),
            acs_url,
            in_response_to.as_deref().unwrap_or_default(),
            relay_state,
            symbolon_saml::idp::STATUS_INVALID_NAMEID_POLICY,
            "The requested name identifier format cannot be provided for this user.",
            "NameIDPolicy asks for an email address and the user has none: InvalidNameIDPolicy"
                .into(),
        )
        .await;
    } else {
        {
            // A fresh random value only where the format uses one.
            let transient = if format == symbolon_saml::messages::NAMEID_TRANSIENT {
                random_token()?
            } else {
                String::new()
            };
            symbolon_idp::signin::name_id(format, user, &transient).map_err(|_| {
                WebError::new(
                    StatusCode::FORBIDDEN,
                    "err-email-required-title",
                    "err-email-required",
                )
            })?
        }
    };
    // For the administrators' sessions view (when this session was last used, and for whom) and
    // for single logout (the NameID each client was given).
    if let Err(e) = symbolon_idp::sessions::touch_session(
        &st.store,
        session,
        &client.client_id,
        Some((&name_id, &format)),
        time::OffsetDateTime::now_utc(),
    )
    .await
    {
        tracing::warn!("recording a session's use: {e}");
    }
    let now = OffsetDateTime::now_utc();
    let params = ResponseParams {
        response_id: id()?,
        assertion_id: id()?,
        now,
        idp_entity_id: symbolon_idp::entity_id(&st.cfg.base_url, &realm.name),
        destination: acs_url.to_string(),
        in_response_to: in_response_to.clone(),
        audience: client.client_id.clone(),
        name_id,
        name_id_format: Some(format),
        sp_name_qualifier: None,
        lifespan: Duration::seconds(
            client
                .assertion_lifespan_secs
                .unwrap_or(realm.assertion_lifespan_secs),
        ),
        not_before_slack: Duration::seconds(30),
        session_index: Some(session.session_index.clone()),
        session_not_on_or_after: Some(session.expires),
        authn_instant: session.authn_instant,
        authn_context_class_ref: session.class.clone(),
        attributes: symbolon_idp::signin::attributes(client, user, &groups, &roles),
    };
    let parts = SignParts {
        response: client.sign_documents,
        assertion: client.sign_assertions || !client.sign_documents,
    };
    let opts = sign_options(client, &key);
    let encryption = match symbolon_idp::client_encryption(client) {
        Ok(e) => e,
        Err(e) => {
            return Err(reject(st, &realm.name, Some(&client.client_id), e.to_string()).await);
        }
    };
    let xml = build_response_for(
        &params,
        parts,
        encryption.as_ref().map(|(c, o)| (c, o)),
        &key,
        &opts,
        &rng,
    )
    .map_err(|_| WebError::internal())?;
    event(
        st,
        &realm.name,
        "SAML_RESPONSE",
        Some(&user.username),
        Some(&client.client_id),
        format!(
            "session {}{}",
            session.session_index,
            in_response_to
                .map(|r| format!(", in response to {r}"))
                .unwrap_or_default()
        ),
    )
    .await;
    response_counted("success");
    Ok(deliver(acs_url, &xml, relay_state.as_deref()))
}

/// The client's signature options: its algorithm when it fits the realm key, else the key's own.
pub(crate) fn sign_options(client: &Client, key: &symbolon_dsig::SigningKey) -> SignOptions {
    let mut opts = SignOptions::for_key(key);
    if let Some(alg) = symbolon_dsig::SignatureAlgorithm::from_name(&client.signature_algorithm)
        && alg.is_rsa() == opts.algorithm.is_rsa()
        && !alg.is_sha1()
    {
        opts = SignOptions {
            algorithm: alg,
            digest: symbolon_dsig::DigestAlgorithm::matching(alg),
        };
    }
    opts
}

/// A request this IdP refuses in SAML terms: a `LOGIN_ERROR` event saying `why`, then the signed
/// error status at the ACS ([`error_response`]).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn refuse_request<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    client: &Client,
    username: Option<&str>,
    acs_url: &str,
    in_response_to: &str,
    relay_state: Option<String>,
    sub_code: &str,
    message: &str,
    why: String,
) -> Result<Response, WebError> {
    response_counted("refused");
    event(
        st,
        &realm.name,
        "LOGIN_ERROR",
        username,
        Some(&client.client_id),
        why,
    )
    .await;
    error_response(
        st,
        realm,
        client,
        acs_url,
        in_response_to,
        relay_state,
        sub_code,
        message,
    )
    .await
}

/// A signed Response with an error status (Responder + `sub_code`) and no assertion, delivered
/// to the ACS like any response.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn error_response<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    client: &Client,
    acs_url: &str,
    in_response_to: &str,
    relay_state: Option<String>,
    sub_code: &str,
    message: &str,
) -> Result<Response, WebError> {
    let key = st.client_signing_key(client).await?;
    let rng = SystemRandom::new();
    let id = new_id(&rng).map_err(|_| WebError::internal())?;
    let xml = symbolon_saml::idp::build_error_response(
        &id,
        OffsetDateTime::now_utc(),
        &symbolon_idp::entity_id(&st.cfg.base_url, &realm.name),
        acs_url,
        Some(in_response_to),
        symbolon_saml::idp::STATUS_RESPONDER,
        Some(sub_code),
        Some(message),
        &key,
        &sign_options(client, &key),
        &rng,
    )
    .map_err(|_| WebError::internal())?;
    Ok(deliver(acs_url, &xml, relay_state.as_deref()))
}

/// The auto-submitting POST form that carries a response to the ACS, with its own CSP.
pub(crate) fn deliver(acs_url: &str, xml: &str, relay_state: Option<&str>) -> Response {
    let body = post_form(acs_url, "SAMLResponse", xml.as_bytes(), relay_state);
    symbolon_web::page::auto_post(acs_url, body, &post_form_script_csp_hash())
}

/// `symbolon_idp_responses_total{outcome}`: a signed response to an ACS, success or a SAML
/// error status (refused).
pub(crate) fn response_counted(outcome: &'static str) {
    metrics::counter!("symbolon_idp_responses_total", "outcome" => outcome).increment(1);
}

#[cfg(test)]
mod tests {
    use crate::state::{WebConfig, cookie, cookie_name, same_origin};
    use axum::http::{HeaderMap, HeaderValue, header};

    #[test]
    fn cookies_and_origins() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; SYMBOLON_IDP_SESSION_acme=abc; b=2"),
        );
        assert_eq!(cookie(&h, &cookie_name("acme")).as_deref(), Some("abc"));
        assert_eq!(
            cookie(&h, "SYMBOLON_IDP_SESSION_ac"),
            None,
            "no prefix match"
        );
        let cfg = WebConfig::new("https://idp.example.test/");
        let mut h = HeaderMap::new();
        assert!(same_origin(&cfg, &h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://idp.example.test"),
        );
        assert!(same_origin(&cfg, &h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.test"),
        );
        assert!(!same_origin(&cfg, &h));
    }
}
