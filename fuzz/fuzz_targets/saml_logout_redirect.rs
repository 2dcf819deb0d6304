#![no_main]
use std::sync::OnceLock;

fn keys() -> &'static [symbolon_dsig::PinnedCert] {
    static KEYS: OnceLock<Vec<symbolon_dsig::PinnedCert>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let pem = include_str!("../../testdata/keys/idp-rsa.crt.pem");
        vec![symbolon_dsig::PinnedCert::from_pem(pem).expect("test certificate")]
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    symbolon_saml::fuzzing::logout_redirect(data, keys());
});
