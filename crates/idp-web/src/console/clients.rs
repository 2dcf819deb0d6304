//! Clients: the list, import from SP metadata, and the client page (settings, endpoints,
//! certificates, mappers, who may use it).

#![allow(clippy::result_large_err)]

use crate::console::common::{
    Errors, Listing, SortQuery, check_csrf, form_status, page, page_status, realm_admin,
};
use crate::error::WebError;
use crate::state::{AdminSession, AppState};
use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use symbolon_idp::{Actor, IdpError};
use symbolon_saml::messages::{
    NAMEID_EMAIL, NAMEID_PERSISTENT, NAMEID_TRANSIENT, NAMEID_UNSPECIFIED,
};
use symbolon_saml::metadata::{BINDING_POST, BINDING_REDIRECT};
use symbolon_store::{Assignment, Client, ClientOrder, IdpStore};
use time::OffsetDateTime;

pub(crate) struct ClientRow {
    pub(crate) id: String,
    pub(crate) client_id: String,
    pub(crate) name: String,
    pub(crate) url_name: String,
    pub(crate) access: String,
    pub(crate) enabled: bool,
}

/// One page of the clients list: its rows, and where the other pages are.
pub(crate) struct ClientList {
    pub(crate) rows: Vec<ClientRow>,
    pub(crate) pager: symbolon_web::paging::Pager,
    /// Header links: each column's order with the same search.
    pub(crate) sort_links: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/clients.html")]
pub(crate) struct ClientsPage<'a> {
    pub(crate) realm: Option<&'a str>,
    pub(crate) realm_name: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) admin: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) list: ClientList,
    pub(crate) q: &'a str,
    pub(crate) sort: &'a str,
}

/// Clients shown per page of the list.
const PAGE_SIZE: u64 = 50;

/// The clients list's order for a `sort` value (the column, as the headers link it).
fn client_order(sort: &str) -> ClientOrder {
    match sort {
        "name" => ClientOrder::Name,
        "url" => ClientOrder::UrlName,
        _ => ClientOrder::ClientId,
    }
}

/// The realm's clients, one page of them, searched and ordered by the database.
pub(crate) async fn clients<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path(realm): Path<String>,
    Query(q): Query<SortQuery>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let listing = Listing::of(&q);
    let fetched = symbolon_web::paging::fetch_page(listing.page, PAGE_SIZE, |offset| {
        let page = symbolon_store::ClientPage {
            search: listing.q.clone(),
            order: client_order(&listing.sort),
            offset,
            limit: PAGE_SIZE,
        };
        let (st, realm) = (&st, &realm);
        async move { st.store().clients_page(realm, &page).await }
    })
    .await;
    let (list, total, shown_page) = match fetched {
        Ok(l) => l,
        Err(e) => return WebError::from(e).into_response(),
    };
    let rows: Vec<ClientRow> = list
        .into_iter()
        .map(|c| ClientRow {
            access: if c.restricted {
                "idpc-access-assigned".into()
            } else {
                "idpc-access-everyone".into()
            },
            id: c.id,
            client_id: c.client_id,
            name: c.name.unwrap_or_default(),
            url_name: c.idp_initiated_url_name.unwrap_or_default(),
            enabled: c.enabled,
        })
        .collect();
    let path = format!("/admin/console/{realm}/clients");
    let shown = u64::try_from(rows.len()).unwrap_or(0);
    let list = ClientList {
        rows,
        pager: symbolon_web::paging::Pager::new(shown_page, PAGE_SIZE, shown, total, |p| {
            listing.href(&path, &listing.sort, p)
        }),
        sort_links: ["client", "name", "url"]
            .iter()
            .map(|c| listing.href(&path, c, 1))
            .collect(),
    };
    page(
        ClientsPage {
            realm: Some(&realm),
            realm_name: &realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice: None,
            list,
            q: &listing.q,
            sort: &listing.sort,
        }
        .render(),
    )
}

#[derive(Template)]
#[template(path = "console/import.html")]
pub(crate) struct ImportPage<'a> {
    pub(crate) realm: Option<&'a str>,
    pub(crate) realm_name: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) admin: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) pasted: &'a str,
    pub(crate) url: &'a str,
    pub(crate) allow_http: bool,
    pub(crate) error: Option<String>,
}

pub(crate) async fn import_form<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path(realm): Path<String>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    page(
        ImportPage {
            realm: Some(&realm),
            realm_name: &realm,
            csrf: &s.csrf,
            admin: &s.username,
            notice: None,
            pasted: "",
            url: "",
            allow_http: false,
            error: None,
        }
        .render(),
    )
}

pub(crate) async fn import<S: IdpStore>(
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
    let (mut csrf, mut file, mut pasted) = (None, Vec::new(), String::new());
    let (mut url, mut allow_http, mut signer) = (String::new(), false, String::new());
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        let Ok(bytes) = field.bytes().await else {
            break;
        };
        match name.as_str() {
            "csrf" => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "file" => file = bytes.to_vec(),
            "metadata" => pasted = String::from_utf8_lossy(&bytes).into_owned(),
            "metadata_url" => url = String::from_utf8_lossy(&bytes).trim().to_string(),
            "allow_http" => allow_http = !bytes.is_empty(),
            "signing_cert" => signer = String::from_utf8_lossy(&bytes).into_owned(),
            _ => {}
        }
    }
    if let Err(r) = check_csrf(&s, csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    let metadata = if !file.is_empty() {
        file
    } else {
        pasted.clone().into_bytes()
    };
    let fail = |msg: String| {
        page(
            ImportPage {
                realm: Some(&realm),
                realm_name: &realm,
                csrf: &s.csrf,
                admin: &s.username,
                notice: None,
                pasted: &pasted,
                url: &url,
                allow_http,
                error: Some(msg),
            }
            .render(),
        )
    };
    let from_url = metadata.iter().all(u8::is_ascii_whitespace) && !url.is_empty();
    if metadata.iter().all(u8::is_ascii_whitespace) && !from_url {
        return fail("idpc-give-metadata".into());
    }
    let actor = Actor(s.username.clone());
    let now = OffsetDateTime::now_utc();
    let imported = if from_url {
        if let Err(e) = symbolon_web::fetch::check_url(&url, allow_http) {
            return fail(e.to_string());
        }
        let signing_cert = if signer.trim().is_empty() {
            None
        } else {
            match symbolon_dsig::pem_blocks(&signer)
                .into_iter()
                .find(|(l, _)| l == "CERTIFICATE")
            {
                Some((_, der)) => Some(der),
                None => {
                    return fail("spc-signing-cert-pem".into());
                }
            }
        };
        let fetched = st.fetcher.outcome(&url, allow_http, None, None).await;
        symbolon_idp::import_client_from_url(
            st.store(),
            &actor,
            &realm,
            None,
            &symbolon_idp::ClientSource {
                url: url.clone(),
                allow_http,
                signing_cert,
            },
            fetched,
            &st.config().metadata_refresh,
            now,
        )
        .await
    } else {
        symbolon_idp::import_client(st.store(), &actor, &realm, &metadata, None, now).await
    };
    match imported {
        Ok((c, findings)) => {
            let mut notice = format!(
                "Imported client {}. Review its settings and save.",
                c.client_id
            );
            for f in &findings {
                notice.push_str(&format!(
                    " Metadata finding ({}): {}.",
                    format!("{:?}", f.severity).to_lowercase(),
                    f.message
                ));
            }
            symbolon_web::flash::redirect_with(
                st.store(),
                &s.csrf,
                &format!("/admin/console/{realm}/clients/{}", c.id),
                &notice,
            )
            .await
        }
        Err(e) => fail(match e {
            IdpError::Invalid(m) | IdpError::Conflict(m) | IdpError::NotFound(m) => m,
            IdpError::Metadata(m) => {
                symbolon_web::i18n::encode("idpc-unusable-metadata", &[("reason", &m.to_string())])
            }
            other => other.to_string(),
        }),
    }
}

/// The client form's values, as typed (kept when something is wrong).
#[derive(Debug, Default, Clone)]
pub(crate) struct ClientForm {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) home_url: String,
    pub(crate) url_name: String,
    pub(crate) relay_state: String,
    pub(crate) lifespan: String,
    pub(crate) name_id_format: String,
    pub(crate) sig_alg: String,
    pub(crate) enc_alg: String,
    pub(crate) key_transport: String,
    pub(crate) slo_redirect: String,
    pub(crate) slo_post: String,
    pub(crate) slo_soap: String,
    /// The add-mapper and assign forms.
    pub(crate) m_attribute: String,
    pub(crate) m_kind: String,
    pub(crate) m_param: String,
    pub(crate) m_format: String,
    pub(crate) who: String,
}

impl From<&Client> for ClientForm {
    fn from(c: &Client) -> Self {
        ClientForm {
            name: c.name.clone().unwrap_or_default(),
            description: c.description.clone().unwrap_or_default(),
            home_url: c.home_url.clone().unwrap_or_default(),
            url_name: c.idp_initiated_url_name.clone().unwrap_or_default(),
            relay_state: c.idp_initiated_relay_state.clone().unwrap_or_default(),
            lifespan: c
                .assertion_lifespan_secs
                .map(|l| l.to_string())
                .unwrap_or_default(),
            name_id_format: name_id_keyword(&c.name_id_format).into(),
            sig_alg: c.signature_algorithm.clone(),
            enc_alg: c.encryption.data_algorithm.clone(),
            key_transport: c.encryption.key_transport.clone(),
            slo_redirect: symbolon_idp::logout_location(c, BINDING_REDIRECT)
                .unwrap_or_default()
                .into(),
            slo_post: symbolon_idp::logout_location(c, BINDING_POST)
                .unwrap_or_default()
                .into(),
            slo_soap: symbolon_idp::logout_location(c, symbolon_saml::soap::BINDING_SOAP)
                .unwrap_or_default()
                .into(),
            ..ClientForm::default()
        }
    }
}

/// Signature algorithms a client may ask for (never SHA-1).
pub(crate) const SIGNATURE_ALGORITHMS: [&str; 6] = [
    "rsa-sha256",
    "rsa-sha384",
    "rsa-sha512",
    "ecdsa-sha256",
    "ecdsa-sha384",
    "ecdsa-sha512",
];

/// Mapper types as the console offers them: (kind, label).
pub(crate) const MAPPER_KINDS: [(&str, &str); 6] = [
    ("user-attribute", "idpc-kind-user-attribute"),
    ("user-property", "idpc-kind-user-property"),
    ("group-list", "idpc-kind-group-list"),
    ("group-list-full", "idpc-kind-group-list-full"),
    ("role-list", "idpc-kind-role-list"),
    ("hardcoded", "idpc-kind-hardcoded"),
];

pub(crate) struct MapperRow {
    pub(crate) name: String,
    pub(crate) attribute: String,
    pub(crate) kind: &'static str,
    pub(crate) param: String,
    pub(crate) format: String,
}

pub(crate) fn name_id_keyword(f: &str) -> &'static str {
    match f {
        NAMEID_EMAIL => "email",
        NAMEID_PERSISTENT => "persistent",
        NAMEID_TRANSIENT => "transient",
        _ => "username",
    }
}

#[derive(Template)]
#[template(path = "console/client.html")]
pub(crate) struct ClientPage<'a> {
    pub(crate) realm: Option<&'a str>,
    pub(crate) realm_name: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) admin: &'a str,
    pub(crate) notice: Option<String>,
    pub(crate) c: &'a Client,
    pub(crate) findings: Vec<(String, String)>,
    pub(crate) f_name: &'a str,
    pub(crate) f_description: &'a str,
    pub(crate) f_home_url: &'a str,
    pub(crate) f_url_name: &'a str,
    pub(crate) f_relay_state: &'a str,
    pub(crate) f_lifespan: &'a str,
    pub(crate) f_slo_redirect: &'a str,
    pub(crate) f_slo_post: &'a str,
    pub(crate) f_slo_soap: &'a str,
    pub(crate) err_slo: Option<String>,
    pub(crate) err_home_url: Option<String>,
    pub(crate) err_url_name: Option<String>,
    pub(crate) err_lifespan: Option<String>,
    pub(crate) formats: Vec<(&'static str, bool)>,
    pub(crate) sso_base: String,
    pub(crate) access: Vec<String>,
    pub(crate) algs: Vec<(&'static str, bool)>,
    pub(crate) err_sig_alg: Option<String>,
    pub(crate) enc_algs: Vec<(&'static str, bool)>,
    pub(crate) transports: Vec<(&'static str, bool)>,
    /// The encryption certificate, described; `None` when the client publishes none.
    pub(crate) enc_cert: Option<String>,
    pub(crate) err_encryption: Option<String>,
    pub(crate) assigned: Vec<(String, String)>,
    /// (value, label, selected)
    pub(crate) candidates: Vec<(String, String, bool)>,
    pub(crate) err_who: Option<String>,
    pub(crate) mappers: Vec<MapperRow>,
    pub(crate) kinds: Vec<(&'static str, &'static str, bool)>,
    pub(crate) name_formats: Vec<(&'static str, bool)>,
    pub(crate) f_m_attribute: &'a str,
    pub(crate) f_m_param: &'a str,
    pub(crate) err_mapper: Option<String>,
    /// Provisioning (SCIM): how the last runs went, as (label, value).
    pub(crate) provisioning: Vec<(&'static str, String)>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn render_client<S: IdpStore>(
    st: &AppState<S>,
    s: &AdminSession,
    realm: &str,
    c: &Client,
    f: ClientForm,
    e: Errors,
    findings: Vec<(String, String)>,
    notice: Option<String>,
) -> Response {
    let access = symbolon_idp::client_access_summary(st.store(), c)
        .await
        .unwrap_or_default();
    let formats = ["email", "persistent", "transient", "username"]
        .into_iter()
        .map(|k| (k, k == f.name_id_format))
        .collect();
    let algs = SIGNATURE_ALGORITHMS
        .into_iter()
        .map(|a| (a, a == f.sig_alg))
        .collect();
    let enc_algs = symbolon_idp::ENCRYPTION_ALGORITHMS
        .into_iter()
        .map(|a| (a, a == f.enc_alg))
        .collect();
    let transports = symbolon_idp::KEY_TRANSPORTS
        .into_iter()
        .map(|a| (a, a == f.key_transport))
        .collect();
    let enc_cert = c
        .encryption
        .certs
        .first()
        .map(|der| match symbolon_dsig::describe_certificate(der) {
            Ok(i) => format!(
                "{} ({}), valid until {}",
                i.subject,
                i.key,
                time::OffsetDateTime::from_unix_timestamp(i.not_after)
                    .map(|t| s.time(t))
                    .unwrap_or_default()
            ),
            Err(e) => format!("unreadable: {e}"),
        });
    let (assigned, candidates) = assignment_choices(st, c).await;
    let mappers = c
        .mappers
        .iter()
        .map(|m| {
            let (kind, param) = symbolon_idp::roles::mapper_kind(&m.source);
            MapperRow {
                name: m.name.clone(),
                attribute: m.saml_attribute.clone(),
                kind,
                param,
                format: m
                    .name_format
                    .as_deref()
                    .and_then(|u| u.rsplit(':').next())
                    .unwrap_or("")
                    .to_string(),
            }
        })
        .collect();
    let status = form_status(e.any());
    let provisioning = crate::console::provisioning::status_lines(st, s, c).await;
    let body = ClientPage {
        realm: Some(realm),
        realm_name: realm,
        csrf: &s.csrf,
        admin: &s.username,
        notice,
        c,
        findings,
        f_name: &f.name,
        f_description: &f.description,
        f_home_url: &f.home_url,
        f_url_name: &f.url_name,
        f_relay_state: &f.relay_state,
        f_lifespan: &f.lifespan,
        f_slo_redirect: &f.slo_redirect,
        f_slo_post: &f.slo_post,
        f_slo_soap: &f.slo_soap,
        err_slo: e.slo,
        err_home_url: e.home_url,
        err_url_name: e.url_name,
        err_lifespan: e.lifespan,
        err_sig_alg: e.sig_alg,
        enc_algs,
        transports,
        enc_cert,
        err_encryption: e.encryption,
        err_who: e.who,
        err_mapper: e.mapper,
        provisioning,
        algs,
        assigned,
        candidates: candidates
            .into_iter()
            .map(|(v, l)| {
                let sel = v == f.who;
                (v, l, sel)
            })
            .collect(),
        mappers,
        kinds: MAPPER_KINDS
            .into_iter()
            .map(|(k, l)| (k, l, k == f.m_kind))
            .collect(),
        name_formats: ["", "basic", "uri", "unspecified"]
            .into_iter()
            .map(|n| (n, n == f.m_format))
            .collect(),
        f_m_attribute: &f.m_attribute,
        f_m_param: &f.m_param,
        formats,
        sso_base: format!(
            "{}/realms/{realm}/protocol/saml/clients",
            st.config().base_url
        ),
        access,
    }
    .render();
    page_status(status, body)
}

pub(crate) async fn find_client<S: IdpStore>(
    st: &AppState<S>,
    realm: &str,
    id: &str,
) -> Result<Client, Response> {
    match st.store().clients(realm).await {
        Ok(list) => list
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| WebError::not_found_page("idpc-no-such-client".into()).into_response()),
        Err(e) => Err(WebError::from(e).into_response()),
    }
}

pub(crate) async fn client_page<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path((realm, id)): Path<(String, String)>,
) -> Response {
    let s = signed_in;
    let c = match find_client(&st, &realm, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let notice = symbolon_web::flash::take(st.store(), &s.csrf).await;
    render_client(
        &st,
        &s,
        &realm,
        &c,
        ClientForm::from(&c),
        Errors::default(),
        vec![],
        notice,
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct SaveForm {
    pub(crate) csrf: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) enabled: Option<String>,
    pub(crate) home_url: Option<String>,
    pub(crate) url_name: Option<String>,
    pub(crate) relay_state: Option<String>,
    pub(crate) name_id_format: Option<String>,
    pub(crate) sign_documents: Option<String>,
    pub(crate) sign_assertions: Option<String>,
    pub(crate) client_signature_required: Option<String>,
    pub(crate) lifespan: Option<String>,
    pub(crate) sig_alg: Option<String>,
    pub(crate) encrypt_assertions: Option<String>,
    pub(crate) enc_alg: Option<String>,
    pub(crate) key_transport: Option<String>,
    pub(crate) slo_redirect: Option<String>,
    pub(crate) slo_post: Option<String>,
    pub(crate) slo_soap: Option<String>,
}

pub(crate) async fn save_client<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
    Form(f): Form<SaveForm>,
) -> Response {
    let s = signed_in;
    if let Err(r) = check_csrf(&s, f.csrf.as_deref(), &headers, &st.config().base_url) {
        return r;
    }
    let mut c = match find_client(&st, &realm, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let t = |o: &Option<String>| o.as_deref().unwrap_or("").trim().to_string();
    let form = ClientForm {
        name: t(&f.name),
        description: t(&f.description),
        home_url: t(&f.home_url),
        url_name: t(&f.url_name),
        relay_state: t(&f.relay_state),
        lifespan: t(&f.lifespan),
        name_id_format: t(&f.name_id_format),
        sig_alg: t(&f.sig_alg),
        enc_alg: t(&f.enc_alg),
        key_transport: t(&f.key_transport),
        slo_redirect: t(&f.slo_redirect),
        slo_post: t(&f.slo_post),
        slo_soap: t(&f.slo_soap),
        ..ClientForm::default()
    };
    let mut e = Errors::default();
    let mut encryption = c.encryption.clone();
    encryption.enabled = f.encrypt_assertions.is_some();
    if !form.enc_alg.is_empty() {
        encryption.data_algorithm = form.enc_alg.clone();
    }
    if !form.key_transport.is_empty() {
        encryption.key_transport = form.key_transport.clone();
    }
    if !symbolon_idp::ENCRYPTION_ALGORITHMS.contains(&encryption.data_algorithm.as_str())
        || !symbolon_idp::KEY_TRANSPORTS.contains(&encryption.key_transport.as_str())
    {
        e.encryption = Some("idpc-choose-listed".into());
    } else if encryption.enabled && encryption.certs.is_empty() {
        e.encryption = Some("idpc-no-enc-cert-error".into());
    }
    let home_ok = form.home_url.is_empty()
        || form.home_url.starts_with("https://")
        || form.home_url.starts_with("http://");
    if !home_ok {
        e.home_url =
            Some("The Home URL must start with https:// (or http:// for local testing).".into());
    }
    if !form.url_name.is_empty() && symbolon_idp::valid_name_pub(&form.url_name).is_err() {
        e.url_name = Some("idpc-url-name-rule".into());
    }
    let lifespan = if form.lifespan.is_empty() {
        None
    } else {
        match form.lifespan.parse::<i64>() {
            Ok(v) if (10..=86_400).contains(&v) => Some(v),
            _ => {
                e.lifespan = Some("idpc-lifespan-rule".into());
                None
            }
        }
    };
    let mut with_slo = c.clone();
    if let Err(why) = symbolon_idp::set_logout_endpoints(
        &mut with_slo,
        Some(&form.slo_redirect),
        Some(&form.slo_post),
        Some(&form.slo_soap),
    ) {
        e.slo = Some(why.to_string());
    }
    let sig_alg = if form.sig_alg.is_empty() {
        c.signature_algorithm.clone()
    } else if SIGNATURE_ALGORITHMS.contains(&form.sig_alg.as_str()) {
        form.sig_alg.clone()
    } else {
        e.sig_alg = Some("idpc-choose-listed".into());
        c.signature_algorithm.clone()
    };
    if !e.any() {
        c.slo = with_slo.slo;
        c.signature_algorithm = sig_alg;
        c.name = Some(form.name.clone()).filter(|v| !v.is_empty());
        c.description = Some(form.description.clone()).filter(|v| !v.is_empty());
        c.enabled = f.enabled.is_some();
        c.home_url = Some(form.home_url.clone()).filter(|v| !v.is_empty());
        c.idp_initiated_url_name = Some(form.url_name.clone()).filter(|v| !v.is_empty());
        c.idp_initiated_relay_state = Some(form.relay_state.clone()).filter(|v| !v.is_empty());
        c.name_id_format = match form.name_id_format.as_str() {
            "email" => NAMEID_EMAIL,
            "persistent" => NAMEID_PERSISTENT,
            "transient" => NAMEID_TRANSIENT,
            _ => NAMEID_UNSPECIFIED,
        }
        .into();
        c.sign_documents = f.sign_documents.is_some();
        c.sign_assertions = f.sign_assertions.is_some();
        c.client_signature_required = f.client_signature_required.is_some();
        c.assertion_lifespan_secs = lifespan;
        c.encryption = encryption;
        match symbolon_idp::update_client(
            st.store(),
            &Actor(s.username.clone()),
            &c,
            "settings (console)",
            OffsetDateTime::now_utc(),
        )
        .await
        {
            Ok(()) => {
                return symbolon_web::flash::redirect_with(
                    st.store(),
                    &s.csrf,
                    &format!("/admin/console/{realm}/clients/{id}"),
                    "idpc-saved",
                )
                .await;
            }
            Err(IdpError::Invalid(m) | IdpError::Conflict(m) | IdpError::NotFound(m))
                if m.contains("URL name") =>
            {
                e.url_name = Some(m)
            }
            Err(other) => return WebError::from(other).into_response(),
        }
    }
    render_client(&st, &s, &realm, &c, form, e, vec![], None).await
}

/// A client's current assignments as (`user:NAME` / `group:/PATH`, label), and the users and
/// groups that could be assigned, in the same form.
pub(crate) async fn assignment_choices<S: IdpStore>(
    st: &AppState<S>,
    c: &Client,
) -> (Vec<(String, String)>, Vec<(String, String)>) {
    let users = st.store().users(&c.realm).await.unwrap_or_default();
    let groups = st.store().groups(&c.realm).await.unwrap_or_default();
    let current = st.store().assignments(&c.id).await.unwrap_or_default();
    let mut assigned = Vec::new();
    for a in &current {
        match a {
            Assignment::User(id) => {
                if let Some(u) = users.iter().find(|u| u.id == *id) {
                    assigned.push((
                        format!("user:{}", u.username),
                        symbolon_web::i18n::tr().t1("idpc-subject-user", "name", &u.username),
                    ));
                }
            }
            Assignment::Group(id) => {
                if let Some(g) = groups.iter().find(|g| g.id == *id) {
                    assigned.push((
                        format!("group:{}", g.path),
                        symbolon_web::i18n::tr().t1("idpc-subject-group-sub", "name", &g.path),
                    ));
                }
            }
        }
    }
    let candidates = holder_choices(&users, &groups)
        .into_iter()
        .filter(|(v, _)| !assigned.iter().any(|(a, _)| a == v))
        .collect();
    (assigned, candidates)
}

/// Every user and group of a realm as (`user:NAME` / `group:/PATH`, label).
pub(crate) fn holder_choices(
    users: &[symbolon_store::User],
    groups: &[symbolon_store::Group],
) -> Vec<(String, String)> {
    groups
        .iter()
        .map(|g| {
            (
                format!("group:{}", g.path),
                symbolon_web::i18n::tr().t1("idpc-subject-group", "name", &g.path),
            )
        })
        .chain(users.iter().map(|u| {
            (
                format!("user:{}", u.username),
                symbolon_web::i18n::tr().t1("idpc-subject-user", "name", &u.username),
            )
        }))
        .collect()
}
