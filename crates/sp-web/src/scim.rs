//! `/scim/v2`: the SCIM 2.0 service provider of each account (RFC 7644). Thin: a [`ScimToken`]
//! extractor authenticates the bearer token (scope `scim`, the account it belongs to), bodies
//! are read up to [`MAX_BODY`], and every answer is `application/scim+json`, errors in the SCIM
//! error shape. What the requests mean is `symbolon_sp::scim`'s.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use symbolon_scim::schema::{ALL_SCHEMAS, ALL_TYPES, resource_type_json, schema_json};
use symbolon_scim::{LIST_SCHEMA, ScimError, ScimType};
use symbolon_sp::scim::{ListQuery, Output, Projection, ScimCaller};
use symbolon_store::sp::{KEY_SCOPE_SCIM, SpStore};
use time::OffsetDateTime;

use crate::state::AppState;

/// The largest request body read, in bytes (a group of 10,000 members fits several times).
pub const MAX_BODY: usize = 2 * 1024 * 1024;

const SCIM_JSON: &str = "application/scim+json";

pub(crate) fn routes<S: SpStore>() -> Router<AppState<S>> {
    Router::new()
        .route("/scim/v2/ServiceProviderConfig", get(spc::<S>))
        .route("/scim/v2/ResourceTypes", get(resource_types::<S>))
        .route("/scim/v2/ResourceTypes/{name}", get(resource_type::<S>))
        .route("/scim/v2/Schemas", get(schemas::<S>))
        .route("/scim/v2/Schemas/{id}", get(schema::<S>))
        .route("/scim/v2/Bulk", axum::routing::post(bulk::<S>))
        .route("/scim/v2/{kind}", get(list::<S>).post(create::<S>))
        .route("/scim/v2/{kind}/.search", axum::routing::post(search::<S>))
        .route(
            "/scim/v2/{kind}/{id}",
            get(get_one::<S>)
                .put(replace::<S>)
                .patch(patch::<S>)
                .delete(remove::<S>),
        )
        .route("/scim/v2/.search", axum::routing::post(search_all::<S>))
        .route("/scim/v2", get(unknown).post(unknown))
}

/// A SCIM error as a response.
pub(crate) struct Fail(ScimError);

impl From<ScimError> for Fail {
    fn from(e: ScimError) -> Self {
        Fail(e)
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    r
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut r = json_response(status, &self.0.to_json());
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"scim\""),
            );
        }
        r
    }
}

type Res = Result<Response, Fail>;

/// The caller: a live SCIM token (scope `scim`) and the account it belongs to. Every handler
/// names it, so none can forget authentication; an API key of scope `api` is refused here, and
/// a SCIM token is refused by the REST API.
pub(crate) struct ScimToken(ScimCaller);

impl<S: SpStore> axum::extract::FromRequestParts<AppState<S>> for ScimToken {
    type Rejection = Fail;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &AppState<S>,
    ) -> Result<Self, Fail> {
        let unauthorized = || {
            ScimError::status(
                401,
                "a SCIM token of the account is required (Authorization: Bearer ...)",
            )
        };
        let presented = symbolon_web::request::bearer(&parts.headers).ok_or_else(unauthorized)?;
        let k = symbolon_sp::authenticate_api_key(&st.store, presented)
            .await
            .map_err(|e| {
                tracing::error!("SCIM authentication: {e}");
                ScimError::status(503, "the database is unavailable; retry later")
            })?
            .filter(|k| k.scope == KEY_SCOPE_SCIM)
            .ok_or_else(unauthorized)?;
        Ok(ScimToken(ScimCaller {
            account_id: k.account_id,
            key_id: k.id,
        }))
    }
}

fn base<S>(st: &AppState<S>) -> String {
    format!("{}/scim/v2", st.cfg.base_url)
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

async fn body_json(body: Body) -> Result<Value, Fail> {
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ScimError::status(413, format!("the body is larger than {MAX_BODY} bytes")))?;
    Ok(symbolon_sp::scim::parse_body(&bytes)?)
}

fn if_match(h: &HeaderMap) -> Option<String> {
    h.get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn int(q: &HashMap<String, String>, name: &str) -> Result<Option<i64>, Fail> {
    match q.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            Fail(ScimError::bad(
                ScimType::InvalidValue,
                format!("{name} must be an integer"),
            ))
        }),
    }
}

fn list_query(q: &HashMap<String, String>) -> Result<ListQuery, Fail> {
    let order = q.get("sortOrder").map(|s| s.trim().to_ascii_lowercase());
    let descending = match order.as_deref() {
        None | Some("") | Some("ascending") => false,
        Some("descending") => true,
        Some(_) => {
            return Err(Fail(ScimError::bad(
                ScimType::InvalidValue,
                "sortOrder is ascending or descending",
            )));
        }
    };
    Ok(ListQuery {
        filter: q.get("filter").cloned(),
        start_index: int(q, "startIndex")?,
        count: int(q, "count")?,
        sort_by: q.get("sortBy").cloned(),
        descending,
        attributes: q.get("attributes").cloned(),
        excluded_attributes: q.get("excludedAttributes").cloned(),
    })
}

/// A `/.search` body (RFC 7644 section 3.4.3) as query parameters.
fn search_query(body: &Value) -> Result<ListQuery, Fail> {
    let mut q = HashMap::new();
    if let Value::Object(o) = body {
        for (k, v) in o {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                _ => continue,
            };
            q.insert(k.clone(), text);
        }
    }
    list_query(&q)
}

fn projection(q: &HashMap<String, String>) -> Projection {
    Projection {
        attributes: q.get("attributes").cloned(),
        excluded_attributes: q.get("excludedAttributes").cloned(),
    }
}

fn resource(status: StatusCode, o: Output) -> Response {
    let mut r = json_response(status, &o.body);
    if let Ok(v) = HeaderValue::from_str(&o.etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(&o.location)
    {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn fixed_list(items: Vec<Value>) -> Response {
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": items.len(),
            "startIndex": 1,
            "itemsPerPage": items.len(),
            "Resources": items,
        }),
    )
}

async fn unknown() -> Response {
    Fail(ScimError::not_found("no such SCIM endpoint")).into_response()
}

async fn spc<S: SpStore>(State(st): State<AppState<S>>, _t: ScimToken) -> Response {
    json_response(
        StatusCode::OK,
        &symbolon_sp::scim::service_provider_config(
            &base(&st),
            "https://symbolon.example/docs/provisioning",
        ),
    )
}

async fn resource_types<S: SpStore>(State(st): State<AppState<S>>, _t: ScimToken) -> Response {
    let b = base(&st);
    fixed_list(
        ALL_TYPES
            .iter()
            .map(|t| resource_type_json(t, &b))
            .collect(),
    )
}

async fn resource_type<S: SpStore>(
    State(st): State<AppState<S>>,
    _t: ScimToken,
    Path(name): Path<String>,
) -> Res {
    let t = ALL_TYPES
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| ScimError::not_found(format!("no resource type {name:?}")))?;
    Ok(json_response(
        StatusCode::OK,
        &resource_type_json(t, &base(&st)),
    ))
}

async fn schemas<S: SpStore>(State(st): State<AppState<S>>, _t: ScimToken) -> Response {
    let b = base(&st);
    fixed_list(ALL_SCHEMAS.iter().map(|s| schema_json(s, &b)).collect())
}

async fn schema<S: SpStore>(
    State(st): State<AppState<S>>,
    _t: ScimToken,
    Path(id): Path<String>,
) -> Res {
    let s = ALL_SCHEMAS
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| ScimError::not_found(format!("no schema {id:?}")))?;
    Ok(json_response(StatusCode::OK, &schema_json(s, &base(&st))))
}

/// The resource types served at `/scim/v2/{kind}`.
#[derive(Clone, Copy)]
enum Kind {
    Users,
    Groups,
}

fn kind(name: &str) -> Result<Kind, Fail> {
    match name {
        "Users" => Ok(Kind::Users),
        "Groups" => Ok(Kind::Groups),
        _ => Err(Fail(ScimError::not_found("no such SCIM endpoint"))),
    }
}

async fn list<S: SpStore>(
    State(st): State<AppState<S>>,
    ScimToken(c): ScimToken,
    Path(k): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let k = kind(&k)?;
    listed(&st, &c, k, &list_query(&q)?).await
}

async fn search<S: SpStore>(
    State(st): State<AppState<S>>,
    ScimToken(c): ScimToken,
    Path(k): Path<String>,
    body: Body,
) -> Res {
    let k = kind(&k)?;
    let q = search_query(&body_json(body).await?)?;
    listed(&st, &c, k, &q).await
}

async fn listed<S: SpStore>(st: &AppState<S>, c: &ScimCaller, k: Kind, q: &ListQuery) -> Res {
    let (store, b) = (&st.store, base(st));
    let v = match k {
        Kind::Users => symbolon_sp::scim::list_users(store, c, &b, q).await?,
        Kind::Groups => symbolon_sp::scim::list_groups(store, c, &b, q).await?,
    };
    Ok(json_response(StatusCode::OK, &v))
}

async fn bulk<S: SpStore>(
    State(st): State<AppState<S>>,
    ScimToken(c): ScimToken,
    body: Body,
) -> Res {
    let v = body_json(body).await?;
    let out = symbolon_sp::scim::bulk(&st.store, &c, &base(&st), &v, now()).await?;
    Ok(json_response(StatusCode::OK, &out))
}

async fn search_all<S: SpStore>(
    State(st): State<AppState<S>>,
    ScimToken(c): ScimToken,
    body: Body,
) -> Res {
    let q = search_query(&body_json(body).await?)?;
    let v = symbolon_sp::scim::search_all(&st.store, &c, &base(&st), &q).await?;
    Ok(json_response(StatusCode::OK, &v))
}

async fn get_one<S: SpStore>(
    State(st): State<AppState<S>>,
    ScimToken(c): ScimToken,
    Path((k, id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Res {
    let (store, b, p) = (&st.store, base(&st), projection(&q));
    let o = match kind(&k)? {
        Kind::Users => symbolon_sp::scim::get_user(store, &c, &b, &id, &p).await?,
        Kind::Groups => symbolon_sp::scim::get_group(store, &c, &b, &id, &p).await?,
    };
    Ok(resource(StatusCode::OK, o))
}

async fn create<S: SpStore>(
    State(st): State<AppState<S>>,
    ScimToken(c): ScimToken,
    Path(k): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Body,
) -> Res {
    let k = kind(&k)?;
    let v = body_json(body).await?;
    let (store, b, p, now) = (&st.store, base(&st), projection(&q), now());
    let o = match k {
        Kind::Users => symbolon_sp::scim::create_user(store, &c, &b, &v, &p, now).await?,
        Kind::Groups => symbolon_sp::scim::create_group(store, &c, &b, &v, &p, now).await?,
    };
    Ok(resource(StatusCode::CREATED, o))
}

/// A PUT (replace) or PATCH request.
struct Change {
    path: (String, String),
    query: HashMap<String, String>,
    headers: HeaderMap,
    body: Body,
    patch: bool,
}

async fn change<S: SpStore>(st: AppState<S>, c: ScimCaller, r: Change) -> Res {
    use symbolon_sp::scim::{patch_group, patch_user, replace_group, replace_user};
    let (k, id) = (kind(&r.path.0)?, r.path.1);
    let v = body_json(r.body).await?;
    let (store, b, p, now) = (&st.store, base(&st), projection(&r.query), now());
    let m = if_match(&r.headers);
    let m = m.as_deref();
    let o = match (k, r.patch) {
        (Kind::Users, false) => replace_user(store, &c, &b, &id, &v, m, &p, now).await?,
        (Kind::Users, true) => patch_user(store, &c, &b, &id, &v, m, &p, now).await?,
        (Kind::Groups, false) => replace_group(store, &c, &b, &id, &v, m, &p, now).await?,
        (Kind::Groups, true) => patch_group(store, &c, &b, &id, &v, m, &p, now).await?,
    };
    Ok(resource(StatusCode::OK, o))
}

async fn replace<S: SpStore>(
    State(st): State<AppState<S>>,
    ScimToken(c): ScimToken,
    Path(path): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Res {
    let r = Change {
        path,
        query,
        headers,
        body,
        patch: false,
    };
    change(st, c, r).await
}

async fn patch<S: SpStore>(
    State(st): State<AppState<S>>,
    ScimToken(c): ScimToken,
    Path(path): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Res {
    let r = Change {
        path,
        query,
        headers,
        body,
        patch: true,
    };
    change(st, c, r).await
}

async fn remove<S: SpStore>(
    State(st): State<AppState<S>>,
    ScimToken(c): ScimToken,
    Path((k, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Res {
    let m = if_match(&headers);
    let (store, m, now) = (&st.store, m.as_deref(), now());
    match kind(&k)? {
        Kind::Users => symbolon_sp::scim::delete_user(store, &c, &id, m, now).await?,
        Kind::Groups => symbolon_sp::scim::delete_group(store, &c, &id, m, now).await?,
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
