//! Realm settings > Branding: the accent colour and the logo of the realm's sign-in pages.
//! Refusals are said next to their field; a saved change answers with a redirect
//! (post/redirect/get) and a notice.

#![allow(clippy::result_large_err)]

use crate::console::common::{check_csrf, page, page_status, realm_admin};
use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use symbolon_idp::Actor;
use symbolon_idp::branding::{
    Accent, BrandingChange, BrandingError, CheckedLogo, LogoChange, logo_version, realm_branding,
    update_branding,
};
use symbolon_store::IdpStore;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "console/branding.html")]
struct BrandingPage<'a> {
    realm: Option<&'a str>,
    realm_name: &'a str,
    csrf: &'a str,
    admin: &'a str,
    notice: Option<String>,
    /// What the accent field shows: the saved colour, or what was typed.
    accent: &'a str,
    accent_error: Option<String>,
    /// The saved logo's URL, when there is one.
    logo: Option<String>,
    logo_error: Option<String>,
    /// The realm's account console: its sign-in page shows the branding.
    preview: String,
}

fn message(e: &BrandingError) -> String {
    match e {
        BrandingError::AccentFormat => "brand-accent-format".into(),
        BrandingError::AccentContrast { ratio } => symbolon_web::i18n::encode(
            "brand-accent-contrast",
            &[("ratio", &format!("{ratio:.1}"))],
        ),
        BrandingError::LogoType => "brand-logo-type".into(),
        BrandingError::LogoTooLarge => symbolon_web::i18n::encode(
            "brand-logo-size",
            &[(
                "max",
                &(symbolon_idp::branding::MAX_LOGO_BYTES / 1024).to_string(),
            )],
        ),
    }
}

/// `GET /admin/console/{realm}/settings/branding`.
pub(crate) async fn branding<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path(realm): Path<String>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (accent, logo) = match realm_branding(st.store(), &realm).await {
        Ok(b) => b,
        Err(e) => return WebError::from(e).into_response(),
    };
    let notice = symbolon_web::flash::take(st.store(), &s.csrf).await;
    let accent = accent.map(Accent::hex).unwrap_or_default();
    page(
        BrandingPage {
            realm: Some(&realm),
            realm_name: &realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice,
            accent: &accent,
            accent_error: None,
            logo: logo
                .as_ref()
                .map(|l| crate::branding::logo_url(&realm, &logo_version(l))),
            logo_error: None,
            preview: format!("/realms/{realm}/account"),
        }
        .render(),
    )
}

/// `POST /admin/console/{realm}/settings/branding` (multipart: `accent`, `logo` file,
/// `remove_logo`).
pub(crate) async fn save<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path(realm): Path<String>,
    mut mp: Multipart,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (mut csrf, mut accent, mut file, mut remove) = (None, String::new(), Vec::new(), false);
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return WebError::bad_request("brand-upload-failed").into_response(),
        };
        let name = field.name().unwrap_or("").to_string();
        let Ok(bytes) = field.bytes().await else {
            return WebError::bad_request("brand-upload-failed").into_response();
        };
        match name.as_str() {
            "csrf" => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "accent" => accent = String::from_utf8_lossy(&bytes).trim().to_string(),
            "logo" => file = bytes.to_vec(),
            "remove_logo" => remove = !bytes.is_empty(),
            _ => {}
        }
    }
    if let Err(r) = check_csrf(&s, csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    let checked_accent = if accent.is_empty() {
        Ok(None)
    } else {
        Accent::parse(&accent).map(Some)
    };
    let logo = if !file.is_empty() {
        CheckedLogo::check(file).map(LogoChange::Set)
    } else if remove {
        Ok(LogoChange::Remove)
    } else {
        Ok(LogoChange::Keep)
    };
    let (accent_error, logo_error) = (
        checked_accent.as_ref().err().map(message),
        logo.as_ref().err().map(message),
    );
    let (Ok(checked_accent), Ok(logo)) = (checked_accent, logo) else {
        let saved = match realm_branding(st.store(), &realm).await {
            Ok((_, l)) => l,
            Err(e) => return WebError::from(e).into_response(),
        };
        return page_status(
            StatusCode::BAD_REQUEST,
            BrandingPage {
                realm: Some(&realm),
                realm_name: &realm,
                csrf: &s.csrf,
                admin: &s.username,
                notice: None,
                accent: &accent,
                accent_error,
                logo: saved
                    .as_ref()
                    .map(|l| crate::branding::logo_url(&realm, &logo_version(l))),
                logo_error,
                preview: format!("/realms/{realm}/account"),
            }
            .render(),
        );
    };
    let change = BrandingChange {
        accent: checked_accent,
        logo,
    };
    let changed = match update_branding(
        st.store(),
        &Actor(s.username.clone()),
        &realm,
        change,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return WebError::from(e).into_response(),
    };
    symbolon_web::flash::redirect_with(
        st.store(),
        &s.csrf,
        &format!("/admin/console/{realm}/settings/branding"),
        if changed {
            "brand-saved"
        } else {
            "brand-unchanged"
        },
    )
    .await
}
