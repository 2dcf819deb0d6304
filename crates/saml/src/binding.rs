//! Bindings. HTTP-POST: the SAMLResponse form field is base64 of the XML.

/// The largest SAMLResponse accepted, before decoding (base64 of the 2 MiB XML limit).
pub const MAX_POST_BASE64: usize = 2 * 1024 * 1024 * 4 / 3 + 4096;

/// Why a binding payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindingError {
    #[error("SAML message is {0} bytes, over the limit")]
    TooLarge(usize),
    #[error("SAML message is not valid base64 (standard alphabet, padding required)")]
    NotBase64,
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
    symbolon_dsig::decode_base64(text).ok_or(BindingError::NotBase64)
}

/// A SAMLResponse given either as XML or as the base64 a browser posts: XML when the first
/// non-whitespace character (after an optional UTF-8 BOM) is `<`.
pub fn xml_or_base64(input: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, BindingError> {
    let body = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let trimmed = body.get(start..).unwrap_or_default();
    if trimmed.first() == Some(&b'<') {
        // Whitespace before the document carries nothing; an XML declaration must come first.
        Ok(std::borrow::Cow::Borrowed(trimmed))
    } else {
        decode_post(body).map(std::borrow::Cow::Owned)
    }
}
