//! The account's email domains in the REST API (home-realm discovery): claim one for an
//! identity provider, publish the TXT record it names, verify, remove.

use crate::api::{ApiKey, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use symbolon_sp::{Actor, SpError};
use symbolon_store::domains::AccountDomain;
use symbolon_store::sp::{IdpConfig, SpStore};
use time::OffsetDateTime;

pub(crate) fn routes<S: SpStore>() -> Router<AppState<S>> {
    Router::new()
        .route("/api/v1/domains", get(list::<S>).post(claim::<S>))
        .route("/api/v1/domains/{domain}", delete(remove::<S>))
        .route("/api/v1/domains/{domain}/verify", post(verify::<S>))
}

/// An email domain of the account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DomainView {
    domain: String,
    /// The identity provider people of this domain are sent to (its name).
    identity_provider: String,
    /// Proved: the sign-in page sends people of this domain to the identity provider.
    verified: bool,
    /// Seconds since the epoch.
    verified_at: Option<i64>,
    /// The TXT record to publish at the domain to prove it.
    txt_record: String,
}

/// `d` as the API shows it; `idps`: the account's identity providers (read once per answer).
fn view(d: AccountDomain, idps: &[IdpConfig]) -> DomainView {
    DomainView {
        txt_record: symbolon_sp::domains::txt_record(&d.token),
        identity_provider: idps
            .iter()
            .find(|i| i.id == d.idp_id)
            .map(|i| i.name.clone())
            .unwrap_or_default(),
        domain: d.domain,
        verified: d.verified_at.is_some(),
        verified_at: d.verified_at.map(OffsetDateTime::unix_timestamp),
    }
}

async fn view_one<S: SpStore>(st: &AppState<S>, d: AccountDomain) -> ApiResult<DomainView> {
    let idps = st.store.idps(&d.account_id).await?;
    Ok(view(d, &idps))
}

/// Why verifying by DNS did not verify.
#[derive(Debug)]
pub(crate) enum NotVerified {
    /// The domain said no (not claimed, no matching record, verified elsewhere).
    Refused(SpError),
    /// The lookup itself failed.
    Lookup(String),
}

/// Verify the account's claim of `domain` by looking its TXT records up now, for the API and
/// the console alike. Only a claimed domain is looked up, and a verified one not again.
pub(crate) async fn verify_by_dns<S: SpStore>(
    st: &AppState<S>,
    actor: &Actor,
    account: &str,
    domain: &str,
) -> Result<AccountDomain, NotVerified> {
    let name = symbolon_sp::domains::normalize_domain(domain).map_err(NotVerified::Refused)?;
    let claim = symbolon_sp::domains::claim_of(&st.store, account, &name)
        .await
        .map_err(NotVerified::Refused)?;
    if claim.verified_at.is_some() {
        return Ok(claim);
    }
    let records = symbolon_web::dns::txt_records(&name, st.cfg.dns_server)
        .await
        .map_err(NotVerified::Lookup)?;
    symbolon_sp::domains::verify_domain(
        &st.store,
        actor,
        account,
        &name,
        &symbolon_sp::domains::Proof::Txt(records),
        OffsetDateTime::now_utc(),
    )
    .await
    .map_err(NotVerified::Refused)
}

#[utoipa::path(get, path = "/api/v1/domains", tag = "Domains",
    responses((status = 200, description = "The account's email domains.", body = [DomainView])))]
pub(crate) async fn list<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, .. }: ApiKey,
) -> ApiResult<Json<Vec<DomainView>>> {
    let idps = st.store.idps(&account).await?;
    Ok(Json(
        st.store
            .account_domains(&account)
            .await?
            .into_iter()
            .map(|d| view(d, &idps))
            .collect(),
    ))
}

/// Claim a domain for an identity provider of the account.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ClaimRep {
    /// Such as `corp.example`; an international name in its `xn--` form.
    domain: String,
    /// The name of the identity provider (it must publish a single sign-on URL).
    identity_provider: String,
}

#[utoipa::path(post, path = "/api/v1/domains", tag = "Domains", request_body = ClaimRep,
    responses((status = 201, description = "Claimed; publish its TXT record, then verify.", body = DomainView)))]
pub(crate) async fn claim<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    symbolon_web::request::JsonObject(rep): symbolon_web::request::JsonObject<ClaimRep>,
) -> ApiResult<Response> {
    let d = symbolon_sp::domains::claim_domain(
        &st.store,
        &actor,
        &account,
        &rep.domain,
        &rep.identity_provider,
        OffsetDateTime::now_utc(),
    )
    .await?;
    let location = format!("/api/v1/domains/{}", d.domain);
    Ok(symbolon_web::request::created(
        &location,
        Json(view_one(&st, d).await?),
    ))
}

/// Look the domain's TXT records up now and verify the claim when one carries its token.
#[utoipa::path(post, path = "/api/v1/domains/{domain}/verify", tag = "Domains",
    responses((status = 200, description = "Verified.", body = DomainView)))]
pub(crate) async fn verify<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    Path(domain): Path<String>,
) -> ApiResult<Json<DomainView>> {
    let d = verify_by_dns(&st, &actor, &account, &domain)
        .await
        .map_err(|e| match e {
            NotVerified::Refused(e) => e.into(),
            NotVerified::Lookup(m) => {
                crate::api::ApiError::new(symbolon_web::error::Kind::Unavailable, m)
            }
        })?;
    Ok(Json(view_one(&st, d).await?))
}

#[utoipa::path(delete, path = "/api/v1/domains/{domain}", tag = "Domains",
    responses((status = 204, description = "Removed: people of the domain get the password form again.")))]
pub(crate) async fn remove<S: SpStore>(
    State(st): State<AppState<S>>,
    ApiKey { account, actor }: ApiKey,
    Path(domain): Path<String>,
) -> ApiResult<StatusCode> {
    symbolon_sp::domains::remove_domain(
        &st.store,
        &actor,
        &account,
        &domain,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
