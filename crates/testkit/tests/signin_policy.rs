//! The realm's sign-in policy over real HTTP: a realm that requires more than a password never
//! answers the SP with an assertion after the password alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use symbolon_idp::AuthPolicy;
use symbolon_testkit::{Browser, PASSWORD, Page, REALM, Stack, USER};

fn authenticate_url(stack: &Stack) -> String {
    format!("{}/realms/{REALM}/login-actions/authenticate", stack.idp)
}

/// Open the IdP-initiated SSO URL and post the password on the login page.
async fn sign_in(stack: &Stack, b: &mut Browser, password: &str) -> Page {
    let login = b.get(&stack.idp_initiated_url()).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let flow = login.field("flow").expect("the login page's flow");
    let csrf = login.field("csrf").expect("the login page's form token");
    b.post(
        &authenticate_url(stack),
        &[
            ("flow", &flow),
            ("csrf", &csrf),
            ("username", USER),
            ("password", password),
        ],
    )
    .await
}

fn is_assertion(p: &Page) -> bool {
    p.body.contains("SAMLResponse")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_realm_answers_the_sp_after_the_password() {
    let stack = Stack::start(AuthPolicy::Password).await;
    let mut b = Browser::new();
    let page = sign_in(&stack, &mut b, PASSWORD).await;
    assert_eq!(page.status, 200);
    assert!(is_assertion(&page), "{}", page.body);
    assert!(
        page.body
            .contains(&format!("action=\"{}/saml/acs\"", stack.sp))
    );
    // The SSO session now answers at once.
    let again = b.get(&stack.idp_initiated_url()).await;
    assert!(is_assertion(&again), "{}", again.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_gets_no_assertion_and_locks_after_five() {
    let stack = Stack::start(AuthPolicy::Password).await;
    let mut b = Browser::new();
    for _ in 0..5 {
        let page = sign_in(&stack, &mut b, "not the password").await;
        assert!(!is_assertion(&page), "{}", page.body);
    }
    // Locked: even the right password is refused for now.
    let page = sign_in(&stack, &mut b, PASSWORD).await;
    assert!(!is_assertion(&page), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_factor_realm_never_answers_after_the_password_alone() {
    let stack = Stack::start(AuthPolicy::SecondFactor).await;
    let mut b = Browser::new();
    let page = sign_in(&stack, &mut b, PASSWORD).await;
    assert!(!is_assertion(&page), "{}", page.body);
    // Without a second factor: refused, with the way to set one up.
    assert_eq!(page.status, 403);
    assert!(
        page.body.contains("requires a second factor"),
        "{}",
        page.body
    );
    // Starting over does not reuse anything the password alone earned.
    let again = b.get(&stack.idp_initiated_url()).await;
    assert!(!is_assertion(&again), "{}", again.body);
    // With an authenticator app: the password leads to the code, not to the SP.
    let secret = stack.enrol_totp(USER).await;
    let mut b = Browser::new();
    let page = sign_in(&stack, &mut b, PASSWORD).await;
    assert!(!is_assertion(&page), "{}", page.body);
    let (flow, csrf) = (page.field("flow").unwrap(), page.field("csrf").unwrap());
    assert!(page.field("code").is_some(), "{}", page.body);
    let second = format!("{}/realms/{REALM}/login-actions/second-factor", stack.idp);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let right = symbolon_idp::totp::code_at(&secret, now);
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    let refused = b
        .post(
            &second,
            &[("flow", &flow), ("csrf", &csrf), ("code", &wrong)],
        )
        .await;
    assert!(!is_assertion(&refused), "{}", refused.body);
    let page = b
        .post(
            &second,
            &[("flow", &flow), ("csrf", &csrf), ("code", &right)],
        )
        .await;
    assert!(is_assertion(&page), "{} {}", page.status, page.body);
    // The assertion says the second factor was used.
    let xml = stack.decrypted(&decode_response(&page)).await;
    assert!(xml.contains("https://refeds.org/profile/mfa"), "{xml}");
}

fn decode_response(p: &Page) -> String {
    use base64::Engine as _;
    let b64 = p.field("SAMLResponse").expect("a SAMLResponse");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    String::from_utf8(raw).expect("UTF-8")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_only_realm_never_answers_after_a_password() {
    let stack = Stack::start(AuthPolicy::PasskeyOnly).await;
    let mut b = Browser::new();
    let page = sign_in(&stack, &mut b, PASSWORD).await;
    assert!(!is_assertion(&page), "{}", page.body);
    let again = b.get(&stack.idp_initiated_url()).await;
    assert!(!is_assertion(&again), "{}", again.body);
}
