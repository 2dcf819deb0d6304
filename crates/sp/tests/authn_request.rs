//! SP-initiated AuthnRequests are signed with the SP's key (a query signature over Redirect, an
//! enveloped one over POST), and an IdP that pins the certificate from our SP metadata and
//! requires signed requests accepts them; a tampered request is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use symbolon_dsig::{PinnedCert, SystemRandom};
use symbolon_saml::binding::decode_redirect;
use symbolon_saml::idp::{Arrival, RequestError, SpRegistration, check_authn_request};
use symbolon_saml::metadata::parse_metadata;
use symbolon_sp::*;
use symbolon_store_sqlite::SqliteStore;
use symbolon_xml::Limits;
use time::{Duration, OffsetDateTime};

const BASE: &str = "https://sp.example.test";
const IDP: &str = "https://idp.example.test/realms/acme";

fn metadata(binding: &str) -> Vec<u8> {
    let cert: String = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/keys/idp-rsa.crt.pem"),
    )
    .unwrap()
    .lines()
    .filter(|l| !l.starts_with("-----"))
    .collect();
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{IDP}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-{binding}" Location="{IDP}/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#
    )
    .into_bytes()
}

/// What an IdP registers from our SP metadata.
async fn registration(s: &SqliteStore, now: OffsetDateTime) -> SpRegistration {
    let md = sp_metadata(s, BASE, now).await.unwrap();
    let e = parse_metadata(md.as_bytes()).unwrap().remove(0);
    let sp = e.sp.unwrap();
    assert_eq!(sp.authn_requests_signed, Some(true));
    SpRegistration {
        entity_id: e.entity_id,
        acs: sp.assertion_consumer.clone(),
        signing_certs: sp
            .signing_certificates()
            .map(|c| PinnedCert::from_der(c).unwrap())
            .collect(),
        require_signed_requests: sp.authn_requests_signed == Some(true),
        allow_sha1: false,
    }
}

#[tokio::test]
async fn authn_requests_are_signed_over_both_bindings() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let actor = Actor::cli();
    let acct = create_account(&s, &actor, "Acme", now).await.unwrap();
    let redirect = add_idp(&s, &actor, &acct.id, "R", None, &metadata("Redirect"), now)
        .await
        .unwrap();
    let post_only = {
        let other = create_account(&s, &actor, "Beta", now).await.unwrap();
        add_idp(&s, &actor, &other.id, "P", None, &metadata("POST"), now)
            .await
            .unwrap()
    };
    let reg = registration(&s, now).await;
    let keys = SpKeys::default();
    let pair = keys.get(&s, BASE, now).await.unwrap();
    // Parsed once: the second call hands back the same keys.
    assert!(std::sync::Arc::ptr_eq(
        &pair,
        &keys.get(&s, BASE, now).await.unwrap()
    ));
    let key = &pair.signing;
    let rng = SystemRandom::new();
    let sso = format!("{IDP}/sso");

    // Redirect: the query signature verifies against the certificate in our metadata.
    let out = authn_request(BASE, &redirect.config, key, "_req1", "rs-1", now, &rng).unwrap();
    let AuthnRequestOut::Redirect(url) = out else {
        panic!("a Redirect endpoint is used when there is one")
    };
    let query = url.split_once('?').unwrap().1;
    assert!(query.contains("&SigAlg=") && query.contains("&Signature="));
    let m = decode_redirect(query).unwrap();
    assert_eq!(m.relay_state.as_deref(), Some("rs-1"));
    let doc = symbolon_xml::parse_bytes(&m.xml, &Limits::default()).unwrap();
    let ok = check_authn_request(
        &doc,
        Arrival::Redirect(&m),
        &reg,
        &[&sso],
        now,
        Duration::minutes(2),
    )
    .unwrap();
    assert!(ok.signed && ok.request.id == "_req1");
    // Another RelayState under the same signature: refused.
    let forged = decode_redirect(&query.replace("RelayState=rs-1", "RelayState=rs-2")).unwrap();
    assert!(matches!(
        check_authn_request(
            &doc,
            Arrival::Redirect(&forged),
            &reg,
            &[&sso],
            now,
            Duration::minutes(2)
        ),
        Err(RequestError::RedirectSignature(_))
    ));

    // POST (the IdP publishes no Redirect endpoint): an enveloped signature.
    let out = authn_request(BASE, &post_only.config, key, "_req2", "rs-2", now, &rng).unwrap();
    let AuthnRequestOut::Post { action, xml } = out else {
        panic!("POST when that is all the IdP has")
    };
    assert_eq!(action, sso);
    let doc = symbolon_xml::parse(&xml, &Limits::default()).unwrap();
    let ok = check_authn_request(
        &doc,
        Arrival::Post,
        &reg,
        &[&sso],
        now,
        Duration::minutes(2),
    )
    .unwrap();
    assert!(ok.signed && ok.request.id == "_req2");
    let tampered = xml.replace(&format!("{BASE}/saml/acs"), &format!("{BASE}/saml/acs2"));
    let doc = symbolon_xml::parse(&tampered, &Limits::default()).unwrap();
    assert!(matches!(
        check_authn_request(
            &doc,
            Arrival::Post,
            &reg,
            &[&sso],
            now,
            Duration::minutes(2)
        ),
        Err(RequestError::XmlSignature(_))
    ));
}
