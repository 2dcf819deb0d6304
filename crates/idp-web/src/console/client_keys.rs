//! Clients > a client > Signing keys: the client's own keys with the realm keys' rollover
//! (`console::keys` with `Owner::Client`), and removal of a retired or unused key.

#![allow(clippy::result_large_err)]

use crate::console::clients::find_client;
use crate::console::common::{realm_admin, realm_admin_post};
use crate::console::keys::{Ending, KeyForm, Owner, add, confirm_page, end, promote, render_keys};
use crate::state::{AdminSession, AppState};
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use symbolon_store::IdpStore;

pub(crate) async fn keys<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path((realm, id)): Path<(String, String)>,
) -> Response {
    let s = match realm_admin(&st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let c = match find_client(&st, &realm, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let notice = symbolon_web::flash::take(st.store(), &s.csrf).await;
    render_keys(&st, &s, &realm, Owner::Client(&c), notice).await
}

pub(crate) async fn add_next<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path((realm, id)): Path<(String, String)>,
    Form(f): Form<KeyForm>,
) -> Response {
    let s = match realm_admin_post(&st, signed_in, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match find_client(&st, &realm, &id).await {
        Ok(c) => add(&st, &s, &realm, Owner::Client(&c), &f).await,
        Err(r) => r,
    }
}

pub(crate) async fn promote_key<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path((realm, id, kid)): Path<(String, String, String)>,
    Form(f): Form<KeyForm>,
) -> Response {
    let s = match realm_admin_post(&st, signed_in, &headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match find_client(&st, &realm, &id).await {
        Ok(c) => promote(&st, &s, &realm, Owner::Client(&c), &kid, &f).await,
        Err(r) => r,
    }
}

async fn confirm<S: IdpStore>(
    st: &AppState<S>,
    signed_in: AdminSession,
    (realm, id, kid): (String, String, String),
    ending: Ending,
) -> Response {
    let s = match realm_admin(st, signed_in, &realm).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match find_client(st, &realm, &id).await {
        Ok(c) => confirm_page(&s, &realm, Owner::Client(&c), &kid, ending),
        Err(r) => r,
    }
}

async fn finish<S: IdpStore>(
    st: &AppState<S>,
    signed_in: AdminSession,
    headers: &HeaderMap,
    (realm, id, kid): (String, String, String),
    f: &KeyForm,
    ending: Ending,
) -> Response {
    let s = match realm_admin_post(st, signed_in, headers, &realm, f.csrf.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match find_client(st, &realm, &id).await {
        Ok(c) => end(st, &s, &realm, Owner::Client(&c), &kid, ending, f).await,
        Err(r) => r,
    }
}

pub(crate) async fn confirm_retire<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path(p): Path<(String, String, String)>,
) -> Response {
    confirm(&st, signed_in, p, Ending::Retire).await
}

pub(crate) async fn retire_key<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path(p): Path<(String, String, String)>,
    Form(f): Form<KeyForm>,
) -> Response {
    finish(&st, signed_in, &headers, p, &f, Ending::Retire).await
}

pub(crate) async fn confirm_remove<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    Path(p): Path<(String, String, String)>,
) -> Response {
    confirm(&st, signed_in, p, Ending::Remove).await
}

pub(crate) async fn remove_key<S: IdpStore>(
    State(st): State<AppState<S>>,
    signed_in: AdminSession,
    headers: HeaderMap,
    Path(p): Path<(String, String, String)>,
    Form(f): Form<KeyForm>,
) -> Response {
    finish(&st, signed_in, &headers, p, &f, Ending::Remove).await
}
