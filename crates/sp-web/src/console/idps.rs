//! Identity providers of an account: the list, adding one from metadata, and the page of one
//! (settings, certificates, group mappings, test sign-in, rename, replace metadata, delete).

#![allow(clippy::result_large_err)]

use crate::console::common::{Admin, ConfirmPage, check_csrf, page, status_for};
use crate::page::message;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use symbolon_sp::{MappingProfile, SpError};
use symbolon_store::sp::SpStore;
use time::OffsetDateTime;

pub(crate) struct IdpRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) entity_id: String,
    pub(crate) mode: &'static str,
    pub(crate) certs: Vec<String>,
}

pub(crate) struct Added {
    pub(crate) name: String,
    pub(crate) entity_id: String,
    pub(crate) sso: String,
    pub(crate) certs: Vec<String>,
    pub(crate) findings: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "account/idps.html")]
pub(crate) struct IdpsPage<'a> {
    pub(crate) account: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) idps: Vec<IdpRow>,
    pub(crate) added: Option<Added>,
    pub(crate) f_name: &'a str,
    pub(crate) f_description: &'a str,
    pub(crate) f_metadata: &'a str,
    pub(crate) f_url: &'a str,
    pub(crate) f_allow_http: bool,
    pub(crate) f_entity_id: &'a str,
    pub(crate) f_signing_cert: &'a str,
    pub(crate) err_name: Option<String>,
    pub(crate) err_metadata: Option<String>,
    pub(crate) err_url: Option<String>,
}

#[derive(Default)]
pub(crate) struct IdpInput {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) metadata: String,
    pub(crate) url: String,
    pub(crate) allow_http: bool,
    pub(crate) entity_id: String,
    pub(crate) signing_cert: String,
    pub(crate) err_name: Option<String>,
    pub(crate) err_metadata: Option<String>,
    pub(crate) err_url: Option<String>,
}

pub(crate) async fn render_idps<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
    input: IdpInput,
    added: Option<Added>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let idps = st
        .store
        .idps(&a.pair.account_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|i| IdpRow {
            certs: symbolon_sp::describe_certs(&i.certs, now),
            mode: if i.sp_initiated {
                "spc-sp-initiated"
            } else {
                "spc-idp-initiated"
            },
            id: i.id,
            name: i.name,
            description: i.description.unwrap_or_default(),
            entity_id: i.entity_id,
        })
        .collect();
    let bad = input.err_name.is_some() || input.err_metadata.is_some() || input.err_url.is_some();
    page(
        status_for(bad),
        IdpsPage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice: added
                .as_ref()
                .map(|x| symbolon_web::i18n::encode("spc-idp-added", &[("name", &x.name)])),
            idps,
            added,
            f_name: &input.name,
            f_description: &input.description,
            f_metadata: &input.metadata,
            f_url: &input.url,
            f_allow_http: input.allow_http,
            f_entity_id: &input.entity_id,
            f_signing_cert: &input.signing_cert,
            err_name: input.err_name,
            err_metadata: input.err_metadata,
            err_url: input.err_url,
        }
        .render(),
    )
}

#[derive(Deserialize)]
pub(crate) struct IdpsQuery {
    /// The identity provider just added (after the redirect): its summary is shown.
    pub(crate) added: Option<String>,
}

pub(crate) async fn idps<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    axum::extract::Query(q): axum::extract::Query<IdpsQuery>,
) -> Response {
    let added = match q.added {
        Some(id) => symbolon_sp::idp_summary(
            &st.store,
            &a.pair.account_id,
            &id,
            OffsetDateTime::now_utc(),
        )
        .await
        .ok()
        .map(|summary| Added {
            name: summary.config.name.clone(),
            entity_id: summary.config.entity_id.clone(),
            sso: summary
                .config
                .sso_url
                .clone()
                .unwrap_or_else(|| "(none for HTTP-Redirect)".into()),
            certs: summary.certificates,
            findings: summary.findings,
        }),
        None => None,
    };
    render_idps(&st, &a, IdpInput::default(), added).await
}

/// Add Identity Provider: name, description, and the metadata as a file or pasted.
pub(crate) async fn add_idp<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    mut mp: Multipart,
) -> Response {
    let mut csrf = String::new();
    let mut input = IdpInput::default();
    let mut file: Vec<u8> = Vec::new();
    loop {
        match mp.next_field().await {
            Ok(Some(f)) => {
                let name = f.name().unwrap_or("").to_string();
                let Ok(bytes) = f.bytes().await else {
                    return message(
                        StatusCode::BAD_REQUEST,
                        "spc-upload-failed",
                        "spc-form-unreadable",
                        vec![],
                    );
                };
                if bytes.len() > 2 * 1024 * 1024 {
                    return message(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "spc-too-large",
                        "spc-metadata-limit",
                        vec![],
                    );
                }
                let text = || String::from_utf8_lossy(&bytes).trim().to_string();
                match name.as_str() {
                    "csrf" => csrf = text(),
                    "name" => input.name = text(),
                    "description" => input.description = text(),
                    "metadata" => input.metadata = text(),
                    "metadata_file" => file = bytes.to_vec(),
                    "metadata_url" => input.url = text(),
                    "allow_http" => input.allow_http = !text().is_empty(),
                    "entity_id" => input.entity_id = text(),
                    "signing_cert" => input.signing_cert = text(),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => {
                return message(
                    StatusCode::BAD_REQUEST,
                    "spc-upload-failed",
                    "spc-form-unreadable",
                    vec![],
                );
            }
        }
    }
    if let Err(r) = check_csrf(&a, Some(&csrf)) {
        return r;
    }
    let xml: Vec<u8> = if file.iter().any(|b| !b.is_ascii_whitespace()) {
        file
    } else {
        input.metadata.clone().into_bytes()
    };
    if input.name.is_empty() {
        input.err_name = Some("spc-enter-name".into());
    }
    let from_url = xml.is_empty() && !input.url.is_empty();
    if xml.is_empty() && !from_url {
        input.err_metadata = Some("spc-give-metadata".into());
    }
    if from_url && let Err(e) = symbolon_web::fetch::check_url(&input.url, input.allow_http) {
        input.err_url = Some(e.to_string());
    }
    let signing_cert = if input.signing_cert.is_empty() {
        None
    } else {
        match symbolon_dsig::pem_blocks(&input.signing_cert)
            .into_iter()
            .find(|(l, _)| l == "CERTIFICATE")
        {
            Some((_, der)) => Some(der),
            None => {
                input.err_url = Some("spc-signing-cert-pem".into());
                None
            }
        }
    };
    if input.err_name.is_some() || input.err_metadata.is_some() || input.err_url.is_some() {
        return render_idps(&st, &a, input, None).await;
    }
    let desc = Some(input.description.as_str()).filter(|d| !d.is_empty());
    let now = OffsetDateTime::now_utc();
    let added = if from_url {
        let fetched = st
            .fetcher
            .outcome(&input.url, input.allow_http, None, None)
            .await;
        let settings = symbolon_sp::SourceSettings {
            url: input.url.clone(),
            allow_http: input.allow_http,
            signing_cert,
            entity_id: Some(input.entity_id.clone()).filter(|e| !e.is_empty()),
        };
        match symbolon_sp::add_idp_from_url(
            &st.store,
            &a.actor,
            &a.pair.account_id,
            &input.name,
            desc,
            &settings,
            fetched,
            &st.cfg.metadata_refresh,
            now,
        )
        .await
        {
            Err(SpError::Source(m)) => {
                input.err_url = Some(m);
                return render_idps(&st, &a, input, None).await;
            }
            other => other,
        }
    } else {
        symbolon_sp::add_idp(
            &st.store,
            &a.actor,
            &a.pair.account_id,
            &input.name,
            desc,
            &xml,
            now,
        )
        .await
    };
    match added {
        // Post/redirect/get: the page after adding shows what was read from the metadata.
        Ok(summary) => see(&format!("/account/idps?added={}", summary.config.id)),
        Err(SpError::Invalid(m) | SpError::Conflict(m) | SpError::NotFound(m)) => {
            input.err_name = Some(m);
            render_idps(&st, &a, input, None).await
        }
        Err(SpError::Metadata(m)) => {
            input.err_metadata = Some(symbolon_web::i18n::encode(
                "spc-metadata-unusable",
                &[("reason", &m.to_string())],
            ));
            render_idps(&st, &a, input, None).await
        }
        Err(e) => message(
            StatusCode::SERVICE_UNAVAILABLE,
            "spc-error",
            &e.to_string(),
            vec![],
        ),
    }
}

pub(crate) struct TestResult {
    pub(crate) error: Option<String>,
    pub(crate) name_id: String,
    pub(crate) attributes: Vec<(String, String)>,
    pub(crate) pairs: Vec<String>,
}

#[derive(Template)]
#[template(path = "account/idp.html")]
pub(crate) struct IdpPage<'a> {
    pub(crate) account: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) i: &'a symbolon_store::sp::IdpConfig,
    pub(crate) description: &'a str,
    pub(crate) certs: Vec<String>,
    pub(crate) sp_login: String,
    pub(crate) name_attr: &'a str,
    pub(crate) locale_attr: &'a str,
    pub(crate) tz_attr: &'a str,
    pub(crate) role_attr: &'a str,
    /// (group, role name, role still exists)
    pub(crate) mappings: Vec<(String, String, bool)>,
    pub(crate) roles: Vec<String>,
    pub(crate) f_group: &'a str,
    pub(crate) err_group: Option<String>,
    pub(crate) err_metadata: Option<String>,
    pub(crate) err_name: Option<String>,
    pub(crate) test: Option<TestResult>,
    /// The metadata URL and how its refresh goes.
    pub(crate) source: Option<SourceView>,
}

/// A metadata URL's state, as shown.
pub(crate) struct SourceView {
    pub(crate) url: String,
    pub(crate) checked: String,
    pub(crate) next: String,
    pub(crate) changed: String,
    /// After failed refreshes: how many, why, and when the next attempt is (a message for
    /// [`symbolon_web::i18n::Tr::msg`]).
    pub(crate) warning: Option<String>,
    pub(crate) signed: bool,
}

fn source_view(s: &symbolon_store::MetadataSource) -> SourceView {
    let t = |v: Option<OffsetDateTime>| {
        v.map(|t| {
            t.replace_nanosecond(0)
                .unwrap_or(t)
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        })
        .unwrap_or_else(|| symbolon_web::i18n::tr().t("spc-never"))
    };
    let next = t(Some(s.next_at));
    SourceView {
        url: s.url.clone(),
        checked: t(s.checked_at),
        warning: s.last_error.as_ref().map(|e| {
            symbolon_web::i18n::encode(
                "spc-refresh-failed",
                &[
                    ("count", &s.failures.to_string()),
                    ("reason", e),
                    ("next", &next),
                ],
            )
        }),
        next,
        changed: t(s.changed_at),
        signed: !s.signing_certs.is_empty(),
    }
}

/// Errors next to the IdP page's fields.
#[derive(Default)]
pub(crate) struct IdpErrors {
    pub(crate) group: Option<String>,
    pub(crate) metadata: Option<String>,
    pub(crate) name: Option<String>,
}

pub(crate) async fn render_idp<S: SpStore>(
    st: &AppState<S>,
    a: &Admin,
    id: &str,
    notice: Option<String>,
    f_group: &str,
    errors: IdpErrors,
    test: Option<TestResult>,
) -> Response {
    let store = &st.store;
    let Some(i) = store
        .idps(&a.pair.account_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|i| i.id == id)
    else {
        return message(
            StatusCode::NOT_FOUND,
            "err-not-found-title",
            "spc-no-such-idp",
            vec![],
        );
    };
    let roles = store
        .account_roles(&a.pair.account_id)
        .await
        .unwrap_or_default();
    let mappings = store
        .mappings(&i.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            let live = roles.iter().any(|r| r.id == m.role_id);
            (m.group, m.role_name, live)
        })
        .collect();
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let (name_attr, locale_attr, tz_attr, role_attr) = (
        o(&i.name_attribute),
        o(&i.locale_attribute),
        o(&i.timezone_attribute),
        o(&i.role_attribute),
    );
    let description = o(&i.description);
    page(
        status_for(errors.group.is_some() || errors.metadata.is_some() || errors.name.is_some()),
        IdpPage {
            account: &a.pair.account_name,
            csrf: &a.session.csrf,
            notice,
            certs: symbolon_sp::describe_certs(&i.certs, OffsetDateTime::now_utc()),
            sp_login: format!("{}/saml/login?idp={}", st.cfg.base_url, i.id),
            i: &i,
            description: &description,
            name_attr: &name_attr,
            locale_attr: &locale_attr,
            tz_attr: &tz_attr,
            role_attr: &role_attr,
            mappings,
            roles: roles.into_iter().map(|r| r.name).collect(),
            f_group,
            err_metadata: errors.metadata,
            err_name: errors.name,
            err_group: errors.group,
            test,
            source: i.metadata_source.as_ref().map(source_view),
        }
        .render(),
    )
}

pub(crate) async fn idp<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Path(id): Path<String>,
) -> Response {
    let notice = symbolon_web::flash::take(&st.store, &a.session.csrf).await;
    render_idp(&st, &a, &id, notice, "", IdpErrors::default(), None).await
}

#[derive(Deserialize)]
pub(crate) struct IdpForm {
    pub(crate) csrf: Option<String>,
    pub(crate) action: Option<String>,
    pub(crate) name_attribute: Option<String>,
    pub(crate) locale_attribute: Option<String>,
    pub(crate) timezone_attribute: Option<String>,
    pub(crate) role_attribute: Option<String>,
    pub(crate) sp_initiated: Option<String>,
    pub(crate) allow_cbc: Option<String>,
    pub(crate) group: Option<String>,
    pub(crate) role: Option<String>,
    pub(crate) response: Option<String>,
    pub(crate) metadata: Option<String>,
    pub(crate) confirm: Option<String>,
    pub(crate) idp_name: Option<String>,
    pub(crate) idp_description: Option<String>,
}

pub(crate) async fn idp_action<S: SpStore>(
    State(st): State<AppState<S>>,
    a: Admin,
    Path(id): Path<String>,
    Form(f): Form<IdpForm>,
) -> Response {
    if let Err(r) = check_csrf(&a, f.csrf.as_deref()) {
        return r;
    }
    let Some(cfg) = st
        .store
        .idps(&a.pair.account_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|i| i.id == id)
    else {
        return message(
            StatusCode::NOT_FOUND,
            "err-not-found-title",
            "spc-no-such-idp",
            vec![],
        );
    };
    let now = OffsetDateTime::now_utc();
    match f.action.as_deref() {
        Some("refresh") => {
            let notice = match crate::refresh::refresh_one(
                &st.store,
                &st.fetcher,
                &cfg,
                &st.cfg.metadata_refresh,
                now,
            )
            .await
            {
                Ok(symbolon_sp::RefreshReport::Unchanged) => "spc-metadata-unchanged".to_string(),
                Ok(symbolon_sp::RefreshReport::Changed(c)) => symbolon_web::i18n::encode(
                    "spc-metadata-refreshed",
                    &[("changes", &c.join("; "))],
                ),
                Ok(symbolon_sp::RefreshReport::Failed(why)) => {
                    symbolon_web::i18n::encode("spc-refresh-failed-now", &[("reason", &why)])
                }
                Err(e) => {
                    return message(StatusCode::SERVICE_UNAVAILABLE, "spc-error", &e, vec![]);
                }
            };
            symbolon_web::flash::redirect_with(
                &st.store,
                &a.session.csrf,
                &format!("/account/idps/{id}"),
                &notice,
            )
            .await
        }
        Some("forget-source") => {
            match symbolon_sp::forget_idp_source(
                &st.store,
                &a.actor,
                &a.pair.account_id,
                &cfg.name,
                now,
            )
            .await
            {
                Ok(()) => {
                    symbolon_web::flash::redirect_with(
                        &st.store,
                        &a.session.csrf,
                        &format!("/account/idps/{id}"),
                        "spc-source-forgotten",
                    )
                    .await
                }
                Err(e) => message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "spc-error",
                    &e.to_string(),
                    vec![],
                ),
            }
        }
        Some("profile") => {
            let mut name = cfg.name.clone();
            if let Some(new_name) = f.idp_name.as_deref() {
                match symbolon_sp::rename_idp(
                    &st.store,
                    &a.actor,
                    &a.pair.account_id,
                    &cfg.name,
                    new_name,
                    f.idp_description.as_deref(),
                    now,
                )
                .await
                {
                    Ok(c) => name = c.name,
                    Err(SpError::Invalid(m) | SpError::Conflict(m) | SpError::NotFound(m)) => {
                        let errors = IdpErrors {
                            name: Some(m),
                            ..IdpErrors::default()
                        };
                        return render_idp(&st, &a, &id, None, "", errors, None).await;
                    }
                    Err(e) => {
                        return message(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "spc-error",
                            &e.to_string(),
                            vec![],
                        );
                    }
                }
            }
            let p = MappingProfile {
                name: f.name_attribute,
                locale: f.locale_attribute,
                timezone: f.timezone_attribute,
                role: f.role_attribute,
                sp_initiated: f.sp_initiated.is_some(),
                allow_cbc: f.allow_cbc.is_some(),
            };
            match symbolon_sp::set_profile(&st.store, &a.actor, &a.pair.account_id, &name, &p, now)
                .await
            {
                Ok(()) => {
                    symbolon_web::flash::redirect_with(
                        &st.store,
                        &a.session.csrf,
                        &format!("/account/idps/{id}"),
                        "spc-profile-saved",
                    )
                    .await
                }
                Err(e) => message(
                    StatusCode::BAD_REQUEST,
                    "spc-not-saved",
                    &e.to_string(),
                    vec![],
                ),
            }
        }
        Some("map") => {
            let group = f.group.unwrap_or_default();
            let role = f.role.unwrap_or_default();
            match symbolon_sp::map_group(
                &st.store,
                &a.actor,
                &a.pair.account_id,
                &cfg.name,
                &group,
                &role,
                now,
            )
            .await
            {
                Ok(()) => {
                    symbolon_web::flash::redirect_with(
                        &st.store,
                        &a.session.csrf,
                        &format!("/account/idps/{id}"),
                        &symbolon_web::i18n::encode(
                            "spc-now-maps",
                            &[("group", &group), ("role", &role)],
                        ),
                    )
                    .await
                }
                Err(SpError::Invalid(m) | SpError::Conflict(m) | SpError::NotFound(m)) => {
                    render_idp(
                        &st,
                        &a,
                        &id,
                        None,
                        &group,
                        IdpErrors {
                            group: Some(m),
                            ..IdpErrors::default()
                        },
                        None,
                    )
                    .await
                }
                Err(e) => message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "spc-error",
                    &e.to_string(),
                    vec![],
                ),
            }
        }
        Some("remap") => {
            let group = f.group.unwrap_or_default();
            let role = f.role.unwrap_or_default();
            match symbolon_sp::remap_group(
                &st.store,
                &a.actor,
                &a.pair.account_id,
                &cfg.name,
                &group,
                &role,
                now,
            )
            .await
            {
                Ok(_) => {
                    symbolon_web::flash::redirect_with(
                        &st.store,
                        &a.session.csrf,
                        &format!("/account/idps/{id}"),
                        &symbolon_web::i18n::encode(
                            "spc-now-maps",
                            &[("group", group.trim()), ("role", role.trim())],
                        ),
                    )
                    .await
                }
                Err(SpError::Invalid(m) | SpError::Conflict(m) | SpError::NotFound(m)) => {
                    render_idp(
                        &st,
                        &a,
                        &id,
                        None,
                        "",
                        IdpErrors {
                            group: Some(m),
                            ..IdpErrors::default()
                        },
                        None,
                    )
                    .await
                }
                Err(e) => message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "spc-error",
                    &e.to_string(),
                    vec![],
                ),
            }
        }
        Some("unmap") if f.confirm.as_deref() != Some("yes") => {
            let group = f.group.unwrap_or_default();
            page(
                StatusCode::OK,
                ConfirmPage {
                    account: &a.pair.account_name,
                    csrf: &a.session.csrf,
                    notice: None,
                    question: symbolon_web::i18n::encode("spc-unmap-q", &[("group", &group)]),
                    consequence: "spc-unmap-consequence",
                    verb: "spc-unmap-verb",
                    action: &format!("/account/idps/{id}"),
                    cancel: &format!("/account/idps/{id}"),
                    hidden: vec![("action", "unmap".into()), ("group", group.clone())],
                }
                .render(),
            )
        }
        Some("unmap") => {
            let group = f.group.unwrap_or_default();
            match symbolon_sp::unmap_group(
                &st.store,
                &a.actor,
                &a.pair.account_id,
                &cfg.name,
                &group,
                now,
            )
            .await
            {
                Ok(()) => {
                    symbolon_web::flash::redirect_with(
                        &st.store,
                        &a.session.csrf,
                        &format!("/account/idps/{id}"),
                        &symbolon_web::i18n::encode("spc-unmapped", &[("group", group.trim())]),
                    )
                    .await
                }
                Err(SpError::Invalid(m) | SpError::Conflict(m) | SpError::NotFound(m)) => {
                    render_idp(
                        &st,
                        &a,
                        &id,
                        None,
                        "",
                        IdpErrors {
                            group: Some(m),
                            ..IdpErrors::default()
                        },
                        None,
                    )
                    .await
                }
                Err(e) => message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "spc-error",
                    &e.to_string(),
                    vec![],
                ),
            }
        }
        Some("replace") => {
            let xml = f.metadata.unwrap_or_default();
            match symbolon_sp::replace_idp_metadata(
                &st.store,
                &a.actor,
                &a.pair.account_id,
                &cfg.name,
                xml.trim().as_bytes(),
                now,
            )
            .await
            {
                Ok(sum) => {
                    symbolon_web::flash::redirect_with(
                        &st.store,
                        &a.session.csrf,
                        &format!("/account/idps/{id}"),
                        &symbolon_web::i18n::encode(
                            "spc-metadata-replaced",
                            &[("count", &sum.certificates.len().to_string())],
                        ),
                    )
                    .await
                }
                Err(
                    e @ (SpError::Invalid(_)
                    | SpError::Conflict(_)
                    | SpError::NotFound(_)
                    | SpError::Metadata(_)),
                ) => {
                    let errors = IdpErrors {
                        metadata: Some(symbolon_web::i18n::encode(
                            "spc-nothing-changed",
                            &[("reason", &e.to_string())],
                        )),
                        ..IdpErrors::default()
                    };
                    render_idp(&st, &a, &id, None, "", errors, None).await
                }
                Err(e) => message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "spc-error",
                    &e.to_string(),
                    vec![],
                ),
            }
        }
        Some("delete") if f.confirm.as_deref() != Some("yes") => page(
            StatusCode::OK,
            ConfirmPage {
                account: &a.pair.account_name,
                csrf: &a.session.csrf,
                notice: None,
                question: symbolon_web::i18n::encode("spc-delete-idp-q", &[("name", &cfg.name)]),
                consequence: "spc-delete-idp-consequence",
                verb: "spc-delete-idp-verb",
                action: &format!("/account/idps/{id}"),
                cancel: &format!("/account/idps/{id}"),
                hidden: vec![("action", "delete".into())],
            }
            .render(),
        ),
        Some("delete") => {
            match symbolon_sp::delete_idp(&st.store, &a.actor, &a.pair.account_id, &cfg.name, now)
                .await
            {
                Ok(()) => axum::response::Redirect::to("/account/idps").into_response(),
                Err(e) => message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "spc-error",
                    &e.to_string(),
                    vec![],
                ),
            }
        }
        Some("test") => {
            let raw = f.response.unwrap_or_default();
            let result = match symbolon_saml::binding::xml_or_base64(raw.trim().as_bytes()) {
                Err(e) => TestResult {
                    error: Some(format!("the SAMLResponse could not be decoded: {e}")),
                    name_id: String::new(),
                    attributes: vec![],
                    pairs: vec![],
                },
                Ok(xml) => {
                    let sp = symbolon_sp::sp_settings(&st.cfg.base_url);
                    let acs = symbolon_sp::Acs {
                        store: &st.store,
                        cache: &st.acs_cache,
                        keys: &st.keys,
                        sp: &sp,
                        policy: &st.cfg.acs,
                    };
                    match symbolon_sp::consume_response(
                        &acs,
                        &xml,
                        None,
                        now,
                        symbolon_sp::AcsMode::Test {
                            account_id: &a.pair.account_id,
                        },
                        "test",
                        |_| None,
                    )
                    .await
                    {
                        Ok(s) => TestResult {
                            error: None,
                            name_id: s.name_id.clone(),
                            attributes: s
                                .attributes
                                .iter()
                                .map(|(n, v)| (n.clone(), v.join(", ")))
                                .collect(),
                            pairs: s
                                .pairs
                                .iter()
                                .map(|p| format!("{} · {}", p.account_name, p.role))
                                .chain(s.refused.iter().map(|(acc, why)| {
                                    format!(
                                        "{acc}: not offered ({})",
                                        crate::page::not_offered_text(
                                            &symbolon_web::i18n::tr(),
                                            why
                                        )
                                    )
                                }))
                                .collect(),
                        },
                        Err(e) => TestResult {
                            error: Some(e.to_string()),
                            name_id: String::new(),
                            attributes: vec![],
                            pairs: vec![],
                        },
                    }
                }
            };
            render_idp(&st, &a, &id, None, "", IdpErrors::default(), Some(result)).await
        }
        _ => message(
            StatusCode::BAD_REQUEST,
            "spc-unknown-action-title",
            "err-unknown-action",
            vec![],
        ),
    }
}

/// `303 See Other` (post/redirect/get).
fn see(location: &str) -> Response {
    axum::response::Redirect::to(location).into_response()
}
