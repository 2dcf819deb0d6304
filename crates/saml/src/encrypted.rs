//! Encrypted assertions (SAML core 2.3.4, XML Encryption 1.1): the IdP encrypts a signed
//! assertion to the SP's encryption certificate; the SP decrypts it back into the document it
//! came in, where [`crate::sp::validate_decrypted_response`] checks it like a clear one.
//!
//! Invariants:
//! - The assertion is signed before it is encrypted; a Response signature, if any, is made after
//!   and covers the `EncryptedAssertion`.
//! - At most one private-key operation per response (one `EncryptedAssertion`, at most
//!   [`symbolon_dsig::enc::MAX_ENCRYPTED_KEYS`] keys), and none when the structure or the
//!   algorithms are refused: those are read from the cleartext first.
//! - Everything that depends on the secret (the key, the ciphertext, the padding, whether the
//!   plaintext parses) fails as one error, [`EncError::Undecryptable`].

use symbolon_dsig::SecureRandom;
use symbolon_dsig::enc::{
    DataAlgorithm, DecryptPolicy, DecryptionKey, EncError, EncryptOptions, EncryptionCert, XENC,
    decrypt_element, encrypt_element,
};
use symbolon_xml::{Document, Limits, children_named, is_element, ns};

use crate::sp::ValidationError;

/// Replace the assertion whose `ID` is `assertion_id` in `xml` by an `EncryptedAssertion`
/// addressed to `to`. The assertion must already be signed (and self-contained: it declares
/// the namespaces it uses, as [`crate::idp::response_xml`] writes it).
pub fn encrypt_assertion(
    xml: &str,
    assertion_id: &str,
    to: &EncryptionCert,
    opts: &EncryptOptions,
    rng: &dyn SecureRandom,
) -> Result<String, EncError> {
    let doc =
        symbolon_xml::parse(xml, &Limits::default()).map_err(|_| EncError::Malformed("not XML"))?;
    let mut found = doc.descendants().filter(|n| {
        is_element(*n, ns::SAML, "Assertion") && n.attribute("ID") == Some(assertion_id)
    });
    let a = found
        .next()
        .ok_or(EncError::Malformed("no such assertion"))?;
    if found.next().is_some() {
        return Err(EncError::Malformed("the assertion ID appears twice"));
    }
    let range = a.range();
    let plain = xml
        .get(range.clone())
        .ok_or(EncError::Malformed("no such assertion"))?;
    let data = encrypt_element(plain.as_bytes(), to, opts, rng)?;
    let (before, after) = (
        xml.get(..range.start).unwrap_or_default(),
        xml.get(range.end..).unwrap_or_default(),
    );
    let mut out = String::with_capacity(before.len() + data.len() + after.len() + 64);
    out.push_str(before);
    out.push_str("<saml:EncryptedAssertion xmlns:saml=\"");
    out.push_str(ns::SAML);
    out.push_str("\">");
    out.push_str(&data);
    out.push_str("</saml:EncryptedAssertion>");
    out.push_str(after);
    Ok(out)
}

/// Whether the Response carries an `EncryptedAssertion` anywhere (cheap; no decryption).
pub fn has_encrypted_assertion(doc: &Document<'_>) -> bool {
    doc.descendants()
        .any(|n| is_element(n, ns::SAML, "EncryptedAssertion"))
}

/// A decrypted response: the received text with its `EncryptedAssertion` replaced by the
/// plaintext, and the algorithm that protected it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    pub xml: String,
    pub data: DataAlgorithm,
}

impl Decrypted {
    /// Parse the decrypted document. A plaintext that does not make a well-formed document is
    /// [`EncError::Undecryptable`] like any other failure of the secret-dependent part.
    pub fn parse(&self, limits: &Limits) -> Result<Document<'_>, ValidationError> {
        symbolon_xml::parse(&self.xml, limits)
            .map_err(|_| ValidationError::Decryption(EncError::Undecryptable))
    }
}

/// Validate a Response whether its assertion is clear or encrypted: an encrypted one is
/// decrypted with `key` (refused with [`ValidationError::EncryptedAssertion`] when there is none)
/// and validated by [`crate::sp::validate_decrypted_response`].
pub fn validate_any(
    input: &[u8],
    limits: &Limits,
    key: Option<(&DecryptionKey, &DecryptPolicy)>,
    idp: &crate::sp::IdpSettings,
    sp: &crate::sp::SpSettings,
    expect: &crate::sp::Expectation<'_>,
) -> Result<crate::sp::ValidatedAssertion, ValidationError> {
    let doc = symbolon_xml::parse_bytes(input, limits)?;
    if !has_encrypted_assertion(&doc) {
        return crate::sp::validate_response(&doc, idp, sp, expect);
    }
    let (key, policy) = key.ok_or(ValidationError::EncryptedAssertion)?;
    let d = decrypt_assertion(&doc, key, policy)?;
    let ddoc = d.parse(limits)?;
    crate::sp::validate_decrypted_response(&doc, &ddoc, d.data, idp, sp, expect)
}

/// Decrypt the one `EncryptedAssertion` of a received Response with the SP's key. Refused
/// without any private-key work: a root that is no Response, a clear assertion beside the
/// encrypted one, more than one, one that is not a child of the Response, CBC when the policy
/// does not allow it, RSA 1.5, unknown algorithms.
pub fn decrypt_assertion(
    doc: &Document<'_>,
    key: &DecryptionKey,
    policy: &DecryptPolicy,
) -> Result<Decrypted, ValidationError> {
    use ValidationError as E;
    let root = doc.root_element();
    if !is_element(root, ns::SAMLP, "Response") {
        return Err(E::NotAResponse(root.tag_name().name().to_string()));
    }
    let mut encrypted = Vec::new();
    let mut clear = 0usize;
    for n in root.descendants().filter(|n| n.is_element()) {
        if is_element(n, ns::SAML, "EncryptedAssertion") {
            encrypted.push(n);
        } else if is_element(n, ns::SAML, "Assertion") {
            clear += 1;
        }
    }
    let ea = match encrypted.as_slice() {
        [] => return Err(E::NoAssertion),
        [one] if clear == 0 => *one,
        [_] => return Err(E::EncryptedBesideClear),
        many => return Err(E::MultipleAssertions(many.len() + clear)),
    };
    if ea.parent() != Some(root) {
        return Err(E::AssertionMisplaced);
    }
    let mut data = children_named(ea, XENC, "EncryptedData");
    let ed = data.next().ok_or(EncError::Malformed(
        "EncryptedAssertion holds no EncryptedData",
    ))?;
    if data.next().is_some() {
        return Err(EncError::Malformed("more than one EncryptedData").into());
    }
    if ea
        .children()
        .filter(|c| c.is_element())
        .any(|c| !is_element(c, XENC, "EncryptedData") && !is_element(c, XENC, "EncryptedKey"))
    {
        return Err(EncError::Malformed("unexpected element in EncryptedAssertion").into());
    }
    let siblings: Vec<_> = children_named(ea, XENC, "EncryptedKey").collect();
    let (plain, alg) = decrypt_element(ed, &siblings, key, policy)?;
    let plain = String::from_utf8(plain).map_err(|_| EncError::Undecryptable)?;
    let text = doc.input_text();
    let range = ea.range();
    let (before, after) = (
        text.get(..range.start).ok_or(EncError::Undecryptable)?,
        text.get(range.end..).ok_or(EncError::Undecryptable)?,
    );
    let mut xml = String::with_capacity(before.len() + plain.len() + after.len());
    xml.push_str(before);
    xml.push_str(&plain);
    xml.push_str(after);
    Ok(Decrypted { xml, data: alg })
}
