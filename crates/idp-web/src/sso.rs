//! The SAML endpoints: the realm descriptor, SP-initiated SSO (Redirect and POST bindings) and
//! IdP-initiated SSO; an existing session answers at once, otherwise a login flow starts.

use crate::error::{WebError, random_token};
use crate::login::{LoginView, login_page};
use crate::respond::{issue, refuse_request, registration, reject};
use crate::state::{AppState, live_session, sso_realm};
use axum::extract::{Form, Path, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use symbolon_idp::saml_endpoint;
use symbolon_idp::sessions::{FLOW, Flow, Requested, SsoSession, put_state};
use symbolon_saml::binding::{MessageKind, decode_post, decode_redirect};
use symbolon_saml::idp::{
    AC_PASSWORD_PROTECTED, AC_REFEDS_MFA, Arrival, SignInMethod, check_authn_request, choose_class,
};
use symbolon_saml::messages::AuthnRequest;
use symbolon_store::{Client, IdpStore, Realm};
use symbolon_xml::Limits;
use time::OffsetDateTime;

pub(crate) async fn realm_descriptor<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
) -> Result<Response, WebError> {
    // A disabled realm publishes nothing.
    sso_realm(&st, &realm).await?;
    let keys = st.sso.realm_keys(&st.store, &realm).await?;
    let xml = symbolon_idp::descriptor_of_keys(&st.descriptors, &realm, &keys, &st.cfg.base_url)?;
    let mut r = xml.to_string().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    Ok(r)
}

/// `GET /realms/{realm}/protocol/saml/clients/{name}/descriptor`: the descriptor for one client
/// (`name`: its IdP-initiated URL name, or its client ID percent-encoded), publishing the keys
/// that client's messages are signed with. Disabled clients and realms publish nothing.
pub(crate) async fn client_descriptor<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path((realm, name)): Path<(String, String)>,
) -> Result<Response, WebError> {
    sso_realm(&st, &realm).await?;
    let client = match st.sso.client_by_url_name(&st.store, &realm, &name).await? {
        Some(c) => Some(c),
        None => st.sso.client(&st.store, &realm, &name).await?,
    };
    let client = client.filter(|c| c.enabled).ok_or_else(|| {
        WebError::not_found(crate::error::Msg::With("err-no-app", "name", name.clone()))
    })?;
    let xml =
        symbolon_idp::client_descriptor(&st.store, &st.descriptors, &client, &st.cfg.base_url)
            .await?;
    let mut r = xml.to_string().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    Ok(r)
}

#[derive(Deserialize)]
pub(crate) struct PostBinding {
    #[serde(rename = "SAMLRequest")]
    pub(crate) saml_request: Option<String>,
    #[serde(rename = "SAMLResponse")]
    pub(crate) saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    pub(crate) relay_state: Option<String>,
}

pub(crate) async fn sso_redirect<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let cached = sso_realm(&st, &realm).await?;
    let r = &cached.realm;
    let q = q.ok_or_else(|| WebError::bad_request("err-no-saml-request"))?;
    let m = match decode_redirect(&q) {
        Ok(m) => m,
        Err(e) => return Err(reject(&st, &realm, None, e.to_string()).await),
    };
    let doc = match symbolon_xml::parse_bytes(&m.xml, &Limits::default()) {
        Ok(d) => d,
        Err(e) => return Err(reject(&st, &realm, None, format!("not acceptable XML: {e}")).await),
    };
    // Single logout shares the endpoint; a Response there can only be a LogoutResponse.
    match symbolon_saml::logout::protocol_root(&doc) {
        Some("LogoutRequest" | "LogoutResponse") => {
            let relay = m.relay_state.clone();
            return crate::slo::logout(&st, r, &doc, Arrival::Redirect(&m), relay, &headers).await;
        }
        _ if m.kind != MessageKind::Request => {
            return Err(reject(
                &st,
                &realm,
                None,
                "a SAMLResponse was sent to the SSO endpoint".into(),
            )
            .await);
        }
        _ => {}
    }
    sso(
        &st,
        r,
        &doc,
        Arrival::Redirect(&m),
        m.relay_state.clone(),
        &headers,
    )
    .await
}

pub(crate) async fn sso_post<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Form(f): Form<PostBinding>,
) -> Result<Response, WebError> {
    let cached = sso_realm(&st, &realm).await?;
    let r = &cached.realm;
    let raw = f
        .saml_request
        .or(f.saml_response)
        .ok_or_else(|| WebError::bad_request("err-no-saml-request"))?;
    if let Some(rs) = &f.relay_state
        && rs.len() > symbolon_saml::binding::MAX_RELAY_STATE
    {
        return Err(reject(
            &st,
            &realm,
            None,
            format!("RelayState is {} bytes, over the limit", rs.len()),
        )
        .await);
    }
    let xml = match decode_post(raw.as_bytes()) {
        Ok(x) => x,
        Err(e) => return Err(reject(&st, &realm, None, e.to_string()).await),
    };
    let doc = match symbolon_xml::parse_bytes(&xml, &Limits::default()) {
        Ok(d) => d,
        Err(e) => return Err(reject(&st, &realm, None, format!("not acceptable XML: {e}")).await),
    };
    match symbolon_saml::logout::protocol_root(&doc) {
        Some("LogoutRequest" | "LogoutResponse") => {
            crate::slo::logout(&st, r, &doc, Arrival::Post, f.relay_state, &headers).await
        }
        _ => sso(&st, r, &doc, Arrival::Post, f.relay_state, &headers).await,
    }
}

pub(crate) async fn sso<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    doc: &symbolon_xml::Document<'_>,
    arrival: Arrival<'_>,
    relay_state: Option<String>,
    headers: &HeaderMap,
) -> Result<Response, WebError> {
    let issuer = match AuthnRequest::from_document(doc) {
        Ok(r) => r.issuer,
        Err(e) => return Err(refused(reject(st, &realm.name, None, e.to_string()).await)),
    };
    let Some(client) = st.sso.client(&st.store, &realm.name, &issuer).await? else {
        return Err(refused(
            reject(st, &realm.name, None, format!("unknown client {issuer:?}")).await,
        ));
    };
    if !client.enabled {
        return Err(refused(
            reject(
                st,
                &realm.name,
                Some(&issuer),
                "the client is disabled".into(),
            )
            .await,
        ));
    }
    let sso_url = saml_endpoint(&st.cfg.base_url, &realm.name);
    let accepted = match check_authn_request(
        doc,
        arrival,
        &registration(&client),
        &[sso_url.as_str()],
        OffsetDateTime::now_utc(),
        st.cfg.clock_skew,
    ) {
        Ok(a) => a,
        Err(e) => {
            return Err(refused(
                reject(st, &realm.name, Some(&issuer), e.to_string()).await,
            ));
        }
    };
    authn_request_counted("accepted");
    // A password gives PasswordProtectedTransport; a password and a second factor give REFEDS
    // MFA; a passkey gives MFA or FIDO. A request that nothing this realm offers can meet gets
    // the SAML status NoAuthnContext at its ACS, never a silently weaker assertion; one that
    // needs MFA makes a second factor (or a passkey) required, one that needs FIDO a passkey.
    let mut needs_mfa = false;
    let mut needs_passkey = false;
    if let Some(req) = &accepted.request.requested_authn_context
        && !symbolon_saml::idp::satisfies(req, AC_PASSWORD_PROTECTED)
    {
        if symbolon_saml::idp::satisfies(req, AC_REFEDS_MFA) {
            needs_mfa = true;
        } else if choose_class(SignInMethod::Passkey, Some(req)).is_some()
            && st.policy(&realm.name).await?.passkeys()
        {
            needs_passkey = true;
        } else {
            let why = format!(
                "requested authentication context ({} {}) cannot be met: NoAuthnContext",
                req.comparison.as_str(),
                req.class_refs.join(" ")
            );
            return refuse_request(
                st,
                realm,
                &client,
                None,
                &accepted.acs_url,
                &accepted.request.id,
                relay_state,
                symbolon_saml::idp::STATUS_NO_AUTHN_CONTEXT,
                "The requested authentication context cannot be provided.",
                why,
            )
            .await;
        }
    }
    // NameIDPolicy: exactly the format asked for, or InvalidNameIDPolicy (SAML Core 3.4.1.1).
    let name_id_format =
        match symbolon_saml::idp::name_id_format_for(&accepted.request, &client.name_id_format) {
            Ok(f) => (f != client.name_id_format).then_some(f),
            Err(why) => {
                return refuse_request(
                    st,
                    realm,
                    &client,
                    None,
                    &accepted.acs_url,
                    &accepted.request.id,
                    relay_state,
                    symbolon_saml::idp::STATUS_INVALID_NAMEID_POLICY,
                    "The requested name identifier format cannot be provided.",
                    format!("{why}: InvalidNameIDPolicy"),
                )
                .await;
            }
        };
    let how = Start {
        name_id_format,
        force: accepted.request.force_authn,
        needs_mfa,
        needs_passkey,
        requested: accepted
            .request
            .requested_authn_context
            .as_ref()
            .map(Requested::of),
    };
    start(
        st,
        realm,
        &client,
        accepted.acs_url,
        Some(accepted.request.id),
        relay_state,
        how,
        headers,
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct IdpInitiatedQuery {
    #[serde(rename = "RelayState")]
    pub(crate) relay_state: Option<String>,
}

pub(crate) async fn idp_initiated<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path((realm, name)): Path<(String, String)>,
    Query(q): Query<IdpInitiatedQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let cached = sso_realm(&st, &realm).await?;
    let r = &cached.realm;
    let Some(client) = st.sso.client_by_url_name(&st.store, &realm, &name).await? else {
        return Err(WebError::not_found(crate::error::Msg::With(
            "err-no-app",
            "name",
            name,
        )));
    };
    if !client.enabled {
        return Err(WebError::new(
            StatusCode::FORBIDDEN,
            "err-app-disabled-title",
            "err-app-disabled",
        ));
    }
    let acs = symbolon_idp::default_post_acs_of(&client).ok_or_else(WebError::internal)?;
    let relay = q
        .relay_state
        .or_else(|| client.idp_initiated_relay_state.clone());
    if relay
        .as_ref()
        .is_some_and(|r| r.len() > symbolon_saml::binding::MAX_RELAY_STATE)
    {
        return Err(WebError::bad_request("err-relay-state-long"));
    }
    start(
        &st,
        r,
        &client,
        acs,
        None,
        relay,
        Start::default(),
        &headers,
    )
    .await
}

/// How a sign-in must go: re-authenticate (ForceAuthn), whether a second factor or a passkey is
/// required, and what the SP asked for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Start {
    pub(crate) force: bool,
    pub(crate) needs_mfa: bool,
    pub(crate) needs_passkey: bool,
    pub(crate) requested: Option<Requested>,
    /// The NameID format the request's NameIDPolicy asked for (`None`: the client's own).
    pub(crate) name_id_format: Option<String>,
}

/// Whether the realm's policy lets a session signed in by `method` into an application.
/// Either answer at once from an existing SSO session, or show the login page for a new flow.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn start<S: IdpStore>(
    st: &AppState<S>,
    realm: &Realm,
    client: &Client,
    acs_url: String,
    in_response_to: Option<String>,
    relay_state: Option<String>,
    how: Start,
    headers: &HeaderMap,
) -> Result<Response, WebError> {
    // A session is reused only when its method can claim a class that meets the request, and
    // the realm's policy admits that method (a password-only session from the account console
    // serves no application in a realm that requires more). The policy is read only for a
    // session that is not a passkey's (a passkey meets every policy).
    let requested = how.requested.as_ref().map(Requested::context);
    if !how.force
        && let Some(session) = live_session(st, &realm.name, headers).await?
        && let Some(class) = choose_class(session.method(), requested.as_ref())
        && (session.passkey
            || symbolon_idp::signin::policy_admits(st.policy(&realm.name).await?, session.method()))
        && let Some(user) = st
            .store
            .user_by_username(&realm.name, &session.username)
            .await?
            .filter(|u| u.enabled && u.id == session.user_id)
    {
        let session = SsoSession {
            class: class.to_string(),
            ..session
        };
        return issue(
            st,
            realm,
            client,
            &user,
            &session,
            &acs_url,
            in_response_to,
            relay_state,
            how.name_id_format.as_deref(),
        )
        .await;
    }
    let flow_id = random_token()?;
    let flow = Flow {
        realm: realm.name.clone(),
        client_id: client.client_id.clone(),
        acs_url,
        in_response_to,
        relay_state,
        csrf: random_token()?,
        expires: OffsetDateTime::now_utc() + st.cfg.login_flow_lifetime,
        needs_mfa: how.needs_mfa,
        password_ok: None,
        account: false,
        requested: how.requested,
        needs_passkey: how.needs_passkey,
        enrol: None,
        name_id_format: how.name_id_format,
    };
    put_state(&st.store, FLOW, &flow_id, &flow, flow.expires).await?;
    login_page(
        st,
        realm,
        Some(client),
        &flow_id,
        &flow,
        LoginView::default(),
    )
    .await
}

/// `symbolon_idp_authn_requests_total{outcome}`: an AuthnRequest that could be read was accepted
/// or refused (a message that cannot be read at all is not known to be one).
fn authn_request_counted(outcome: &'static str) {
    metrics::counter!("symbolon_idp_authn_requests_total", "outcome" => outcome).increment(1);
}

fn refused(e: WebError) -> WebError {
    authn_request_counted("refused");
    e
}
