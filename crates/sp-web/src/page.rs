//! The SP's pages: the message page (every error and notice), UI text in English and
//! Japanese, and the headers every page carries.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub(crate) fn unavailable(e: impl std::fmt::Display) -> Response {
    tracing::error!("store: {e}");
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "The service is temporarily unavailable. Try again in a moment.",
        vec![],
    )
}

/// The SP's page for statuses answered outside a handler (and for a handler's panic).
pub(crate) fn error_page(status: StatusCode, reference: Option<&str>) -> Response {
    let (title, text) = symbolon_web::front::status_text(status);
    let details = reference
        .map(|r| vec![("Reference".to_string(), r.to_string())])
        .unwrap_or_default();
    message(status, title, text, details)
}

pub(crate) use symbolon_web::page::stylesheet as css;

/// Every SP page goes out with the headers of `symbolon_web::page`.
pub(crate) use symbolon_web::page::html;

/// UI text in English or Japanese.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Text {
    pub(crate) choose: &'static str,
    pub(crate) signed_in_as: &'static str,
    pub(crate) not_offered: &'static str,
    pub(crate) welcome: &'static str,
    pub(crate) account: &'static str,
    pub(crate) role: &'static str,
    pub(crate) signed_in_at: &'static str,
    pub(crate) switch: &'static str,
    pub(crate) no_access: &'static str,
    pub(crate) no_access_msg: &'static str,
    pub(crate) administration: &'static str,
    pub(crate) sign_out: &'static str,
    pub(crate) native_sign_on: &'static str,
    pub(crate) sign_in_failed: &'static str,
    /// Under a refusal: what the time and reference are for.
    pub(crate) reference_hint: &'static str,
    pub(crate) time: &'static str,
    pub(crate) reference: &'static str,
    pub(crate) start_page: &'static str,
    /// Plain reasons for a refused response.
    pub(crate) unreadable: &'static str,
    pub(crate) unknown_idp: &'static str,
    pub(crate) not_accepted: &'static str,
    pub(crate) replayed: &'static str,
    /// Why an account refused single sign-on: a master administrator, deprovisioned.
    pub(crate) master_refused: &'static str,
    pub(crate) deprovisioned: &'static str,
}

pub(crate) const EN: Text = Text {
    choose: "Choose an account and role",
    signed_in_as: "Signed in as",
    not_offered: "Not available through single sign-on",
    welcome: "Welcome",
    account: "Account",
    role: "Role",
    signed_in_at: "Signed in at",
    switch: "Switch account or role",
    no_access: "No access",
    no_access_msg: "Your identity provider signed you in, but no account here gives you a role. Ask your administrator to map one of your groups to a role or to add you as a SAML account.",
    administration: "Administration",
    sign_out: "Sign out",
    native_sign_on: "Sign in with your email address and password",
    sign_in_failed: "Sign-in failed",
    reference_hint: "If you ask your administrator for help, give them this time and reference: they find the details under Failed sign-ins.",
    time: "Time",
    reference: "Reference",
    start_page: "Go to the start page",
    unreadable: "The sign-in message from your identity provider could not be read. Start again from your identity provider.",
    unknown_idp: "This service does not know the identity provider that signed you in.",
    not_accepted: "The sign-in message from your identity provider could not be accepted: it may have expired, or it may not be meant for this service. Start again from your identity provider.",
    replayed: "This sign-in was already used. Start again from your identity provider.",
    master_refused: symbolon_sp::MASTER_REFUSED,
    deprovisioned: symbolon_sp::DEPROVISIONED,
};

pub(crate) const JA: Text = Text {
    choose: "アカウントと役割を選択してください",
    signed_in_as: "サインイン中のユーザー:",
    not_offered: "シングルサインオンでは利用できません",
    welcome: "ようこそ",
    account: "アカウント",
    role: "役割",
    signed_in_at: "サインイン日時",
    switch: "アカウントまたは役割を切り替える",
    no_access: "アクセス権がありません",
    no_access_msg: "IDプロバイダーでの認証は成功しましたが、役割が割り当てられているアカウントがありません。管理者に連絡してください。",
    administration: "管理",
    sign_out: "サインアウト",
    native_sign_on: "メールアドレスとパスワードでサインイン",
    sign_in_failed: "サインインできませんでした",
    reference_hint: "管理者に問い合わせる場合は、この日時と参照番号を伝えてください。管理者は「失敗したサインイン」で詳細を確認できます。",
    time: "日時",
    reference: "参照番号",
    start_page: "スタートページへ",
    unreadable: "IDプロバイダーからのサインインメッセージを読み取れませんでした。IDプロバイダーからやり直してください。",
    unknown_idp: "このサービスは、サインインに使われたIDプロバイダーを登録していません。",
    not_accepted: "IDプロバイダーからのサインインメッセージを受け入れられませんでした。有効期限が切れているか、このサービス宛てではない可能性があります。IDプロバイダーからやり直してください。",
    replayed: "このサインインはすでに使用されています。IDプロバイダーからやり直してください。",
    master_refused: "マスター管理者はシングルサインオンを使用できません。このアカウントにはメールアドレスとパスワードでサインインしてください。",
    deprovisioned: "このアカウントへのアクセスは、組織のユーザープロビジョニングによって無効にされました。復元するには管理者に連絡してください。",
};

pub(crate) fn text(locale: Option<&str>) -> (Text, &'static str) {
    match locale.map(|l| l.to_ascii_lowercase()) {
        Some(l) if l == "ja" || l.starts_with("ja-") || l.starts_with("ja_") => (JA, "ja"),
        _ => (EN, "en"),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage<'a> {
    pub(crate) lang: &'a str,
    pub(crate) title: &'a str,
    pub(crate) message: &'a str,
    pub(crate) details: Vec<(String, String)>,
    /// A link to native sign-on, for master administrators refused at SSO: (href, text).
    pub(crate) native: Option<(&'a str, &'a str)>,
    /// For a refused sign-in: the labels, the time (UTC) and the reference an administrator
    /// looks up in Failed sign-ins.
    pub(crate) refusal: Option<Refusal>,
}

/// The time and reference shown with a refused sign-in.
pub(crate) struct Refusal {
    pub(crate) t: Text,
    pub(crate) at: String,
    pub(crate) reference: String,
}

/// A new reference for a refused sign-in (the format both servers share).
pub(crate) use symbolon_web::reference::new_reference;

/// The page of a refused sign-in: a plain reason, the time and a reference, and ways on.
#[allow(clippy::too_many_arguments)]
pub(crate) fn refused(
    status: StatusCode,
    t: Text,
    lang: &str,
    title: &str,
    reason: &str,
    details: Vec<(String, String)>,
    native: bool,
    reference: &str,
) -> Response {
    let at = symbolon_web::page::page_time(time::OffsetDateTime::now_utc());
    // The domain's fixed reasons, in the person's language.
    let details = details
        .into_iter()
        .map(|(account, why)| {
            let why = if why == symbolon_sp::MASTER_REFUSED {
                t.master_refused.to_string()
            } else if why == symbolon_sp::DEPROVISIONED {
                t.deprovisioned.to_string()
            } else {
                why
            };
            (account, why)
        })
        .collect();
    match (MessagePage {
        lang,
        title,
        message: reason,
        details,
        native: native.then_some(("/login", t.native_sign_on)),
        refusal: Some(Refusal {
            t,
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
        lang: "en",
        title,
        message: msg,
        details,
        native: None,
        refusal: None,
    })
    .render()
    {
        Ok(b) => symbolon_web::page::retry_after(html(status, b)),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}
