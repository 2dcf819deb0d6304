//! The IdP's start page: each enabled realm's account console and the administration console.

use crate::error::{WebError, html};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use symbolon_store::IdpStore;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    t: symbolon_web::i18n::Tr,
    /// (name, display name)
    realms: Vec<(String, String)>,
}

pub(crate) async fn home<S: IdpStore>(State(st): State<AppState<S>>) -> Response {
    let realms = match st.store().realms().await {
        Ok(r) => r
            .into_iter()
            .filter(|r| r.enabled && r.name != "master")
            .map(|r| (r.name, r.display_name))
            .collect(),
        Err(e) => return WebError::from(e).into_response(),
    };
    match (HomePage {
        t: symbolon_web::i18n::tr(),
        realms,
    })
    .render()
    {
        Ok(b) => html(StatusCode::OK, b),
        Err(_) => WebError::internal().into_response(),
    }
}
