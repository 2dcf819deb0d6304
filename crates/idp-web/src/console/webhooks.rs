//! `/admin/console/{realm}/webhooks`: the realm's webhook endpoints (added with their event
//! types, the signing secret shown once; a test event sent; removed after a confirmation) and
//! the delivery log.

#![allow(clippy::result_large_err)]

use crate::console::common::{
    ConfirmPage, CsrfForm, check_csrf, form_status, page, page_status, realm_admin,
};
use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use symbolon_idp::{Actor, IdpError};
use symbolon_store::IdpStore;
use symbolon_store::webhooks::EVENT_TYPES;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "console/webhooks.html")]
struct WebhooksPage<'a> {
    realm: Option<&'a str>,
    realm_name: &'a str,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    /// ID, URL, event types, created.
    hooks: Vec<(String, String, String, String)>,
    /// A webhook just added: its URL and secret, shown this once.
    created: Option<(String, String)>,
    /// Event type, checked in the form.
    events: Vec<(&'static str, bool)>,
    url: String,
    allow_http: bool,
    url_error: Option<String>,
    events_error: Option<String>,
    /// Time, event, status, attempts, last HTTP status, last error, message ID.
    deliveries: Vec<(String, String, &'static str, u32, String, String, String)>,
    /// The add form's one-time submission token (`symbolon_web::once`).
    once: String,
}

#[derive(Default)]
struct Shown {
    notice: Option<String>,
    created: Option<(String, String)>,
    events: Vec<String>,
    url: String,
    allow_http: bool,
    url_error: Option<String>,
    events_error: Option<String>,
}

impl Shown {
    /// Only a notice besides the list.
    fn notice(notice: Option<String>) -> Self {
        Shown {
            notice,
            ..Shown::default()
        }
    }
}

async fn render<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    shown: Shown,
) -> Response {
    let (hooks, log) = match (
        symbolon_idp::webhooks::webhooks(st.store(), realm).await,
        symbolon_idp::webhooks::deliveries(st.store(), realm, 50).await,
    ) {
        (Ok(h), Ok(l)) => (h, l),
        (Err(e), _) | (_, Err(e)) => return WebError::from(e).into_response(),
    };
    let bad = shown.url_error.is_some() || shown.events_error.is_some();
    let once = symbolon_web::once::issue(st.store(), &s.csrf).await;
    let mut r = page_status(
        form_status(bad),
        WebhooksPage {
            realm: Some(realm),
            realm_name: realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice: shown.notice,
            hooks: hooks
                .into_iter()
                .map(|w| (w.id, w.url, w.events.join(", "), s.time(w.created_at)))
                .collect(),
            created: shown.created,
            events: EVENT_TYPES
                .iter()
                .map(|e| (*e, shown.events.iter().any(|x| x == e)))
                .collect(),
            url: shown.url,
            allow_http: shown.allow_http,
            url_error: shown.url_error,
            events_error: shown.events_error,
            deliveries: log
                .into_iter()
                .map(|d| {
                    (
                        s.time(d.created_at),
                        d.event_type,
                        symbolon_web::webhooks::status_message(d.status),
                        d.attempts,
                        d.last_code.map(|c| c.to_string()).unwrap_or_default(),
                        d.last_error.unwrap_or_default(),
                        d.id,
                    )
                })
                .collect(),
            once,
        }
        .render(),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub(crate) async fn webhooks<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path(realm): Path<String>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let notice = symbolon_web::flash::take(st.store(), &s.csrf).await;
    render(&st, &s, &realm, Shown::notice(notice)).await
}

/// Add: the answer shows the secret once (not a redirect: it is never put in a flash). The form
/// is taken once: a reload of the answer adds nothing.
pub(crate) async fn add<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    // `event` repeats (one per checked box): read the pairs as they come.
    let (mut csrf, mut url, mut allow_http, mut events) = (None, String::new(), false, Vec::new());
    let mut once = None;
    for (k, v) in pairs {
        match k.as_str() {
            "csrf" => csrf = Some(v),
            "once" => once = Some(v),
            "url" => url = v,
            "allow_http" => allow_http = !v.is_empty(),
            "event" => events.push(v),
            _ => {}
        }
    }
    if let Err(r) = check_csrf(&s, csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    // A reload of the answer that showed the secret, or a stale form: nothing is added.
    if !symbolon_web::once::redeem(st.store(), &s.csrf, once.as_deref()).await {
        let notice = Some("common-form-sent-once".to_string());
        return render(&st, &s, &realm, Shown::notice(notice)).await;
    }
    let mut shown = Shown {
        events: events.clone(),
        url: url.clone(),
        allow_http,
        ..Shown::default()
    };
    if events.is_empty() {
        shown.events_error = Some("whc-events-required".into());
        return render(&st, &s, &realm, shown).await;
    }
    match symbolon_idp::webhooks::add_webhook(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        &url,
        allow_http,
        &events,
        &symbolon_web::fetch::url_check,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(w) => {
            let created = Some((w.url.clone(), w.secret.0.clone()));
            render(
                &st,
                &s,
                &realm,
                Shown {
                    created,
                    ..Shown::default()
                },
            )
            .await
        }
        Err(IdpError::Invalid(m)) if m.contains("event type") => {
            shown.events_error = Some(m);
            render(&st, &s, &realm, shown).await
        }
        Err(IdpError::Invalid(_)) => {
            shown.url_error = Some("whc-url-rule".into());
            render(&st, &s, &realm, shown).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

pub(crate) async fn test<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&s, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    match symbolon_idp::webhooks::send_test(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        &id,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(_) => {
            symbolon_web::flash::redirect_with(
                st.store(),
                &s.csrf,
                &format!("/admin/console/{realm}/webhooks"),
                "whc-test-queued",
            )
            .await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

/// The confirmation before a webhook is removed.
pub(crate) async fn confirm_remove<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path((realm, id)): Path<(String, String)>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let hook = match symbolon_idp::webhooks::webhooks(st.store(), &realm).await {
        Ok(h) => h.into_iter().find(|w| w.id == id),
        Err(e) => return WebError::from(e).into_response(),
    };
    let Some(w) = hook else {
        return WebError::not_found_page("whc-no-webhook".into()).into_response();
    };
    page(
        ConfirmPage {
            realm: Some(&realm),
            csrf: &s.csrf,
            admin: &s.username,
            notice: None,
            question: symbolon_web::i18n::encode("whc-remove-q", &[("url", &w.url)]),
            consequence: "whc-remove-consequence".into(),
            verb: "whc-remove-verb",
            action: format!("/admin/console/{realm}/webhooks/{id}/remove"),
            cancel: format!("/admin/console/{realm}/webhooks"),
            hidden: vec![],
        }
        .render(),
    )
}

pub(crate) async fn remove<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&s, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    match symbolon_idp::webhooks::remove_webhook(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        &id,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(()) => {
            symbolon_web::flash::redirect_with(
                st.store(),
                &s.csrf,
                &format!("/admin/console/{realm}/webhooks"),
                "whc-removed",
            )
            .await
        }
        Err(IdpError::NotFound(_)) => {
            WebError::not_found_page("whc-no-webhook".into()).into_response()
        }
        Err(e) => WebError::from(e).into_response(),
    }
}
