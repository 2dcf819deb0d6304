#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    symbolon_saml::fuzzing::metadata_refresh(data);
});
