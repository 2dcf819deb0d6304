#![no_main]
use std::sync::OnceLock;

fn setup() -> &'static (symbolon_saml::IdpSettings, symbolon_dsig::enc::DecryptionKey) {
    static S: OnceLock<(symbolon_saml::IdpSettings, symbolon_dsig::enc::DecryptionKey)> =
        OnceLock::new();
    S.get_or_init(|| {
        let cert = include_str!("../../testdata/keys/idp-rsa.crt.pem");
        let idp = symbolon_saml::IdpSettings::new(
            "https://idp.example.test/realms/acme",
            vec![symbolon_dsig::PinnedCert::from_pem(cert).expect("test certificate")],
        );
        let key = symbolon_dsig::enc::DecryptionKey::from_pem(include_str!(
            "../../testdata/keys/idp-rsa-next.key.pem"
        ))
        .expect("test key");
        (idp, key)
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (idp, key) = setup();
    symbolon_saml::fuzzing::encrypted(data, idp, key);
});
