#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| symbolon_xml::fuzzing::parse_and_canonicalize(data));
