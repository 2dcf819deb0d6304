//! Bindings: HTTP-POST (base64 in a form field; an auto-submitting form) and HTTP-Redirect (raw
//! DEFLATE, base64, URL encoding, and a detached signature over the query string).
//!
//! Sizes are capped before decoding, and inflation is capped while inflating. A Redirect signature
//! is verified over the query string exactly as received, never over re-encoded values.

use std::borrow::Cow;
use std::io::Read;

use symbolon_dsig::{
    PinnedCert, SecureRandom, SignatureAlgorithm, SigningKey, decode_base64, encode_base64,
};
use symbolon_xml::writer::push_attr;

/// The largest SAMLResponse accepted, before decoding (base64 of the 2 MiB XML limit).
pub const MAX_POST_BASE64: usize = 2 * 1024 * 1024 * 4 / 3 + 4096;
/// The largest Redirect query string accepted, before decoding.
pub const MAX_REDIRECT_QUERY: usize = 64 * 1024;
/// The largest inflated Redirect message.
pub const MAX_INFLATED: usize = 512 * 1024;
/// The longest RelayState accepted (SAML says senders must keep it to 80 bytes; real SPs send
/// URLs, so receivers allow more, but not without bound).
pub const MAX_RELAY_STATE: usize = 1024;

/// Why a binding payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindingError {
    #[error("SAML message is {0} bytes, over the limit")]
    TooLarge(usize),
    #[error("SAML message is not valid base64 (standard alphabet, padding required)")]
    NotBase64,
    #[error("SAML message does not inflate (raw DEFLATE expected)")]
    NotDeflate,
    #[error("SAML message inflates past {0} bytes (deflate bomb)")]
    InflateBomb(usize),
    #[error("query parameter {0} appears more than once")]
    DuplicateParameter(String),
    #[error("query string has no SAMLRequest or SAMLResponse")]
    NoMessage,
    #[error("query string has both SAMLRequest and SAMLResponse")]
    BothMessages,
    #[error("query parameter {0} is not correctly percent-encoded")]
    BadEncoding(&'static str),
    #[error("RelayState is {0} bytes, over the limit of {MAX_RELAY_STATE}")]
    RelayStateTooLong(usize),
    #[error("Signature without SigAlg, or SigAlg without Signature")]
    SignatureIncomplete,
    #[error("SigAlg {0:?} is not allowed")]
    UnsupportedSigAlg(String),
    #[error("SigAlg is SHA-1, which is not allowed here")]
    Sha1NotAllowed,
    #[error("HMAC SigAlg {0:?} is refused")]
    HmacRefused(String),
    #[error("the query string signature does not verify with any pinned certificate")]
    SignatureInvalid,
    #[error("no signing certificate is pinned for this peer")]
    NoPinnedKeys,
}

/// Decode an HTTP-POST SAMLResponse/SAMLRequest value: standard base64 with padding; spaces and
/// line breaks allowed; nothing after the padding. The size is capped before decoding.
pub fn decode_post(value: &[u8]) -> Result<Vec<u8>, BindingError> {
    if value.len() > MAX_POST_BASE64 {
        return Err(BindingError::TooLarge(value.len()));
    }
    let text = std::str::from_utf8(value).map_err(|_| BindingError::NotBase64)?;
    if text.trim().is_empty() {
        return Err(BindingError::NotBase64);
    }
    decode_base64(text).ok_or(BindingError::NotBase64)
}

/// A SAMLResponse given either as XML or as the base64 a browser posts: XML when the first
/// non-whitespace character (after an optional UTF-8 BOM) is `<`.
pub fn xml_or_base64(input: &[u8]) -> Result<Cow<'_, [u8]>, BindingError> {
    let body = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let trimmed = body.get(start..).unwrap_or_default();
    if trimmed.first() == Some(&b'<') {
        // Whitespace before the document carries nothing; an XML declaration must come first.
        Ok(Cow::Borrowed(trimmed))
    } else {
        decode_post(body).map(Cow::Owned)
    }
}

/// The script that submits a POST-binding form; serve the page with a CSP allowing exactly its
/// hash ([`post_form_script_csp_hash`]).
pub const POST_FORM_SCRIPT: &str = "document.forms[0].submit();";

/// `'sha256-...'` for a Content-Security-Policy `script-src`.
pub fn post_form_script_csp_hash() -> String {
    format!(
        "'sha256-{}'",
        encode_base64(&symbolon_dsig::sha256(POST_FORM_SCRIPT.as_bytes()))
    )
}

/// The auto-submitting HTML page that carries a SAML message to `action` by HTTP-POST. Every value
/// is escaped; without JavaScript the user presses the button.
pub fn post_form(action: &str, field: &str, xml: &[u8], relay_state: Option<&str>) -> String {
    let mut s = String::with_capacity(xml.len() * 4 / 3 + 1024);
    s.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"robots\" content=\"noindex\"><title>Signing in</title></head><body><form method=\"post\" action=\"");
    push_attr(&mut s, action);
    s.push_str("\"><input type=\"hidden\" name=\"");
    push_attr(&mut s, field);
    s.push_str("\" value=\"");
    s.push_str(&encode_base64(xml));
    s.push('"');
    s.push('>');
    if let Some(rs) = relay_state {
        s.push_str("<input type=\"hidden\" name=\"RelayState\" value=\"");
        push_attr(&mut s, rs);
        s.push_str("\">");
    }
    s.push_str("<noscript><p>JavaScript is off in this browser. Press Continue to finish signing in.</p></noscript><button type=\"submit\">Continue</button></form><script>");
    s.push_str(POST_FORM_SCRIPT);
    s.push_str("</script></body></html>");
    s
}

/// Which message a Redirect query carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Request,
    Response,
}

impl MessageKind {
    pub fn param(self) -> &'static str {
        match self {
            MessageKind::Request => "SAMLRequest",
            MessageKind::Response => "SAMLResponse",
        }
    }
}

/// A Redirect-binding message, decoded. The signature, if any, is not yet verified: call
/// [`RedirectMessage::verify_signature`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectMessage {
    pub kind: MessageKind,
    /// The inflated XML.
    pub xml: Vec<u8>,
    pub relay_state: Option<String>,
    pub signature: Option<RedirectSignature>,
}

/// A detached Redirect-binding signature, with the exact bytes it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectSignature {
    pub sig_alg: String,
    /// `SAMLRequest=...&RelayState=...&SigAlg=...` as received (values still percent-encoded).
    pub signed: Vec<u8>,
    pub value: Vec<u8>,
}

/// Decode an `application/x-www-form-urlencoded` value strictly (`+` is a space; every `%` starts a
/// two-hex-digit escape; the result must be UTF-8).
pub fn form_decode(raw: &str, what: &'static str) -> Result<String, BindingError> {
    // Strict: every `%` starts a two-hex-digit escape.
    let b = raw.as_bytes();
    for (i, _) in b.iter().enumerate().filter(|(_, c)| **c == b'%') {
        let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if !ok {
            return Err(BindingError::BadEncoding(what));
        }
    }
    let plus = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| BindingError::BadEncoding(what))
}

/// Decode a Redirect-binding query string (the part after `?`, exactly as received).
pub fn decode_redirect(query: &str) -> Result<RedirectMessage, BindingError> {
    if query.len() > MAX_REDIRECT_QUERY {
        return Err(BindingError::TooLarge(query.len()));
    }
    let mut message: Option<(MessageKind, &str)> = None;
    let mut relay: Option<&str> = None;
    let mut sig_alg: Option<&str> = None;
    let mut signature: Option<&str> = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        let slot = match name {
            "SAMLRequest" | "SAMLResponse" => {
                let kind = if name == "SAMLRequest" {
                    MessageKind::Request
                } else {
                    MessageKind::Response
                };
                if let Some((k, _)) = message {
                    return Err(if k == kind {
                        BindingError::DuplicateParameter(name.into())
                    } else {
                        BindingError::BothMessages
                    });
                }
                message = Some((kind, pair));
                continue;
            }
            "RelayState" => &mut relay,
            "SigAlg" => &mut sig_alg,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.is_some() {
            return Err(BindingError::DuplicateParameter(name.into()));
        }
        *slot = Some(pair);
    }
    let (kind, message_pair) = message.ok_or(BindingError::NoMessage)?;
    let value_of = |pair: &str| pair.split_once('=').map_or("", |(_, v)| v).to_string();

    let relay_state = match relay {
        Some(p) => {
            let rs = form_decode(&value_of(p), "RelayState")?;
            if rs.len() > MAX_RELAY_STATE {
                return Err(BindingError::RelayStateTooLong(rs.len()));
            }
            Some(rs)
        }
        None => None,
    };

    let b64 = form_decode(&value_of(message_pair), "SAML message")?;
    let deflated = decode_base64(&b64).ok_or(BindingError::NotBase64)?;
    let xml = inflate_capped(&deflated, MAX_INFLATED)?;

    let signature = match (sig_alg, signature) {
        (None, None) => None,
        (Some(alg_pair), Some(sig_pair)) => {
            // The signed octets: the three parameters in this order, as received.
            let mut signed = Vec::with_capacity(message_pair.len() + 256);
            signed.extend_from_slice(message_pair.as_bytes());
            if let Some(r) = relay {
                signed.push(b'&');
                signed.extend_from_slice(r.as_bytes());
            }
            signed.push(b'&');
            signed.extend_from_slice(alg_pair.as_bytes());
            let value = decode_base64(&form_decode(&value_of(sig_pair), "Signature")?)
                .ok_or(BindingError::NotBase64)?;
            Some(RedirectSignature {
                sig_alg: form_decode(&value_of(alg_pair), "SigAlg")?,
                signed,
                value,
            })
        }
        _ => return Err(BindingError::SignatureIncomplete),
    };
    Ok(RedirectMessage {
        kind,
        xml,
        relay_state,
        signature,
    })
}

/// Inflate raw DEFLATE, failing as soon as the output passes `cap`.
pub fn inflate_capped(data: &[u8], cap: usize) -> Result<Vec<u8>, BindingError> {
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(cap));
    let mut decoder = flate2::read::DeflateDecoder::new(data).take(cap as u64 + 1);
    decoder
        .read_to_end(&mut out)
        .map_err(|_| BindingError::NotDeflate)?;
    if out.len() > cap {
        return Err(BindingError::InflateBomb(cap));
    }
    Ok(out)
}

impl RedirectSignature {
    /// Verify against pinned keys. Returns the algorithm used.
    pub fn verify(
        &self,
        keys: &[PinnedCert],
        allow_sha1: bool,
    ) -> Result<SignatureAlgorithm, BindingError> {
        let alg = SignatureAlgorithm::from_uri(&self.sig_alg).ok_or_else(|| {
            if self.sig_alg.to_ascii_lowercase().contains("hmac") {
                BindingError::HmacRefused(self.sig_alg.clone())
            } else {
                BindingError::UnsupportedSigAlg(self.sig_alg.clone())
            }
        })?;
        if alg.is_sha1() && !allow_sha1 {
            return Err(BindingError::Sha1NotAllowed);
        }
        if keys.is_empty() {
            return Err(BindingError::NoPinnedKeys);
        }
        if keys
            .iter()
            .any(|k| k.verify_detached(alg, &self.signed, &self.value))
        {
            Ok(alg)
        } else {
            Err(BindingError::SignatureInvalid)
        }
    }
}

impl RedirectMessage {
    /// Verify the signature if there is one: `Ok(None)` when unsigned, `Ok(Some(alg))` when it
    /// verifies. A present signature that fails is always an error.
    pub fn verify_signature(
        &self,
        keys: &[PinnedCert],
        allow_sha1: bool,
    ) -> Result<Option<SignatureAlgorithm>, BindingError> {
        match &self.signature {
            None => Ok(None),
            Some(s) => s.verify(keys, allow_sha1).map(Some),
        }
    }
}

const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn encode_value(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, QUERY_VALUE).to_string()
}

/// Build a Redirect-binding URL: `endpoint` + `?` (or `&` if it already has a query) +
/// `SAMLRequest|SAMLResponse=...[&RelayState=...][&SigAlg=...&Signature=...]`.
pub fn encode_redirect(
    endpoint: &str,
    kind: MessageKind,
    xml: &[u8],
    relay_state: Option<&str>,
    signer: Option<(&SigningKey, SignatureAlgorithm, &dyn SecureRandom)>,
) -> Result<String, symbolon_dsig::SignError> {
    use std::io::Write;
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(xml)
        .map_err(|_| symbolon_dsig::SignError::Crypto)?;
    let deflated = enc.finish().map_err(|_| symbolon_dsig::SignError::Crypto)?;
    let mut query = format!(
        "{}={}",
        kind.param(),
        encode_value(&encode_base64(&deflated))
    );
    if let Some(rs) = relay_state {
        query.push_str("&RelayState=");
        query.push_str(&encode_value(rs));
    }
    if let Some((key, alg, rng)) = signer {
        query.push_str("&SigAlg=");
        query.push_str(&encode_value(alg.uri()));
        let sig = key.sign_bytes(alg, query.as_bytes(), rng)?;
        query.push_str("&Signature=");
        query.push_str(&encode_value(&encode_base64(&sig)));
    }
    let sep = if endpoint.contains('?') { '&' } else { '?' };
    Ok(format!("{endpoint}{sep}{query}"))
}
