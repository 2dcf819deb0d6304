//! Standard Webhooks (<https://www.standardwebhooks.com>) signatures: a secret is `whsec_` and
//! the base64 of its key (made by `store::webhooks::new_webhook`); a message is signed with HMAC-SHA256 over `{id}.{timestamp}.{body}`
//! and the `webhook-signature` header carries `v1,` and the base64 of the MAC.

use aws_lc_rs::hmac;
use data_encoding::BASE64;

/// The secret's prefix.
pub const PREFIX: &str = "whsec_";

/// The `webhook-signature` value (`v1,<base64>`) of a message, or `None` when the secret is not
/// a `whsec_` base64 key.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = BASE64
        .decode(secret.strip_prefix(PREFIX).unwrap_or(secret).as_bytes())
        .ok()?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(msg_id.as_bytes());
    ctx.update(b".");
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body.as_bytes());
    Some(format!("v1,{}", BASE64.encode(ctx.sign().as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specifications_example() {
        // The example of the Standard Webhooks specification and its reference libraries.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn a_secret_that_is_not_base64_signs_nothing() {
        assert!(sign("whsec_c2VjcmV0", "msg_1", 1, "{}").is_some());
        assert_eq!(sign("whsec_not base64!", "msg_1", 1, "{}"), None);
    }
}
