//! security.md rules 7, 8, 9 and 13: every protocol check, each asserting its typed reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use symbolon_dsig::DsigError;
use symbolon_saml::{Expectation, IdpSettings, Signed, ValidationError as E};
use time::Duration;

#[test]
fn a_good_response_is_accepted_with_every_value_from_the_assertion() {
    for xml in [
        Fixture::default().signed_assertion(),
        Fixture::default().signed_response(),
        Fixture::default().signed_both(),
    ] {
        let v = check(&xml).unwrap();
        assert_eq!(v.issuer, IDP);
        assert_eq!(v.name_id, "alice@example.test");
        assert_eq!(
            v.name_id_format.as_deref(),
            Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
        );
        assert_eq!(v.session_index.as_deref(), Some("_session-1"));
        assert_eq!(v.assertion_id, "_assertion-1");
        assert_eq!(v.response_id, "_response-1");
        assert_eq!(v.not_on_or_after, NOW + Duration::seconds(300));
        assert_eq!(v.attribute("email").unwrap(), ["alice@example.test"]);
        // Same-named attributes merged in document order.
        assert_eq!(v.attribute("groups").unwrap(), ["/eng", "/ops", "/admins"]);
        assert_eq!(
            v.authn_context_class_ref.as_deref(),
            Some("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
        );
        assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    }
}

#[test]
fn not_on_or_after_is_the_earlier_of_conditions_and_confirmation() {
    let f = Fixture {
        scd_not_on_or_after: t(60),
        ..Fixture::default()
    };
    assert_eq!(
        check(&f.signed_assertion()).unwrap().not_on_or_after,
        NOW + Duration::seconds(60)
    );
    let f = Fixture {
        not_on_or_after: t(90),
        ..Fixture::default()
    };
    assert_eq!(
        check(&f.signed_assertion()).unwrap().not_on_or_after,
        NOW + Duration::seconds(90)
    );
}

#[test]
fn response_version_id_and_status() {
    let xml = replace_once(
        &Fixture::default().xml(),
        r#"ID="_response-1" Version="2.0""#,
        r#"ID="_response-1" Version="1.1""#,
    );
    assert!(
        matches!(check(&sign(&xml, "_assertion-1", "idp-rsa")), Err(E::Version(Signed::Response, v)) if v == "1.1")
    );

    let xml = replace_once(&Fixture::default().xml(), r#"ID="_response-1" "#, "");
    assert_eq!(
        check(&sign(&xml, "_assertion-1", "idp-rsa")).unwrap_err(),
        E::MissingId(Signed::Response)
    );

    let f = Fixture {
        status: "urn:oasis:names:tc:SAML:2.0:status:Responder".into(),
        ..Fixture::default()
    };
    assert!(
        matches!(check(&f.signed_assertion()), Err(E::StatusNotSuccess { code, .. }) if code.ends_with("Responder"))
    );

    let xml = replace_once(
        &Fixture::default().xml(),
        r#"<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>"#,
        "",
    );
    assert_eq!(
        check(&sign(&xml, "_assertion-1", "idp-rsa")).unwrap_err(),
        E::MissingStatus
    );
}

#[test]
fn status_with_sub_code_and_message_is_reported() {
    let xml = replace_once(
        &Fixture::default().xml(),
        r#"<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>"#,
        r#"<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"/></samlp:StatusCode><samlp:StatusMessage>step-up needed</samlp:StatusMessage>"#,
    );
    let err = check(&sign(&xml, "_assertion-1", "idp-rsa")).unwrap_err();
    assert_eq!(err.code(), "status_not_success");
    let text = err.to_string();
    assert!(
        text.contains("NoAuthnContext") && text.contains("step-up needed"),
        "{text}"
    );
}

#[test]
fn destination_checked_when_present_and_required_when_response_signed() {
    let f = Fixture {
        destination: Some("https://evil.test/acs".into()),
        ..Fixture::default()
    };
    assert!(
        matches!(check(&f.signed_assertion()), Err(E::DestinationMismatch { found, .. }) if found == "https://evil.test/acs")
    );
    let f = Fixture {
        destination: None,
        ..Fixture::default()
    };
    assert!(
        check(&f.signed_assertion()).is_ok(),
        "optional when only the assertion is signed"
    );
    assert_eq!(
        check(&f.signed_response()).unwrap_err(),
        E::DestinationMissing
    );
}

#[test]
fn issuers_must_equal_the_idp_entity_id() {
    let f = Fixture {
        issuer: "https://other.test".into(),
        ..Fixture::default()
    };
    assert!(matches!(
        check(&f.signed_assertion()),
        Err(E::IssuerMismatch {
            which: Signed::Response,
            ..
        })
    ));
    let f = Fixture {
        assertion_issuer: "https://other.test".into(),
        ..Fixture::default()
    };
    assert!(matches!(
        check(&f.signed_assertion()),
        Err(E::IssuerMismatch {
            which: Signed::Assertion,
            ..
        })
    ));
    // The Response Issuer is optional.
    let xml = replace_once(
        &Fixture::default().xml(),
        &format!("<saml:Issuer>{IDP}</saml:Issuer>\n"),
        "",
    );
    assert!(check(&sign(&xml, "_assertion-1", "idp-rsa")).is_ok());
    // The Assertion Issuer is not.
    let xml = Fixture::default().xml().replacen(
        &format!("<saml:Issuer>{IDP}</saml:Issuer><saml:Subject>"),
        "<saml:Subject>",
        1,
    );
    let signed = sign(&xml, "_assertion-1", "idp-rsa");
    assert_eq!(check(&signed).unwrap_err(), E::AssertionIssuerMissing);
}

#[test]
fn encrypted_assertion_is_rejected_without_decryption() {
    let xml = Fixture::default().xml();
    let a = slice(&xml, "<saml:Assertion ", "</saml:Assertion>");
    let xml = xml.replace(a, r#"<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"/></saml:EncryptedAssertion>"#);
    let xml = sign(&xml, "_response-1", "idp-rsa");
    assert_eq!(check(&xml).unwrap_err(), E::EncryptedAssertion);
}

#[test]
fn signature_must_sit_right_after_issuer() {
    let signed = Fixture::default().signed_assertion();
    let sig = slice(&signed, "<ds:Signature ", "</ds:Signature>").to_string();
    let moved = signed.replace(&sig, "");
    let moved = replace_once(&moved, "</saml:Subject>", &format!("</saml:Subject>{sig}"));
    assert_eq!(
        check(&moved).unwrap_err(),
        E::SignatureMisplaced(Signed::Assertion)
    );
}

#[test]
fn subject_name_id_checks() {
    let f = Fixture {
        name_id: "   ".into(),
        ..Fixture::default()
    };
    assert_eq!(check(&f.signed_assertion()).unwrap_err(), E::EmptyNameId);

    let xml = replace_once(
        &Fixture::default().xml(),
        "<saml:NameID Format",
        r#"<saml:NameID SPNameQualifier="https://other-sp.test" Format"#,
    );
    assert!(matches!(
        check(&sign(&xml, "_assertion-1", "idp-rsa")),
        Err(E::SpNameQualifierMismatch { .. })
    ));
    let xml = replace_once(
        &Fixture::default().xml(),
        "<saml:NameID Format",
        &format!(r#"<saml:NameID SPNameQualifier="{SP}" Format"#),
    );
    assert!(check(&sign(&xml, "_assertion-1", "idp-rsa")).is_ok());

    let xml = Fixture::default().xml();
    let name_id = slice(&xml, "<saml:NameID", "</saml:NameID>").to_string();
    let two = replace_once(&xml, &name_id, &format!("{name_id}{name_id}"));
    assert_eq!(
        check(&sign(&two, "_assertion-1", "idp-rsa")).unwrap_err(),
        E::MultipleNameIds
    );
    let none = replace_once(&xml, &name_id, "");
    assert_eq!(
        check(&sign(&none, "_assertion-1", "idp-rsa")).unwrap_err(),
        E::NoNameId
    );
    let enc = replace_once(&xml, &name_id, "<saml:EncryptedID/>");
    assert!(matches!(
        check(&sign(&enc, "_assertion-1", "idp-rsa")),
        Err(E::UnsupportedSubjectId(_))
    ));
}

#[test]
fn bearer_confirmation_checks() {
    let f = Fixture {
        recipient: "https://evil.test/acs".into(),
        ..Fixture::default()
    };
    assert!(matches!(
        check(&f.signed_assertion()),
        Err(E::RecipientMismatch { .. })
    ));

    let xml = replace_once(&Fixture::default().xml(), "cm:bearer", "cm:holder-of-key");
    assert_eq!(
        check(&sign(&xml, "_assertion-1", "idp-rsa")).unwrap_err(),
        E::NoBearerConfirmation
    );

    let f = Fixture::default();
    let xml = replace_once(
        &f.xml(),
        &format!(
            r#"<saml:SubjectConfirmationData NotOnOrAfter="{}" "#,
            f.scd_not_on_or_after
        ),
        "<saml:SubjectConfirmationData ",
    );
    assert_eq!(
        check(&sign(&xml, "_assertion-1", "idp-rsa")).unwrap_err(),
        E::ConfirmationNoExpiry
    );

    let f = Fixture {
        scd_not_on_or_after: t(-200),
        ..Fixture::default()
    };
    assert!(matches!(
        check(&f.signed_assertion()),
        Err(E::ConfirmationExpired(_))
    ));

    let xml = replace_once(
        &Fixture::default().xml(),
        "<saml:SubjectConfirmationData ",
        &format!(r#"<saml:SubjectConfirmationData NotBefore="{}" "#, t(200)),
    );
    assert!(matches!(
        check(&sign(&xml, "_assertion-1", "idp-rsa")),
        Err(E::ConfirmationNotYetValid(_))
    ));
}

#[test]
fn in_response_to_rules() {
    let req = "_req-42";
    let solicited = Fixture {
        in_response_to: Some(req.into()),
        scd_in_response_to: Some(req.into()),
        ..Fixture::default()
    };
    let e = Expectation {
        in_response_to: Some(req),
        ..Expectation::at(NOW)
    };
    assert_eq!(
        check_with(&solicited.signed_assertion(), &idp(), &e)
            .unwrap()
            .in_response_to
            .as_deref(),
        Some(req)
    );

    // Outstanding request, response answers another.
    let other = Expectation {
        in_response_to: Some("_req-other"),
        ..Expectation::at(NOW)
    };
    assert!(matches!(
        check_with(&solicited.signed_assertion(), &idp(), &other),
        Err(E::InResponseToMismatch { .. })
    ));
    // Outstanding request, unsolicited response.
    assert!(matches!(
        check_with(&Fixture::default().signed_assertion(), &idp(), &e),
        Err(E::InResponseToMismatch { found: None, .. })
    ));
    // Response carries it, SubjectConfirmationData does not.
    let half = Fixture {
        in_response_to: Some(req.into()),
        ..Fixture::default()
    };
    assert!(matches!(
        check_with(&half.signed_assertion(), &idp(), &e),
        Err(E::ConfirmationInResponseToMismatch { .. })
    ));
    // No request outstanding: neither may carry one.
    assert!(matches!(
        check(&solicited.signed_assertion()),
        Err(E::UnexpectedInResponseTo(_))
    ));
    let scd_only = Fixture {
        scd_in_response_to: Some(req.into()),
        ..Fixture::default()
    };
    assert!(matches!(
        check(&scd_only.signed_assertion()),
        Err(E::ConfirmationInResponseToMismatch { .. })
    ));
    // IdP-initiated must be enabled.
    let mut strict = idp();
    strict.allow_idp_initiated = false;
    assert_eq!(
        check_with(
            &Fixture::default().signed_assertion(),
            &strict,
            &Expectation::at(NOW)
        )
        .unwrap_err(),
        E::IdpInitiatedDisabled
    );
}

#[test]
fn conditions_rules() {
    let xml = Fixture::default().xml();
    let conds = slice(&xml, "<saml:Conditions", "</saml:Conditions>").to_string();
    assert_eq!(
        check(&sign(
            &replace_once(&xml, &conds, ""),
            "_assertion-1",
            "idp-rsa"
        ))
        .unwrap_err(),
        E::NoConditions
    );
    assert_eq!(
        check(&sign(
            &replace_once(&xml, &conds, &format!("{conds}{conds}")),
            "_assertion-1",
            "idp-rsa"
        ))
        .unwrap_err(),
        E::MultipleConditions
    );

    let f = Fixture {
        audience: "https://other-sp.test".into(),
        ..Fixture::default()
    };
    assert!(matches!(
        check(&f.signed_assertion()),
        Err(E::AudienceMismatch { .. })
    ));

    // Every AudienceRestriction must be satisfied, not just one.
    let f = Fixture {
        extra_conditions: "<saml:AudienceRestriction><saml:Audience>https://other-sp.test</saml:Audience></saml:AudienceRestriction>".into(),
        ..Fixture::default()
    };
    assert!(matches!(
        check(&f.signed_assertion()),
        Err(E::AudienceMismatch { .. })
    ));
    // One restriction listing several audiences, ours among them, is fine.
    let f = Fixture {
        extra_conditions: format!(
            "<saml:AudienceRestriction><saml:Audience>https://x.test</saml:Audience><saml:Audience>{SP}</saml:Audience></saml:AudienceRestriction>"
        ),
        ..Fixture::default()
    };
    assert!(check(&f.signed_assertion()).is_ok());

    let no_audience = replace_once(
        &xml,
        &format!(
            "<saml:AudienceRestriction><saml:Audience>{SP}</saml:Audience></saml:AudienceRestriction>"
        ),
        "",
    );
    assert_eq!(
        check(&sign(&no_audience, "_assertion-1", "idp-rsa")).unwrap_err(),
        E::NoAudienceRestriction
    );

    let f = Fixture {
        extra_conditions: "<saml:OneTimeUse/><saml:ProxyRestriction Count=\"0\"/>".into(),
        ..Fixture::default()
    };
    assert!(check(&f.signed_assertion()).unwrap().one_time_use);
    let f = Fixture { extra_conditions: r#"<saml:Condition xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="x:Custom"/>"#.into(), ..Fixture::default() };
    assert!(
        matches!(check(&f.signed_assertion()), Err(E::UnknownCondition(n)) if n == "Condition")
    );

    let f = Fixture {
        not_before: "yesterday".into(),
        ..Fixture::default()
    };
    assert_eq!(
        check(&f.signed_assertion()).unwrap_err(),
        E::BadTime("NotBefore")
    );
}

#[test]
fn authn_statement_rules() {
    let f = Fixture {
        authn_statement: false,
        ..Fixture::default()
    };
    let err = check(&f.signed_assertion()).unwrap_err();
    assert_eq!(err, E::NoAuthnStatement);
    assert!(err.to_string().contains("Include AuthnStatement"));
    let mut relaxed = idp();
    relaxed.require_authn_statement = false;
    assert!(check_with(&f.signed_assertion(), &relaxed, &Expectation::at(NOW)).is_ok());

    let xml = Fixture::default().xml();
    let st = slice(&xml, "<saml:AuthnStatement", "</saml:AuthnStatement>").to_string();
    let two = replace_once(&xml, &st, &format!("{st}{st}"));
    assert_eq!(
        check(&sign(&two, "_assertion-1", "idp-rsa")).unwrap_err(),
        E::MultipleAuthnStatements
    );

    let expired = replace_once(
        &xml,
        r#"SessionIndex="_session-1""#,
        &format!(
            r#"SessionIndex="_session-1" SessionNotOnOrAfter="{}""#,
            t(-600)
        ),
    );
    assert!(matches!(
        check(&sign(&expired, "_assertion-1", "idp-rsa")),
        Err(E::SessionExpired(_))
    ));
}

/// Clock skew: NotBefore - skew <= now < NotOnOrAfter + skew, exactly at the boundaries.
#[test]
fn clock_skew_boundaries() {
    let skew = Duration::seconds(120);
    let xml = Fixture {
        issue_instant: t(-300),
        ..Fixture::default()
    }
    .signed_assertion();
    let at = |d: Duration| {
        check_with(
            &xml,
            &idp(),
            &Expectation {
                now: NOW + d,
                clock_skew: skew,
                in_response_to: None,
                // The lifetime cap is tested on its own; here NotOnOrAfter is the limit.
                max_assertion_lifetime: Duration::hours(1),
            },
        )
    };
    // NotOnOrAfter = NOW+300 (both Conditions and confirmation).
    assert!(at(Duration::seconds(300) + skew - Duration::milliseconds(1)).is_ok());
    assert!(matches!(
        at(Duration::seconds(300) + skew),
        Err(E::Expired(_))
    ));
    // NotBefore = NOW-300.
    assert!(at(Duration::seconds(-300) - skew).is_ok());
    assert!(matches!(
        at(Duration::seconds(-300) - skew - Duration::milliseconds(1)),
        Err(E::NotYetValid(_))
    ));
    // IssueInstant in the future beyond the skew.
    let f = Fixture {
        issue_instant: t(200),
        not_before: t(-300),
        ..Fixture::default()
    };
    assert!(matches!(
        check(&f.signed_assertion()),
        Err(E::IssuedInFuture(..))
    ));
    // Zero skew is exact.
    let zero = Expectation {
        now: NOW + Duration::seconds(300),
        clock_skew: Duration::ZERO,
        in_response_to: None,
        max_assertion_lifetime: Duration::hours(1),
    };
    assert!(matches!(
        check_with(&xml, &idp(), &zero),
        Err(E::Expired(_))
    ));
    // More than 300 s is refused as configuration.
    let wide = Expectation {
        clock_skew: Duration::seconds(301),
        ..Expectation::at(NOW)
    };
    assert_eq!(
        check_with(&xml, &idp(), &wide).unwrap_err(),
        E::ClockSkewTooLarge(301)
    );
}

#[test]
fn an_idp_with_no_signing_certificate_accepts_nothing() {
    let empty = IdpSettings::new(IDP, vec![]);
    assert_eq!(
        check_with(
            &Fixture::default().signed_assertion(),
            &empty,
            &Expectation::at(NOW)
        )
        .unwrap_err(),
        E::NoSigningKeys
    );
}

#[test]
fn every_signature_present_must_verify() {
    // Assertion signature good, Response signature broken: rejected (fail closed).
    let both = Fixture::default().signed_both();
    let tampered = replace_once(&both, "<samlp:StatusCode", "<samlp:StatusCode Extra=\"1\"");
    assert_eq!(
        check(&tampered).unwrap_err(),
        E::Signature(Signed::Response, DsigError::DigestMismatch)
    );
}

#[test]
fn require_signed_assertion_policy() {
    let mut strict = idp();
    strict.require_signed_assertion = true;
    assert_eq!(
        check_with(
            &Fixture::default().signed_response(),
            &strict,
            &Expectation::at(NOW)
        )
        .unwrap_err(),
        E::AssertionNotSigned
    );
    assert!(
        check_with(
            &Fixture::default().signed_both(),
            &strict,
            &Expectation::at(NOW)
        )
        .is_ok()
    );
}

#[test]
fn expired_pinned_certificate_is_a_warning_not_a_rejection() {
    let xml = sign(&Fixture::default().xml(), "_assertion-1", "expired-rsa");
    let v = check_with(
        &xml,
        &IdpSettings::new(IDP, vec![pinned("expired-rsa")]),
        &Expectation::at(NOW),
    )
    .unwrap();
    assert_eq!(v.warnings.len(), 1);
    assert!(v.warnings[0].contains("expired"), "{:?}", v.warnings);
}

#[test]
fn key_rollover_several_pinned_certificates() {
    let idp2 = IdpSettings::new(IDP, vec![pinned("idp-rsa"), pinned("idp-rsa-next")]);
    let v = check_with(
        &sign(&Fixture::default().xml(), "_assertion-1", "idp-rsa-next"),
        &idp2,
        &Expectation::at(NOW),
    )
    .unwrap();
    assert_eq!(v.cert_index, 1);
    let v = check_with(
        &Fixture::default().signed_assertion(),
        &idp2,
        &Expectation::at(NOW),
    )
    .unwrap();
    assert_eq!(v.cert_index, 0);
}

#[test]
fn ecdsa_signatures_verify() {
    for (key, alg) in [
        (
            "idp-ec-p256",
            symbolon_dsig::SignatureAlgorithm::EcdsaSha256,
        ),
        (
            "idp-ec-p384",
            symbolon_dsig::SignatureAlgorithm::EcdsaSha384,
        ),
    ] {
        let xml = sign_alg(&Fixture::default().xml(), "_assertion-1", key, alg);
        let v = check_with(
            &xml,
            &IdpSettings::new(IDP, vec![pinned(key)]),
            &Expectation::at(NOW),
        )
        .unwrap();
        assert_eq!(v.algorithm, alg);
    }
    for alg in [
        symbolon_dsig::SignatureAlgorithm::RsaSha384,
        symbolon_dsig::SignatureAlgorithm::RsaSha512,
    ] {
        let xml = sign_alg(&Fixture::default().xml(), "_assertion-1", "idp-rsa", alg);
        assert_eq!(check(&xml).unwrap().algorithm, alg);
    }
}

/// Rule 9: replay is the caller's (the SP's store, see `commit_sign_in` and its conformance
/// tests); the validator gives the key, kept until NotOnOrAfter + skew, after which the
/// assertion could no longer be accepted anyway.
#[test]
fn the_replay_key_lasts_until_the_assertion_expires_plus_skew() {
    let v = check(&Fixture::default().signed_assertion()).unwrap();
    let key = v.replay_key();
    assert_eq!(key.issuer, IDP);
    assert_eq!(key.assertion_id, "_assertion-1");
    assert_eq!(key.until, NOW + Duration::seconds(300 + 120));
    assert!(
        check_with(
            &Fixture::default().signed_assertion(),
            &IdpSettings::new(IDP, vec![pinned("idp-rsa")]),
            &Expectation::at(key.until)
        )
        .is_err(),
        "at `until` the assertion is no longer accepted, so forgetting it then is safe"
    );
}

/// Rule 13: the same entity ID registered by two tenants with different keys: a response
/// verifies only under the configuration whose own pinned key signed it.
#[test]
fn same_issuer_different_keys_only_the_signing_tenant_accepts() {
    let tenant_a = IdpSettings::new(IDP, vec![pinned("idp-rsa")]);
    let tenant_b = IdpSettings::new(IDP, vec![pinned("attacker-rsa")]);
    let by_a = Fixture::default().signed_assertion();
    let by_b = sign(&Fixture::default().xml(), "_assertion-1", "attacker-rsa");
    let e = Expectation::at(NOW);
    assert!(check_with(&by_a, &tenant_a, &e).is_ok());
    assert_eq!(
        check_with(&by_a, &tenant_b, &e).unwrap_err(),
        E::Signature(Signed::Assertion, DsigError::SignatureInvalid)
    );
    assert!(check_with(&by_b, &tenant_b, &e).is_ok());
    assert_eq!(
        check_with(&by_b, &tenant_a, &e).unwrap_err(),
        E::Signature(Signed::Assertion, DsigError::SignatureInvalid)
    );
}

#[test]
fn issuer_hint_reads_the_unverified_issuer_for_selection_only() {
    let xml = Fixture::default().signed_assertion();
    let doc = symbolon_xml::parse(&xml, &Default::default()).unwrap();
    assert_eq!(symbolon_saml::issuer_hint(&doc).as_deref(), Some(IDP));
}

#[test]
fn requested_authn_context_is_never_silently_downgraded() {
    use symbolon_saml::idp::{
        AC_FIDO, AC_PASSWORD, AC_PASSWORD_PROTECTED, AC_REFEDS_MFA, class_strength, satisfies,
    };
    use symbolon_saml::messages::{Comparison, RequestedAuthnContext};
    let req = |comparison, refs: &[&str]| RequestedAuthnContext {
        comparison,
        class_refs: refs.iter().map(|s| s.to_string()).collect(),
    };
    // exact: only the classes named.
    assert!(satisfies(
        &req(Comparison::Exact, &[AC_PASSWORD_PROTECTED]),
        AC_PASSWORD_PROTECTED
    ));
    assert!(!satisfies(
        &req(Comparison::Exact, &[AC_REFEDS_MFA]),
        AC_PASSWORD_PROTECTED
    ));
    assert!(!satisfies(
        &req(Comparison::Exact, &[AC_FIDO]),
        AC_REFEDS_MFA
    ));
    // minimum: at least as strong.
    assert!(satisfies(
        &req(Comparison::Minimum, &[AC_PASSWORD]),
        AC_PASSWORD_PROTECTED
    ));
    assert!(satisfies(
        &req(Comparison::Minimum, &[AC_PASSWORD_PROTECTED]),
        AC_REFEDS_MFA
    ));
    assert!(!satisfies(
        &req(Comparison::Minimum, &[AC_REFEDS_MFA]),
        AC_PASSWORD_PROTECTED
    ));
    // better: strictly stronger than one of them.
    assert!(satisfies(
        &req(Comparison::Better, &[AC_PASSWORD_PROTECTED]),
        AC_REFEDS_MFA
    ));
    assert!(!satisfies(
        &req(Comparison::Better, &[AC_PASSWORD_PROTECTED]),
        AC_PASSWORD_PROTECTED
    ));
    // FIDO (a passkey) ranks above MFA: better than MFA is a passkey, and a password with a
    // one-time code never meets minimum FIDO.
    assert!(satisfies(
        &req(Comparison::Better, &[AC_REFEDS_MFA]),
        AC_FIDO
    ));
    assert!(!satisfies(
        &req(Comparison::Better, &[AC_REFEDS_MFA]),
        AC_REFEDS_MFA
    ));
    assert!(!satisfies(
        &req(Comparison::Minimum, &[AC_FIDO]),
        AC_REFEDS_MFA
    ));
    assert!(satisfies(
        &req(Comparison::Minimum, &[AC_REFEDS_MFA]),
        AC_FIDO
    ));
    // maximum: no stronger than one of them.
    assert!(satisfies(
        &req(Comparison::Maximum, &[AC_REFEDS_MFA]),
        AC_PASSWORD_PROTECTED
    ));
    assert!(!satisfies(
        &req(Comparison::Maximum, &[AC_PASSWORD]),
        AC_REFEDS_MFA
    ));
    // Classes the IdP does not rank match only themselves; never a ranked comparison.
    let smartcard = "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard";
    assert_eq!(class_strength(smartcard), None);
    assert!(!satisfies(
        &req(Comparison::Minimum, &[smartcard]),
        AC_REFEDS_MFA
    ));
    assert!(!satisfies(
        &req(Comparison::Better, &[smartcard]),
        AC_REFEDS_MFA
    ));
    assert!(satisfies(
        &req(Comparison::Exact, &[smartcard, AC_PASSWORD_PROTECTED]),
        AC_PASSWORD_PROTECTED
    ));
    assert!(
        !satisfies(&req(Comparison::Minimum, &[]), AC_PASSWORD_PROTECTED),
        "nothing requested matches nothing"
    );
}

#[test]
fn the_assertion_claims_only_what_the_sign_in_method_was() {
    use symbolon_saml::idp::{
        AC_FIDO, AC_PASSWORD_PROTECTED, AC_REFEDS_MFA, SignInMethod, choose_class,
    };
    use symbolon_saml::messages::{Comparison, RequestedAuthnContext};
    let req = |comparison, refs: &[&str]| RequestedAuthnContext {
        comparison,
        class_refs: refs.iter().map(|s| s.to_string()).collect(),
    };
    let (pw, totp, pk) = (
        SignInMethod::Password,
        SignInMethod::PasswordAndSecondFactor,
        SignInMethod::Passkey,
    );
    // No request: the method's own class. A passkey with user verification says MFA.
    assert_eq!(choose_class(pw, None), Some(AC_PASSWORD_PROTECTED));
    assert_eq!(choose_class(totp, None), Some(AC_REFEDS_MFA));
    assert_eq!(choose_class(pk, None), Some(AC_REFEDS_MFA));
    // FIDO is honoured by a passkey alone.
    let fido = req(Comparison::Exact, &[AC_FIDO]);
    assert_eq!(choose_class(pk, Some(&fido)), Some(AC_FIDO));
    assert_eq!(choose_class(totp, Some(&fido)), None);
    assert_eq!(choose_class(pw, Some(&fido)), None);
    let min_fido = req(Comparison::Minimum, &[AC_FIDO]);
    assert_eq!(choose_class(totp, Some(&min_fido)), None);
    assert_eq!(choose_class(pk, Some(&min_fido)), Some(AC_FIDO));
    // MFA: a second factor or a passkey.
    let mfa = req(Comparison::Exact, &[AC_REFEDS_MFA]);
    assert_eq!(choose_class(pw, Some(&mfa)), None);
    assert_eq!(choose_class(totp, Some(&mfa)), Some(AC_REFEDS_MFA));
    assert_eq!(choose_class(pk, Some(&mfa)), Some(AC_REFEDS_MFA));
    let better_mfa = req(Comparison::Better, &[AC_REFEDS_MFA]);
    assert_eq!(choose_class(totp, Some(&better_mfa)), None);
    assert_eq!(choose_class(pk, Some(&better_mfa)), Some(AC_FIDO));
    // exact PasswordProtectedTransport: a password and a code were a password too; a passkey
    // was not, so it does not claim it.
    let ppt = req(Comparison::Exact, &[AC_PASSWORD_PROTECTED]);
    assert_eq!(choose_class(pw, Some(&ppt)), Some(AC_PASSWORD_PROTECTED));
    assert_eq!(choose_class(totp, Some(&ppt)), Some(AC_PASSWORD_PROTECTED));
    assert_eq!(choose_class(pk, Some(&ppt)), None);
    // maximum MFA: a passkey may say MFA.
    let max_mfa = req(Comparison::Maximum, &[AC_REFEDS_MFA]);
    assert_eq!(choose_class(pk, Some(&max_mfa)), Some(AC_REFEDS_MFA));
}
