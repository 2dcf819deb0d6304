//! The ACS path as one domain function, on a real SQLite store: fan-out isolation in the test
//! mode, bounded recording of rejections (security.md rule 16), and signed assertions required.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use symbolon_sp::*;
use symbolon_store::sp::SpActivityStore;
use symbolon_store_sqlite::SqliteStore;
use time::OffsetDateTime;

const BASE: &str = "https://sp.example.test";
const IDP: &str = "https://idp.example.test/realms/acme";

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn idp_metadata(cert: &str) -> Vec<u8> {
    let pem =
        std::fs::read_to_string(repo().join(format!("testdata/keys/{cert}.crt.pem"))).unwrap();
    // The PEM body is the certificate's base64 already.
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{IDP}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{IDP}/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#
    )
    .into_bytes()
}

async fn consume(
    s: &SqliteStore,
    sp: &symbolon_saml::sp::SpSettings,
    xml: &[u8],
    mode: AcsMode<'_>,
    policy: &AcsPolicy,
) -> std::result::Result<SignIn, AcsError> {
    let cache = AcsCache::default();
    let acs = Acs {
        store: s,
        cache: &cache,
        keys: &symbolon_sp::SpKeys::default(),
        sp,
        policy,
    };
    consume_response(&acs, xml, None, now(), mode, "ref-test", |_| None).await
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

async fn two_accounts() -> (SqliteStore, String, String) {
    let s = SqliteStore::open("sqlite::memory:").await.unwrap();
    let actor = Actor::cli();
    let a = create_account(&s, &actor, "Acme", now()).await.unwrap();
    let b = create_account(&s, &actor, "Other", now()).await.unwrap();
    for acc in [&a, &b] {
        add_idp(
            &s,
            &actor,
            &acc.id,
            "MPAS",
            None,
            &idp_metadata("idp-rsa"),
            now(),
        )
        .await
        .unwrap();
    }
    (s, a.id, b.id)
}

#[tokio::test]
async fn rejections_are_recorded_within_bounds() {
    let (s, a, b) = two_accounts().await;
    let forged = format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_f" Version="2.0" IssueInstant="2025-01-01T00:00:00Z"><saml:Issuer>{IDP}</saml:Issuer><!-- {} --></samlp:Response>"#,
        "x".repeat(60_000)
    );
    let sp = sp_settings(BASE);
    let policy = AcsPolicy::default();
    for _ in 0..30 {
        let r = consume(&s, &sp, forged.as_bytes(), AcsMode::SignIn, &policy).await;
        assert!(matches!(r, Err(AcsError::Rejected(_))));
    }
    for acc in [&a, &b] {
        let traces = s.traces(acc, 1000).await.unwrap();
        assert_eq!(
            traces.len(),
            policy.trace_burst as usize,
            "a burst per IdP, then counted"
        );
        assert!(
            traces.iter().all(|t| t.message.len() < 3_000
                && t.message.contains("not kept: no signature verified"))
        );
        let failed = s
            .audit_log(acc)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "SignInFailed")
            .count();
        assert_eq!(failed, policy.trace_burst as usize);
        assert_eq!(traces_not_kept(&s, acc, now()).await.unwrap(), 10);
    }
    // The newest `traces_kept` per IdP stay, however many bursts pass.
    let tight = AcsPolicy {
        trace_burst: 1000,
        traces_kept: 5,
        ..AcsPolicy::default()
    };
    for _ in 0..8 {
        let _ = consume(&s, &sp, forged.as_bytes(), AcsMode::SignIn, &tight).await;
    }
    assert_eq!(s.traces(&a, 1000).await.unwrap().len(), 5);
    // Pruned by age.
    assert_eq!(
        prune_traces(&s, now() + time::Duration::days(8), time::Duration::days(7))
            .await
            .unwrap(),
        10
    );
}

#[tokio::test]
async fn the_test_sign_in_sees_only_its_own_account() {
    let (s, a, _b) = two_accounts().await;
    let sp = sp_settings(BASE);
    let unknown = br#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Issuer>https://idp.example.test/realms/acme</saml:Issuer></samlp:Response>"#;
    let r = consume(
        &s,
        &sp,
        unknown,
        AcsMode::Test { account_id: &a },
        &AcsPolicy::default(),
    )
    .await;
    assert!(matches!(r, Err(AcsError::Rejected(_))));
    // Nothing recorded in test mode.
    assert!(s.traces(&a, 10).await.unwrap().is_empty());
    let r = consume(
        &s,
        &sp,
        unknown,
        AcsMode::Test {
            account_id: "no-such",
        },
        &AcsPolicy::default(),
    )
    .await;
    assert!(matches!(r, Err(AcsError::UnknownIssuer(_))));
}
