//! An SP account as one document, on real SQLite stores: export, import into an empty store,
//! partial import (fail / skip / overwrite), dry runs, and refusals that write nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use symbolon_sp::account_io::{AccountDoc, ImportOptions, export_account, import_account};
use symbolon_sp::*;
use symbolon_store::portable::{Action, IfExists, ImportReport};
use symbolon_store::sp::{AccountStore, SpActivityStore, SpIdpStore};
use symbolon_store_sqlite::SqliteStore;
use time::OffsetDateTime;

const IDP: &str = "https://idp.example.test/realms/acme";

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn idp_metadata(entity: &str, cert: &str) -> String {
    let pem =
        std::fs::read_to_string(repo().join(format!("testdata/keys/{cert}.crt.pem"))).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{entity}/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#
    )
}

async fn store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (SqliteStore::open_dir(dir.path()).await.unwrap(), dir)
}

fn ok_url(_: &str, _: bool) -> std::result::Result<(), String> {
    Ok(())
}

async fn import(
    s: &SqliteStore,
    doc: &AccountDoc,
    if_exists: IfExists,
    dry_run: bool,
) -> Result<ImportReport> {
    let opts = ImportOptions {
        if_exists,
        dry_run,
        check_url: &ok_url,
    };
    import_account(s, &Actor::cli(), doc, &opts, now()).await
}

/// An account with a custom role, an identity provider with a profile and two mappings, a
/// SAML account and a master administrator.
async fn seeded() -> (SqliteStore, tempfile::TempDir, String) {
    let (s, dir) = store().await;
    let a = create_account(&s, &Actor::cli(), "Acme Production", now())
        .await
        .unwrap();
    add_role(&s, &Actor::cli(), &a.id, "Billing", now())
        .await
        .unwrap();
    add_idp(
        &s,
        &Actor::cli(),
        &a.id,
        "Multi-Pass",
        Some("Kelvin Zero"),
        idp_metadata(IDP, "idp-rsa").as_bytes(),
        now(),
    )
    .await
    .unwrap();
    set_profile(
        &s,
        &Actor::cli(),
        &a.id,
        "Multi-Pass",
        &MappingProfile {
            name: Some("displayName".into()),
            role: Some("groups".into()),
            ..Default::default()
        },
        now(),
    )
    .await
    .unwrap();
    map_group(
        &s,
        &Actor::cli(),
        &a.id,
        "Multi-Pass",
        "/eng",
        "Full Access",
        now(),
    )
    .await
    .unwrap();
    map_group(
        &s,
        &Actor::cli(),
        &a.id,
        "Multi-Pass",
        "/finance",
        "Billing",
        now(),
    )
    .await
    .unwrap();
    add_saml_account(
        &s,
        &Actor::cli(),
        &a.id,
        "carol@acme.example",
        "Read Only",
        Some("auditor"),
        now(),
    )
    .await
    .unwrap();
    add_native_user(
        &s,
        &Actor::cli(),
        &a.id,
        "admin@acme.example",
        Some("Admin"),
        "admin password 1",
        true,
        None,
        now(),
    )
    .await
    .unwrap();
    (s, dir, a.id)
}

fn actions(r: &ImportReport, action: Action) -> Vec<String> {
    r.results
        .iter()
        .filter(|i| i.action == action)
        .map(|i| format!("{} {}", i.resource_type, i.resource_name))
        .collect()
}

#[tokio::test]
async fn export_then_import_into_an_empty_store_gives_the_same_account() {
    let (a, _d1, id) = seeded().await;
    let doc = export_account(&a, &id, true).await.unwrap();
    assert_eq!(doc.roles, vec!["Billing"]);
    assert_eq!(doc.identity_providers[0].group_mappings.len(), 2);
    assert!(doc.users[0].password_hash.is_some());
    let doc: AccountDoc = serde_json::from_str(&serde_json::to_string(&doc).unwrap()).unwrap();

    let (b, _d2) = store().await;
    let r = import(&b, &doc, IfExists::Fail, false).await.unwrap();
    assert_eq!(r.skipped, 0, "{r:?}");
    assert_eq!(r.added, 5, "{r:?}");
    let acc = b.accounts().await.unwrap().remove(0);
    let again = export_account(&b, &acc.id, true).await.unwrap();
    assert_eq!(
        serde_json::to_value(&again).unwrap(),
        serde_json::to_value(&doc).unwrap()
    );
    // The master administrator's password still works.
    let signed = native_sign_in(&b, "admin@acme.example", "admin password 1", now())
        .await
        .unwrap();
    assert!(!signed.is_empty());
    // Every import is in the account's audit log.
    let log = b.audit_log(&acc.id).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.detail == "imported identity provider Multi-Pass"),
        "{log:?}"
    );
}

#[tokio::test]
async fn overwrite_is_idempotent_and_makes_the_account_what_the_document_says() {
    let (s, _d, id) = seeded().await;
    let mut doc = export_account(&s, &id, false).await.unwrap();
    let log = s.audit_log(&id).await.unwrap().len();
    let r = import(&s, &doc, IfExists::Overwrite, false).await.unwrap();
    assert!(!r.changed(), "{r:?}");
    assert_eq!(s.audit_log(&id).await.unwrap().len(), log);

    doc.identity_providers[0]
        .group_mappings
        .retain(|m| m.group == "/eng");
    doc.identity_providers[0].group_mappings[0].role = "Read Only".into();
    doc.identity_providers[0].locale_attribute = Some("locale".into());
    doc.saml_accounts[0].role = "Full Access".into();
    let dry = import(&s, &doc, IfExists::Overwrite, true).await.unwrap();
    assert!(dry.changed());
    assert_eq!(
        export_account(&s, &id, false).await.unwrap().saml_accounts[0].role,
        "Read Only"
    );
    let r = import(&s, &doc, IfExists::Overwrite, false).await.unwrap();
    assert_eq!(
        actions(&r, Action::Overwritten),
        actions(&dry, Action::Overwritten)
    );
    assert_eq!(
        actions(&r, Action::Overwritten),
        vec![
            "IDENTITY_PROVIDER Multi-Pass",
            "SAML_ACCOUNT carol@acme.example"
        ]
    );
    let c = s.idps(&id).await.unwrap().remove(0);
    assert_eq!(c.locale_attribute.as_deref(), Some("locale"));
    let m = s.mappings(&c.id).await.unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].role_name, "Read Only");
    let r = import(&s, &doc, IfExists::Overwrite, false).await.unwrap();
    assert!(!r.changed(), "{r:?}");
}

#[tokio::test]
async fn fail_and_skip_on_what_exists_and_bad_documents_write_nothing() {
    let (s, _d, id) = seeded().await;
    let doc = export_account(&s, &id, false).await.unwrap();
    let log = s.audit_log(&id).await.unwrap().len();
    let e = import(&s, &doc, IfExists::Fail, false).await.unwrap_err();
    assert!(matches!(e, SpError::Conflict(_)), "{e}");
    let r = import(&s, &doc, IfExists::Skip, false).await.unwrap();
    assert!(!r.changed());
    assert_eq!(s.audit_log(&id).await.unwrap().len(), log);

    let (empty, _d2) = store().await;
    let base = serde_json::json!({
        "account": "New",
        "identityProviders": [{"name": "I", "metadata": idp_metadata(IDP, "idp-rsa"),
            "groupMappings": [{"group": "/g", "role": "Full Access"}]}]
    });
    let cases = [
        (
            "an unknown role",
            serde_json::json!({"samlAccounts": [{"name": "x", "role": "Nope"}]}),
        ),
        (
            "bad metadata",
            serde_json::json!({"identityProviders": [{"name": "I", "metadata": "<nope/>"}]}),
        ),
        (
            "a group mapped twice",
            serde_json::json!({"identityProviders": [{"name": "I", "metadata": idp_metadata(IDP, "idp-rsa"),
            "groupMappings": [{"group": "/g", "role": "Full Access"}, {"group": "/g", "role": "Read Only"}]}]}),
        ),
        (
            "a short password",
            serde_json::json!({"users": [{"email": "a@b", "password": "short"}]}),
        ),
        (
            "not an email",
            serde_json::json!({"users": [{"email": "nobody", "password": "long enough 1"}]}),
        ),
        (
            "a bad hash",
            serde_json::json!({"users": [{"email": "a@b", "passwordHash": "$pbkdf2$x"}]}),
        ),
    ];
    for (what, patch) in cases {
        let mut v = base.clone();
        for (k, val) in patch.as_object().unwrap() {
            v[k] = val.clone();
        }
        let doc: AccountDoc = serde_json::from_value(v).unwrap();
        let e = import(&empty, &doc, IfExists::Fail, false).await;
        assert!(matches!(e, Err(SpError::Invalid(_))), "{what}: {e:?}");
        assert!(
            empty.accounts().await.unwrap().is_empty(),
            "{what}: written"
        );
    }
    // An unknown field is refused by the document's own format (a typo never passes silently).
    assert!(
        serde_json::from_value::<AccountDoc>(serde_json::json!({"account": "x", "rolez": []}))
            .is_err()
    );
    // Another entity under an existing name is another identity provider: refused.
    let mut other = doc.clone();
    other.identity_providers[0].metadata = idp_metadata("https://elsewhere.example/idp", "idp-rsa");
    let e = import(&s, &other, IfExists::Overwrite, false)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("another identity provider"), "{e}");
    let good: AccountDoc = serde_json::from_value(base).unwrap();
    let r = import(&empty, &good, IfExists::Fail, false).await.unwrap();
    assert_eq!(r.added, 2, "{r:?}");
}

#[tokio::test]
async fn the_sp_key_moves_only_whole_and_only_into_an_sp_without_one() {
    let (s, _d) = store().await;
    let read =
        |n: &str| std::fs::read_to_string(repo().join(format!("testdata/keys/{n}"))).unwrap();
    let mismatched = format!(
        "{}{}",
        read("attacker-rsa.key.pem"),
        read("idp-rsa.crt.pem")
    );
    let e = import_sp_key(&s, &mismatched, now()).await.unwrap_err();
    assert!(e.to_string().contains("does not belong"), "{e}");
    let e = import_sp_key(&s, &read("idp-rsa.key.pem"), now())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("CERTIFICATE"), "{e}");
    let good = format!("{}{}", read("idp-rsa.key.pem"), read("idp-rsa.crt.pem"));
    let k = import_sp_key(&s, &good, now()).await.unwrap();
    assert_eq!(
        import_sp_key(&s, &good, now()).await.unwrap().kid,
        k.kid,
        "the same key again"
    );
    let exported = export_sp_key(&s).await.unwrap();
    assert!(exported.contains("PRIVATE KEY") && exported.contains("CERTIFICATE"));
    let other = format!(
        "{}{}",
        read("idp-rsa-next.key.pem"),
        read("idp-rsa-next.crt.pem")
    );
    assert!(matches!(
        import_sp_key(&s, &other, now()).await,
        Err(SpError::Conflict(_))
    ));
}

#[tokio::test]
async fn importing_into_an_account_never_reaches_another() {
    let (s, _dir, acme) = seeded().await;
    let other = create_account(&s, &Actor::cli(), "Globex", now())
        .await
        .unwrap();
    let opts = ImportOptions {
        if_exists: IfExists::Skip,
        dry_run: false,
        check_url: &ok_url,
    };
    let doc = AccountDoc {
        account: "Acme Production".into(),
        roles: vec!["Auditors".into()],
        ..AccountDoc::default()
    };
    // A document naming Acme, imported into Globex (as Globex's API key would): refused whole.
    let e = symbolon_sp::account_io::import_into_account(
        &s,
        &Actor::cli(),
        &other.id,
        &doc,
        &opts,
        now(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, SpError::Invalid(_)), "{e}");
    assert!(e.to_string().contains("Acme Production"), "{e}");
    let names = |id: &str| {
        let s = &s;
        let id = id.to_string();
        async move {
            s.account_roles(&id)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.name)
                .collect::<Vec<_>>()
        }
    };
    assert!(!names(&other.id).await.contains(&"Auditors".to_string()));
    assert!(!names(&acme).await.contains(&"Auditors".to_string()));
    // Without a name, into the given account and no other; the name in any case or spacing too.
    for (name, into) in [("", &other.id), ("  acme production ", &acme)] {
        let doc = AccountDoc {
            account: name.into(),
            ..doc.clone()
        };
        let r = symbolon_sp::account_io::import_into_account(
            &s,
            &Actor::cli(),
            into,
            &doc,
            &opts,
            now(),
        )
        .await
        .unwrap();
        assert_eq!(r.added, 1, "{r:?}");
        assert!(names(into).await.contains(&"Auditors".to_string()));
    }
    // An account that does not exist is not created by it.
    let e = symbolon_sp::account_io::import_into_account(
        &s,
        &Actor::cli(),
        "no-such-account",
        &AccountDoc::default(),
        &opts,
        now(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, SpError::NotFound(_)), "{e}");
    assert_eq!(s.accounts().await.unwrap().len(), 2);
}
