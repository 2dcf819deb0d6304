//! SAML core part 2: messages, metadata generation, bindings, the IdP side.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use symbolon_dsig::{
    SignOptions, SignatureAlgorithm, SystemRandom, VerifyPolicy, verify_enveloped,
};
use symbolon_saml::binding::{
    BindingError, MessageKind, decode_redirect, encode_redirect, inflate_capped, post_form,
    post_form_script_csp_hash,
};
use symbolon_saml::idp::{
    Arrival, OutAttribute, RequestError, ResponseParams, SignParts, SpRegistration,
    build_error_response, build_response, check_authn_request, response_xml,
};
use symbolon_saml::messages::{
    AuthnRequest, Comparison, LogoutRequest, LogoutResponse, RequestedAuthnContext,
};
use symbolon_saml::metadata::{BINDING_POST, BINDING_REDIRECT, Endpoint, parse_metadata_document};
use symbolon_saml::metadata_gen::{
    IdpMetadataParams, PublishedKey, SpMetadataParams, idp_metadata, sign_metadata, sp_metadata,
};
use symbolon_saml::{Expectation, ValidationError};
use symbolon_xml::Limits;
use time::Duration;

const SSO: &str = "https://idp.example.test/realms/acme/protocol/saml";

fn golden(name: &str, actual: &str) {
    let path = repo().join("crates/saml/tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {} (UPDATE_GOLDEN=1 writes it)",
            path.display()
        )
    });
    assert_eq!(actual, expected, "output differs from {}", path.display());
}

fn ep(binding: &str, location: &str, index: Option<u16>, is_default: Option<bool>) -> Endpoint {
    Endpoint {
        binding: binding.into(),
        location: location.into(),
        response_location: None,
        index,
        is_default,
    }
}

fn params() -> ResponseParams {
    ResponseParams {
        response_id: "_r1".into(),
        assertion_id: "_a1".into(),
        now: NOW,
        idp_entity_id: IDP.into(),
        destination: ACS.into(),
        in_response_to: Some("_req1".into()),
        audience: SP.into(),
        name_id: "alice@example.test".into(),
        name_id_format: Some(symbolon_saml::messages::NAMEID_EMAIL.into()),
        sp_name_qualifier: None,
        lifespan: Duration::minutes(5),
        not_before_slack: Duration::seconds(30),
        session_index: Some("_s1".into()),
        session_not_on_or_after: None,
        authn_instant: NOW - Duration::seconds(10),
        authn_context_class_ref: symbolon_saml::idp::AC_PASSWORD_PROTECTED.into(),
        attributes: vec![
            OutAttribute {
                name: "email".into(),
                name_format: Some(symbolon_saml::idp::ATTRNAME_BASIC.into()),
                friendly_name: None,
                values: vec!["alice@example.test".into()],
            },
            OutAttribute {
                name: "groups".into(),
                name_format: None,
                friendly_name: Some("Groups".into()),
                values: vec!["/eng".into(), "/eng/platform".into()],
            },
            OutAttribute {
                name: "display".into(),
                name_format: None,
                friendly_name: None,
                values: vec!["<b>Alice</b> & \"Co\" ]]> <!-- x -->".into()],
            },
        ],
    }
}

#[test]
fn idp_response_is_accepted_by_the_sp_side_for_every_signing_choice() {
    let key = signing_key("idp-rsa");
    let rng = SystemRandom::new();
    for parts in [
        SignParts {
            response: false,
            assertion: true,
        },
        SignParts {
            response: true,
            assertion: false,
        },
        SignParts {
            response: true,
            assertion: true,
        },
    ] {
        let xml =
            build_response(&params(), parts, &key, &SignOptions::for_key(&key), &rng).unwrap();
        let e = Expectation {
            in_response_to: Some("_req1"),
            ..Expectation::at(NOW)
        };
        let v = check_with(&xml, &idp(), &e).unwrap();
        assert_eq!(v.name_id, "alice@example.test");
        assert_eq!(v.session_index.as_deref(), Some("_s1"));
        assert_eq!(v.response_signed, parts.response);
        assert_eq!(v.assertion_signed, parts.assertion);
        assert_eq!(v.attribute("groups").unwrap(), ["/eng", "/eng/platform"]);
        // A value full of markup comes back exactly: the writer escaped it.
        assert_eq!(
            v.attribute("display").unwrap(),
            ["<b>Alice</b> & \"Co\" ]]> <!-- x -->"]
        );
    }
    // ECDSA too.
    let ec = signing_key("idp-ec-p256");
    let xml = build_response(
        &params(),
        SignParts {
            response: true,
            assertion: true,
        },
        &ec,
        &SignOptions::for_key(&ec),
        &rng,
    )
    .unwrap();
    let e = Expectation {
        in_response_to: Some("_req1"),
        ..Expectation::at(NOW)
    };
    let v = check_with(
        &xml,
        &symbolon_saml::IdpSettings::new(IDP, vec![pinned("idp-ec-p256")]),
        &e,
    )
    .unwrap();
    assert_eq!(v.algorithm, SignatureAlgorithm::EcdsaSha256);
}

#[test]
fn error_responses_carry_their_status() {
    let key = signing_key("idp-rsa");
    let xml = build_error_response(
        "_e1",
        NOW,
        IDP,
        ACS,
        Some("_req1"),
        symbolon_saml::idp::STATUS_RESPONDER,
        Some(symbolon_saml::idp::STATUS_NO_AUTHN_CONTEXT),
        Some("passkey required"),
        &key,
        &SignOptions::for_key(&key),
        &SystemRandom::new(),
    )
    .unwrap();
    let e = Expectation {
        in_response_to: Some("_req1"),
        ..Expectation::at(NOW)
    };
    // No assertion: the SP reports that first; the status is visible in the document.
    assert_eq!(
        check_with(&xml, &idp(), &e).unwrap_err(),
        ValidationError::NoAssertion
    );
    assert!(xml.contains("NoAuthnContext") && xml.contains("passkey required"));
}

#[test]
fn golden_response_authn_request_and_metadata() {
    golden("response-unsigned.xml", &response_xml(&params()).unwrap());
    let mut req = AuthnRequest::new("_req1".into(), NOW, SP, SSO, ACS);
    req.name_id_format = Some(symbolon_saml::messages::NAMEID_PERSISTENT.into());
    req.requested_authn_context = Some(RequestedAuthnContext {
        comparison: Comparison::Minimum,
        class_refs: vec!["https://refeds.org/profile/mfa".into()],
    });
    golden("authn-request.xml", &req.to_xml());
    golden("idp-metadata.xml", &idp_metadata(&idp_params()).unwrap());
    golden("sp-metadata.xml", &sp_metadata(&sp_params()).unwrap());
}

fn idp_params() -> IdpMetadataParams {
    IdpMetadataParams {
        entity_id: IDP.into(),
        id: Some("_md1".into()),
        valid_until: None,
        want_authn_requests_signed: false,
        keys: vec![
            PublishedKey {
                der: pinned("idp-rsa").der().to_vec(),
                key_use: Some("signing"),
            },
            PublishedKey {
                der: pinned("idp-rsa-next").der().to_vec(),
                key_use: Some("signing"),
            },
        ],
        single_logout: vec![
            ep(BINDING_REDIRECT, SSO, None, None),
            ep(BINDING_POST, SSO, None, None),
        ],
        name_id_formats: vec![
            symbolon_saml::messages::NAMEID_EMAIL.into(),
            symbolon_saml::messages::NAMEID_PERSISTENT.into(),
        ],
        single_sign_on: vec![
            ep(BINDING_REDIRECT, SSO, None, None),
            ep(BINDING_POST, SSO, None, None),
        ],
    }
}

fn sp_params() -> SpMetadataParams {
    SpMetadataParams {
        entity_id: SP.into(),
        id: Some("_md2".into()),
        valid_until: None,
        authn_requests_signed: true,
        want_assertions_signed: true,
        keys: vec![PublishedKey {
            der: pinned("idp-ec-p256").der().to_vec(),
            key_use: None,
        }],
        single_logout: vec![],
        name_id_formats: vec![symbolon_saml::messages::NAMEID_EMAIL.into()],
        assertion_consumer: vec![
            ep(BINDING_POST, ACS, Some(0), Some(true)),
            ep(
                BINDING_POST,
                "https://sp.example.test/saml/acs2",
                Some(1),
                None,
            ),
        ],
        requested_attributes: vec![symbolon_saml::metadata::RequestedAttribute {
            name: "email".into(),
            name_format: None,
            friendly_name: Some("E-mail".into()),
            is_required: true,
        }],
        service_name: Some("Example & Co".into()),
    }
}

#[test]
fn metadata_round_trips_and_signed_metadata_verifies() {
    let idp_xml = idp_metadata(&idp_params()).unwrap();
    let md = parse_metadata_document(idp_xml.as_bytes()).unwrap();
    let e = &md.entities[0];
    assert_eq!(e.entity_id, IDP);
    let i = e.idp.as_ref().unwrap();
    assert_eq!(i.single_sign_on, idp_params().single_sign_on);
    assert_eq!(i.signing_certificates().count(), 2);
    assert_eq!(i.want_authn_requests_signed, Some(false));
    assert!(i.is_saml2());

    let sp_xml = sp_metadata(&sp_params()).unwrap();
    let md = parse_metadata_document(sp_xml.as_bytes()).unwrap();
    let s = md.entities[0].sp.as_ref().unwrap();
    assert_eq!(s.assertion_consumer, sp_params().assertion_consumer);
    assert_eq!(s.authn_requests_signed, Some(true));
    assert_eq!(s.requested_attributes, sp_params().requested_attributes);
    assert_eq!(s.default_acs().unwrap().location, ACS);

    let key = signing_key("idp-rsa");
    let signed = sign_metadata(
        &idp_xml,
        "_md1",
        &key,
        &SignOptions::for_key(&key),
        &SystemRandom::new(),
    )
    .unwrap();
    let doc = symbolon_xml::parse(&signed, &Limits::default()).unwrap();
    assert!(
        verify_enveloped(
            doc.root_element(),
            &[pinned("idp-rsa")],
            &VerifyPolicy::default()
        )
        .is_ok()
    );
    assert!(
        parse_metadata_document(signed.as_bytes())
            .unwrap()
            .has_signature
    );
}

#[test]
fn messages_round_trip() {
    let mut req = AuthnRequest::new("_req1".into(), NOW, SP, SSO, ACS);
    req.force_authn = true;
    req.requested_authn_context = Some(RequestedAuthnContext {
        comparison: Comparison::Exact,
        class_refs: vec!["urn:rsa:names:tc:SAML:2.0:ac:classes:FIDO".into()],
    });
    let text = req.to_xml();
    let doc = symbolon_xml::parse(&text, &Limits::default()).unwrap();
    assert_eq!(AuthnRequest::from_document(&doc).unwrap(), req);

    let lr = LogoutRequest {
        id: "_l1".into(),
        issue_instant: NOW,
        destination: Some(SSO.into()),
        issuer: SP.into(),
        name_id: "a<b>&c".into(),
        name_id_format: None,
        session_indexes: vec!["_s1".into(), "_s2".into()],
    };
    let text = lr.to_xml();
    let doc = symbolon_xml::parse(&text, &Limits::default()).unwrap();
    assert_eq!(LogoutRequest::from_document(&doc).unwrap(), lr);

    let lresp = LogoutResponse {
        id: "_l2".into(),
        issue_instant: NOW,
        destination: None,
        issuer: IDP.into(),
        in_response_to: "_l1".into(),
        status: symbolon_saml::sp::STATUS_SUCCESS.into(),
    };
    let text = lresp.to_xml();
    let doc = symbolon_xml::parse(&text, &Limits::default()).unwrap();
    assert_eq!(LogoutResponse::from_document(&doc).unwrap(), lresp);
}

// ---- Redirect binding ----

fn sp_key() -> symbolon_dsig::SigningKey {
    signing_key("idp-rsa-next")
}

fn redirect_url(relay: Option<&str>, alg: Option<SignatureAlgorithm>) -> String {
    let req = AuthnRequest::new("_req1".into(), NOW, SP, SSO, ACS);
    let key = sp_key();
    let rng = SystemRandom::new();
    let signer = alg.map(|a| (&key, a, &rng as &dyn symbolon_dsig::SecureRandom));
    encode_redirect(
        SSO,
        MessageKind::Request,
        req.to_xml().as_bytes(),
        relay,
        signer,
    )
    .unwrap()
}

fn query(url: &str) -> &str {
    url.split_once('?').unwrap().1
}

#[test]
fn redirect_round_trip_signed_and_unsigned() {
    let url = redirect_url(Some("/app?x=1&y=é"), Some(SignatureAlgorithm::RsaSha256));
    let m = decode_redirect(query(&url)).unwrap();
    assert_eq!(m.kind, MessageKind::Request);
    assert_eq!(m.relay_state.as_deref(), Some("/app?x=1&y=é"));
    assert_eq!(
        m.verify_signature(&[pinned("idp-rsa-next")], false)
            .unwrap(),
        Some(SignatureAlgorithm::RsaSha256)
    );
    assert_eq!(
        m.verify_signature(&[pinned("idp-rsa")], false).unwrap_err(),
        BindingError::SignatureInvalid
    );
    let unsigned = decode_redirect(query(&redirect_url(None, None))).unwrap();
    assert_eq!(
        unsigned
            .verify_signature(&[pinned("idp-rsa-next")], false)
            .unwrap(),
        None
    );
    let doc = symbolon_xml::parse_bytes(&m.xml, &Limits::default()).unwrap();
    assert_eq!(AuthnRequest::from_document(&doc).unwrap().id, "_req1");
}

#[test]
fn redirect_attacks_are_refused_with_the_reason() {
    let url = redirect_url(Some("/app"), Some(SignatureAlgorithm::RsaSha256));
    let q = query(&url);
    let keys = [pinned("idp-rsa-next")];
    // Tampered RelayState: the signature covers it.
    let m = decode_redirect(&q.replace("RelayState=%2Fapp", "RelayState=%2Fevil")).unwrap();
    assert_eq!(
        m.verify_signature(&keys, false).unwrap_err(),
        BindingError::SignatureInvalid
    );
    // RelayState removed: still covered.
    let without: Vec<&str> = q
        .split('&')
        .filter(|p| !p.starts_with("RelayState="))
        .collect();
    assert_eq!(
        decode_redirect(&without.join("&"))
            .unwrap()
            .verify_signature(&keys, false)
            .unwrap_err(),
        BindingError::SignatureInvalid
    );
    // SigAlg swapped to SHA-1 or HMAC.
    let sha1 = q
        .replace("xmldsig-more%23rsa-sha256", "xmldsig%23rsa-sha1")
        .replace(
            "2001%2F04%2Fxmldsig%23rsa-sha1",
            "2000%2F09%2Fxmldsig%23rsa-sha1",
        );
    assert_eq!(
        decode_redirect(&sha1)
            .unwrap()
            .verify_signature(&keys, false)
            .unwrap_err(),
        BindingError::Sha1NotAllowed
    );
    let hmac = q.replace("rsa-sha256", "hmac-sha256");
    assert!(matches!(
        decode_redirect(&hmac)
            .unwrap()
            .verify_signature(&keys, false)
            .unwrap_err(),
        BindingError::HmacRefused(_)
    ));
    // Duplicated parameters, both messages, none, half a signature.
    let first = q.split('&').next().unwrap();
    assert_eq!(
        decode_redirect(&format!("{q}&{first}")).unwrap_err(),
        BindingError::DuplicateParameter("SAMLRequest".into())
    );
    assert_eq!(
        decode_redirect(&format!("{q}&RelayState=x")).unwrap_err(),
        BindingError::DuplicateParameter("RelayState".into())
    );
    assert_eq!(
        decode_redirect(&format!("{q}&SigAlg=x")).unwrap_err(),
        BindingError::DuplicateParameter("SigAlg".into())
    );
    assert_eq!(
        decode_redirect(&format!(
            "{q}&{}",
            first.replace("SAMLRequest", "SAMLResponse")
        ))
        .unwrap_err(),
        BindingError::BothMessages
    );
    assert_eq!(
        decode_redirect("RelayState=x").unwrap_err(),
        BindingError::NoMessage
    );
    let no_sig: Vec<&str> = q
        .split('&')
        .filter(|p| !p.starts_with("Signature="))
        .collect();
    assert_eq!(
        decode_redirect(&no_sig.join("&")).unwrap_err(),
        BindingError::SignatureIncomplete
    );
    // Oversize before decoding; RelayState over the limit.
    assert!(matches!(
        decode_redirect(&format!("SAMLRequest={}", "A".repeat(70_000))).unwrap_err(),
        BindingError::TooLarge(_)
    ));
    let long = redirect_url(Some(&"r".repeat(1025)), None);
    assert_eq!(
        decode_redirect(query(&long)).unwrap_err(),
        BindingError::RelayStateTooLong(1025)
    );
    // Not base64, not deflate.
    assert_eq!(
        decode_redirect("SAMLRequest=%%%").unwrap_err(),
        BindingError::BadEncoding("SAML message")
    );
    assert_eq!(
        decode_redirect("SAMLRequest=AAAA").unwrap_err(),
        BindingError::NotDeflate
    );
}

#[test]
fn deflate_bomb_is_capped_while_inflating() {
    use std::io::Write;
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&vec![b'a'; 50 * 1024 * 1024]).unwrap();
    let bomb = enc.finish().unwrap();
    assert!(bomb.len() < 100_000, "a small input");
    assert_eq!(
        inflate_capped(&bomb, 512 * 1024).unwrap_err(),
        BindingError::InflateBomb(512 * 1024)
    );
    let b64 = symbolon_dsig::encode_base64(&bomb);
    let q = format!(
        "SAMLRequest={}",
        percent_encoding::utf8_percent_encode(&b64, percent_encoding::NON_ALPHANUMERIC)
    );
    if q.len() <= symbolon_saml::binding::MAX_REDIRECT_QUERY {
        assert_eq!(
            decode_redirect(&q).unwrap_err(),
            BindingError::InflateBomb(512 * 1024)
        );
    } else {
        assert!(matches!(
            decode_redirect(&q).unwrap_err(),
            BindingError::TooLarge(_)
        ));
    }
}

#[test]
fn post_form_escapes_and_works_without_script() {
    let html = post_form(
        "https://sp.example.test/acs?a=1&b=\"2\"",
        "SAMLResponse",
        b"<x/>",
        Some("\"><script>alert(1)</script>"),
    );
    assert!(html.contains("action=\"https://sp.example.test/acs?a=1&amp;b=&quot;2&quot;\""));
    assert!(!html.contains("<script>alert"));
    assert!(
        html.contains("<noscript>") && html.contains("<button type=\"submit\">Continue</button>")
    );
    assert!(html.contains(&symbolon_dsig::encode_base64(b"<x/>")));
    let h = post_form_script_csp_hash();
    assert!(h.starts_with("'sha256-") && h.ends_with("='"), "{h}");
}

// ---- AuthnRequest checks at the IdP ----

fn registration(require_signed: bool) -> SpRegistration {
    SpRegistration {
        entity_id: SP.into(),
        acs: vec![
            ep(BINDING_POST, ACS, Some(0), None),
            ep(
                BINDING_POST,
                "https://sp.example.test/saml/acs2",
                Some(3),
                Some(true),
            ),
        ],
        signing_certs: vec![pinned("idp-rsa-next")],
        require_signed_requests: require_signed,
        allow_sha1: false,
    }
}

fn check_redirect(
    url: &str,
    reg: &SpRegistration,
) -> Result<symbolon_saml::idp::AcceptedRequest, RequestError> {
    let m = decode_redirect(query(url)).unwrap();
    let doc = symbolon_xml::parse_bytes(&m.xml, &Limits::default()).unwrap();
    check_authn_request(
        &doc,
        Arrival::Redirect(&m),
        reg,
        &[SSO],
        NOW,
        Duration::seconds(120),
    )
}

fn check_post(
    xml: &str,
    reg: &SpRegistration,
) -> Result<symbolon_saml::idp::AcceptedRequest, RequestError> {
    let doc = symbolon_xml::parse(xml, &Limits::default()).unwrap();
    check_authn_request(
        &doc,
        Arrival::Post,
        reg,
        &[SSO],
        NOW,
        Duration::seconds(120),
    )
}

fn request_with(f: impl FnOnce(&mut AuthnRequest)) -> String {
    let mut req = AuthnRequest::new("_req1".into(), NOW, SP, SSO, ACS);
    f(&mut req);
    req.to_xml()
}

#[test]
fn authn_request_acs_rules() {
    let reg = registration(false);
    assert_eq!(
        check_post(&request_with(|_| {}), &reg).unwrap().acs_url,
        ACS
    );
    assert_eq!(
        check_post(
            &request_with(|r| r.acs_url = Some("https://evil.test/acs".into())),
            &reg
        )
        .unwrap_err(),
        RequestError::UnknownAcsUrl("https://evil.test/acs".into())
    );
    assert_eq!(
        check_post(
            &request_with(|r| {
                r.acs_url = None;
                r.acs_index = Some(3)
            }),
            &reg
        )
        .unwrap()
        .acs_url,
        "https://sp.example.test/saml/acs2"
    );
    assert_eq!(
        check_post(
            &request_with(|r| {
                r.acs_url = None;
                r.acs_index = Some(9)
            }),
            &reg
        )
        .unwrap_err(),
        RequestError::UnknownAcsIndex(9)
    );
    // Neither: the default (isDefault="true").
    assert_eq!(
        check_post(&request_with(|r| r.acs_url = None), &reg)
            .unwrap()
            .acs_url,
        "https://sp.example.test/saml/acs2"
    );
    assert!(matches!(
        check_post(
            &request_with(|r| r.protocol_binding =
                Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact".into())),
            &reg
        )
        .unwrap_err(),
        RequestError::UnsupportedBinding(_)
    ));
}

#[test]
fn authn_request_issuer_destination_time() {
    let reg = registration(false);
    assert!(matches!(
        check_post(
            &request_with(|r| r.issuer = "https://other-sp.test".into()),
            &reg
        )
        .unwrap_err(),
        RequestError::IssuerMismatch { .. }
    ));
    assert!(matches!(
        check_post(
            &request_with(|r| r.destination = Some("https://elsewhere.test/sso".into())),
            &reg
        )
        .unwrap_err(),
        RequestError::DestinationMismatch { .. }
    ));
    assert!(matches!(
        check_post(
            &request_with(|r| r.issue_instant = NOW + Duration::seconds(121)),
            &reg
        )
        .unwrap_err(),
        RequestError::IssueInstantOutOfRange(_)
    ));
    assert!(
        check_post(
            &request_with(|r| r.issue_instant = NOW + Duration::seconds(119)),
            &reg
        )
        .is_ok()
    );
    assert!(matches!(
        check_post(
            &request_with(|r| r.issue_instant = NOW - Duration::minutes(10)),
            &reg
        )
        .unwrap_err(),
        RequestError::IssueInstantOutOfRange(_)
    ));
}

#[test]
fn authn_request_signatures() {
    let required = registration(true);
    // Unsigned, but signatures are required.
    assert_eq!(
        check_redirect(&redirect_url(None, None), &required).unwrap_err(),
        RequestError::SignatureRequired
    );
    assert_eq!(
        check_post(&request_with(|_| {}), &required).unwrap_err(),
        RequestError::SignatureRequired
    );
    // Signed Redirect.
    assert!(
        check_redirect(
            &redirect_url(Some("/x"), Some(SignatureAlgorithm::RsaSha256)),
            &required
        )
        .unwrap()
        .signed
    );
    // Signed POST (enveloped, after Issuer).
    let signed = sign(&request_with(|_| {}), "_req1", "idp-rsa-next");
    assert!(check_post(&signed, &required).unwrap().signed);
    // Tampered after signing.
    let tampered = signed.replace(ACS, "https://sp.example.test/saml/acs2");
    assert!(matches!(
        check_post(&tampered, &required).unwrap_err(),
        RequestError::XmlSignature(_)
    ));
    // Signed by a key the client did not register, even when signatures are optional.
    let wrong = sign(&request_with(|_| {}), "_req1", "attacker-rsa");
    assert!(matches!(
        check_post(&wrong, &registration(false)).unwrap_err(),
        RequestError::XmlSignature(_)
    ));
    // A bad query signature is refused even when not required.
    let url = redirect_url(Some("/x"), Some(SignatureAlgorithm::RsaSha256))
        .replace("RelayState=%2Fx", "RelayState=%2Fy");
    assert!(matches!(
        check_redirect(&url, &registration(false)).unwrap_err(),
        RequestError::RedirectSignature(BindingError::SignatureInvalid)
    ));
}

#[test]
fn ids_come_from_the_callers_randomness() {
    let rng = SystemRandom::new();
    let a = symbolon_saml::messages::new_id(&rng).unwrap();
    let b = symbolon_saml::messages::new_id(&rng).unwrap();
    assert_ne!(a, b);
    assert_eq!(a.len(), 41);
    assert!(a.starts_with('_') && a[1..].chars().all(|c| c.is_ascii_hexdigit()));
}
