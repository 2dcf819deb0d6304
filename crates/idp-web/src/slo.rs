//! Single logout at the IdP (SAML profiles 4.4, front channel): a LogoutRequest from a client
//! (at the realm's SAML endpoint, either binding) ends the browser's SSO session when its NameID
//! and SessionIndex match, then every other client the session reached that has a logout
//! endpoint is asked in turn through the browser, and the initiator is answered with `Success`
//! or `PartialLogout`. The account console's "Sign out everywhere" runs the same round and shows
//! which applications may still be signed in.

use crate::error::{WebError, html};
use crate::respond::reject;
use crate::state::{AppState, cookie_name, event, live_session};
use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use symbolon_dsig::SystemRandom;
use symbolon_idp::sessions::{SsoSession, end_session, get_state, put_state};
use symbolon_saml::binding::MessageKind;
use symbolon_saml::idp::Arrival;
use symbolon_saml::logout::{
    LogoutMessage, STATUS_PARTIAL_LOGOUT, check_logout, logout_request, logout_response, send,
};
use symbolon_saml::metadata::pin_certificates;
use symbolon_saml::sp::STATUS_SUCCESS;
use symbolon_store::{IdpStore, Realm};
use time::OffsetDateTime;

/// State kind of a logout round in progress, under the RelayState it travels with.
pub(crate) const LOGOUT_FLOW: &str = "idp-logout-flow";
/// How long a participant has to answer before the round is forgotten.
pub(crate) const STEP: time::Duration = time::Duration::minutes(5);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Initiator {
    client_id: String,
    request_id: String,
    relay_state: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LogoutFlow {
    pub(crate) realm: String,
    pub(crate) session_index: String,
    /// The client that asked, or `None` when the user signed out at the IdP.
    pub(crate) initiator: Option<Initiator>,
    /// Still to ask: (client ID, NameID, format), the next one last.
    pub(crate) pending: Vec<(String, String, Option<String>)>,
    /// Asked now: (client ID, LogoutRequest ID).
    pub(crate) current: Option<(String, String)>,
    pub(crate) confirmed: Vec<String>,
    pub(crate) unconfirmed: Vec<String>,
}

#[derive(Template)]
#[template(path = "logged_out.html")]
struct LoggedOutPage<'a> {
    t: symbolon_web::i18n::Tr,
    realm: &'a str,
    confirmed: &'a [String],
    unconfirmed: &'a [String],
}

pub(crate) fn clear_cookie(mut r: Response, realm: &str, secure: bool) -> Response {
    let attrs = if secure { "; Secure" } else { "" };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{}=; Path=/realms/{realm}/; HttpOnly; SameSite=Lax; Max-Age=0{attrs}",
        cookie_name(realm)
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// A logout message at the realm's SAML endpoint.
pub(crate) async fn logout<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    doc: &symbolon_xml::Document<'_>,
    arrival: Arrival<'_>,
    relay_state: Option<String>,
    headers: &HeaderMap,
) -> Result<Response, WebError> {
    let now = OffsetDateTime::now_utc();
    let issuer = symbolon_saml::sp::issuer_hint(doc).unwrap_or_default();
    let Some(client) = st.store.client(&realm.name, &issuer).await? else {
        return Err(reject(
            st,
            &realm.name,
            None,
            format!("logout from unknown client {issuer:?}"),
        )
        .await);
    };
    let certs = pin_certificates(client.signing_certs.iter().map(Vec::as_slice)).0;
    let endpoint = symbolon_idp::saml_endpoint(&st.cfg.base_url, &realm.name);
    let msg = match check_logout(
        doc,
        arrival,
        &certs,
        &[&endpoint],
        now,
        time::Duration::seconds(120),
    ) {
        Ok(m) => m,
        Err(e) => {
            return Err(reject(st, &realm.name, Some(&client.client_id), e.to_string()).await);
        }
    };
    match msg {
        LogoutMessage::Request(req) => {
            let session = live_session(st, &realm.name, headers).await?;
            let mut flow = LogoutFlow {
                realm: realm.name.clone(),
                session_index: String::new(),
                initiator: Some(Initiator {
                    client_id: client.client_id.clone(),
                    request_id: req.id.clone(),
                    relay_state,
                }),
                pending: vec![],
                current: None,
                confirmed: vec![],
                unconfirmed: vec![],
            };
            // The browser's session, when the request names it (SessionIndex and the NameID this
            // client was given); otherwise there is nothing of it here to end.
            if let Some(s) = session.filter(|s| {
                req.session_indexes.is_empty() || req.session_indexes.contains(&s.session_index)
            }) {
                start_round(st, &s, Some((&client.client_id, &req.name_id)), &mut flow).await?;
            }
            continue_round(st, realm, flow, now).await
        }
        LogoutMessage::Response(resp) => {
            let Some(key) = relay_state.as_deref() else {
                return Err(WebError::bad_request("err-slo-no-relay-state"));
            };
            let flow: Option<LogoutFlow> = match st.store.take_state(LOGOUT_FLOW, key, now).await? {
                Some(v) => serde_json::from_str(&v).ok(),
                None => None,
            };
            let Some(mut flow) = flow.filter(|f| f.realm == realm.name) else {
                // An answer in a frame of the logout page.
                return crate::slo_frames::answer(st, realm, &client, &resp, key, now).await;
            };
            match flow.current.take() {
                Some((c, id)) if c == client.client_id && id == resp.in_response_to => {
                    if resp.status == STATUS_SUCCESS {
                        flow.confirmed.push(c);
                    } else {
                        flow.unconfirmed.push(c);
                    }
                }
                _ => {
                    return Err(reject(
                        st,
                        &realm.name,
                        Some(&client.client_id),
                        "a LogoutResponse that answers no request of this sign-out".into(),
                    )
                    .await);
                }
            }
            continue_round(st, realm, flow, now).await
        }
    }
}

/// End the session and line up every other client it reached. `initiator` is the client that
/// asked and the NameID it named (the session is ended only when that NameID is the one the
/// client was given).
async fn start_round<S: IdpStore>(
    st: &AppState<S>,
    session: &SsoSession,
    initiator: Option<(&str, &str)>,
    flow: &mut LogoutFlow,
) -> Result<(), WebError> {
    let key = format!("{}:{}", session.user_id, session.id);
    let entry: Option<symbolon_idp::sessions::UserSession> =
        get_state(&st.store, symbolon_idp::sessions::USER_SESSION, &key).await?;
    if let (Some((client, name_id)), Some(e)) = (initiator, &entry)
        && e.name_ids.get(client).is_some_and(|(n, _)| n != name_id)
    {
        // Not the person this client knows: nothing of theirs ends.
        return Ok(());
    }
    let entry = end_session(&st.store, session).await?.or(entry);
    flow.session_index = session.session_index.clone();
    event(
        st,
        &session.realm,
        "LOGOUT",
        Some(&session.username),
        initiator.map(|(c, _)| c),
        match initiator {
            Some((c, _)) => format!("single logout requested by {c}"),
            None => "signed out everywhere from the account console".into(),
        },
    )
    .await;
    if let Some(e) = entry {
        for c in e.clients {
            if initiator.is_some_and(|(i, _)| i == c) {
                continue;
            }
            let (n, f) = e
                .name_ids
                .get(&c)
                .cloned()
                .unwrap_or_else(|| (session.username.clone(), None));
            flow.pending.push((c, n, f));
        }
    }
    flow.pending.reverse();
    Ok(())
}

/// A participant that can be asked: the client, enabled, with its front-channel logout endpoint.
pub(crate) async fn logout_target<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    client_id: &str,
) -> Result<Option<(symbolon_store::Client, symbolon_saml::metadata::Endpoint)>, WebError> {
    Ok(st
        .store
        .client(&realm.name, client_id)
        .await?
        .filter(|c| c.enabled)
        .and_then(|c| symbolon_idp::client_slo(&c).map(|e| (c, e))))
}

/// A LogoutRequest for one participant, on its way: the message (for its logout endpoint), the
/// RelayState it travels with and its ID. `None` when the client is gone, disabled or has no
/// logout endpoint.
pub(crate) async fn ask<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    (client_id, name_id, format): (&str, &str, Option<&str>),
    session_index: &str,
    now: OffsetDateTime,
) -> Result<Option<(symbolon_saml::logout::Outgoing, String, String)>, WebError> {
    let Some((client, endpoint)) = logout_target(st, realm, client_id).await? else {
        return Ok(None);
    };
    let key = st.client_signing_key(&client).await?;
    let issuer = symbolon_idp::entity_id(&st.cfg.base_url, &realm.name);
    let rng = SystemRandom::new();
    let id = symbolon_saml::messages::new_id(&rng).map_err(|_| WebError::internal())?;
    let xml = logout_request(
        &id,
        now,
        &issuer,
        &endpoint.location,
        name_id,
        format,
        Some(session_index),
    );
    let relay = crate::error::random_token()?;
    let out = send(
        &xml,
        &id,
        MessageKind::Request,
        &endpoint,
        Some(&relay),
        &key,
        &rng,
    )
    .map_err(|_| WebError::internal())?;
    Ok(Some((out, relay, id)))
}

/// Ask the next participant, or finish: answer the initiator, or show the result. With
/// `logout_frames`, every participant is asked at once, in frames of one page.
async fn continue_round<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    mut flow: LogoutFlow,
    now: OffsetDateTime,
) -> Result<Response, WebError> {
    if st.cfg.logout_frames && !flow.pending.is_empty() {
        return crate::slo_frames::start(st, realm, flow, now).await;
    }
    while let Some((client_id, name_id, format)) = flow.pending.pop() {
        let participant = (client_id.as_str(), name_id.as_str(), format.as_deref());
        let Some((out, relay, id)) = ask(st, realm, participant, &flow.session_index, now).await?
        else {
            flow.unconfirmed.push(client_id);
            continue;
        };
        flow.current = Some((client_id, id));
        put_state(&st.store, LOGOUT_FLOW, &relay, &flow, now + STEP).await?;
        return Ok(clear_cookie(
            symbolon_web::page::saml_outgoing(out, Some(&relay)),
            &realm.name,
            st.cfg.secure_cookies(),
        ));
    }
    finish(st, realm, &flow, now).await
}

/// Every participant answered or was given up on: answer the client that asked (`Success`, or
/// `PartialLogout` when any application did not confirm), or show the result page.
pub(crate) async fn finish<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    flow: &LogoutFlow,
    now: OffsetDateTime,
) -> Result<Response, WebError> {
    let secure = st.cfg.secure_cookies();
    let partial = !flow.unconfirmed.is_empty();
    if let Some(init) = &flow.initiator {
        let client = st.store.client(&realm.name, &init.client_id).await?;
        if let Some((c, endpoint)) = client
            .as_ref()
            .and_then(|c| symbolon_idp::client_slo(c).map(|e| (c, e)))
        {
            let issuer = symbolon_idp::entity_id(&st.cfg.base_url, &realm.name);
            let rng = SystemRandom::new();
            let key = st.client_signing_key(c).await?;
            let id = symbolon_saml::messages::new_id(&rng).map_err(|_| WebError::internal())?;
            let xml = logout_response(
                &id,
                now,
                &issuer,
                &endpoint.location,
                &init.request_id,
                if partial {
                    STATUS_PARTIAL_LOGOUT
                } else {
                    STATUS_SUCCESS
                },
            );
            let out = send(
                &xml,
                &id,
                MessageKind::Response,
                &endpoint,
                init.relay_state.as_deref(),
                &key,
                &rng,
            )
            .map_err(|_| WebError::internal())?;
            return Ok(clear_cookie(
                symbolon_web::page::saml_outgoing(out, init.relay_state.as_deref()),
                &realm.name,
                secure,
            ));
        }
    }
    let body = LoggedOutPage {
        t: symbolon_web::i18n::tr(),
        realm: &realm.name,
        confirmed: &flow.confirmed,
        unconfirmed: &flow.unconfirmed,
    }
    .render()
    .map_err(|_| WebError::internal())?;
    Ok(clear_cookie(
        html(StatusCode::OK, body),
        &realm.name,
        secure,
    ))
}

/// "Sign out everywhere" from the account console: this browser's session ends and every client
/// it reached is asked to end its own.
pub(crate) async fn sign_out_everywhere<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    session: &SsoSession,
) -> Result<Response, WebError> {
    let now = OffsetDateTime::now_utc();
    let mut flow = LogoutFlow {
        realm: realm.name.clone(),
        session_index: session.session_index.clone(),
        initiator: None,
        pending: vec![],
        current: None,
        confirmed: vec![],
        unconfirmed: vec![],
    };
    start_round(st, session, None, &mut flow).await?;
    continue_round(st, realm, flow, now).await
}
