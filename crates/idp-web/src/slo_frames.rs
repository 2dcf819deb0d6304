//! Single logout in frames (`[idp] logout_frames`): instead of sending the browser to one
//! application after another, the IdP shows one page of its own with a frame per application.
//! Each frame asks its application (a LogoutRequest, as in the redirect round) and shows the
//! answer; the page moves on when every application has answered or after
//! `logout_frame_wait`, whichever comes first (this server's own script; without script, the
//! Continue button does the same). An application that never answers therefore leaves the user
//! on this page, not on a blank one, and the result (or the initiator's `PartialLogout`) names
//! it among those that may still be signed in.
//!
//! Answers are kept one entry per application (`LOGOUT_ANSWER`), so frames answering at the same
//! moment never overwrite each other; the round itself is taken once, by Continue.

use crate::error::{WebError, html, random_token};
use crate::slo::{LogoutFlow, STEP, ask, clear_cookie, finish, logout_target};
use crate::state::{AppState, realm_or_404};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use symbolon_idp::sessions::{get_state, put_state};
use symbolon_saml::messages::LogoutResponse;
use symbolon_saml::sp::STATUS_SUCCESS;
use symbolon_store::{Client, IdpStore, Realm};
use time::OffsetDateTime;

/// A round shown in frames, under `{realm}/{its unguessable ID}` (so that another realm's paths
/// never reach it).
const LOGOUT_ROUND: &str = "idp-logout-round";
/// One frame's request on its way, under the RelayState it travels with.
const LOGOUT_ASK: &str = "idp-logout-ask";
/// One application's answer, under `{round}:{index}`: `true` when it confirmed.
const LOGOUT_ANSWER: &str = "idp-logout-answer";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Participant {
    client_id: String,
    /// What the page calls it: its name, else its client ID.
    label: String,
    name_id: String,
    format: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Round {
    flow: LogoutFlow,
    participants: Vec<Participant>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Ask {
    round: String,
    index: usize,
    client_id: String,
    request_id: String,
}

struct Row {
    label: String,
    src: String,
}

#[derive(Template)]
#[template(path = "logout_frames.html")]
struct FramesPage<'a> {
    t: symbolon_web::i18n::Tr,
    rows: &'a [Row],
    status_url: &'a str,
    finish_url: &'a str,
    wait_secs: u64,
}

#[derive(Template)]
#[template(path = "logout_frame_done.html")]
struct FrameDone<'a> {
    t: symbolon_web::i18n::Tr,
    label: &'a str,
    confirmed: bool,
}

fn round_path(realm: &str, round: &str) -> String {
    format!("/realms/{realm}/protocol/saml/logout/{round}")
}

/// The logout page of a round whose session has ended: one frame per application with a logout
/// endpoint (the others go straight to "may still be signed in").
pub(crate) async fn start<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    mut flow: LogoutFlow,
    now: OffsetDateTime,
) -> Result<Response, WebError> {
    let mut participants = Vec::new();
    let mut origins = Vec::new();
    while let Some((client_id, name_id, format)) = flow.pending.pop() {
        let Some((c, endpoint)) = logout_target(st, realm, &client_id).await? else {
            flow.unconfirmed.push(client_id);
            continue;
        };
        let origin = symbolon_web::page::csp_source(&endpoint.location);
        if !origins.contains(&origin) {
            origins.push(origin);
        }
        participants.push(Participant {
            label: c.name.clone().unwrap_or_else(|| client_id.clone()),
            client_id,
            name_id,
            format,
        });
    }
    if participants.is_empty() {
        return finish(st, realm, &flow, now).await;
    }
    let id = random_token()?;
    let base = round_path(&realm.name, &id);
    let rows: Vec<Row> = participants
        .iter()
        .enumerate()
        .map(|(i, p)| Row {
            label: p.label.clone(),
            src: format!("{base}/{i}"),
        })
        .collect();
    put_state(
        &st.store,
        LOGOUT_ROUND,
        &format!("{}/{id}", realm.name),
        &Round { flow, participants },
        now + STEP,
    )
    .await?;
    let body = FramesPage {
        t: symbolon_web::i18n::tr(),
        rows: &rows,
        status_url: &format!("{base}/status"),
        finish_url: &format!("{base}/finish"),
        wait_secs: st.cfg.logout_frame_wait.as_secs().max(1),
    }
    .render()
    .map_err(|_| WebError::internal())?;
    // Its own script; frames of this server, which go on to the applications' logout endpoints.
    let mut r = html(StatusCode::OK, body);
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-src 'self' {}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        origins.join(" ")
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(clear_cookie(r, &realm.name, st.cfg.secure_cookies()))
}

async fn round<S: IdpStore>(st: &AppState<S>, realm: &str, id: &str) -> Result<Round, WebError> {
    get_state::<_, Round>(&st.store, LOGOUT_ROUND, &format!("{realm}/{id}"))
        .await?
        .filter(|r| r.flow.realm == realm)
        .ok_or_else(|| WebError::bad_request("err-slo-finished"))
}

/// `GET /realms/{realm}/protocol/saml/logout/{round}/{index}`: the frame that asks one
/// application.
pub(crate) async fn frame<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path((realm, id, index)): Path<(String, String, usize)>,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let round = round(&st, &realm, &id).await?;
    let p = round
        .participants
        .get(index)
        .ok_or_else(|| WebError::bad_request("err-slo-finished"))?;
    let now = OffsetDateTime::now_utc();
    let who = (
        p.client_id.as_str(),
        p.name_id.as_str(),
        p.format.as_deref(),
    );
    let Some((out, relay, request_id)) = ask(&st, &r, who, &round.flow.session_index, now).await?
    else {
        // Gone or disabled since the page was shown: it cannot be asked.
        return frame_done(&p.label, false);
    };
    let a = Ask {
        round: id,
        index,
        client_id: p.client_id.clone(),
        request_id,
    };
    put_state(&st.store, LOGOUT_ASK, &relay, &a, now + STEP).await?;
    Ok(symbolon_web::page::frameable_by(
        symbolon_web::page::saml_outgoing(out, Some(&relay)),
        "'self'",
    ))
}

/// A LogoutResponse whose RelayState is a frame's: record the application's answer and show it
/// in the frame.
pub(crate) async fn answer<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    client: &Client,
    resp: &LogoutResponse,
    relay: &str,
    now: OffsetDateTime,
) -> Result<Response, WebError> {
    let ask: Option<Ask> = match st.store.take_state(LOGOUT_ASK, relay, now).await? {
        Some(v) => serde_json::from_str(&v).ok(),
        None => None,
    };
    let Some(ask) = ask else {
        return Err(WebError::bad_request("err-slo-finished"));
    };
    if ask.client_id != client.client_id || ask.request_id != resp.in_response_to {
        return Err(crate::respond::reject(
            st,
            &realm.name,
            Some(&client.client_id),
            "a LogoutResponse that answers no request of this sign-out".into(),
        )
        .await);
    }
    let confirmed = resp.status == STATUS_SUCCESS;
    put_state(
        &st.store,
        LOGOUT_ANSWER,
        &format!("{}:{}", ask.round, ask.index),
        &confirmed,
        now + STEP,
    )
    .await?;
    frame_done(
        client.name.as_deref().unwrap_or(&client.client_id),
        confirmed,
    )
}

fn frame_done(label: &str, confirmed: bool) -> Result<Response, WebError> {
    let body = FrameDone {
        t: symbolon_web::i18n::tr(),
        label,
        confirmed,
    }
    .render()
    .map_err(|_| WebError::internal())?;
    Ok(symbolon_web::page::frameable_by(
        html(StatusCode::OK, body),
        "'self'",
    ))
}

/// `GET /realms/{realm}/protocol/saml/logout/{round}/status`: each application's state
/// (`waiting`, `signed-out` or `not-confirmed`), for the page's script.
pub(crate) async fn status<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path((realm, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    realm_or_404(&st, &realm).await?;
    let round = round(&st, &realm, &id).await?;
    let mut states = Vec::with_capacity(round.participants.len());
    for i in 0..round.participants.len() {
        let a: Option<bool> = get_state(&st.store, LOGOUT_ANSWER, &format!("{id}:{i}")).await?;
        states.push(match a {
            None => "waiting",
            Some(true) => "signed-out",
            Some(false) => "not-confirmed",
        });
    }
    let mut r = axum::Json(serde_json::json!({ "applications": states })).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// `GET /realms/{realm}/protocol/saml/logout/{round}/finish`: the round ends; whoever has not
/// answered may still be signed in.
pub(crate) async fn finish_round<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path((realm, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let now = OffsetDateTime::now_utc();
    let key = format!("{realm}/{id}");
    let round: Option<Round> = match st.store.take_state(LOGOUT_ROUND, &key, now).await? {
        Some(v) => serde_json::from_str(&v).ok(),
        None => None,
    };
    let Some(Round {
        mut flow,
        participants,
    }) = round.filter(|r| r.flow.realm == realm)
    else {
        return Err(WebError::bad_request("err-slo-finished"));
    };
    for (i, p) in participants.into_iter().enumerate() {
        let key = format!("{id}:{i}");
        let confirmed = st
            .store
            .take_state(LOGOUT_ANSWER, &key, now)
            .await?
            .is_some_and(|v| v == "true");
        if confirmed {
            flow.confirmed.push(p.client_id);
        } else {
            flow.unconfirmed.push(p.client_id);
        }
    }
    finish(&st, &r, &flow, now).await
}

/// `GET /resources/logout.js`.
pub(crate) async fn logout_js() -> Response {
    symbolon_web::page::asset(LOGOUT_JS, "text/javascript; charset=utf-8")
}

const LOGOUT_JS: &str = include_str!("../static/logout.js");
