#![no_main]
use std::sync::OnceLock;

use symbolon_saml::IdpSettings;

fn idp() -> &'static IdpSettings {
    static IDP: OnceLock<IdpSettings> = OnceLock::new();
    IDP.get_or_init(|| {
        let pem = include_str!("../../testdata/keys/idp-rsa.crt.pem");
        let cert = symbolon_dsig::PinnedCert::from_pem(pem).expect("test certificate");
        IdpSettings::new("https://idp.example.test/realms/acme", vec![cert])
    })
}

const SIGNED: &str = include_str!("../seeds/saml_validate/fixture-signed-assertion.xml");

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    symbolon_saml::fuzzing::timestamp(data, SIGNED, idp());
});
