//! The service provider's HTTP face over the domain crate `symbolon-sp`: the router and its
//! state, the ACS handler (decode, consume, start a session), the account picker, native
//! sign-on, the console and the REST API. Handlers are thin: decode, call the domain, render.

mod acs;
mod api;
mod api_changes;
pub mod api_doc;
mod api_domains;
mod api_portable;
mod api_provisioning;
mod console;
pub mod http;
mod native;
mod page;
mod pick;
mod refresh;
mod scim;
mod slo;
mod state;
pub mod tenants;

pub use http::{error_pages, router, serve};
pub use state::SpConfig;

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
