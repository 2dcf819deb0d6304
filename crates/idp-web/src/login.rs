//! The login pages: they render the sign-in steps (password, second factor, passkey enrolment)
//! and post the user's answers back; the realm's policy decides what comes next.

use crate::error::{WebError, expired, html, no_passkeys_here, random_token, scripted_html};
use crate::respond::{error_response, issue};
use crate::state::{
    AppState, WebConfig, cookie_name, event, realm_or_404, same_origin, second_factor_key,
    secret_eq,
};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use symbolon_idp::sessions::{
    Enrol, FLOW, Flow, PASSKEY_AUTH, PASSKEY_REG, Requested, SSO_SESSION, SsoSession, USER_SESSION,
    UserSession, get_state, put_state,
};
use symbolon_idp::{check_password, normalize_username};
use symbolon_saml::idp::{AC_PASSWORD_PROTECTED, SignInMethod, choose_class};
use symbolon_store::{Client, IdpStore, Realm, User};
use symbolon_web::i18n::Tr;
use time::{Duration, OffsetDateTime};

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage<'a> {
    pub(crate) t: Tr,
    /// The realm's URL name (its branding stylesheet).
    pub(crate) realm: &'a str,
    /// The GET URL of this flow's login page, for the language switcher (the page may answer
    /// a POST: an AuthnRequest, a failed password).
    pub(crate) here: &'a str,
    pub(crate) realm_display: &'a str,
    pub(crate) client_name: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
    pub(crate) notice: Option<&'a str>,
    pub(crate) action: &'a str,
    pub(crate) passkey_action: &'a str,
    pub(crate) flow: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) username: &'a str,
    /// The passkey challenge's options (JSON) when the realm uses passkeys.
    pub(crate) passkey_options: Option<&'a str>,
    pub(crate) password_form: bool,
    /// A passkey-only realm: the password serves only to register a first passkey.
    pub(crate) password_only_to_enrol: bool,
}

/// A login flow for the user's own account console.
pub(crate) struct AccountFlow;

impl AccountFlow {
    /// A sign-in to the user's own account console (no application), with a fresh form token.
    pub(crate) fn account_console(realm: &str, lifetime: Duration) -> Result<Flow, WebError> {
        Ok(Flow {
            realm: realm.to_string(),
            client_id: String::new(),
            acs_url: String::new(),
            in_response_to: None,
            relay_state: None,
            csrf: random_token()?,
            expires: OffsetDateTime::now_utc() + lifetime,
            needs_mfa: false,
            password_ok: None,
            account: true,
            requested: None,
            needs_passkey: false,
            enrol: None,
            name_id_format: None,
        })
    }
}

/// The realm's login page for the user's own account console (no application).
pub(crate) async fn account_login<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
) -> Result<Response, WebError> {
    let flow_id = random_token()?;
    let flow = AccountFlow::account_console(&realm.name, st.cfg.login_flow_lifetime)?;
    put_state(&st.store, FLOW, &flow_id, &flow, flow.expires).await?;
    login_page(st, realm, None, &flow_id, &flow, LoginView::default()).await
}

/// What the login page says besides the form: the username typed, an error or a notice, the
/// status.
#[derive(Debug, Default)]
pub(crate) struct LoginView<'a> {
    pub(crate) username: &'a str,
    pub(crate) error: Option<&'a str>,
    pub(crate) notice: Option<&'a str>,
    pub(crate) status: Option<StatusCode>,
}

/// The relying party (this IdP) for a realm's passkeys, or `None` when the base URL names no
/// host (an IP address): then passkeys are not offered.
pub(crate) fn relying_party(
    cfg: &WebConfig,
    realm: &Realm,
) -> Option<symbolon_idp::passkey::RelyingParty> {
    symbolon_idp::passkey::RelyingParty::new(&cfg.base_url, &realm.display_name).ok()
}

/// The login page of a flow: the password form (unless only a passkey will do), and in realms
/// that use passkeys a fresh passkey challenge (its state kept under the flow, taken once).
pub(crate) async fn login_page<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    client: Option<&Client>,
    flow_id: &str,
    flow: &Flow,
    view: LoginView<'_>,
) -> Result<Response, WebError> {
    let policy = symbolon_idp::auth_policy(&st.store, &realm.name).await?;
    let mut passkey_options = None;
    if policy.passkeys()
        && let Some(rp) = relying_party(&st.cfg, realm)
    {
        let challenge = rp.start_sign_in().map_err(|_| WebError::internal())?;
        st.store
            .put_state(PASSKEY_AUTH, flow_id, &challenge.state, flow.expires)
            .await?;
        passkey_options = Some(challenge.options);
    }
    let base = &st.cfg.base_url;
    let page = LoginPage {
        t: symbolon_web::i18n::tr(),
        here: &restart_url(realm, flow_id),
        realm: &realm.name,
        realm_display: &realm.display_name,
        client_name: client.map(|c| c.name.as_deref().unwrap_or(&c.client_id)),
        error: view.error,
        notice: view.notice.or(if flow.needs_passkey {
            Some("idp-notice-passkey-required")
        } else if flow.needs_mfa && passkey_options.is_some() {
            Some("idp-notice-more-than-password")
        } else {
            None
        }),
        action: &format!("{base}/realms/{}/login-actions/authenticate", realm.name),
        passkey_action: &format!("{base}/realms/{}/login-actions/passkey", realm.name),
        flow: flow_id,
        csrf: &flow.csrf,
        username: view.username,
        passkey_options: passkey_options.as_deref(),
        password_form: !(flow.needs_passkey && passkey_options.is_some()),
        password_only_to_enrol: policy == symbolon_idp::AuthPolicy::PasskeyOnly,
    };
    let body = page.render().map_err(|_| WebError::internal())?;
    let status = view.status.unwrap_or(StatusCode::OK);
    Ok(if passkey_options.is_some() {
        scripted_html(status, body)
    } else {
        html(status, body)
    })
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    pub(crate) flow: Option<String>,
    pub(crate) csrf: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
}

/// The sign-in flow a login form (password or second step) was posted for: live, of this
/// realm, and the post carries its token from our own origin (a failure is an event).
pub(crate) async fn posted_flow<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
    flow_id: Option<String>,
    csrf: Option<&str>,
    headers: &HeaderMap,
) -> Result<(String, Flow), WebError> {
    let flow_id = flow_id.ok_or_else(expired)?;
    let flow: Flow = get_state(&st.store, FLOW, &flow_id)
        .await?
        .filter(|fl: &Flow| fl.realm == realm && fl.expires > OffsetDateTime::now_utc())
        .ok_or_else(expired)?;
    if !secret_eq(csrf.unwrap_or(""), &flow.csrf) || !same_origin(&st.cfg, headers) {
        event(
            st,
            realm,
            "LOGIN_ERROR",
            None,
            Some(&flow.client_id),
            "CSRF check failed".into(),
        )
        .await;
        return Err(WebError::new(
            StatusCode::FORBIDDEN,
            "err-form-title",
            "err-form-restart",
        ));
    }
    Ok((flow_id, flow))
}

/// The application a flow signs in to; none for the account console.
pub(crate) async fn flow_client<S: IdpStore>(
    st: &AppState<S>,
    flow: &Flow,
) -> Result<Option<Client>, WebError> {
    if flow.account {
        return Ok(None);
    }
    st.store
        .client(&flow.realm, &flow.client_id)
        .await?
        .map(Some)
        .ok_or_else(expired)
}

/// The GET URL of a flow's login page: the language switcher's target on a page that answered
/// a POST, and "not you?" for someone else to sign in instead.
fn restart_url(realm: &Realm, flow_id: &str) -> String {
    format!(
        "/realms/{}/login-actions/authenticate?flow={flow_id}",
        realm.name
    )
}

#[derive(Deserialize)]
pub(crate) struct FlowQuery {
    flow: Option<String>,
}

/// `GET .../login-actions/authenticate?flow=ID`: a live flow's login page again (a reload, or
/// the language switcher on a page that answered a POST); an unknown or finished flow gets the
/// expired page.
pub(crate) async fn login_again<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    axum::extract::Query(q): axum::extract::Query<FlowQuery>,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let flow_id = q.flow.ok_or_else(expired)?;
    let flow: Flow = get_state(&st.store, FLOW, &flow_id)
        .await?
        .filter(|fl: &Flow| fl.realm == realm && fl.expires > OffsetDateTime::now_utc())
        .ok_or_else(expired)?;
    let client = flow_client(&st, &flow).await?;
    login_page(
        &st,
        &r,
        client.as_ref(),
        &flow_id,
        &flow,
        LoginView::default(),
    )
    .await
}

pub(crate) async fn authenticate<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let (flow_id, flow) = posted_flow(&st, &realm, f.flow, f.csrf.as_deref(), &headers).await?;
    let client = flow_client(&st, &flow).await?;
    let username = normalize_username(f.username.as_deref().unwrap_or(""));
    let password = f.password.unwrap_or_default();
    let now = OffsetDateTime::now_utc();
    let page = |error, status| LoginView {
        username: &username,
        error: Some(error),
        notice: None,
        status: Some(status),
    };
    if flow.needs_passkey {
        return login_page(
            &st,
            &r,
            client.as_ref(),
            &flow_id,
            &flow,
            page("idp-err-passkey-not-password", StatusCode::FORBIDDEN),
        )
        .await;
    }
    if let Some(until) = st.locked_until(&realm, &username).await? {
        event(
            &st,
            &realm,
            "LOGIN_ERROR",
            Some(&username),
            Some(&flow.client_id),
            "temporarily locked after repeated failures".into(),
        )
        .await;
        password_counted("locked");
        let minutes = ((until - now).whole_seconds() + 59) / 60;
        let msg = symbolon_web::i18n::tr().n(
            "idp-err-locked",
            "count",
            u64::try_from(minutes).unwrap_or(1),
        );
        return login_page(
            &st,
            &r,
            client.as_ref(),
            &flow_id,
            &flow,
            page(&msg, StatusCode::TOO_MANY_REQUESTS),
        )
        .await;
    }
    let user = if username.is_empty() || password.is_empty() {
        None
    } else {
        check_password(&st.store, &realm, &username, &password).await?
    };
    let Some(user) = user else {
        password_counted("failed");
        st.record_failure(&realm, &username).await?;
        event(
            &st,
            &realm,
            "LOGIN_ERROR",
            Some(&username),
            Some(&flow.client_id),
            "invalid username or password".into(),
        )
        .await;
        return login_page(
            &st,
            &r,
            client.as_ref(),
            &flow_id,
            &flow,
            page("idp-err-credentials", StatusCode::UNAUTHORIZED),
        )
        .await;
    };
    password_counted("ok");
    st.clear_failures(&realm, &username).await?;
    let policy = symbolon_idp::auth_policy(&st.store, &realm).await?;
    // A passkey-only realm: the password serves only a user who has no passkey yet, to register
    // one (then they sign in with it).
    if policy == symbolon_idp::AuthPolicy::PasskeyOnly
        && !st.store.passkeys(&user.id).await?.is_empty()
    {
        event(
            &st,
            &realm,
            "LOGIN_ERROR",
            Some(&user.username),
            Some(&flow.client_id),
            "password sign-in is disabled in this realm (passkey only)".into(),
        )
        .await;
        return login_page(
            &st,
            &r,
            client.as_ref(),
            &flow_id,
            &flow,
            page("idp-err-passkey-only", StatusCode::FORBIDDEN),
        )
        .await;
    }
    // A second factor, when the user has one: the flow remembers whose password was right.
    if st.store.totp(&user.id).await?.is_some() {
        let mut pending = flow.clone();
        pending.password_ok = Some(user.id.clone());
        put_state(&st.store, FLOW, &flow_id, &pending, pending.expires).await?;
        return second_factor_page(&st, &r, &user, &flow_id, &flow.csrf, None, StatusCode::OK);
    }
    // The realm requires a second factor and this user has none: not into an application; the
    // account console (where it is set up) stays open.
    if !flow.account && policy == symbolon_idp::AuthPolicy::SecondFactor {
        st.store
            .take_state(FLOW, &flow_id, OffsetDateTime::now_utc())
            .await?;
        event(
            &st,
            &realm,
            "LOGIN_ERROR",
            Some(&user.username),
            Some(&flow.client_id),
            "the realm requires a second factor and the user has none".into(),
        )
        .await;
        return Ok(html(
            StatusCode::FORBIDDEN,
            SetUpSecondFactorPage {
                t: symbolon_web::i18n::tr(),
                realm: &r.name,
                realm_display: &r.display_name,
                account: &format!("/realms/{realm}/account"),
            }
            .render()
            .map_err(|_| WebError::internal())?,
        ));
    }
    finish_sign_in(
        &st,
        &r,
        client.as_ref(),
        &user,
        flow_id,
        flow,
        SignInMethod::Password,
        "password",
    )
    .await
}

/// Whether a sign-in that was not a passkey's must first register one: the user has the
/// required action, or the realm accepts passkeys only and they have none.
pub(crate) async fn must_enrol<S: IdpStore>(
    st: &AppState<S>,
    policy: symbolon_idp::AuthPolicy,
    user: &User,
) -> Result<bool, WebError> {
    if !policy.passkeys() {
        return Ok(false);
    }
    Ok(st
        .store
        .required_actions(&user.id)
        .await?
        .iter()
        .any(|a| a == symbolon_store::ACTION_REGISTER_PASSKEY)
        || (policy == symbolon_idp::AuthPolicy::PasskeyOnly
            && st.store.passkeys(&user.id).await?.is_empty()))
}

/// The sign-in succeeded: register a passkey first when required; check the method meets the
/// realm's policy and the SP's request (else NoAuthnContext, never a weaker assertion); take
/// the flow (once: of two concurrent posts of the same form, one signs in), start the SSO
/// session with its class, answer the SP.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn finish_sign_in<S: IdpStore>(
    st: &AppState<S>,
    r: &Realm,
    client: Option<&Client>,
    user: &User,
    flow_id: String,
    flow: Flow,
    method: SignInMethod,
    label: &str,
) -> Result<Response, WebError> {
    let realm = &r.name;
    let now = OffsetDateTime::now_utc();
    // A passkey meets every policy; other methods are judged by the realm's (read once).
    let policy = match method {
        SignInMethod::Passkey => None,
        _ => Some(symbolon_idp::auth_policy(&st.store, realm).await?),
    };
    if let Some(policy) = policy
        && must_enrol(st, policy, user).await?
    {
        let mut pending = flow.clone();
        pending.password_ok = None;
        pending.enrol = Some(Enrol {
            user_id: user.id.clone(),
            method: label.to_string(),
            second_factor: method == SignInMethod::PasswordAndSecondFactor,
            link: None,
        });
        put_state(&st.store, FLOW, &flow_id, &pending, pending.expires).await?;
        return enrol_page(st, r, user, &flow_id, &pending, None, StatusCode::OK).await;
    }
    let policy_ok =
        flow.account || policy.is_none_or(|p| symbolon_idp::signin::policy_admits(p, method));
    let requested = flow.requested.as_ref().map(Requested::context);
    let class = choose_class(method, requested.as_ref()).filter(|_| policy_ok);
    let Some(class) = class else {
        if st.store.take_state(FLOW, &flow_id, now).await?.is_none() {
            return Err(expired());
        }
        event(
            st,
            realm,
            "LOGIN_ERROR",
            Some(&user.username),
            Some(&flow.client_id),
            format!("a sign-in by {label} does not meet the requested authentication context or the realm's policy: NoAuthnContext"),
        )
        .await;
        return match client {
            Some(client) => {
                error_response(
                    st,
                    r,
                    client,
                    &flow.acs_url,
                    flow.in_response_to.as_deref().unwrap_or_default(),
                    flow.relay_state,
                    symbolon_saml::idp::STATUS_NO_AUTHN_CONTEXT,
                    "The requested authentication context cannot be provided.",
                )
                .await
            }
            None => Err(WebError::forbidden(
                "err-refused-title",
                "err-method-refused",
            )),
        };
    };
    if st.store.take_state(FLOW, &flow_id, now).await?.is_none() {
        return Err(expired());
    }
    let session_id = random_token()?;
    let session = SsoSession {
        id: session_id.clone(),
        realm: realm.clone(),
        user_id: user.id.clone(),
        username: user.username.clone(),
        session_index: format!("_{}", session_id.get(..32).unwrap_or(&session_id)),
        authn_instant: now,
        expires: now + st.cfg.sso_session_lifetime,
        // The session keeps its method's own class; each assertion says the class chosen for
        // its request.
        class: choose_class(method, None)
            .unwrap_or(AC_PASSWORD_PROTECTED)
            .to_string(),
        csrf: random_token()?,
        passkey: method == SignInMethod::Passkey,
    };
    put_state(
        &st.store,
        SSO_SESSION,
        &session_id,
        &session,
        session.expires,
    )
    .await?;
    // The user's list of sessions, for the account console (sign out elsewhere).
    put_state(
        &st.store,
        USER_SESSION,
        &format!("{}:{session_id}", user.id),
        &UserSession {
            session_id: session_id.clone(),
            started: now.unix_timestamp(),
            method: label.to_string(),
            last_used: 0,
            clients: vec![],
            name_ids: Default::default(),
        },
        session.expires,
    )
    .await?;
    event(
        st,
        realm,
        "LOGIN",
        Some(&user.username),
        client.map(|c| c.client_id.as_str()),
        label.into(),
    )
    .await;
    let mut resp = match client {
        Some(client) => {
            let for_this = SsoSession {
                class: class.to_string(),
                ..session.clone()
            };
            issue(
                st,
                r,
                client,
                user,
                &for_this,
                &flow.acs_url,
                flow.in_response_to,
                flow.relay_state,
                flow.name_id_format.as_deref(),
            )
            .await?
        }
        None => Redirect::to(&format!("/realms/{realm}/account")).into_response(),
    };
    let secure = if st.cfg.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let set = format!(
        "{}={session_id}; Path=/realms/{}/; HttpOnly; SameSite=Lax{secure}",
        cookie_name(realm),
        realm
    );
    if let Ok(v) = HeaderValue::from_str(&set) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[derive(Template)]
#[template(path = "enrol_passkey.html")]
pub(crate) struct EnrolPage<'a> {
    pub(crate) t: Tr,
    /// The realm's URL name (its branding stylesheet).
    pub(crate) realm: &'a str,
    pub(crate) realm_display: &'a str,
    pub(crate) restart: &'a str,
    pub(crate) username: &'a str,
    pub(crate) error: Option<&'a str>,
    pub(crate) action: &'a str,
    pub(crate) flow: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) options: &'a str,
    pub(crate) name: &'a str,
}

/// The required action's page: register a passkey before going on (a fresh registration
/// challenge, kept under the flow and taken once).
pub(crate) async fn enrol_page<S: IdpStore>(
    st: &AppState<S>,
    r: &Realm,
    user: &User,
    flow_id: &str,
    flow: &Flow,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let rp = relying_party(&st.cfg, r).ok_or_else(no_passkeys_here)?;
    let existing = st.store.passkeys(&user.id).await?;
    let challenge = rp
        .start_registration(user, &existing)
        .map_err(|_| WebError::internal())?;
    st.store
        .put_state(
            PASSKEY_REG,
            &format!("flow:{flow_id}"),
            &challenge.state,
            flow.expires,
        )
        .await?;
    let page = EnrolPage {
        t: symbolon_web::i18n::tr_for_user(crate::account::user_locale(user)),
        realm: &r.name,
        realm_display: &r.display_name,
        restart: &restart_url(r, flow_id),
        username: &user.username,
        error,
        action: &format!(
            "{}/realms/{}/login-actions/register-passkey",
            st.cfg.base_url, r.name
        ),
        flow: flow_id,
        csrf: &flow.csrf,
        options: &challenge.options,
        name: "",
    };
    Ok(scripted_html(
        status,
        page.render().map_err(|_| WebError::internal())?,
    ))
}

#[derive(Template)]
#[template(path = "set_up_second_factor.html")]
pub(crate) struct SetUpSecondFactorPage<'a> {
    pub(crate) t: Tr,
    /// The realm's URL name (its branding stylesheet).
    pub(crate) realm: &'a str,
    pub(crate) realm_display: &'a str,
    pub(crate) account: &'a str,
}

#[derive(Template)]
#[template(path = "second_factor.html")]
pub(crate) struct SecondFactorPage<'a> {
    pub(crate) t: Tr,
    /// The realm's URL name (its branding stylesheet).
    pub(crate) realm: &'a str,
    pub(crate) realm_display: &'a str,
    /// Who is signing in, and the flow's login page for someone else ("not you?").
    pub(crate) username: &'a str,
    pub(crate) restart: &'a str,
    pub(crate) error: Option<&'a str>,
    pub(crate) action: &'a str,
    pub(crate) flow: &'a str,
    pub(crate) csrf: &'a str,
}

pub(crate) fn second_factor_page<S>(
    st: &AppState<S>,
    realm: &Realm,
    user: &User,
    flow: &str,
    csrf: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let action = format!(
        "{}/realms/{}/login-actions/second-factor",
        st.cfg.base_url, realm.name
    );
    let page = SecondFactorPage {
        t: symbolon_web::i18n::tr_for_user(crate::account::user_locale(user)),
        realm: &realm.name,
        realm_display: &realm.display_name,
        username: &user.username,
        restart: &restart_url(realm, flow),
        error,
        action: &action,
        flow,
        csrf,
    };
    Ok(html(
        status,
        page.render().map_err(|_| WebError::internal())?,
    ))
}

#[derive(Deserialize)]
pub(crate) struct SecondFactorForm {
    pub(crate) flow: Option<String>,
    pub(crate) csrf: Option<String>,
    pub(crate) code: Option<String>,
}

/// The second step: a code from the authenticator app, or a one-time recovery code. Failures
/// count towards a lockout of the second factor (across instances); a code is accepted once.
pub(crate) async fn second_factor<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Form(f): Form<SecondFactorForm>,
) -> Result<Response, WebError> {
    let r = realm_or_404(&st, &realm).await?;
    let (flow_id, flow) = posted_flow(&st, &realm, f.flow, f.csrf.as_deref(), &headers).await?;
    let user_id = flow.password_ok.clone().ok_or_else(expired)?;
    let user = st
        .store
        .user_by_id(&realm, &user_id)
        .await?
        .filter(|u| u.enabled)
        .ok_or_else(expired)?;
    let client = flow_client(&st, &flow).await?;
    let key = second_factor_key(&realm, &user_id);
    if let Some(until) = st.locked_until_key(&key).await? {
        let minutes = ((until - OffsetDateTime::now_utc()).whole_seconds() + 59) / 60;
        return second_factor_page(
            &st,
            &r,
            &user,
            &flow_id,
            &flow.csrf,
            Some(&symbolon_web::i18n::tr().n(
                "idp-2fa-locked",
                "count",
                u64::try_from(minutes).unwrap_or(1),
            )),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let code = f.code.unwrap_or_default();
    let now = OffsetDateTime::now_utc();
    let method = match st.store.totp(&user_id).await? {
        Some(t) => {
            let secret =
                symbolon_idp::totp::from_base32(&t.secret.0).ok_or_else(WebError::internal)?;
            match symbolon_idp::totp::verify(&secret, &code, now.unix_timestamp(), t.last_step) {
                Some(step) if st.store.use_totp_step(&user_id, step).await? => {
                    Some("password+totp")
                }
                _ => {
                    let normal = symbolon_idp::totp::normalise_recovery_code(&code);
                    let hash = symbolon_idp::hex_sha256(&normal);
                    if normal.len() == 12 && st.store.use_recovery_code(&user_id, &hash).await? {
                        Some("password+recovery-code")
                    } else {
                        None
                    }
                }
            }
        }
        None => None,
    };
    let Some(method) = method else {
        st.record_failure_key(&key).await?;
        event(
            &st,
            &realm,
            "LOGIN_ERROR",
            Some(&user.username),
            Some(&flow.client_id),
            "invalid second-factor code".into(),
        )
        .await;
        return second_factor_page(
            &st,
            &r,
            &user,
            &flow_id,
            &flow.csrf,
            Some("idp-2fa-wrong"),
            StatusCode::UNAUTHORIZED,
        );
    };
    st.store.clear_failures(&key).await?;
    finish_sign_in(
        &st,
        &r,
        client.as_ref(),
        &user,
        flow_id,
        flow,
        SignInMethod::PasswordAndSecondFactor,
        method,
    )
    .await
}

/// `symbolon_idp_password_checks_total{outcome}`: ok, failed or locked.
fn password_counted(outcome: &'static str) {
    metrics::counter!("symbolon_idp_password_checks_total", "outcome" => outcome).increment(1);
}
