//! The account's webhooks (master administrators only): endpoints with their event types (the
//! signing secret shown once), a test event, removal after a confirmation, and the delivery log.

#![allow(clippy::result_large_err)]

use crate::console::common::{Admin, ConfirmPage, check_csrf, page, require_master, status_for};
use crate::page::message;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use symbolon_sp::SpError;
use symbolon_sp::webhooks as wh;
use symbolon_store::sp::SpStore;
use symbolon_store::webhooks::EVENT_TYPES;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "account/webhooks.html")]
pub(crate) struct WebhooksPage<'a> {
    pub(crate) account: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) notice: Option<String>,
    /// ID, URL, event types, created.
    pub(crate) hooks: Vec<(String, String, String, String)>,
    /// A webhook just added: its URL and secret, shown this once.
    pub(crate) created: Option<(String, String)>,
    pub(crate) events: Vec<(&'static str, bool)>,
    pub(crate) url: String,
    pub(crate) allow_http: bool,
    pub(crate) url_error: Option<String>,
    pub(crate) events_error: Option<String>,
    /// Time, event, status message ID, attempts, last HTTP status, last error.
    pub(crate) deliveries: Vec<(String, String, &'static str, u32, String, String)>,
    /// The add form's one-time submission token (`symbolon_web::once`).
    pub(crate) once: String,
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

async fn render<S: SpStore>(st: &AppState<S>, a: &Admin, shown: Shown) -> Response {
    let account = &a.pair.account_id;
    let hooks = wh::webhooks(&st.store, account).await.unwrap_or_default();
    let log = wh::deliveries(&st.store, account, 50)
        .await
        .unwrap_or_default();
    let bad = shown.url_error.is_some() || shown.events_error.is_some();
    let once = symbolon_web::once::issue(&st.store, &a.session.csrf).await;
    let mut r = page(
        status_for(bad),
        WebhooksPage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice: shown.notice,
            hooks: hooks
                .into_iter()
                .map(|w| {
                    (
                        w.id,
                        w.url,
                        w.events.join(", "),
                        symbolon_web::page::page_time(w.created_at),
                    )
                })
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
                        symbolon_web::page::page_time(d.created_at),
                        d.event_type,
                        symbolon_web::webhooks::status_message(d.status),
                        d.attempts,
                        d.last_code.map(|c| c.to_string()).unwrap_or_default(),
                        d.last_error.unwrap_or_default(),
                    )
                })
                .collect(),
            once,
        }
        .render(),
    );
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

pub(crate) async fn webhooks<S: SpStore>(State(st): State<AppState<S>>, a: Admin) -> Response {
    if let Err(r) = require_master(&a, "spc-only-master-users") {
        return r;
    }
    let notice = symbolon_web::flash::take(&st.store, &a.session.csrf).await;
    render(
        &st,
        &a,
        Shown {
            notice,
            ..Shown::default()
        },
    )
    .await
}

/// Every action of the page (`action` = add, test, remove): the pairs as they come, since
/// `event` repeats.
pub(crate) async fn webhook_action<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if let Err(r) = require_master(&a, "spc-only-master-users")
        .and_then(|()| check_csrf(&a, get("csrf").as_deref()))
    {
        return r;
    }
    let now = OffsetDateTime::now_utc();
    let account = a.pair.account_id.clone();
    let id = get("id").unwrap_or_default();
    let done = match get("action").as_deref() {
        Some("add") => {
            // A reload of the answer that showed the secret, or a stale form: nothing is added.
            if !symbolon_web::once::redeem(&st.store, &a.session.csrf, get("once").as_deref()).await
            {
                let notice = Some("common-form-sent-once".to_string());
                return render(
                    &st,
                    &a,
                    Shown {
                        notice,
                        ..Shown::default()
                    },
                )
                .await;
            }
            let url = get("url").unwrap_or_default();
            let allow_http = get("allow_http").is_some_and(|v| !v.is_empty());
            let events: Vec<String> = pairs
                .iter()
                .filter(|(n, _)| n == "event")
                .map(|(_, v)| v.clone())
                .collect();
            let mut shown = Shown {
                events: events.clone(),
                url: url.clone(),
                allow_http,
                ..Shown::default()
            };
            if events.is_empty() {
                shown.events_error = Some("whc-events-required".into());
                return render(&st, &a, shown).await;
            }
            return match wh::add_webhook(
                &st.store,
                &a.actor,
                &account,
                &url,
                allow_http,
                &events,
                &symbolon_web::fetch::url_check,
                now,
            )
            .await
            {
                Ok(w) => {
                    render(
                        &st,
                        &a,
                        Shown {
                            created: Some((w.url.clone(), w.secret.0.clone())),
                            ..Shown::default()
                        },
                    )
                    .await
                }
                Err(SpError::Invalid(m)) if m.contains("event type") => {
                    shown.events_error = Some(m);
                    render(&st, &a, shown).await
                }
                Err(SpError::Invalid(_)) => {
                    shown.url_error = Some("whc-url-rule".into());
                    render(&st, &a, shown).await
                }
                Err(e) => message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "spc-error",
                    &e.to_string(),
                    vec![],
                ),
            };
        }
        Some("test") => wh::send_test(&st.store, &a.actor, &account, &id, now)
            .await
            .map(|_| "whc-test-queued".to_string()),
        Some("remove") if get("confirm").as_deref() != Some("yes") => {
            let hooks = wh::webhooks(&st.store, &account).await.unwrap_or_default();
            let Some(w) = hooks.into_iter().find(|w| w.id == id) else {
                return message(StatusCode::NOT_FOUND, "spc-error", "whc-no-webhook", vec![]);
            };
            return page(
                StatusCode::OK,
                ConfirmPage {
                    account: &a.pair.account_name,
                    csrf: &a.session.csrf,
                    notice: None,
                    question: symbolon_web::i18n::encode("whc-remove-q", &[("url", &w.url)]),
                    consequence: "whc-remove-consequence",
                    verb: "whc-remove-verb",
                    action: "/account/webhooks",
                    cancel: "/account/webhooks",
                    hidden: vec![("action", "remove".into()), ("id", id.clone())],
                }
                .render(),
            );
        }
        Some("remove") => wh::remove_webhook(&st.store, &a.actor, &account, &id, now)
            .await
            .map(|()| "whc-removed".to_string()),
        _ => {
            return message(
                StatusCode::BAD_REQUEST,
                "spc-unknown-action-title",
                "err-unknown-action",
                vec![],
            );
        }
    };
    match done {
        Ok(notice) => {
            symbolon_web::flash::redirect_with(
                &st.store,
                &a.session.csrf,
                "/account/webhooks",
                &notice,
            )
            .await
        }
        Err(SpError::NotFound(_)) => {
            message(StatusCode::NOT_FOUND, "spc-error", "whc-no-webhook", vec![])
        }
        Err(e) => message(
            StatusCode::SERVICE_UNAVAILABLE,
            "spc-error",
            &e.to_string(),
            vec![],
        ),
    }
}
