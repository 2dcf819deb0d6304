//! Passkey ceremonies on the login pages: signing in with a passkey, registering one during a
//! sign-in, and registration links an administrator hands out.

use crate::error::{WebError, expired, link_used, no_passkeys_here, random_token};
use crate::login::{
    AccountFlow, LoginView, enrol_page, finish_sign_in, flow_client, login_page, posted_flow,
    relying_party,
};
use crate::state::{AppState, event, realm_or_404};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use symbolon_idp::sessions::{Enrol, FLOW, Flow, PASSKEY_AUTH, PASSKEY_REG, get_state, put_state};
use symbolon_saml::idp::SignInMethod;
use symbolon_store::IdpStore;
use time::OffsetDateTime;

/// The one script of the login and account pages: the WebAuthn ceremonies.
pub const PASSKEY_JS: &str = include_str!("../static/passkey.js");

pub(crate) async fn passkey_js() -> Response {
    symbolon_web::page::asset(PASSKEY_JS, "text/javascript; charset=utf-8")
}

#[derive(Deserialize)]
pub(crate) struct PasskeyForm {
    pub(crate) flow: Option<String>,
    pub(crate) csrf: Option<String>,
    pub(crate) credential: Option<String>,
    pub(crate) name: Option<String>,
}

/// Passwordless sign-in: the browser's answer to the flow's passkey challenge (taken once, so
/// an answer is never accepted twice).
pub(crate) async fn passkey_sign_in<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Form(f): Form<PasskeyForm>,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let (flow_id, flow) = posted_flow(&st, &realm, f.flow, f.csrf.as_deref(), &headers).await?;
    let client = flow_client(&st, &flow).await?;
    let rp = match relying_party(&st.cfg, &r) {
        Some(rp)
            if symbolon_idp::auth_policy(&st.store, &realm)
                .await?
                .passkeys() =>
        {
            rp
        }
        _ => {
            return Err(WebError::bad_request_page("err-passkeys-unused"));
        }
    };
    let now = OffsetDateTime::now_utc();
    let state = st.store.take_state(PASSKEY_AUTH, &flow_id, now).await?;
    let outcome = match state {
        None => Err(symbolon_idp::passkey::PasskeyError::WrongChallenge),
        Some(state) => {
            rp.finish_sign_in(
                &st.store,
                &realm,
                f.credential.as_deref().unwrap_or(""),
                &state,
                now,
            )
            .await
        }
    };
    match outcome {
        Ok(signed) => {
            let label = format!("passkey ({})", signed.passkey.name);
            finish_sign_in(
                &st,
                &r,
                client.as_ref(),
                &signed.user,
                flow_id,
                flow,
                SignInMethod::Passkey,
                &label,
            )
            .await
        }
        Err(symbolon_idp::passkey::PasskeyError::Store(e)) => Err(e.into()),
        Err(e) => {
            event(
                &st,
                &realm,
                "LOGIN_ERROR",
                None,
                Some(&flow.client_id),
                format!("passkey refused ({}): {e}", e.code()),
            )
            .await;
            let msg =
                symbolon_web::i18n::tr().t1("idp-err-passkey-unusable", "reason", &e.to_string());
            login_page(
                &st,
                &r,
                client.as_ref(),
                &flow_id,
                &flow,
                LoginView {
                    error: Some(&msg),
                    status: Some(StatusCode::UNAUTHORIZED),
                    ..LoginView::default()
                },
            )
            .await
        }
    }
}

/// The required action: register a passkey, then go on (or, in a passkey-only realm, sign in
/// with it).
pub(crate) async fn register_passkey<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Form(f): Form<PasskeyForm>,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let (flow_id, mut flow) = posted_flow(&st, &realm, f.flow, f.csrf.as_deref(), &headers).await?;
    let enrol = flow.enrol.clone().ok_or_else(expired)?;
    let user = st
        .store
        .user_by_id(&realm, &enrol.user_id)
        .await?
        .filter(|u| u.enabled)
        .ok_or_else(expired)?;
    let client = flow_client(&st, &flow).await?;
    let rp = relying_party(&st.cfg, &r).ok_or_else(no_passkeys_here)?;
    let now = OffsetDateTime::now_utc();
    let state = st
        .store
        .take_state(PASSKEY_REG, &format!("flow:{flow_id}"), now)
        .await?;
    // A registration link works once: taken now, put back if this attempt fails.
    let link = match &enrol.link {
        Some(hash) => match st
            .store
            .take_state(symbolon_idp::REGISTRATION_LINK, hash, now)
            .await?
        {
            Some(v) => Some((hash.clone(), v)),
            None => return Err(link_used()),
        },
        None => None,
    };
    let registered = rp
        .register(
            &st.store,
            &user,
            f.credential.as_deref().unwrap_or(""),
            state,
            f.name.as_deref().unwrap_or(""),
            now,
        )
        .await;
    if registered.is_err()
        && let Some((hash, v)) = &link
        && let Ok(target) = serde_json::from_str::<symbolon_idp::RegistrationLinkFor>(v)
        && let Ok(until) = OffsetDateTime::from_unix_timestamp(target.expires)
    {
        st.store
            .put_state(symbolon_idp::REGISTRATION_LINK, hash, v, until)
            .await?;
    }
    let rec = match registered {
        Ok(rec) => rec,
        Err(symbolon_idp::passkey::PasskeyError::Store(e)) => return Err(e.into()),
        Err(e) => {
            event(
                &st,
                &realm,
                "CREDENTIAL_ERROR",
                Some(&user.username),
                None,
                format!("passkey registration refused ({}): {e}", e.code()),
            )
            .await;
            let msg = symbolon_web::i18n::tr().t1(
                "idp-err-passkey-not-registered",
                "reason",
                &e.to_string(),
            );
            return enrol_page(
                &st,
                &r,
                &user,
                &flow_id,
                &flow,
                Some(&msg),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    event(
        &st,
        &realm,
        "CREDENTIAL",
        Some(&user.username),
        None,
        format!(
            "{} registered a passkey {:?} {}",
            user.username,
            rec.name,
            if link.is_some() {
                "with a registration link"
            } else {
                "at sign-in (required action)"
            }
        ),
    )
    .await;
    flow.enrol = None;
    if link.is_some()
        || symbolon_idp::auth_policy(&st.store, &realm).await?
            == symbolon_idp::AuthPolicy::PasskeyOnly
    {
        // No password was used (a link), or it only served to register: the passkey signs in.
        put_state(&st.store, FLOW, &flow_id, &flow, flow.expires).await?;
        return login_page(
            &st,
            &r,
            client.as_ref(),
            &flow_id,
            &flow,
            LoginView {
                notice: Some("idp-passkey-registered"),
                ..LoginView::default()
            },
        )
        .await;
    }
    let method = if enrol.second_factor {
        SignInMethod::PasswordAndSecondFactor
    } else {
        SignInMethod::Password
    };
    finish_sign_in(
        &st,
        &r,
        client.as_ref(),
        &user,
        flow_id,
        flow,
        method,
        &enrol.method,
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct LinkQuery {
    pub(crate) token: Option<String>,
}

/// A registration link: the page to register a passkey for the link's user, with no password.
/// Opening it does not use it up (link previewers fetch links); registering a passkey does.
pub(crate) async fn registration_link<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let token = q.token.unwrap_or_default();
    if token.is_empty() {
        return Err(link_used());
    }
    let hash = symbolon_idp::hex_sha256(&token);
    let target: Option<symbolon_idp::RegistrationLinkFor> =
        get_state(&st.store, symbolon_idp::REGISTRATION_LINK, &hash).await?;
    let Some(target) = target.filter(|t| t.realm == realm) else {
        event(
            &st,
            &realm,
            "LOGIN_ERROR",
            None,
            None,
            "a registration link was used or has expired".into(),
        )
        .await;
        return Err(link_used());
    };
    let user = st
        .store
        .user_by_id(&realm, &target.user_id)
        .await?
        .filter(|u| u.enabled)
        .ok_or_else(link_used)?;
    if !symbolon_idp::auth_policy(&st.store, &realm)
        .await?
        .passkeys()
        || relying_party(&st.cfg, &r).is_none()
    {
        return Err(WebError::bad_request_page("err-passkeys-unused"));
    }
    let flow_id = random_token()?;
    let flow = Flow {
        enrol: Some(Enrol {
            user_id: user.id.clone(),
            method: "registration link".into(),
            second_factor: false,
            link: Some(hash),
        }),
        ..AccountFlow::account_console(&realm, st.cfg.login_flow_lifetime)?
    };
    put_state(&st.store, FLOW, &flow_id, &flow, flow.expires).await?;
    enrol_page(&st, &r, &user, &flow_id, &flow, None, StatusCode::OK).await
}
