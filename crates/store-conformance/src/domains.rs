//! Email domains of accounts (home-realm discovery): claims per account, one verified claim per
//! domain across accounts, claims going with their account and their identity provider.

use symbolon_store::StoreError;
use symbolon_store::domains::{AccountDomain, DomainStore};
use symbolon_store::sp::*;
use time::OffsetDateTime;

fn t(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + s).unwrap()
}

fn idp(id: &str, account: &str) -> IdpConfig {
    IdpConfig {
        id: id.into(),
        account_id: account.into(),
        name: format!("idp-{id}"),
        description: None,
        entity_id: format!("https://{id}.test"),
        certs: vec![vec![1]],
        sso_url: Some("https://idp.test/sso".into()),
        metadata_xml: "<md/>".into(),
        name_attribute: None,
        locale_attribute: None,
        timezone_attribute: None,
        role_attribute: None,
        sp_initiated: true,
        allow_cbc: false,
        metadata_source: None,
        created_at: t(0),
    }
}

fn claim(account: &str, domain: &str, idp: &str, verified: Option<i64>) -> AccountDomain {
    AccountDomain {
        account_id: account.into(),
        domain: domain.into(),
        idp_id: idp.into(),
        token: format!("token-{account}"),
        verified_at: verified.map(t),
        created_at: t(1),
    }
}

/// Uses accounts `dom-*`.
pub async fn domains<S: SpStore + DomainStore>(s: S) {
    for id in ["dom-a", "dom-b"] {
        s.create_account(
            &Account {
                id: id.into(),
                name: id.into(),
                created_at: t(0),
            },
            &[],
        )
        .await
        .unwrap();
        s.create_idp(&idp(&format!("{id}-idp"), id)).await.unwrap();
    }
    // Two accounts may claim a domain; nothing is discovered before a claim is verified.
    s.put_domain(&claim("dom-a", "corp.test", "dom-a-idp", None))
        .await
        .unwrap();
    s.put_domain(&claim("dom-b", "corp.test", "dom-b-idp", None))
        .await
        .unwrap();
    assert_eq!(s.verified_domain("corp.test").await.unwrap(), None);
    assert!(!s.has_verified_domains().await.unwrap());
    // Verified for one account: found, with its IdP and time.
    let verified = claim("dom-a", "corp.test", "dom-a-idp", Some(5));
    s.put_domain(&verified).await.unwrap();
    assert_eq!(
        s.verified_domain("corp.test").await.unwrap(),
        Some(verified.clone())
    );
    assert!(s.has_verified_domains().await.unwrap());
    // The other account's claim cannot be verified too, and stays as it was.
    let r = s
        .put_domain(&claim("dom-b", "corp.test", "dom-b-idp", Some(6)))
        .await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
    let b = s.account_domains("dom-b").await.unwrap();
    assert_eq!(b, vec![claim("dom-b", "corp.test", "dom-b-idp", None)]);
    // Listing is per account, by domain.
    s.put_domain(&claim("dom-a", "apps.corp.test", "dom-a-idp", None))
        .await
        .unwrap();
    let a: Vec<String> = s
        .account_domains("dom-a")
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.domain)
        .collect();
    assert_eq!(a, ["apps.corp.test", "corp.test"]);
    // Removing: true once, then false; another account's claim is untouched.
    assert!(s.delete_domain("dom-a", "apps.corp.test").await.unwrap());
    assert!(!s.delete_domain("dom-a", "apps.corp.test").await.unwrap());
    assert_eq!(s.account_domains("dom-b").await.unwrap().len(), 1);
    // A claim goes with its identity provider, and with its account.
    s.delete_idp("dom-a", "dom-a-idp").await.unwrap();
    assert_eq!(s.verified_domain("corp.test").await.unwrap(), None);
    assert!(!s.has_verified_domains().await.unwrap());
    assert!(s.account_domains("dom-a").await.unwrap().is_empty());
    s.delete_account("dom-b").await.unwrap();
    assert!(s.account_domains("dom-b").await.unwrap().is_empty());
}
