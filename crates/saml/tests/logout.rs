//! Single logout messages in the core, with a pinned `now`: what one side sends the other checks
//! (both bindings), and what it refuses: unsigned, signed by another key, another Destination,
//! stale, tampered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use symbolon_dsig::SystemRandom;
use symbolon_saml::binding::{MessageKind, decode_post, decode_redirect};
use symbolon_saml::idp::Arrival;
use symbolon_saml::logout::{
    LogoutError, LogoutMessage, Outgoing, STATUS_PARTIAL_LOGOUT, check_logout, logout_request,
    logout_response, send, slo_endpoint,
};
use symbolon_saml::metadata::{BINDING_POST, BINDING_REDIRECT, Endpoint};
use symbolon_xml::Limits;
use time::Duration;

const SLO: &str = "https://sp.example.test/saml/slo";

fn endpoint(binding: &str) -> Endpoint {
    Endpoint {
        binding: binding.into(),
        location: SLO.into(),
        response_location: None,
        index: None,
        is_default: None,
    }
}

fn received(out: &Outgoing) -> (Vec<u8>, Option<symbolon_saml::binding::RedirectMessage>) {
    match out {
        Outgoing::Redirect(url) => {
            let m = decode_redirect(url.split_once('?').unwrap().1).unwrap();
            (m.xml.clone(), Some(m))
        }
        Outgoing::Post { xml, .. } => {
            let b64 = symbolon_dsig::encode_base64(xml.as_bytes());
            (decode_post(b64.as_bytes()).unwrap(), None)
        }
    }
}

fn check(
    xml: &[u8],
    m: Option<&symbolon_saml::binding::RedirectMessage>,
    key: &str,
    now: time::OffsetDateTime,
) -> Result<LogoutMessage, LogoutError> {
    let doc = symbolon_xml::parse_bytes(xml, &Limits::default()).unwrap();
    let arrival = match m {
        Some(m) => Arrival::Redirect(m),
        None => Arrival::Post,
    };
    check_logout(
        &doc,
        arrival,
        &[pinned(key)],
        &[SLO],
        now,
        Duration::seconds(120),
    )
}

#[test]
fn requests_and_responses_round_trip_over_both_bindings() {
    let key = signing_key("idp-rsa");
    let rng = SystemRandom::new();
    let eps = [endpoint(BINDING_POST), endpoint(BINDING_REDIRECT)];
    assert_eq!(
        slo_endpoint(&eps).unwrap().binding,
        BINDING_REDIRECT,
        "Redirect preferred"
    );
    for binding in [BINDING_REDIRECT, BINDING_POST] {
        let xml = logout_request(
            "_l1",
            NOW,
            IDP,
            SLO,
            "alice@example.test",
            None,
            Some("_s1"),
        );
        let out = send(
            &xml,
            "_l1",
            MessageKind::Request,
            &endpoint(binding),
            Some("rs"),
            &key,
            &rng,
        )
        .unwrap();
        let (bytes, m) = received(&out);
        let LogoutMessage::Request(r) = check(&bytes, m.as_ref(), "idp-rsa", NOW).unwrap() else {
            panic!("a request")
        };
        assert_eq!(
            (r.name_id.as_str(), r.session_indexes.as_slice()),
            ("alice@example.test", ["_s1".to_string()].as_slice())
        );
        // Another key's pin: refused.
        assert!(
            check(&bytes, m.as_ref(), "attacker-rsa", NOW).is_err(),
            "{binding}"
        );
        // Stale.
        assert!(matches!(
            check(&bytes, m.as_ref(), "idp-rsa", NOW + Duration::minutes(30)),
            Err(LogoutError::IssueInstant(_))
        ));

        let resp = logout_response("_r1", NOW, IDP, SLO, "_l1", STATUS_PARTIAL_LOGOUT);
        let out = send(
            &resp,
            "_r1",
            MessageKind::Response,
            &endpoint(binding),
            Some("rs"),
            &key,
            &rng,
        )
        .unwrap();
        let (bytes, m) = received(&out);
        let LogoutMessage::Response(r) = check(&bytes, m.as_ref(), "idp-rsa", NOW).unwrap() else {
            panic!("a response")
        };
        assert_eq!(
            (r.in_response_to.as_str(), r.status.as_str()),
            ("_l1", STATUS_PARTIAL_LOGOUT)
        );
    }
}

#[test]
fn unsigned_tampered_and_misdirected_messages_are_refused() {
    let key = signing_key("idp-rsa");
    let rng = SystemRandom::new();
    let xml = logout_request(
        "_l1",
        NOW,
        IDP,
        SLO,
        "alice@example.test",
        None,
        Some("_s1"),
    );
    assert_eq!(
        check(xml.as_bytes(), None, "idp-rsa", NOW).unwrap_err(),
        LogoutError::Unsigned,
        "an unsigned LogoutRequest would let anyone end anyone's session"
    );
    let out = send(
        &xml,
        "_l1",
        MessageKind::Request,
        &endpoint(BINDING_POST),
        None,
        &key,
        &rng,
    )
    .unwrap();
    let Outgoing::Post { xml: signed, .. } = out else {
        panic!()
    };
    let tampered = replace_once(&signed, "alice@example.test", "bob@example.test");
    assert!(matches!(
        check(tampered.as_bytes(), None, "idp-rsa", NOW),
        Err(LogoutError::XmlSignature(_))
    ));
    let elsewhere = logout_request(
        "_l2",
        NOW,
        IDP,
        "https://other.test/slo",
        "alice@example.test",
        None,
        None,
    );
    let out = send(
        &elsewhere,
        "_l2",
        MessageKind::Request,
        &endpoint(BINDING_POST),
        None,
        &key,
        &rng,
    )
    .unwrap();
    let Outgoing::Post { xml: signed, .. } = out else {
        panic!()
    };
    assert!(matches!(
        check(signed.as_bytes(), None, "idp-rsa", NOW),
        Err(LogoutError::Destination(_))
    ));
    // A Redirect query whose RelayState was changed under the signature.
    let out = send(
        &xml,
        "_l1",
        MessageKind::Request,
        &endpoint(BINDING_REDIRECT),
        Some("a"),
        &key,
        &rng,
    )
    .unwrap();
    let Outgoing::Redirect(url) = out else {
        panic!()
    };
    let m = decode_redirect(
        &url.split_once('?')
            .unwrap()
            .1
            .replace("RelayState=a", "RelayState=b"),
    )
    .unwrap();
    assert!(matches!(
        check(&m.xml, Some(&m), "idp-rsa", NOW),
        Err(LogoutError::RedirectSignature(_))
    ));
    // An AuthnRequest is no logout message.
    let doc = "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>";
    assert!(matches!(
        check(doc.as_bytes(), None, "idp-rsa", NOW),
        Err(LogoutError::NotLogout(_))
    ));
}

#[test]
fn what_a_logout_request_names_is_covered_by_its_signature() {
    // Identity data is read from the whole root, which the signature covers: a SessionIndex or
    // NameID added after signing (or a second one beside it) breaks the signature.
    let key = signing_key("idp-rsa");
    let rng = SystemRandom::new();
    let xml = logout_request(
        "_l1",
        NOW,
        IDP,
        SLO,
        "alice@example.test",
        None,
        Some("_s1"),
    );
    let out = send(
        &xml,
        "_l1",
        MessageKind::Request,
        &endpoint(BINDING_POST),
        None,
        &key,
        &rng,
    )
    .unwrap();
    let Outgoing::Post { xml: signed, .. } = out else {
        panic!()
    };
    for (what, forged) in [
        (
            "another SessionIndex",
            replace_once(
                &signed,
                "<samlp:SessionIndex>_s1</samlp:SessionIndex>",
                "<samlp:SessionIndex>_s1</samlp:SessionIndex><samlp:SessionIndex>_victim</samlp:SessionIndex>",
            ),
        ),
        (
            "another NameID",
            replace_once(&signed, ">alice@example.test<", ">bob@example.test<"),
        ),
    ] {
        assert!(
            matches!(
                check(forged.as_bytes(), None, "idp-rsa", NOW),
                Err(LogoutError::XmlSignature(_))
            ),
            "{what}"
        );
    }
}
