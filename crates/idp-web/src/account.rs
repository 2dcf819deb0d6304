//! The user's own account console, `/realms/{realm}/account`: profile, the second factor
//! (self-service TOTP enrolment with a QR code rendered here, recovery codes shown once,
//! removal), and the applications to launch (clients with a Home URL). Signed in by the realm's
//! own login (password, then the second factor when the user has one).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use symbolon_store::{IdpStore, Realm, Secret, TotpCredential, User};
use symbolon_web::i18n::Tr;
use time::OffsetDateTime;

use crate::error::WebError;
use crate::state::AppState;

const TOTP_SETUP: &str = "idp-totp-setup";

pub(crate) fn routes<S: IdpStore>() -> Router<AppState<S>> {
    Router::new()
        .route("/realms/{realm}/account", get(account::<S>))
        .route("/realms/{realm}/account/totp", post(totp::<S>))
        .route("/realms/{realm}/account/sessions", post(sign_out::<S>))
        .route(
            "/realms/{realm}/account/logout",
            post(sign_out_everywhere::<S>),
        )
        .route("/realms/{realm}/account/passkeys", post(passkeys::<S>))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    t: Tr,
    realm: &'a str,
    realm_display: &'a str,
    user: &'a User,
    csrf: &'a str,
    enrolled: bool,
    codes_left: u32,
    /// Set-up in progress: (QR code SVG, secret in base32).
    setup: Option<(String, String)>,
    /// Recovery codes, shown once right after enrolment.
    new_codes: Vec<String>,
    confirm_remove: bool,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    apps: Vec<(String, String)>,
    /// (handle: a hash of the session ID, never the ID itself; started (UTC); method; this one)
    sessions: Vec<(String, String, String, bool)>,
    /// Passkeys are offered in this realm: the registration challenge's options (JSON).
    passkey_options: Option<String>,
    passkeys: Vec<PasskeyRow>,
    /// A passkey whose removal awaits confirmation: (ID, name).
    confirm_passkey: Option<(String, String)>,
    /// The name typed for a new passkey (kept after an error).
    passkey_name: String,
    passkey_error: Option<String>,
    /// The realm accepts passkeys only (removing the last one needs the password to register anew).
    passkey_only: bool,
}

/// The user's time zone: the `zoneinfo` attribute (OpenID Connect's name for it) or `tz`, an
/// IANA name such as `Asia/Tokyo`; the account console shows its times there, zone named.
pub(crate) fn user_zone(user: &User) -> Option<&str> {
    attribute(user, &["zoneinfo", "tz"])
}

/// The user's own `locale` attribute (Keycloak's name for it), which chooses the language of
/// the pages the user sees once known, unless they chose one with the switcher.
pub(crate) fn user_locale(user: &User) -> Option<&str> {
    attribute(user, &["locale"])
}

/// The first value of the first of `names` the user has as an attribute.
fn attribute<'a>(user: &'a User, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|name| {
        user.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    })
}

/// A passkey as the account console lists it.
struct PasskeyRow {
    id: String,
    name: String,
    created: String,
    last_used: String,
    synced: bool,
    /// Suspended since (a use that looked like a clone), until the user clears it.
    flagged: Option<String>,
}

struct Signed {
    realm: Realm,
    user: User,
    session_id: String,
    csrf: String,
}

async fn signed_in<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
    headers: &HeaderMap,
) -> Result<Result<Signed, Response>, WebError> {
    let r = crate::state::realm_or_404(st, realm).await?;
    match crate::state::account_session(st, realm, headers).await? {
        Some((session_id, user_id, csrf)) => {
            match st
                .store()
                .user_by_id(realm, &user_id)
                .await?
                .filter(|u| u.enabled)
            {
                Some(user) => Ok(Ok(Signed {
                    realm: r,
                    user,
                    session_id,
                    csrf,
                })),
                None => Ok(Err(crate::login::account_login(st, &r).await?)),
            }
        }
        None => Ok(Err(crate::login::account_login(st, &r).await?)),
    }
}

/// A post of one of this session's forms, from our own origin.
fn check_form<S>(
    st: &AppState<S>,
    s: &Signed,
    csrf: Option<&str>,
    headers: &HeaderMap,
) -> Result<(), WebError> {
    if crate::state::secret_eq(csrf.unwrap_or(""), &s.csrf)
        && crate::state::same_origin_as(&st.config().base_url, headers)
    {
        Ok(())
    } else {
        Err(WebError::forbidden("err-form-title", "err-form-reload"))
    }
}

#[derive(Default)]
struct View {
    setup: Option<(String, String)>,
    new_codes: Vec<String>,
    confirm_remove: bool,
    notice: Option<String>,
    error: Option<&'static str>,
    confirm_passkey: Option<(String, String)>,
    passkey_name: String,
    passkey_error: Option<String>,
}

async fn render<S: IdpStore>(
    st: &AppState<S>,
    s: &Signed,
    v: View,
    status: StatusCode,
) -> Result<Response, WebError> {
    let enrolled = st.store().totp(&s.user.id).await?.is_some();
    let codes_left = st.store().recovery_codes_left(&s.user.id).await?;
    let mut apps = Vec::new();
    for c in st.store().clients(&s.realm.name).await? {
        if c.enabled
            && let Some(home) = c.home_url.clone()
            && symbolon_idp::may_use(st.store(), &c, &s.user).await?
        {
            apps.push((c.name.clone().unwrap_or_else(|| c.client_id.clone()), home));
        }
    }
    let zone = user_zone(&s.user);
    let mut sessions = Vec::new();
    for (_, v) in st
        .store()
        .list_state(
            symbolon_idp::sessions::USER_SESSION,
            &format!("{}:", s.user.id),
            OffsetDateTime::now_utc(),
        )
        .await?
    {
        if let Ok(u) = serde_json::from_str::<symbolon_idp::sessions::UserSession>(&v) {
            let started = OffsetDateTime::from_unix_timestamp(u.started)
                .map(|t| symbolon_web::page::page_time_in(t, zone))
                .unwrap_or_default();
            let current = u.session_id == s.session_id;
            sessions.push((handle(&u.session_id), started, u.method, current));
        }
    }
    let policy = symbolon_idp::auth_policy(st.store(), &s.realm.name).await?;
    let mut passkey_options = None;
    let mut passkeys = Vec::new();
    if policy.passkeys()
        && let Some(rp) = crate::login::relying_party(st.config(), &s.realm)
    {
        let existing = st.store().passkeys(&s.user.id).await?;
        // A fresh registration challenge for this page, kept under the session (taken once).
        let challenge = rp
            .start_registration(&s.user, &existing)
            .map_err(|_| WebError::internal())?;
        st.store()
            .put_state(
                symbolon_idp::sessions::PASSKEY_REG,
                &format!("account:{}", s.session_id),
                &challenge.state,
                OffsetDateTime::now_utc() + time::Duration::minutes(10),
            )
            .await?;
        passkey_options = Some(challenge.options);
        passkeys = existing
            .into_iter()
            .map(|p| PasskeyRow {
                id: p.id,
                name: p.name,
                created: symbolon_web::page::page_time_in(p.created_at, zone),
                last_used: p
                    .last_used
                    .map(|t| symbolon_web::page::page_time_in(t, zone))
                    .unwrap_or_else(|| symbolon_web::i18n::tr().t("spc-never")),
                synced: p.backup_state,
                flagged: p
                    .flagged_at
                    .map(|t| symbolon_web::page::page_time_in(t, zone)),
            })
            .collect();
    }
    let page = AccountPage {
        t: symbolon_web::i18n::tr_for_user(user_locale(&s.user)),
        realm: &s.realm.name,
        realm_display: &s.realm.display_name,
        user: &s.user,
        csrf: &s.csrf,
        enrolled,
        codes_left,
        setup: v.setup,
        new_codes: v.new_codes,
        confirm_remove: v.confirm_remove,
        notice: v.notice.as_deref(),
        error: v.error,
        apps,
        sessions,
        passkey_options,
        passkeys,
        confirm_passkey: v.confirm_passkey,
        passkey_name: v.passkey_name,
        passkey_error: v.passkey_error,
        passkey_only: policy == symbolon_idp::AuthPolicy::PasskeyOnly,
    };
    let scripted = page.passkey_options.is_some();
    let body = page.render().map_err(|_| WebError::internal())?;
    Ok(if scripted {
        crate::error::scripted_html(status, body)
    } else {
        crate::error::html(status, body)
    })
}

async fn account<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    match signed_in(&st, &realm, &headers).await? {
        Ok(s) => {
            let notice = symbolon_web::flash::take(st.store(), &s.csrf).await;
            render(
                &st,
                &s,
                View {
                    notice,
                    ..View::default()
                },
                StatusCode::OK,
            )
            .await
        }
        Err(login) => Ok(login),
    }
}

/// Post/redirect/get: a change that succeeded goes back to the account page, which says what
/// happened (reloading it changes nothing).
async fn done<S: IdpStore>(
    st: &AppState<S>,
    s: &Signed,
    notice: &str,
) -> Result<Response, WebError> {
    Ok(symbolon_web::flash::redirect_with(
        st.store(),
        &s.csrf,
        &format!("/realms/{}/account", s.realm.name),
        notice,
    )
    .await)
}

#[derive(Deserialize)]
struct TotpForm {
    csrf: Option<String>,
    action: Option<String>,
    code: Option<String>,
    confirm: Option<String>,
}

fn qr_svg(uri: &str) -> Result<String, WebError> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|_| WebError::internal())?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

async fn totp<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Form(f): Form<TotpForm>,
) -> Result<Response, WebError> {
    let s = match signed_in(&st, &realm, &headers).await? {
        Ok(s) => s,
        Err(login) => return Ok(login),
    };
    check_form(&st, &s, f.csrf.as_deref(), &headers)?;
    let now = OffsetDateTime::now_utc();
    let actor = symbolon_idp::Actor(format!("{} (account console)", s.user.username));
    match f.action.as_deref() {
        Some("setup") => {
            let rng = symbolon_dsig::SystemRandom::new();
            let secret = symbolon_idp::totp::new_secret(&rng).ok_or_else(WebError::internal)?;
            let b32 = symbolon_idp::totp::to_base32(&secret);
            // Kept for ten minutes under this session until the user proves the app has it.
            st.store()
                .put_state(
                    TOTP_SETUP,
                    &s.session_id,
                    &b32,
                    now + time::Duration::minutes(10),
                )
                .await?;
            let account = s
                .user
                .email
                .clone()
                .unwrap_or_else(|| s.user.username.clone());
            let uri = symbolon_idp::totp::otpauth_uri(&s.realm.display_name, &account, &secret);
            let view = View {
                setup: Some((qr_svg(&uri)?, b32)),
                ..View::default()
            };
            render(&st, &s, view, StatusCode::OK).await
        }
        Some("confirm") => {
            let Some(b32) = st.store().state(TOTP_SETUP, &s.session_id, now).await? else {
                let view = View {
                    error: Some("acc-setup-expired"),
                    ..View::default()
                };
                return render(&st, &s, view, StatusCode::BAD_REQUEST).await;
            };
            let secret = symbolon_idp::totp::from_base32(&b32).ok_or_else(WebError::internal)?;
            let code = f.code.unwrap_or_default();
            let Some(step) = symbolon_idp::totp::verify(&secret, &code, now.unix_timestamp(), None)
            else {
                let account = s
                    .user
                    .email
                    .clone()
                    .unwrap_or_else(|| s.user.username.clone());
                let uri = symbolon_idp::totp::otpauth_uri(&s.realm.display_name, &account, &secret);
                let view = View {
                    setup: Some((qr_svg(&uri)?, b32)),
                    error: Some("acc-code-wrong"),
                    ..View::default()
                };
                return render(&st, &s, view, StatusCode::BAD_REQUEST).await;
            };
            // Taken, not only read: of two confirmations sent at once (a double click, a
            // reload), one enrols; the other finds nothing pending and changes nothing, so the
            // recovery codes shown stay the ones that work.
            if st
                .store()
                .take_state(TOTP_SETUP, &s.session_id, now)
                .await?
                .is_none()
            {
                let view = View {
                    error: Some("acc-setup-expired"),
                    ..View::default()
                };
                return render(&st, &s, view, StatusCode::BAD_REQUEST).await;
            }
            let rng = symbolon_dsig::SystemRandom::new();
            let codes =
                symbolon_idp::totp::recovery_codes(&rng, 10).ok_or_else(WebError::internal)?;
            let hashes: Vec<String> = codes
                .iter()
                .map(|c| symbolon_idp::hex_sha256(&symbolon_idp::totp::normalise_recovery_code(c)))
                .collect();
            let cred = TotpCredential {
                secret: Secret(b32),
                // The code just shown proves the app; it cannot sign in again.
                last_step: Some(step),
                created_at: now,
            };
            st.store().set_totp(&s.user.id, &cred, &hashes).await?;
            crate::state::record_event(
                &st,
                &realm,
                "CREDENTIAL",
                Some(&actor.0),
                None,
                format!("{} enrolled a TOTP second factor", s.user.username),
            )
            .await;
            // Rendered, not redirected: the recovery codes are shown this once and never stored.
            let view = View {
                new_codes: codes,
                notice: Some("acc-mfa-now-on".into()),
                ..View::default()
            };
            let mut r = render(&st, &s, view, StatusCode::OK).await?;
            r.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            Ok(r)
        }
        Some("remove") if f.confirm.as_deref() == Some("yes") => {
            st.store().remove_totp(&s.user.id).await?;
            crate::state::record_event(
                &st,
                &realm,
                "CREDENTIAL",
                Some(&actor.0),
                None,
                format!("{} removed their TOTP second factor", s.user.username),
            )
            .await;
            done(&st, &s, "acc-mfa-now-off").await
        }
        Some("remove") => {
            let view = View {
                confirm_remove: true,
                ..View::default()
            };
            render(&st, &s, view, StatusCode::OK).await
        }
        _ => Err(WebError::bad_request("err-unknown-action")),
    }
}

#[derive(Deserialize)]
struct SignOutForm {
    csrf: Option<String>,
    session: Option<String>,
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

/// "Sign out everywhere": this session ends, and every application it signed in to is asked to
/// end its own (single logout, through the browser).
async fn sign_out_everywhere<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let s = match signed_in(&st, &realm, &headers).await? {
        Ok(s) => s,
        Err(login) => return Ok(login),
    };
    check_form(&st, &s, f.csrf.as_deref(), &headers)?;
    let r = crate::state::realm_or_404(&st, &realm).await?;
    let Some(session) = crate::state::live_session(&st, &realm, &headers).await? else {
        return Ok(
            axum::response::Redirect::to(&format!("/realms/{realm}/account")).into_response(),
        );
    };
    crate::slo::sign_out_everywhere(&st, &r, &session).await
}

/// Sign out one of the user's own sessions (here or on another device).
async fn sign_out<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Form(f): Form<SignOutForm>,
) -> Result<Response, WebError> {
    let s = match signed_in(&st, &realm, &headers).await? {
        Ok(s) => s,
        Err(login) => return Ok(login),
    };
    check_form(&st, &s, f.csrf.as_deref(), &headers)?;
    let wanted = f.session.unwrap_or_default();
    // Only a session in this user's own list: nobody signs out someone else's.
    let mine = st
        .store()
        .list_state(
            symbolon_idp::sessions::USER_SESSION,
            &format!("{}:", s.user.id),
            OffsetDateTime::now_utc(),
        )
        .await?
        .into_iter()
        .filter_map(|(k, v)| {
            serde_json::from_str::<symbolon_idp::sessions::UserSession>(&v)
                .ok()
                .map(|u| (k, u.session_id))
        })
        .find(|(_, id)| !wanted.is_empty() && crate::state::secret_eq(&wanted, &handle(id)));
    let Some((index, target)) = mine else {
        return Err(WebError::bad_request("err-not-your-session"));
    };
    st.store()
        .delete_state(symbolon_idp::sessions::SSO_SESSION, &target)
        .await?;
    st.store()
        .delete_state(symbolon_idp::sessions::USER_SESSION, &index)
        .await?;
    crate::state::record_event(
        &st,
        &realm,
        "LOGOUT",
        Some(&s.user.username),
        None,
        "signed out a session from the account console".into(),
    )
    .await;
    if target == s.session_id {
        return Ok(
            axum::response::Redirect::to(&format!("/realms/{realm}/account")).into_response(),
        );
    }
    done(&st, &s, "acc-session-signed-out").await
}

/// What the page shows for a session: a hash of its ID (the ID is a bearer secret).
fn handle(session_id: &str) -> String {
    symbolon_idp::hex_sha256(session_id)
        .chars()
        .take(32)
        .collect()
}

#[derive(Deserialize)]
struct PasskeyForm {
    csrf: Option<String>,
    action: Option<String>,
    id: Option<String>,
    name: Option<String>,
    credential: Option<String>,
    confirm: Option<String>,
}

/// The user's passkeys: register (the browser's answer to this page's challenge, taken once),
/// rename, remove (after a confirmation).
async fn passkeys<S: IdpStore>(
    State(st): State<AppState<S>>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Form(f): Form<PasskeyForm>,
) -> Result<Response, WebError> {
    let s = match signed_in(&st, &realm, &headers).await? {
        Ok(s) => s,
        Err(login) => return Ok(login),
    };
    check_form(&st, &s, f.csrf.as_deref(), &headers)?;
    let policy = symbolon_idp::auth_policy(st.store(), &realm).await?;
    let Some(rp) = crate::login::relying_party(st.config(), &s.realm).filter(|_| policy.passkeys())
    else {
        return Err(WebError::bad_request_page("err-passkeys-unused"));
    };
    let now = OffsetDateTime::now_utc();
    let actor = format!("{} (account console)", s.user.username);
    let id = f.id.unwrap_or_default();
    let name_of = |list: &[symbolon_store::PasskeyRecord]| {
        list.iter().find(|p| p.id == id).map(|p| p.name.clone())
    };
    match f.action.as_deref() {
        Some("register") => {
            let typed = f.name.unwrap_or_default();
            let state = st
                .store()
                .take_state(
                    symbolon_idp::sessions::PASSKEY_REG,
                    &format!("account:{}", s.session_id),
                    now,
                )
                .await?;
            let added = rp
                .register(
                    st.store(),
                    &s.user,
                    f.credential.as_deref().unwrap_or(""),
                    state,
                    &typed,
                    now,
                )
                .await;
            match added {
                Ok(rec) => {
                    crate::state::record_event(
                        &st,
                        &realm,
                        "CREDENTIAL",
                        Some(&actor),
                        None,
                        format!("{} registered a passkey {:?}", s.user.username, rec.name),
                    )
                    .await;
                    done(&st, &s, "acc-passkey-added").await
                }
                Err(symbolon_idp::passkey::PasskeyError::Store(e)) => Err(e.into()),
                Err(e) => {
                    crate::state::record_event(
                        &st,
                        &realm,
                        "CREDENTIAL_ERROR",
                        Some(&actor),
                        None,
                        format!("passkey registration refused ({}): {e}", e.code()),
                    )
                    .await;
                    let view = View {
                        passkey_name: typed,
                        passkey_error: Some(
                            symbolon_web::i18n::tr_for_user(user_locale(&s.user)).t1(
                                "acc-passkey-add-failed",
                                "reason",
                                &e.to_string(),
                            ),
                        ),
                        ..View::default()
                    };
                    render(&st, &s, view, StatusCode::BAD_REQUEST).await
                }
            }
        }
        Some("clear-flag") => match st.store().clear_passkey_flag(&s.user.id, &id).await {
            Err(symbolon_store::StoreError::NotFound(..)) => {
                Err(WebError::bad_request_page("err-not-your-passkey"))
            }
            Err(e) => Err(e.into()),
            Ok(()) => {
                crate::state::record_event(
                    &st,
                    &realm,
                    "CREDENTIAL",
                    Some(&actor),
                    None,
                    format!(
                        "{} cleared the possible-clone flag of a passkey",
                        s.user.username
                    ),
                )
                .await;
                done(&st, &s, "acc-passkey-unflagged").await
            }
        },
        Some("rename") => {
            let name = match symbolon_idp::passkey::check_name(f.name.as_deref().unwrap_or("")) {
                Ok(n) => n,
                Err(e) => {
                    let view = View {
                        passkey_error: Some(e.to_string()),
                        ..View::default()
                    };
                    return render(&st, &s, view, StatusCode::BAD_REQUEST).await;
                }
            };
            match st.store().rename_passkey(&s.user.id, &id, &name).await {
                Err(symbolon_store::StoreError::NotFound(..)) => {
                    Err(WebError::bad_request_page("err-not-your-passkey"))
                }
                Err(e) => Err(e.into()),
                Ok(()) => {
                    crate::state::record_event(
                        &st,
                        &realm,
                        "CREDENTIAL",
                        Some(&actor),
                        None,
                        format!("{} renamed a passkey to {name:?}", s.user.username),
                    )
                    .await;
                    done(&st, &s, "acc-passkey-renamed").await
                }
            }
        }
        Some("remove") => {
            let mine = st.store().passkeys(&s.user.id).await?;
            let Some(name) = name_of(&mine) else {
                return Err(WebError::bad_request_page("err-not-your-passkey"));
            };
            if f.confirm.as_deref() != Some("yes") {
                let view = View {
                    confirm_passkey: Some((id, name)),
                    ..View::default()
                };
                return render(&st, &s, view, StatusCode::OK).await;
            }
            st.store().remove_passkey(&s.user.id, &id).await?;
            crate::state::record_event(
                &st,
                &realm,
                "CREDENTIAL",
                Some(&actor),
                None,
                format!("{} removed the passkey {name:?}", s.user.username),
            )
            .await;
            done(&st, &s, "acc-passkey-removed").await
        }
        _ => Err(WebError::bad_request("err-unknown-action")),
    }
}
