//! Single logout at the SP's `/saml/slo` (HTTP-Redirect and HTTP-POST): a LogoutRequest from an
//! identity provider ends the sessions it names and is answered; a LogoutResponse finishes the
//! logout "Sign out" started. Decisions are in `symbolon_sp::logout`.

use crate::page::{message, unavailable};
use crate::state::{AppState, SESSION, SESSION_COOKIE, random_token};
use axum::extract::{Form, Query, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use symbolon_dsig::SystemRandom;
use symbolon_saml::binding::{decode_post, decode_redirect};
use symbolon_saml::idp::Arrival;
use symbolon_saml::logout::{LogoutMessage, STATUS_PARTIAL_LOGOUT};
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

/// State kind of a logout "Sign out" started: key the RelayState, value the request's ID.
pub(crate) const LOGOUT_PENDING: &str = "sp-logout";

#[derive(Deserialize)]
pub(crate) struct PostBinding {
    #[serde(rename = "SAMLRequest")]
    saml_request: Option<String>,
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// Clear this browser's session cookie on a response.
pub(crate) fn clear_cookie(mut r: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

fn refused(why: &str) -> Response {
    message(
        StatusCode::BAD_REQUEST,
        "sp-sign-out-failed",
        "sp-sign-out-refused",
        vec![("Reason".into(), why.to_string())],
    )
}

pub(crate) async fn slo_redirect<S: SpStore>(
    State(st): State<AppState<S>>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some(q) = q else {
        return refused("no SAML message was given");
    };
    let m = match decode_redirect(&q) {
        Ok(m) => m,
        Err(e) => return refused(&e.to_string()),
    };
    let relay = m.relay_state.clone();
    let xml = m.xml.clone();
    slo(&st, &xml, Arrival::Redirect(&m), relay).await
}

pub(crate) async fn slo_post<S: SpStore>(
    State(st): State<AppState<S>>,
    Form(f): Form<PostBinding>,
) -> Response {
    let Some(raw) = f.saml_request.or(f.saml_response) else {
        return refused("no SAML message was given");
    };
    let xml = match decode_post(raw.as_bytes()) {
        Ok(x) => x,
        Err(e) => return refused(&e.to_string()),
    };
    slo(&st, &xml, Arrival::Post, f.relay_state).await
}

async fn slo<S: SpStore>(
    st: &AppState<S>,
    xml: &[u8],
    arrival: Arrival<'_>,
    relay: Option<String>,
) -> Response {
    let doc = match symbolon_xml::parse_bytes(xml, &symbolon_xml::Limits::default()) {
        Ok(d) => d,
        Err(e) => return refused(&format!("not acceptable XML: {e}")),
    };
    let now = OffsetDateTime::now_utc();
    let base = &st.cfg.base_url;
    let (msg, verified) =
        match symbolon_sp::receive_logout(&st.store, base, &doc, arrival, now).await {
            Ok(x) => x,
            Err(e) => {
                tracing::info!("SLO refused: {e}");
                return refused(&e.to_string());
            }
        };
    let Some(cfg) = verified.first().cloned() else {
        return refused("no configuration verified it");
    };
    match msg {
        LogoutMessage::Request(req) => {
            let ended =
                match symbolon_sp::end_sessions(&st.store, &verified, &req, SESSION, now).await {
                    Ok(n) => n,
                    Err(e) => return unavailable(e),
                };
            tracing::info!(issuer = %cfg.entity_id, ended, "logout requested by the identity provider");
            let keys = match st.keys.get(&st.store, base, now).await {
                Ok(k) => k,
                Err(e) => return unavailable(e),
            };
            let rng = SystemRandom::new();
            let Ok(id) = symbolon_saml::messages::new_id(&rng) else {
                return unavailable("no randomness");
            };
            // Answered Success whether or not a session matched: it is gone either way.
            match symbolon_sp::logout_response_for(
                base,
                &cfg,
                &req,
                symbolon_saml::sp::STATUS_SUCCESS,
                &keys.signing,
                &id,
                relay.as_deref(),
                now,
                &rng,
            ) {
                Ok(Some(o)) => {
                    // The identity provider may have asked from a frame of its logout page:
                    // its origin, and only its, may show this answer in one.
                    let idp = symbolon_web::page::csp_source(o.destination());
                    clear_cookie(symbolon_web::page::frameable_by(
                        symbolon_web::page::saml_outgoing(o, relay.as_deref()),
                        &idp,
                    ))
                }
                Ok(None) => clear_cookie(Redirect::to("/signed-out").into_response()),
                Err(e) => unavailable(e),
            }
        }
        LogoutMessage::Response(resp) => {
            let pending = match relay.as_deref() {
                Some(r) => st.store.take_state(LOGOUT_PENDING, r, now).await,
                None => Ok(None),
            };
            match pending {
                Ok(Some(id)) if id == resp.in_response_to => {}
                Ok(_) => return refused("this sign-out answers no sign-out started here"),
                Err(e) => return unavailable(e),
            }
            let to = if resp.status == symbolon_saml::sp::STATUS_SUCCESS {
                "/signed-out"
            } else if resp.status == STATUS_PARTIAL_LOGOUT {
                "/signed-out?partial=1"
            } else {
                "/signed-out?idp=failed"
            };
            clear_cookie(Redirect::to(to).into_response())
        }
    }
}

/// A SOAP answer: the envelope, or a fault with `status`.
fn soap(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(symbolon_saml::soap::CONTENT_TYPE),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn soap_fault(status: StatusCode, why: &str) -> Response {
    soap(status, symbolon_saml::soap::fault(why))
}

/// `POST /saml/slo/soap`: the back channel (SOAP binding). An identity provider's signed
/// LogoutRequest ends the sessions it names, on every instance, and is answered on the same
/// connection with a signed LogoutResponse in a SOAP envelope (`Success` whether or not a
/// session matched: it is gone either way). Anything else is a SOAP fault.
pub(crate) async fn slo_soap<S: SpStore>(
    State(st): State<AppState<S>>,
    body: axum::body::Bytes,
) -> Response {
    let limits = symbolon_xml::Limits::default();
    let msg = match symbolon_saml::soap::message(&body, &limits) {
        Ok(m) => m,
        Err(e) => return soap_fault(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let doc = match symbolon_xml::parse(msg, &limits) {
        Ok(d) => d,
        Err(e) => return soap_fault(StatusCode::BAD_REQUEST, &format!("not acceptable XML: {e}")),
    };
    let now = OffsetDateTime::now_utc();
    let base = &st.cfg.base_url;
    let endpoint = symbolon_sp::soap_url(base);
    let (msg, verified) = match symbolon_sp::receive_logout_at(
        &st.store,
        &endpoint,
        &doc,
        Arrival::Post,
        now,
    )
    .await
    {
        Ok(x) => x,
        Err(e) => {
            tracing::info!("back-channel logout refused: {e}");
            return soap_fault(StatusCode::BAD_REQUEST, &e.to_string());
        }
    };
    let LogoutMessage::Request(req) = msg else {
        return soap_fault(
            StatusCode::BAD_REQUEST,
            "only a LogoutRequest is taken over SOAP",
        );
    };
    let ended = match symbolon_sp::end_sessions(&st.store, &verified, &req, SESSION, now).await {
        Ok(n) => n,
        Err(e) => {
            tracing::error!("back-channel logout: {e}");
            return soap_fault(
                StatusCode::SERVICE_UNAVAILABLE,
                "the service is unavailable",
            );
        }
    };
    if let Some(cfg) = verified.first() {
        tracing::info!(issuer = %cfg.entity_id, ended, "back-channel logout by the identity provider");
    }
    let keys = match st.keys.get(&st.store, base, now).await {
        Ok(k) => k,
        Err(e) => {
            tracing::error!("back-channel logout: {e}");
            return soap_fault(
                StatusCode::SERVICE_UNAVAILABLE,
                "the service is unavailable",
            );
        }
    };
    let rng = SystemRandom::new();
    let Ok(id) = symbolon_saml::messages::new_id(&rng) else {
        return soap_fault(
            StatusCode::SERVICE_UNAVAILABLE,
            "the service is unavailable",
        );
    };
    match symbolon_sp::soap_response_for(
        base,
        &req,
        symbolon_saml::sp::STATUS_SUCCESS,
        &keys.signing,
        &id,
        now,
        &rng,
    ) {
        Ok(xml) => soap(StatusCode::OK, xml),
        Err(e) => {
            tracing::error!("back-channel logout: {e}");
            soap_fault(
                StatusCode::SERVICE_UNAVAILABLE,
                "the service is unavailable",
            )
        }
    }
}

/// "Sign out" at an identity provider that has a logout endpoint: the LogoutRequest to send,
/// remembered under a random RelayState; `None` when there is nothing to send.
pub(crate) async fn start_logout<S: SpStore>(
    st: &AppState<S>,
    sign_in: &symbolon_sp::SignIn,
    account_id: Option<&str>,
) -> Option<Response> {
    if sign_in.issuer.is_empty() {
        return None;
    }
    let now = OffsetDateTime::now_utc();
    let configs = st.store.idps_by_entity_id(&sign_in.issuer).await.ok()?;
    let cfg = configs
        .iter()
        .find(|c| Some(c.account_id.as_str()) == account_id)
        .or(configs.first())?;
    symbolon_sp::idp_slo_endpoint(cfg)?;
    let keys = st.keys.get(&st.store, &st.cfg.base_url, now).await.ok()?;
    let rng = SystemRandom::new();
    let id = symbolon_saml::messages::new_id(&rng).ok()?;
    let relay = random_token()?;
    st.store
        .put_state(
            LOGOUT_PENDING,
            &relay,
            &id,
            now + time::Duration::minutes(10),
        )
        .await
        .ok()?;
    let out = symbolon_sp::logout_request_for(
        &st.cfg.base_url,
        cfg,
        &sign_in.name_id,
        sign_in.name_id_format.as_deref(),
        sign_in.session_index.as_deref(),
        &keys.signing,
        &id,
        &relay,
        now,
        &rng,
    )
    .ok()??;
    Some(symbolon_web::page::saml_outgoing(out, Some(&relay)))
}

#[derive(Deserialize)]
pub(crate) struct SignedOutQuery {
    partial: Option<String>,
    idp: Option<String>,
}

/// After signing out: whether the identity provider confirmed.
pub(crate) async fn signed_out(Query(q): Query<SignedOutQuery>) -> Response {
    let text = if q.partial.is_some() {
        "sp-signed-out-partial"
    } else if q.idp.is_some() {
        "sp-signed-out-idp-unconfirmed"
    } else {
        "sp-signed-out"
    };
    message(StatusCode::OK, "sp-signed-out-title", text, vec![])
}
