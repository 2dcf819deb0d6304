//! What both REST APIs share in their OpenAPI documents, and the one error shape every API
//! answer has.
//!
//! Each server's API document is generated from its handlers' annotations and types (utoipa);
//! this module adds what is true of every operation once, so no handler can forget it: the error
//! body schema, the error statuses an authenticated JSON operation can answer, and the bearer
//! security scheme. [`json_errors`] makes the last promise true: an answer of the framework
//! itself (a body that is not JSON, a missing `Content-Type`, a path parameter that does not
//! parse, a method the path does not have) is rewritten into the same JSON error body.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::Required;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

/// The body of every API error: `{"error": CODE, "error_description": TEXT}` (the shape of
/// OAuth 2.0 error responses, RFC 6749 section 5.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code: `invalid_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `conflict`, `payload_too_large`, `unsupported_media_type`,
    /// `unavailable` or `server_error`.
    pub error: String,
    /// What went wrong, for a person.
    pub error_description: String,
}

/// The error statuses of an operation, by what it is: every operation is authenticated and may
/// meet an unavailable database; one with a request body may also be refused for its type or
/// size; one that writes may conflict.
fn error_statuses(op: &Operation, method: &str, forbidden: bool) -> Vec<(u16, &'static str)> {
    let mut out = vec![
        (
            400,
            "The request is invalid: a parameter or the body (the description says which).",
        ),
        (401, "No valid credentials (`WWW-Authenticate: Bearer`)."),
        (404, "A named object does not exist."),
        (405, "The path does not have this method."),
        (
            503,
            "The database is unavailable; try again (`Retry-After`).",
        ),
    ];
    if forbidden {
        out.push((
            403,
            "A console session without the right `X-CSRF-Token`, or from another origin.",
        ));
    }
    if method != "get" {
        out.push((
            409,
            "The change conflicts with what exists (a name taken, the object in use).",
        ));
    }
    if op.request_body.is_some() {
        out.push((413, "The body is too large."));
        out.push((415, "The body is not `application/json`."));
    }
    out.sort_unstable();
    out
}

/// A path parameter's description, and the values it takes when they are few.
#[derive(Debug, Clone, Copy)]
pub struct PathParam {
    pub name: &'static str,
    pub description: &'static str,
    pub values: &'static [&'static str],
}

fn path_parameter(name: &str, known: &[PathParam]) -> Parameter {
    let p = known.iter().find(|p| p.name == name);
    let mut schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1));
    if let Some(p) = p.filter(|p| !p.values.is_empty()) {
        schema = schema.enum_values(Some(p.values.iter().copied()));
    }
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(p.map(|p| p.description))
        .schema(Some(schema))
        .build()
}

/// The `{name}` segments of a path template, in order.
fn template_names(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

/// Adds to every operation of `doc` its path parameters (from the path template, described by
/// `params`), the error answers it can give (each with [`ErrorBody`]), the bearer security
/// scheme `bearer` as its requirement, and the error schema. `forbidden`: the API also takes a
/// console session whose CSRF check answers 403.
pub fn complete(doc: &mut OpenApi, forbidden: bool, params: &[PathParam]) {
    let components = doc.components.get_or_insert_with(Default::default);
    components
        .schemas
        .insert("ErrorBody".into(), ErrorBody::schema());
    components.security_schemes.insert(
        "bearer".into(),
        RefOr::T(SecurityScheme::Http(
            HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build(),
        )),
    );
    let requirement = SecurityRequirement::new::<_, _, &str>("bearer", []);
    let mut responses = std::collections::BTreeMap::new();
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, op) in [
            ("get", item.get.as_mut()),
            ("post", item.post.as_mut()),
            ("put", item.put.as_mut()),
            ("delete", item.delete.as_mut()),
            ("patch", item.patch.as_mut()),
        ] {
            let Some(op) = op else { continue };
            let declared = op.parameters.get_or_insert_with(Vec::new);
            for name in template_names(path) {
                let present = declared.iter().any(|p| {
                    matches!(p, RefOr::T(p) if p.name == name && p.parameter_in == ParameterIn::Path)
                });
                if !present {
                    declared.push(RefOr::T(path_parameter(name, params)));
                }
            }
            for (status, text) in error_statuses(op, method, forbidden) {
                let name = response_name(status);
                responses.entry(name.to_string()).or_insert_with(|| {
                    let body = ContentBuilder::new()
                        .schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))))
                        .build();
                    RefOr::T(
                        ResponseBuilder::new()
                            .description(text)
                            .content("application/json", body)
                            .build(),
                    )
                });
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
            }
            op.security.get_or_insert_with(|| vec![requirement.clone()]);
        }
    }
    if let Some(c) = doc.components.as_mut() {
        c.responses.extend(responses);
    }
}

/// The name of the shared response of an error status, in `components.responses`.
fn response_name(status: u16) -> &'static str {
    match status {
        400 => "InvalidRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        413 => "PayloadTooLarge",
        415 => "UnsupportedMediaType",
        _ => "Unavailable",
    }
}

/// The code of a status the framework answered by itself.
fn code_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        503 => "unavailable",
        s if s >= 500 => "server_error",
        _ => "invalid_request",
    }
}

/// The most of a framework answer's text kept as the description.
const MAX_DESCRIPTION: usize = 1024;

/// Middleware for an API's routes: an error answer that is not JSON (the framework's own, for
/// a body that does not parse, a missing `Content-Type`, a path or query that does not
/// deserialize, a method the path lacks) becomes `{"error", "error_description"}`. A body that
/// parsed but failed the schema (the framework's 422) is a 400 `invalid_request`, as every other
/// invalid value is. Headers such as `Allow` are kept.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let r = next.run(req).await;
    let status = r.status();
    let is_json = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return r;
    }
    let (mut parts, body) = r.into_parts();
    let text = match axum::body::to_bytes(body, MAX_DESCRIPTION * 4).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => String::new(),
    };
    let status = if status == StatusCode::UNPROCESSABLE_ENTITY {
        StatusCode::BAD_REQUEST
    } else {
        status
    };
    let mut description: String = text.trim().chars().take(MAX_DESCRIPTION).collect();
    if description.is_empty() {
        description = status.canonical_reason().unwrap_or("error").to_string();
    }
    let body = ErrorBody {
        error: code_of(status).into(),
        error_description: description,
    };
    let json = match serde_json::to_vec(&body) {
        Ok(j) => j,
        Err(_) => return (status, Body::empty()).into_response(),
    };
    parts.status = status;
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(json))
}

/// A server's document as pretty JSON, made once (on the first request for it).
pub fn pretty_once(
    cell: &'static std::sync::OnceLock<String>,
    make: fn() -> OpenApi,
) -> &'static str {
    cell.get_or_init(|| make().to_pretty_json().unwrap_or_default())
}

/// The document as JSON, served as it is.
pub fn serve_json(doc: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        doc,
    )
        .into_response()
}

/// Compare `doc` with its copy at `path` (relative to the workspace root of `crate_dir`), or
/// write the copy when `SYMBOLON_BLESS` is set. `Err` says what to run.
pub fn check_copy(crate_dir: &str, path: &str, doc: &str) -> Result<(), String> {
    let file = std::path::Path::new(crate_dir).join("../..").join(path);
    if std::env::var_os("SYMBOLON_BLESS").is_some() {
        std::fs::write(&file, doc).map_err(|e| format!("{path}: {e}"))?;
    }
    match std::fs::read_to_string(&file) {
        Ok(have) if have == doc => Ok(()),
        _ => Err(format!(
            "{path} is not the document the code generates: run `SYMBOLON_BLESS=1 cargo test openapi` and commit it"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::post;
    use tower::ServiceExt;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct In {
        n: u32,
    }

    async fn body_of(r: Response) -> serde_json::Value {
        let b = axum::body::to_bytes(r.into_body(), 1 << 16)
            .await
            .unwrap_or_default();
        serde_json::from_slice(&b).unwrap_or_default()
    }

    #[tokio::test]
    async fn framework_answers_become_json_errors() {
        let app = Router::new()
            .route(
                "/x/{n}",
                post(|_: axum::extract::Path<u32>, _: axum::Json<In>| async { "ok" }),
            )
            .layer(axum::middleware::from_fn(json_errors));
        let send = |uri: &str, ct: Option<&str>, body: &'static str, method: &str| {
            let mut b = Request::builder().method(method).uri(uri);
            if let Some(ct) = ct {
                b = b.header(header::CONTENT_TYPE, ct);
            }
            b.body(Body::from(body)).unwrap_or_default()
        };
        for (req, status, code) in [
            (
                send("/x/1", None, "{}", "POST"),
                415,
                "unsupported_media_type",
            ),
            (
                send("/x/1", Some("application/json"), "{", "POST"),
                400,
                "invalid_request",
            ),
            (
                send("/x/1", Some("application/json"), "{\"n\":-1}", "POST"),
                400,
                "invalid_request",
            ),
            (
                send("/x/a", Some("application/json"), "{\"n\":1}", "POST"),
                400,
                "invalid_request",
            ),
            (send("/x/1", None, "", "GET"), 405, "method_not_allowed"),
        ] {
            let r = app.clone().oneshot(req).await.unwrap_or_default();
            assert_eq!(r.status().as_u16(), status);
            assert_eq!(
                r.headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok()),
                Some("application/json")
            );
            let v = body_of(r).await;
            assert_eq!(v["error"], code);
            assert!(
                v["error_description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty())
            );
        }
        let ok = app
            .oneshot(send("/x/1", Some("application/json"), "{\"n\":1}", "POST"))
            .await
            .unwrap_or_default();
        assert_eq!(ok.status(), StatusCode::OK);

        // An object body: an array that serde would read into the struct is refused.
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Opt {
            a: Option<u32>,
            b: Option<u32>,
        }
        let app = Router::new().route(
            "/o",
            post(|_: crate::request::JsonObject<Opt>| async { "ok" }),
        );
        for (ct, body, status) in [
            (Some("application/json"), "[null, null]", 400),
            (Some("application/json"), " {\"a\": 1}", 200),
            (Some("application/scim+json; charset=utf-8"), "{}", 200),
            (Some("application/json"), "{\"a\": \"x\"}", 400),
            (Some("text/plain"), "{}", 415),
            (None, "{}", 415),
        ] {
            let r = app
                .clone()
                .oneshot(send("/o", ct, body, "POST"))
                .await
                .unwrap_or_default();
            assert_eq!(r.status().as_u16(), status, "{ct:?} {body}");
            if status != 200 {
                assert!(body_of(r).await["error"].is_string());
            }
        }
    }

    #[test]
    fn every_operation_gets_its_errors_and_the_bearer_requirement() {
        use utoipa::openapi::path::{HttpMethod, OperationBuilder};
        use utoipa::openapi::request_body::RequestBodyBuilder;
        let mut doc = OpenApi::new(
            utoipa::openapi::Info::new("t", "1"),
            utoipa::openapi::Paths::new(),
        );
        doc.paths
            .add_path_operation("/a", vec![HttpMethod::Get], OperationBuilder::new().build());
        doc.paths.add_path_operation(
            "/b",
            vec![HttpMethod::Post],
            OperationBuilder::new()
                .request_body(Some(RequestBodyBuilder::new().build()))
                .build(),
        );
        doc.paths.add_path_operation(
            "/c/{kind}/{id}",
            vec![HttpMethod::Delete],
            OperationBuilder::new().build(),
        );
        complete(
            &mut doc,
            false,
            &[PathParam {
                name: "kind",
                description: "users or groups",
                values: &["users", "groups"],
            }],
        );
        let v = serde_json::to_value(&doc).unwrap_or_default();
        let get = &v["paths"]["/a"]["get"]["responses"];
        assert!(get["401"].is_object() && get["503"].is_object());
        assert!(get["409"].is_null() && get["415"].is_null() && get["403"].is_null());
        let post = &v["paths"]["/b"]["post"]["responses"];
        assert!(post["409"].is_object() && post["415"].is_object());
        assert_eq!(
            v["paths"]["/a"]["get"]["security"][0]["bearer"],
            serde_json::json!([])
        );
        assert!(v["components"]["schemas"]["ErrorBody"].is_object());
        let params = &v["paths"]["/c/{kind}/{id}"]["delete"]["parameters"];
        assert_eq!(params[0]["name"], "kind");
        assert_eq!(params[0]["in"], "path");
        assert_eq!(
            params[0]["schema"]["enum"],
            serde_json::json!(["users", "groups"])
        );
        assert_eq!(params[1]["name"], "id");
        assert_eq!(params[1]["required"], true);
    }
}
