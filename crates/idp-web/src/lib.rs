//! The identity provider's HTTP face over the domain crate `symbolon-idp`: the router and its
//! state, the SAML endpoints, the login pages that render the sign-in steps, the account
//! console, the admin console and the admin REST API. Handlers are thin: decode, call the
//! domain, render.

mod account;
pub mod admin_api;
mod backchannel;
mod branding;
pub mod console;
mod error;
mod home;
pub mod http;
mod login;
mod passkeys;
mod provisioning;
mod respond;
mod slo;
mod slo_frames;
mod sso;
mod state;

pub use http::{error_pages, router, serve};
pub use state::{AppState, WebConfig};

#[cfg(test)]
mod i18n_tests {
    /// Every catalogue ID this server's templates, sources and scripts name exists (the web
    /// crate's test checks that each exists in both languages).
    #[test]
    fn every_message_id_used_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let unknown = symbolon_web::i18n::unknown_ids_in_crate(dir);
        assert!(
            unknown.is_empty(),
            "IDs missing from the catalogues: {unknown:?}"
        );
    }
}
