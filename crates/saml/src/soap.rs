//! The SOAP binding (SAML bindings 3.2) for back-channel single logout, sans-IO: a signed
//! message wrapped in a SOAP 1.1 envelope, and the one message taken out of a received envelope.
//!
//! A message over SOAP carries its own (enveloped) signature, checked as for HTTP-POST by
//! [`crate::logout::check_logout`] on the text [`message`] returns. That text must stand on its
//! own: it declares every namespace it uses (a prefix declared only on the envelope is an error,
//! never a guess). A header block the sender marks `mustUnderstand` is refused (we understand
//! none), and a `Fault` is an error that carries its `faultstring`.

use symbolon_xml::{Limits, XmlError};

/// `urn:oasis:names:tc:SAML:2.0:bindings:SOAP`.
pub const BINDING_SOAP: &str = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP";
/// The SOAP 1.1 envelope namespace.
pub const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The media type of a SOAP 1.1 message.
pub const CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// Why a SOAP message was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SoapError {
    #[error("not acceptable XML: {0}")]
    Xml(#[from] XmlError),
    #[error("not a SOAP 1.1 envelope")]
    NotEnvelope,
    #[error("the SOAP body must hold exactly one element")]
    Body,
    #[error("a SOAP header block must be understood, and none is: {0}")]
    MustUnderstand(String),
    #[error("SOAP fault: {0}")]
    Fault(String),
    #[error("the message uses a namespace prefix declared only on the envelope")]
    NotSelfContained,
}

/// `message` (a signed SAML message, without an XML declaration) in a SOAP 1.1 envelope.
pub fn envelope(message: &str) -> String {
    let message = strip_declaration(message);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap11:Envelope xmlns:soap11=\"{SOAP_ENV}\"><soap11:Body>{message}</soap11:Body></soap11:Envelope>"
    )
}

/// Sign `xml` (a SAML message whose root has ID `id`) with an enveloped signature, as for
/// HTTP-POST, and wrap it in a SOAP 1.1 envelope.
pub fn signed_envelope(
    xml: &str,
    id: &str,
    key: &symbolon_dsig::SigningKey,
    rng: &dyn symbolon_dsig::SecureRandom,
) -> Result<String, symbolon_dsig::SignError> {
    let signed = symbolon_dsig::sign_enveloped(
        xml,
        id,
        key,
        &symbolon_dsig::SignOptions::for_key(key),
        rng,
    )?;
    Ok(envelope(&signed))
}

/// A SOAP 1.1 fault (the answer to a message that could not be taken), with `reason` escaped.
pub fn fault(reason: &str) -> String {
    let reason = reason
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap11:Envelope xmlns:soap11=\"{SOAP_ENV}\"><soap11:Body><soap11:Fault><faultcode>soap11:Client</faultcode><faultstring>{reason}</faultstring></soap11:Fault></soap11:Body></soap11:Envelope>"
    )
}

fn strip_declaration(xml: &str) -> &str {
    let t = xml.trim_start();
    match t
        .strip_prefix("<?xml")
        .and_then(|r| r.find("?>").map(|i| &r[i + 2..]))
    {
        Some(rest) => rest.trim_start(),
        None => t,
    }
}

/// The text of the one message a SOAP envelope carries (a slice of `input`), checked to parse
/// on its own under `limits`.
pub fn message<'i>(input: &'i [u8], limits: &Limits) -> Result<&'i str, SoapError> {
    let doc = symbolon_xml::parse_bytes(input, limits)?;
    let root = doc.root_element();
    if root.tag_name().namespace() != Some(SOAP_ENV) || root.tag_name().name() != "Envelope" {
        return Err(SoapError::NotEnvelope);
    }
    let mut body = None;
    for child in root.children().filter(|n| n.is_element()) {
        match (child.tag_name().namespace(), child.tag_name().name()) {
            (Some(SOAP_ENV), "Header") if body.is_none() => {
                for block in child.children().filter(|n| n.is_element()) {
                    if block
                        .attribute((SOAP_ENV, "mustUnderstand"))
                        .is_some_and(|v| v.trim() == "1" || v.trim() == "true")
                    {
                        return Err(SoapError::MustUnderstand(
                            block.tag_name().name().to_string(),
                        ));
                    }
                }
            }
            (Some(SOAP_ENV), "Body") if body.is_none() => body = Some(child),
            _ => return Err(SoapError::NotEnvelope),
        }
    }
    let body = body.ok_or(SoapError::Body)?;
    let mut elements = body.children().filter(|n| n.is_element());
    let (Some(msg), None) = (elements.next(), elements.next()) else {
        return Err(SoapError::Body);
    };
    if body
        .children()
        .any(|n| n.is_text() && n.text().is_some_and(|t| !t.trim().is_empty()))
    {
        return Err(SoapError::Body);
    }
    if msg.tag_name().namespace() == Some(SOAP_ENV) && msg.tag_name().name() == "Fault" {
        let reason = msg
            .children()
            .find(|n| n.is_element() && n.tag_name().name() == "faultstring")
            .and_then(|n| n.text())
            .unwrap_or("no reason given");
        return Err(SoapError::Fault(reason.chars().take(200).collect()));
    }
    // The input is UTF-8 (parse_bytes checked), and the range is the element's.
    let text = std::str::from_utf8(input).map_err(|_| SoapError::Xml(XmlError::NotUtf8))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let slice = text.get(msg.range()).ok_or(SoapError::Body)?;
    // It must stand on its own, with the same meaning: parsed alone, the same names.
    let alone = symbolon_xml::parse(slice, limits).map_err(|_| SoapError::NotSelfContained)?;
    let a = alone.root_element();
    if a.tag_name().namespace() != msg.tag_name().namespace()
        || a.tag_name().name() != msg.tag_name().name()
    {
        return Err(SoapError::NotSelfContained);
    }
    Ok(slice)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const MSG: &str = r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a"><x/></samlp:LogoutRequest>"#;

    #[test]
    fn round_trip() {
        let env = envelope(&format!("<?xml version=\"1.0\"?>\n{MSG}"));
        assert_eq!(message(env.as_bytes(), &Limits::default()).unwrap(), MSG);
    }

    #[test]
    fn a_header_to_understand_is_refused_and_others_pass() {
        let with = |h: &str| {
            format!(
                r#"<s:Envelope xmlns:s="{SOAP_ENV}"><s:Header>{h}</s:Header><s:Body>{MSG}</s:Body></s:Envelope>"#
            )
        };
        let ok = with(r#"<h:Note xmlns:h="urn:x"/>"#);
        assert_eq!(message(ok.as_bytes(), &Limits::default()).unwrap(), MSG);
        let must = with(r#"<h:Note xmlns:h="urn:x" s:mustUnderstand="1"/>"#);
        assert!(matches!(
            message(must.as_bytes(), &Limits::default()),
            Err(SoapError::MustUnderstand(_))
        ));
    }

    #[test]
    fn bad_envelopes_are_refused() {
        let cases = [
            MSG.to_string(),
            format!(r#"<s:Envelope xmlns:s="urn:other"><s:Body>{MSG}</s:Body></s:Envelope>"#),
            format!(r#"<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body/></s:Envelope>"#),
            format!(r#"<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>{MSG}{MSG}</s:Body></s:Envelope>"#),
            format!(r#"<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>text{MSG}</s:Body></s:Envelope>"#),
            format!(
                r#"<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>{MSG}</s:Body><s:Body>{MSG}</s:Body></s:Envelope>"#
            ),
            format!(
                r#"<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>{MSG}</s:Body><extra/></s:Envelope>"#
            ),
        ];
        for c in cases {
            assert!(message(c.as_bytes(), &Limits::default()).is_err(), "{c}");
        }
        // A DTD (entity expansion) is refused before anything is read.
        let dtd = format!(
            r#"<!DOCTYPE s [<!ENTITY e "x">]><s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>{MSG}</s:Body></s:Envelope>"#
        );
        assert!(matches!(
            message(dtd.as_bytes(), &Limits::default()),
            Err(SoapError::Xml(_))
        ));
    }

    #[test]
    fn a_prefix_from_the_envelope_is_not_guessed() {
        let env = format!(
            r#"<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><s:Body><samlp:LogoutRequest ID="_a"/></s:Body></s:Envelope>"#
        );
        assert_eq!(
            message(env.as_bytes(), &Limits::default()),
            Err(SoapError::NotSelfContained)
        );
    }

    #[test]
    fn a_fault_says_why_escaped() {
        let f = fault("no <session> & more");
        assert!(f.contains("no &lt;session&gt; &amp; more"));
        assert_eq!(
            message(f.as_bytes(), &Limits::default()),
            Err(SoapError::Fault("no <session> & more".into()))
        );
    }
}
