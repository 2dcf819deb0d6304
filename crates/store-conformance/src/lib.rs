//! What every store must do, written against the traits only. Each backend's tests run these
//! functions on a fresh store: `store-sqlite` on SQLite, `store-postgres` on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod branding;
mod client_keys;
mod domains;
mod events;
mod idp;
mod idp_day2;
mod scim;
mod sign_in;
mod sp;
mod sp_day2;
mod state;
mod webhooks;

pub use branding::branding;
pub use client_keys::{client_keys, sso_version};
pub use domains::domains;
pub use events::events_page;
pub use idp::{credentials, idp};
pub use idp_day2::{clients_page, idp_day2, idp_provisioning, idp_provisioning_sealed, users_page};
pub use scim::scim;
pub use sign_in::sign_in;
pub use sp::{concurrent_consume, sp};
pub use sp_day2::sp_day2;
pub use state::{concurrent_state, state};
pub use webhooks::webhooks;
