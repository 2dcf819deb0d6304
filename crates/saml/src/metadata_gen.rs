//! Generate IdP and SP metadata (EntityDescriptor), optionally signed.

use symbolon_dsig::{
    SecureRandom, SignError, SignOptions, SigningKey, encode_base64, sign_enveloped,
};
use symbolon_xml::ns;
use symbolon_xml::writer::XmlWriter;
use time::OffsetDateTime;

use crate::metadata::{Endpoint, PROTOCOL_SAML2, RequestedAttribute};
use crate::time::format_instant;

/// A certificate to publish, and what for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKey {
    pub der: Vec<u8>,
    /// `Some("signing")`, `Some("encryption")` or `None` (both).
    pub key_use: Option<&'static str>,
}

/// An IdP's metadata.
#[derive(Debug, Clone, Default)]
pub struct IdpMetadataParams {
    pub entity_id: String,
    /// An ID on the EntityDescriptor (needed to sign it).
    pub id: Option<String>,
    pub valid_until: Option<OffsetDateTime>,
    pub want_authn_requests_signed: bool,
    pub keys: Vec<PublishedKey>,
    pub single_logout: Vec<Endpoint>,
    pub name_id_formats: Vec<String>,
    pub single_sign_on: Vec<Endpoint>,
}

/// An SP's metadata.
#[derive(Debug, Clone, Default)]
pub struct SpMetadataParams {
    pub entity_id: String,
    pub id: Option<String>,
    pub valid_until: Option<OffsetDateTime>,
    pub authn_requests_signed: bool,
    pub want_assertions_signed: bool,
    pub keys: Vec<PublishedKey>,
    pub single_logout: Vec<Endpoint>,
    pub name_id_formats: Vec<String>,
    pub assertion_consumer: Vec<Endpoint>,
    pub requested_attributes: Vec<RequestedAttribute>,
    pub service_name: Option<String>,
}

fn keys(w: &mut XmlWriter, keys: &[PublishedKey]) {
    for k in keys {
        w.start("md:KeyDescriptor")
            .opt_attr("use", k.key_use)
            .start("ds:KeyInfo")
            .start("ds:X509Data")
            .leaf("ds:X509Certificate", &encode_base64(&k.der))
            .end()
            .end();
        if k.key_use == Some("encryption") {
            // What we decrypt, the preferred first (SAML metadata 2.4.1.1).
            for alg in [
                symbolon_dsig::enc::AES256_GCM,
                symbolon_dsig::enc::AES128_GCM,
                symbolon_dsig::enc::RSA_OAEP,
                symbolon_dsig::enc::RSA_OAEP_MGF1P,
            ] {
                w.start("md:EncryptionMethod").attr("Algorithm", alg).end();
            }
        }
        w.end();
    }
}

fn endpoints(w: &mut XmlWriter, name: &str, eps: &[Endpoint]) {
    for e in eps {
        w.start(name)
            .attr("Binding", &e.binding)
            .attr("Location", &e.location)
            .opt_attr("ResponseLocation", e.response_location.as_deref())
            .opt_attr("index", e.index.map(|i| i.to_string()).as_deref())
            .opt_attr(
                "isDefault",
                e.is_default.map(|b| if b { "true" } else { "false" }),
            )
            .end();
    }
}

fn open_entity(
    w: &mut XmlWriter,
    entity_id: &str,
    id: Option<&str>,
    valid_until: Option<OffsetDateTime>,
) {
    w.start("md:EntityDescriptor")
        .attr("xmlns:md", ns::MD)
        .attr("xmlns:ds", ns::DSIG)
        .attr("xmlns:saml", ns::SAML)
        .attr("entityID", entity_id)
        .opt_attr("ID", id)
        .opt_attr("validUntil", valid_until.map(format_instant).as_deref());
}

/// IdP metadata XML.
pub fn idp_metadata(p: &IdpMetadataParams) -> Option<String> {
    let mut w = XmlWriter::with_declaration();
    open_entity(&mut w, &p.entity_id, p.id.as_deref(), p.valid_until);
    w.start("md:IDPSSODescriptor")
        .attr(
            "WantAuthnRequestsSigned",
            if p.want_authn_requests_signed {
                "true"
            } else {
                "false"
            },
        )
        .attr("protocolSupportEnumeration", PROTOCOL_SAML2);
    keys(&mut w, &p.keys);
    endpoints(&mut w, "md:SingleLogoutService", &p.single_logout);
    for f in &p.name_id_formats {
        w.leaf("md:NameIDFormat", f);
    }
    endpoints(&mut w, "md:SingleSignOnService", &p.single_sign_on);
    w.end().end();
    w.finish()
}

/// SP metadata XML.
pub fn sp_metadata(p: &SpMetadataParams) -> Option<String> {
    let mut w = XmlWriter::with_declaration();
    open_entity(&mut w, &p.entity_id, p.id.as_deref(), p.valid_until);
    w.start("md:SPSSODescriptor")
        .attr(
            "AuthnRequestsSigned",
            if p.authn_requests_signed {
                "true"
            } else {
                "false"
            },
        )
        .attr(
            "WantAssertionsSigned",
            if p.want_assertions_signed {
                "true"
            } else {
                "false"
            },
        )
        .attr("protocolSupportEnumeration", PROTOCOL_SAML2);
    keys(&mut w, &p.keys);
    endpoints(&mut w, "md:SingleLogoutService", &p.single_logout);
    for f in &p.name_id_formats {
        w.leaf("md:NameIDFormat", f);
    }
    endpoints(&mut w, "md:AssertionConsumerService", &p.assertion_consumer);
    if !p.requested_attributes.is_empty() {
        w.start("md:AttributeConsumingService")
            .attr("index", "0")
            .attr("isDefault", "true");
        w.start("md:ServiceName")
            .attr("xml:lang", "en")
            .text(p.service_name.as_deref().unwrap_or(&p.entity_id))
            .end();
        for a in &p.requested_attributes {
            w.start("md:RequestedAttribute")
                .attr("Name", &a.name)
                .opt_attr("NameFormat", a.name_format.as_deref())
                .opt_attr("FriendlyName", a.friendly_name.as_deref())
                .opt_attr("isRequired", a.is_required.then_some("true"))
                .end();
        }
        w.end();
    }
    w.end().end();
    w.finish()
}

/// Sign metadata (the EntityDescriptor must carry an `ID`); the signature becomes its first child.
pub fn sign_metadata(
    xml: &str,
    id: &str,
    key: &SigningKey,
    opts: &SignOptions,
    rng: &dyn SecureRandom,
) -> Result<String, SignError> {
    sign_enveloped(xml, id, key, opts, rng)
}
