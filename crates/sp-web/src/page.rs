//! The SP's pages: the message page (every error and notice), UI text in English and
//! Japanese, and the headers every page carries.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub(crate) fn unavailable(e: impl std::fmt::Display) -> Response {
    tracing::error!("store: {e}");
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        "err-unavailable-title",
        "err-unavailable",
        vec![],
    )
}

/// The SP's page for statuses answered outside a handler (and for a handler's panic).
pub(crate) fn error_page(status: StatusCode, reference: Option<&str>) -> Response {
    let (title, text) = symbolon_web::front::status_text(status);
    let details = reference
        .map(|r| {
            vec![(
                symbolon_web::i18n::tr().t("common-reference"),
                r.to_string(),
            )]
        })
        .unwrap_or_default();
    message(status, title, text, details)
}

pub(crate) use symbolon_web::page::stylesheet as css;

/// Every SP page goes out with the headers of `symbolon_web::page`.
pub(crate) use symbolon_web::page::html;

pub(crate) use symbolon_web::i18n::Tr;

/// The catalogue for a person whose mapping profile (or sign-in) names `locale`: an explicit
/// choice with the switcher wins, then that locale, then the browser's Accept-Language.
pub(crate) fn text(locale: Option<&str>) -> Tr {
    symbolon_web::i18n::tr_for_user(locale)
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage<'a> {
    pub(crate) t: Tr,
    /// Title, message and each detail's reason: catalogue IDs, or text shown as it is.
    pub(crate) title: &'a str,
    pub(crate) message: &'a str,
    pub(crate) details: Vec<(String, String)>,
    /// A link to native sign-on, for master administrators refused at SSO.
    pub(crate) native: bool,
    /// For a refused sign-in: the time (UTC) and the reference an administrator looks up in
    /// Failed sign-ins.
    pub(crate) refusal: Option<Refusal>,
}

/// The time and reference shown with a refused sign-in.
pub(crate) struct Refusal {
    pub(crate) at: String,
    pub(crate) reference: String,
}

/// A new reference for a refused sign-in (the format both servers share).
pub(crate) use symbolon_web::reference::new_reference;

/// The page of a refused sign-in: a plain reason, the time and a reference, and ways on. The
/// domain's fixed reasons for an account (master administrator, deprovisioned) are shown in the
/// person's language.
/// Why an account is not offered, in the page's language, from the domain's
/// [`symbolon_sp::not_offered`] code (a sign-in kept from before the codes carries its English
/// text, shown as it is).
pub(crate) fn not_offered_text(t: &Tr, why: &str) -> String {
    use symbolon_sp::not_offered as n;
    let (code, list) = why.split_once(':').unwrap_or((why, ""));
    match code {
        n::MASTER => t.t("sp-master-refused"),
        n::DEPROVISIONED => t.t("sp-deprovisioned"),
        n::ROLES_DELETED => t.t1("sp-roles-deleted", "mappings", list),
        _ => why.to_string(),
    }
}

pub(crate) fn refused(
    status: StatusCode,
    t: Tr,
    title: &str,
    reason: &str,
    details: Vec<(String, String)>,
    native: bool,
    reference: &str,
) -> Response {
    let at = symbolon_web::page::page_time(time::OffsetDateTime::now_utc());
    let details = details
        .into_iter()
        .map(|(account, why)| {
            let why = not_offered_text(&t, &why);
            (account, why)
        })
        .collect();
    match (MessagePage {
        t,
        title,
        message: reason,
        details,
        native,
        refusal: Some(Refusal {
            at,
            reference: reference.to_string(),
        }),
    })
    .render()
    {
        Ok(b) => html(status, b),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

pub(crate) fn message(
    status: StatusCode,
    title: &str,
    msg: &str,
    details: Vec<(String, String)>,
) -> Response {
    match (MessagePage {
        t: symbolon_web::i18n::tr(),
        title,
        message: msg,
        details,
        native: false,
        refusal: None,
    })
    .render()
    {
        Ok(b) => symbolon_web::page::retry_after(html(status, b)),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::not_offered_text;
    use symbolon_sp::not_offered as n;
    use symbolon_web::i18n::Lang;

    #[test]
    fn why_an_account_is_not_offered_reads_in_the_page_language() {
        let (en, ja) = (Lang::En.tr(), Lang::Ja.tr());
        assert!(not_offered_text(&en, n::MASTER).contains("Master Administrators cannot use SSO"));
        assert!(not_offered_text(&ja, n::DEPROVISIONED).contains("プロビジョニング"));
        let why = format!("{}:/eng -> Auditor", n::ROLES_DELETED);
        let text = not_offered_text(&ja, &why);
        assert!(
            text.contains("/eng -> Auditor") && text.contains("削除"),
            "{text}"
        );
        assert!(not_offered_text(&en, &why).contains("roles that were deleted (/eng -> Auditor)"));
        // A sign-in kept from before the codes: its text as it was.
        assert_eq!(not_offered_text(&ja, "an older reason"), "an older reason");
    }
}
