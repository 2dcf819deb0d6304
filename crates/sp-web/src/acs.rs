//! The SAML endpoints: SP metadata, SP-initiated sign-in, and the ACS handler (decode,
//! consume in the domain, start a session) in one place.

use crate::page::{message, new_reference, refused, text, unavailable};
use crate::state::{
    AppState, PENDING, Pending, SESSION, cookie, destination, new_session, random_token,
    session_redirect,
};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use symbolon_dsig::SystemRandom;
use symbolon_sp::AcsError;
use symbolon_store::sp::{SpStore, StateWrite};
use time::OffsetDateTime;

pub(crate) async fn metadata<S: SpStore>(State(st): State<AppState<S>>) -> Response {
    match symbolon_sp::sp_metadata(&st.store, &st.cfg.base_url, OffsetDateTime::now_utc()).await {
        Ok(xml) => {
            let mut r = xml.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/samlmetadata+xml"),
            );
            r.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"symbolon-sp-metadata.xml\""),
            );
            r
        }
        Err(symbolon_sp::SpError::Store(symbolon_store::StoreError::Unavailable(cause))) => {
            unavailable(cause)
        }
        Err(e) => {
            tracing::error!("SP metadata: {e}");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "spc-error",
                "The metadata could not be produced.",
                vec![],
            )
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    pub(crate) saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    pub(crate) relay_state: Option<String>,
}

pub(crate) async fn acs<S: SpStore>(
    State(st): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Form<AcsForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match form {
        Ok(Form(f)) => f,
        // Too large a body is 413 with its own page, whatever else is wrong with it.
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            sign_in_counted("refused", "malformed");
            return message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "sp-sign-in-failed",
                "sp-too-large",
                vec![],
            );
        }
        Err(_) => {
            sign_in_counted("refused", "malformed");
            return message(
                StatusCode::BAD_REQUEST,
                "sp-sign-in-failed",
                "sp-not-a-post",
                vec![],
            );
        }
    };
    // SP-initiated: the RelayState names the outstanding request (single use, 10 minutes), and
    // the browser that started it must be the one posting (its cookie, when the browser sends it
    // on this cross-site POST, must agree).
    let mut in_response_to = None;
    let mut return_to = None;
    if let Some(rs) = f.relay_state.as_deref().filter(|r| !r.is_empty()) {
        let now = OffsetDateTime::now_utc();
        let found = match st.store.take_state(PENDING, rs, now).await {
            Ok(f) => f,
            Err(e) => {
                sign_in_counted("refused", "unavailable");
                return unavailable(e);
            }
        };
        if let Some(v) = found {
            if cookie(&headers, AUTHN_COOKIE).is_some_and(|c| c != rs) {
                sign_in_counted("refused", "other_browser");
                return message(
                    StatusCode::FORBIDDEN,
                    "sp-sign-in-failed",
                    "sp-other-browser",
                    vec![],
                );
            }
            let pending = Pending::parse(&v);
            in_response_to = Some(pending.id);
            return_to = pending.return_to;
        } else {
            // IdP-initiated: the RelayState is a deep link, followed only within this SP.
            return_to = destination(&st.cfg.base_url, Some(rs));
        }
    }
    let Some(b64) = f.saml_response else {
        sign_in_counted("refused", "malformed");
        return message(
            StatusCode::BAD_REQUEST,
            "sp-sign-in-failed",
            "sp-no-response",
            vec![],
        );
    };
    let xml = match symbolon_saml::binding::decode_post(b64.as_bytes()) {
        Ok(x) => x,
        Err(e) => {
            sign_in_counted("refused", "malformed");
            tracing::info!("ACS: the SAMLResponse could not be decoded: {e}");
            return message(
                StatusCode::BAD_REQUEST,
                "sp-sign-in-failed",
                "sp-undecodable",
                vec![],
            );
        }
    };
    let now = OffsetDateTime::now_utc();
    let sp = symbolon_sp::sp_settings(&st.cfg.base_url);
    let reference = new_reference();
    let (Some(id), Some(csrf)) = (random_token(), random_token()) else {
        return message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "spc-error",
            "No randomness.",
            vec![],
        );
    };
    let acs = symbolon_sp::Acs {
        store: &st.store,
        cache: &st.acs_cache,
        keys: &st.keys,
        sp: &sp,
        policy: &st.cfg.acs,
    };
    // The session is written in the same transaction as the consumed assertion and the sign-in
    // record: a browser gets a session exactly when its response was consumed.
    let open_session = |s: &symbolon_sp::SignIn| {
        let session = new_session(&st, csrf, s.clone(), now, return_to.clone());
        Some(StateWrite {
            kind: SESSION.into(),
            key: id.clone(),
            value: serde_json::to_string(&session).ok()?,
            expires: session.expires,
        })
    };
    let sign_in = match symbolon_sp::consume_response(
        &acs,
        &xml,
        in_response_to.as_deref(),
        now,
        symbolon_sp::AcsMode::SignIn,
        &reference,
        open_session,
    )
    .await
    {
        Ok(s) => s,
        Err(AcsError::Store(e)) => {
            sign_in_counted("refused", "unavailable");
            tracing::error!("ACS: {e}");
            return message(
                StatusCode::SERVICE_UNAVAILABLE,
                "sp-sign-in-failed",
                "sp-try-shortly",
                vec![],
            );
        }
        Err(e) => {
            // A plain reason for the person; the precise one is in the trace under this reference.
            let t = text(None);
            let (reason, code) = match &e {
                AcsError::Malformed(_) => ("sp-unreadable", "malformed"),
                AcsError::UnknownIssuer(_) => ("sp-unknown-idp", "unknown_idp"),
                AcsError::Replay => ("sp-replayed", "replay"),
                AcsError::Rejected(_) | AcsError::Store(_) => ("sp-not-accepted", "rejected"),
            };
            sign_in_counted("refused", code);
            tracing::info!(reference = %reference, "ACS refused a response: {e}");
            return refused(
                StatusCode::FORBIDDEN,
                t,
                "sp-sign-in-failed",
                reason,
                vec![],
                false,
                &reference,
            );
        }
    };
    if sign_in.pairs.is_empty() {
        sign_in_counted("refused", "no_access");
        let t = text(sign_in.locale.as_deref());
        let native = sign_in
            .refused
            .iter()
            .any(|r| r.1 == symbolon_sp::not_offered::MASTER);
        return refused(
            StatusCode::FORBIDDEN,
            t,
            "sp-no-access-title",
            "sp-no-access",
            sign_in.refused.clone(),
            native,
            &reference,
        );
    }
    sign_in_counted("accepted", "");
    session_redirect(&st, &id, sign_in.pairs.len() == 1, return_to)
}

/// `symbolon_sp_sign_ins_total{outcome, reason}`: the reason is one of a few fixed codes.
fn sign_in_counted(outcome: &'static str, reason: &'static str) {
    metrics::counter!("symbolon_sp_sign_ins_total", "outcome" => outcome, "reason" => reason)
        .increment(1);
}

pub(crate) const AUTHN_COOKIE: &str = "SYMBOLON_SP_AUTHN";

#[derive(Deserialize)]
pub(crate) struct StartQuery {
    pub(crate) idp: Option<String>,
    /// The page to come back to after signing in (a path of this SP).
    #[serde(rename = "return")]
    pub(crate) return_to: Option<String>,
}

/// SP-initiated sign-in: send the browser to the IdP with a signed AuthnRequest (Redirect binding, or
/// POST when the IdP publishes no Redirect endpoint). The
/// request ID is remembered under a random RelayState; a cookie ties it to this browser
/// (`SameSite=None; Secure` over HTTPS so that it survives the IdP's cross-site POST).
pub(crate) async fn sp_initiated<S: SpStore>(
    State(st): State<AppState<S>>,
    Query(q): Query<StartQuery>,
) -> Response {
    let Some(id) = q.idp.filter(|i| !i.is_empty()) else {
        return message(
            StatusCode::BAD_REQUEST,
            "sp-sign-in-failed",
            "sp-which-idp",
            vec![],
        );
    };
    let cfg = match st.store.idp_by_id(&id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return message(
                StatusCode::NOT_FOUND,
                "sp-sign-in-failed",
                "sp-no-such-idp",
                vec![],
            );
        }
        Err(e) => {
            tracing::error!("SP-initiated: {e}");
            return message(
                StatusCode::SERVICE_UNAVAILABLE,
                "sp-sign-in-failed",
                "sp-try-shortly",
                vec![],
            );
        }
    };
    let rng = SystemRandom::new();
    let (Ok(request_id), Some(state)) = (symbolon_saml::messages::new_id(&rng), random_token())
    else {
        return message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "spc-error",
            "No randomness.",
            vec![],
        );
    };
    let now = OffsetDateTime::now_utc();
    let key = match st.keys.get(&st.store, &st.cfg.base_url, now).await {
        Ok(k) => k,
        Err(e) => {
            tracing::error!("SP-initiated: the SP key: {e}");
            return message(
                StatusCode::SERVICE_UNAVAILABLE,
                "sp-sign-in-failed",
                "sp-try-shortly",
                vec![],
            );
        }
    };
    let out = match symbolon_sp::authn_request(
        &st.cfg.base_url,
        &cfg,
        &key.signing,
        &request_id,
        &state,
        now,
        &rng,
    ) {
        Ok(u) => u,
        Err(e) => {
            return message(
                StatusCode::BAD_REQUEST,
                "sp-sign-in-failed",
                &e.to_string(),
                vec![],
            );
        }
    };
    if let Err(e) = st
        .store
        .put_state(
            PENDING,
            &state,
            &serde_json::to_string(&Pending {
                id: request_id.clone(),
                return_to: destination(&st.cfg.base_url, q.return_to.as_deref()),
            })
            .unwrap_or_else(|_| request_id.clone()),
            now + time::Duration::minutes(10),
        )
        .await
    {
        return unavailable(e);
    }
    let attrs = if st.cfg.base_url.starts_with("https://") {
        "; SameSite=None; Secure"
    } else {
        "; SameSite=Lax"
    };
    let mut r = match out {
        symbolon_sp::AuthnRequestOut::Redirect(url) => Redirect::to(&url).into_response(),
        symbolon_sp::AuthnRequestOut::Post { action, xml } => symbolon_web::page::auto_post(
            &action,
            symbolon_saml::binding::post_form(&action, "SAMLRequest", xml.as_bytes(), Some(&state)),
            &symbolon_saml::binding::post_form_script_csp_hash(),
        ),
    };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{AUTHN_COOKIE}={state}; Path=/saml; HttpOnly; Max-Age=600{attrs}"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}
