//! The ACS path over real HTTP, IdP to SP: a response the IdP issued signs the user in to the
//! account that trusts the IdP; the same response again, an altered one, or none, never does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use symbolon_idp::AuthPolicy;
use symbolon_testkit::{Browser, PASSWORD, Page, REALM, Stack, USER};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Sign in at the IdP (IdP-initiated) and return the page that posts to the SP's ACS.
async fn issued(stack: &Stack) -> Page {
    let mut b = Browser::new();
    let login = b.get(&stack.idp_initiated_url()).await;
    let flow = login.field("flow").unwrap();
    let csrf = login.field("csrf").unwrap();
    let page = b
        .post(
            &format!("{}/realms/{REALM}/login-actions/authenticate", stack.idp),
            &[
                ("flow", &flow),
                ("csrf", &csrf),
                ("username", USER),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(page.field("SAMLResponse").is_some(), "{}", page.body);
    page
}

async fn post_acs(stack: &Stack, b: &mut Browser, response: &str) -> Page {
    b.post(
        &format!("{}/saml/acs", stack.sp),
        &[("SAMLResponse", response)],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issued_response_signs_in_once() {
    let stack = Stack::start(AuthPolicy::Password).await;
    let response = issued(&stack).await.field("SAMLResponse").unwrap();
    let mut b = Browser::new();
    let acs = post_acs(&stack, &mut b, &response).await;
    assert!(
        acs.status.is_redirection(),
        "{} {:?} {}",
        acs.status,
        acs.location,
        acs.body
    );
    assert!(
        acs.set_cookies.iter().any(|c| c.contains("HttpOnly")),
        "a session cookie: {:?}",
        acs.set_cookies
    );
    let home = b.get(&format!("{}/", stack.sp)).await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("Acme Production"), "{}", home.body);
    assert!(home.body.contains("alice@acme.test"), "{}", home.body);

    // The same response again, from another browser: refused, no session.
    let mut other = Browser::new();
    let replay = post_acs(&stack, &mut other, &response).await;
    assert_eq!(replay.status, 403, "{}", replay.body);
    let home = other.get(&format!("{}/", stack.sp)).await;
    assert!(!home.body.contains("alice@acme.test"), "{}", home.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_altered_response_is_refused() {
    let stack = Stack::start(AuthPolicy::Password).await;
    let response = issued(&stack).await.field("SAMLResponse").unwrap();
    let received = String::from_utf8(B64.decode(&response).unwrap()).unwrap();
    // The client was imported from the SP's metadata, which publishes an encryption key.
    assert!(received.contains("EncryptedAssertion") && !received.contains("alice@acme.test"));
    // Whoever could read it cannot make the SP accept it changed.
    let xml = stack.decrypted(&received).await;
    assert!(xml.contains("alice@acme.test"));
    let forged = B64.encode(xml.replace("alice@acme.test", "mallory@acme.test"));
    let mut b = Browser::new();
    let page = post_acs(&stack, &mut b, &forged).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(!page.body.contains("mallory@acme.test") || page.body.contains("Failed"));
    let home = b.get(&format!("{}/", stack.sp)).await;
    assert!(!home.body.contains("mallory@acme.test"), "{}", home.body);
    // The genuine one still works afterwards (the forgery consumed nothing).
    let ok = post_acs(&stack, &mut b, &response).await;
    assert!(ok.status.is_redirection(), "{} {}", ok.status, ok.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_missing_responses_get_clear_errors() {
    let stack = Stack::start(AuthPolicy::Password).await;
    let mut b = Browser::new();
    for bad in [
        "",
        "not base64!!",
        &B64.encode("<not-saml/>"),
        &B64.encode("<a"),
    ] {
        let page = post_acs(&stack, &mut b, bad).await;
        assert!(
            page.status.is_client_error(),
            "{bad:?}: {} {}",
            page.status,
            page.body
        );
        assert!(
            page.content_security_policy.is_some(),
            "an HTML page with its CSP"
        );
    }
    let none = b.post(&format!("{}/saml/acs", stack.sp), &[]).await;
    assert!(none.status.is_client_error(), "{}", none.status);
}
