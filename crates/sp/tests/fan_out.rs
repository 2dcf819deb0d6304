//! The ACS with many accounts trusting one IdP, on a real SQLite file shared by two "instances"
//! (two stores, two caches): one write per response, refusals recorded where they belong, and
//! configuration changes seen at the next sign-in on every instance.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use symbolon_dsig::{SignOptions, SigningKey, SystemRandom};
use symbolon_saml::idp::{
    AC_PASSWORD_PROTECTED, ATTRNAME_BASIC, OutAttribute, ResponseParams, SignParts, build_response,
};
use symbolon_sp::*;
use symbolon_store::StateStore;
use symbolon_store::sp::{SpActivityStore, StateWrite};
use symbolon_store_sqlite::SqliteStore;
use time::{Duration, OffsetDateTime};

const BASE: &str = "https://sp.example.test";
const IDP: &str = "https://idp.example.test/realms/acme";

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn pem(name: &str) -> String {
    std::fs::read_to_string(repo().join(format!("testdata/keys/{name}.pem"))).unwrap()
}

fn idp_metadata() -> Vec<u8> {
    idp_metadata_pinning("idp-rsa")
}

fn idp_metadata_pinning(cert: &str) -> Vec<u8> {
    let b64: String = pem(&format!("{cert}.crt"))
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{IDP}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{IDP}/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#
    )
    .into_bytes()
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A response for alice in `groups`, signed with `key` (the IdP's, or an attacker's).
fn response(key: &str, id: &str, groups: &[&str]) -> Vec<u8> {
    response_signing(
        key,
        id,
        groups,
        SignParts {
            response: true,
            assertion: true,
        },
    )
}

fn response_signing(key: &str, id: &str, groups: &[&str], parts: SignParts) -> Vec<u8> {
    let key = SigningKey::from_pem(
        &pem(&format!("{key}.key")),
        Some(&pem(&format!("{key}.crt"))),
    )
    .unwrap();
    let sp = sp_settings(BASE);
    let p = ResponseParams {
        response_id: format!("_r{id}"),
        assertion_id: format!("_a{id}"),
        now: now(),
        idp_entity_id: IDP.into(),
        destination: sp.acs_url.clone(),
        in_response_to: None,
        audience: sp.entity_id.clone(),
        name_id: "alice@example.test".into(),
        name_id_format: None,
        sp_name_qualifier: None,
        lifespan: Duration::minutes(5),
        not_before_slack: Duration::seconds(30),
        session_index: None,
        session_not_on_or_after: None,
        authn_instant: now(),
        authn_context_class_ref: AC_PASSWORD_PROTECTED.into(),
        attributes: vec![OutAttribute {
            name: "groups".into(),
            name_format: Some(ATTRNAME_BASIC.into()),
            friendly_name: None,
            values: groups.iter().map(|g| (*g).to_string()).collect(),
        }],
    };
    build_response(
        &p,
        parts,
        &key,
        &SignOptions::for_key(&key),
        &SystemRandom::new(),
    )
    .unwrap()
    .into_bytes()
}

/// `n` accounts trusting the IdP; the first maps /eng to Full Access.
async fn accounts(s: &SqliteStore, n: usize) -> Vec<String> {
    let actor = Actor::cli();
    let mut ids = Vec::new();
    for k in 0..n {
        let a = create_account(s, &actor, &format!("Acct {k}"), now())
            .await
            .unwrap();
        add_idp(s, &actor, &a.id, "MPAS", None, &idp_metadata(), now())
            .await
            .unwrap();
        set_profile(
            s,
            &actor,
            &a.id,
            "MPAS",
            &MappingProfile {
                role: Some("groups".into()),
                ..MappingProfile::default()
            },
            now(),
        )
        .await
        .unwrap();
        if k == 0 {
            map_group(s, &actor, &a.id, "MPAS", "/eng", "Full Access", now())
                .await
                .unwrap();
        }
        ids.push(a.id);
    }
    ids
}

async fn sign_in(
    s: &SqliteStore,
    cache: &AcsCache,
    xml: &[u8],
    session: &str,
) -> std::result::Result<SignIn, AcsError> {
    let sp = sp_settings(BASE);
    let policy = AcsPolicy::default();
    let acs = Acs {
        store: s,
        cache,
        keys: &SpKeys::default(),
        sp: &sp,
        policy: &policy,
    };
    consume_response(&acs, xml, None, now(), AcsMode::SignIn, "ref", |_| {
        Some(StateWrite {
            kind: "test-session".into(),
            key: session.into(),
            value: "{}".into(),
            expires: now() + Duration::hours(1),
        })
    })
    .await
}

#[tokio::test]
async fn fan_out_writes_once_and_each_instance_sees_changes() {
    let dir = tempfile::tempdir().unwrap();
    let one = SqliteStore::open_dir(dir.path()).await.unwrap();
    let two = SqliteStore::open_dir(dir.path()).await.unwrap();
    let (cache_one, cache_two) = (AcsCache::default(), AcsCache::default());
    let ids = accounts(&one, 12).await;

    // A valid response: one pair, the session and the user written; the eleven accounts that
    // grant nothing record nothing (the person got in).
    let r = sign_in(&one, &cache_one, &response("idp-rsa", "1", &["/eng"]), "s1")
        .await
        .unwrap();
    assert_eq!(r.pairs.len(), 1);
    assert_eq!(r.pairs[0].account_id, ids[0]);
    assert!(
        one.state("test-session", "s1", now())
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(one.saml_users(&ids[0]).await.unwrap().len(), 1);
    for id in &ids[1..] {
        assert!(one.traces(id, 10).await.unwrap().is_empty());
    }
    // The same response on the other instance is a replay: no session, a trace where it would
    // have been accepted.
    assert!(matches!(
        sign_in(&two, &cache_two, &response("idp-rsa", "1", &["/eng"]), "s2").await,
        Err(AcsError::Replay)
    ));
    assert!(
        two.state("test-session", "s2", now())
            .await
            .unwrap()
            .is_none()
    );
    let replays = two.traces(&ids[0], 10).await.unwrap();
    assert_eq!(replays.len(), 1);
    assert_eq!(replays[0].code, "replay");

    // Nobody gets in: every account that validated it records why (no role), with the
    // reference, and no session is opened.
    assert!(
        sign_in(
            &one,
            &cache_one,
            &response("idp-rsa", "2", &["/sales"]),
            "s3"
        )
        .await
        .unwrap()
        .pairs
        .is_empty()
    );
    assert!(
        one.state("test-session", "s3", now())
            .await
            .unwrap()
            .is_none()
    );
    for id in &ids {
        let t = one.traces(id, 10).await.unwrap();
        assert!(
            t.iter()
                .any(|t| t.code == "no_role" && t.reference == "ref"),
            "{id}"
        );
    }

    // A change made through instance two is seen by instance one's cache at its next sign-in.
    let actor = Actor::cli();
    map_group(&two, &actor, &ids[5], "MPAS", "/eng", "Read Only", now())
        .await
        .unwrap();
    let r = sign_in(&one, &cache_one, &response("idp-rsa", "3", &["/eng"]), "s4")
        .await
        .unwrap();
    let mut got: Vec<(&str, &str)> = r
        .pairs
        .iter()
        .map(|p| (p.account_id.as_str(), p.role.as_str()))
        .collect();
    got.sort_unstable();
    let mut want = vec![
        (ids[0].as_str(), "Full Access"),
        (ids[5].as_str(), "Read Only"),
    ];
    want.sort_unstable();
    assert_eq!(got, want);
    // And a removed configuration stops taking part at once.
    delete_idp(&two, &actor, &ids[0], "MPAS", now())
        .await
        .unwrap();
    let r = sign_in(&one, &cache_one, &response("idp-rsa", "4", &["/eng"]), "s5")
        .await
        .unwrap();
    assert_eq!(r.pairs.len(), 1);
    assert_eq!(r.pairs[0].account_id, ids[5]);

    // A forged response: refused by every account, each with its trace, nothing consumed.
    let forged = response("attacker-rsa", "5", &["/eng"]);
    assert!(matches!(
        sign_in(&one, &cache_one, &forged, "s6").await,
        Err(AcsError::Rejected(_))
    ));
    for id in &ids[1..] {
        let t = one.traces(id, 10).await.unwrap();
        assert!(t.iter().any(|t| t.code == "signature"), "{id}: {t:?}");
    }
    assert!(
        one.state("test-session", "s6", now())
            .await
            .unwrap()
            .is_none()
    );

    // An account pinning another key for the same Issuer is validated on its own: it refuses
    // what the others accept (and records why), and never takes part.
    let other = create_account(&one, &actor, "Other keys", now())
        .await
        .unwrap();
    add_idp(
        &one,
        &actor,
        &other.id,
        "MPAS",
        None,
        &idp_metadata_pinning("idp-rsa-next"),
        now(),
    )
    .await
    .unwrap();
    map_group(
        &one,
        &actor,
        &other.id,
        "MPAS",
        "/eng",
        "Full Access",
        now(),
    )
    .await
    .unwrap();
    // Signed on the assertion only: its subject and attributes lie within the excerpt kept.
    let only_assertion = SignParts {
        response: false,
        assertion: true,
    };
    let r = sign_in(
        &one,
        &cache_one,
        &response_signing("idp-rsa", "6", &["/eng"], only_assertion),
        "s7",
    )
    .await
    .unwrap();
    assert!(r.pairs.iter().all(|p| p.account_id != other.id));
    assert_eq!(r.pairs.len(), 1);
    let t = one.traces(&other.id, 10).await.unwrap();
    let refused = t
        .iter()
        .find(|t| t.code == "signature")
        .expect("a signature trace");
    // Any account may register any Issuer: what its keys did not verify may be another
    // account's user's response, so its trace keeps the structure but no identity value.
    assert!(refused.message.contains(IDP), "{}", refused.message);
    assert!(
        refused.message.contains(&format!(
            "<saml:NameID>{}</saml:NameID>",
            symbolon_sp::IDENTITY_NOT_KEPT
        )),
        "{}",
        refused.message
    );
    for value in ["alice@example.test", "/eng"] {
        assert!(
            !refused.message.contains(value),
            "{value}: {}",
            refused.message
        );
    }
    assert!(
        !refused.reason.contains("alice@example.test"),
        "{}",
        refused.reason
    );
    let audit = one.audit_log(&other.id).await.unwrap();
    assert!(
        audit
            .iter()
            .all(|e| !e.detail.contains("alice@example.test")),
        "{audit:?}"
    );
}
