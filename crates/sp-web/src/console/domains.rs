//! Email domains of an account (home-realm discovery; master administrators only): list with
//! the TXT record each needs, claim one for an identity provider, verify it by a DNS lookup
//! now, remove it (after a confirmation).

#![allow(clippy::result_large_err)]

use crate::console::common::{Admin, ConfirmPage, check_csrf, page, require_master, status_for};
use crate::page::message;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use symbolon_sp::SpError;
use symbolon_sp::domains::{claim_domain, remove_domain, txt_record};
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "account/domains.html")]
pub(crate) struct DomainsPage<'a> {
    pub(crate) account: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) notice: Option<String>,
    /// (domain, identity provider, verified at (a page time) or empty, TXT record)
    pub(crate) domains: Vec<(String, String, String, String)>,
    /// Identity providers that can start a sign-in (they have a single sign-on URL).
    pub(crate) idps: Vec<String>,
    pub(crate) f_domain: &'a str,
    pub(crate) err_domain: Option<String>,
}

async fn render<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
    f_domain: &str,
    err_domain: Option<String>,
    notice: Option<String>,
) -> Response {
    let account = &a.pair.account_id;
    let idps = st.store.idps(account).await.unwrap_or_default();
    let name_of = |id: &str| {
        idps.iter()
            .find(|i| i.id == id)
            .map(|i| i.name.clone())
            .unwrap_or_default()
    };
    let domains = st
        .store
        .account_domains(account)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|d| {
            (
                d.domain.clone(),
                name_of(&d.idp_id),
                d.verified_at
                    .map(symbolon_web::page::page_time)
                    .unwrap_or_default(),
                txt_record(&d.token),
            )
        })
        .collect();
    let bad = err_domain.is_some();
    page(
        status_for(bad),
        DomainsPage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice,
            domains,
            idps: idps
                .iter()
                .filter(|i| i.sso_url.is_some())
                .map(|i| i.name.clone())
                .collect(),
            f_domain,
            err_domain,
        }
        .render(),
    )
}

pub(crate) async fn domains<S: SpStore>(State(st): State<AppState<S>>, a: Admin) -> Response {
    if let Err(r) = require_master(&a, "spc-only-master-users") {
        return r;
    }
    let notice = symbolon_web::flash::take(&st.store, &a.session.csrf).await;
    render(&st, &a, "", None, notice).await
}

#[derive(Deserialize)]
pub(crate) struct DomainForm {
    pub(crate) csrf: Option<String>,
    pub(crate) action: Option<String>,
    pub(crate) domain: Option<String>,
    pub(crate) idp: Option<String>,
    pub(crate) confirm: Option<String>,
}

pub(crate) async fn domain_action<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Form(f): Form<DomainForm>,
) -> Response {
    if let Err(r) =
        require_master(&a, "spc-only-master-users").and_then(|()| check_csrf(&a, f.csrf.as_deref()))
    {
        return r;
    }
    let now = OffsetDateTime::now_utc();
    let account = a.pair.account_id.clone();
    let domain = f.domain.unwrap_or_default();
    let done = match f.action.as_deref() {
        Some("add") => {
            let idp = f.idp.unwrap_or_default();
            match claim_domain(&st.store, &a.actor, &account, &domain, &idp, now).await {
                Ok(d) => Ok(symbolon_web::i18n::encode(
                    "spc-domain-added",
                    &[("domain", &d.domain)],
                )),
                Err(SpError::Invalid(m) | SpError::Conflict(m) | SpError::NotFound(m)) => {
                    return render(&st, &a, &domain, Some(m), None).await;
                }
                Err(e) => Err(e),
            }
        }
        Some("verify") => {
            use crate::api_domains::{NotVerified, verify_by_dns};
            match verify_by_dns(&st, &a.actor, &account, &domain).await {
                Ok(d) => Ok(symbolon_web::i18n::encode(
                    "spc-domain-verified",
                    &[("domain", &d.domain)],
                )),
                Err(NotVerified::Refused(e)) => Err(e),
                Err(NotVerified::Lookup(m)) => return render(&st, &a, "", None, Some(m)).await,
            }
        }
        Some("remove") if f.confirm.as_deref() != Some("yes") => {
            return page(
                StatusCode::OK,
                ConfirmPage {
                    account: &a.pair.account_name,
                    csrf: &a.session.csrf,
                    notice: None,
                    question: symbolon_web::i18n::encode(
                        "spc-remove-domain-q",
                        &[("domain", &domain)],
                    ),
                    consequence: "spc-remove-domain-consequence",
                    verb: "spc-remove-domain-verb",
                    action: "/account/domains",
                    cancel: "/account/domains",
                    hidden: vec![("action", "remove".into()), ("domain", domain.clone())],
                }
                .render(),
            );
        }
        Some("remove") => remove_domain(&st.store, &a.actor, &account, &domain, now)
            .await
            .map(|()| symbolon_web::i18n::encode("spc-domain-removed", &[("domain", &domain)])),
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
                "/account/domains",
                &notice,
            )
            .await
        }
        Err(SpError::Invalid(m) | SpError::Conflict(m) | SpError::NotFound(m)) => {
            render(&st, &a, "", None, Some(m)).await
        }
        Err(e) => message(
            StatusCode::SERVICE_UNAVAILABLE,
            "spc-error",
            &e.to_string(),
            vec![],
        ),
    }
}
