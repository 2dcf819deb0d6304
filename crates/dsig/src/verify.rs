//! The narrow XML-DSig verifier: one enveloped signature, as SAML uses it, checked against pinned
//! keys. It returns the verified element; the caller reads nothing else.

use symbolon_xml::{C14nOptions, MAX_INCLUSIVE_PREFIXES, Node, NodeId, canonicalize, ns};

use crate::alg::{
    DigestAlgorithm, ENVELOPED, EXC_C14N, EXC_C14N_WITH_COMMENTS, SignatureAlgorithm,
    SignatureMethod, decode_base64,
};
use crate::cert::PinnedCert;

/// Verification policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyPolicy {
    /// Accept RSA-SHA1 signatures and SHA-1 digests (an administrator's explicit choice for one IdP).
    pub allow_sha1: bool,
}

/// Why a signature was not accepted. Every variant is a rejection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsigError {
    #[error("the signed element has no ID attribute")]
    MissingId,
    #[error("the signed element's ID {0:?} is not an NCName (xs:ID)")]
    BadId(String),
    #[error("ID {0:?} appears more than once in the document")]
    DuplicateId(String),
    #[error("the element carries no ds:Signature")]
    NoSignature,
    #[error("the element carries more than one ds:Signature")]
    MultipleSignatures,
    #[error("ds:Signature must hold exactly one SignedInfo")]
    SignedInfoCount,
    #[error("SignedInfo must hold exactly one Reference")]
    ReferenceCount,
    #[error("malformed signature: {0}")]
    Malformed(&'static str),
    #[error("Reference URI {uri:?} does not point at the signed element (expected {expected:?})")]
    ReferenceMismatch { uri: String, expected: String },
    #[error("canonicalisation method {0:?} is not allowed (exclusive c14n only)")]
    UnsupportedCanonicalization(String),
    #[error("transforms {0:?} are not allowed (enveloped-signature then exclusive c14n only)")]
    UnsupportedTransforms(String),
    #[error("signature algorithm {0:?} is not allowed")]
    UnsupportedSignatureAlgorithm(String),
    #[error("HMAC signature method {0:?} is refused: only public-key signatures are accepted")]
    HmacRefused(String),
    #[error("digest algorithm {0:?} is not allowed")]
    UnsupportedDigestAlgorithm(String),
    #[error("SHA-1 ({0}) is not allowed for this identity provider")]
    Sha1NotAllowed(&'static str),
    #[error("{0} is not valid base64")]
    BadBase64(&'static str),
    #[error("no pinned signing certificate is configured")]
    NoPinnedKeys,
    #[error("no pinned certificate has a key for {0}")]
    NoKeyForAlgorithm(SignatureAlgorithm),
    #[error("signature value does not verify with any pinned certificate")]
    SignatureInvalid,
    #[error("digest of the signed element does not match DigestValue (content was altered)")]
    DigestMismatch,
}

/// A successfully verified signature: the element it covers, and how it was signed.
#[derive(Debug, Clone, Copy)]
pub struct Verified<'a, 'i> {
    element: Node<'a, 'i>,
    signature: NodeId,
    pub algorithm: SignatureAlgorithm,
    pub digest: DigestAlgorithm,
    /// Index of the pinned certificate whose key verified it.
    pub cert_index: usize,
}

impl<'a, 'i> Verified<'a, 'i> {
    /// The verified element. Only it and its descendants (less the signature itself) are reachable.
    pub fn element(&self) -> VerifiedNode<'a, 'i> {
        VerifiedNode {
            node: self.element,
            excluded: self.signature,
        }
    }
}

/// A node inside a verified subtree. It offers only downward navigation, and never yields the
/// enveloped signature (which the digest does not cover), so nothing unverified can be read.
#[derive(Debug, Clone, Copy)]
pub struct VerifiedNode<'a, 'i> {
    node: Node<'a, 'i>,
    excluded: NodeId,
}

impl<'a, 'i> VerifiedNode<'a, 'i> {
    pub fn is(&self, ns_uri: &str, local: &str) -> bool {
        symbolon_xml::is_element(self.node, ns_uri, local)
    }

    pub fn local_name(&self) -> &'a str {
        self.node.tag_name().name()
    }

    pub fn namespace(&self) -> Option<&'a str> {
        self.node.tag_name().namespace()
    }

    /// An unqualified attribute.
    pub fn attribute(&self, name: &str) -> Option<&'a str> {
        self.node.attribute(name)
    }

    /// A namespace-qualified attribute.
    pub fn attribute_ns(&self, ns_uri: &str, name: &str) -> Option<&'a str> {
        self.node.attribute((ns_uri, name))
    }

    /// Element children, in document order.
    pub fn children(&self) -> impl Iterator<Item = VerifiedNode<'a, 'i>> + use<'a, 'i> {
        let excluded = self.excluded;
        self.node
            .children()
            .filter(move |c| c.is_element() && c.id() != excluded)
            .map(move |node| VerifiedNode { node, excluded })
    }

    /// Element children with this namespace URI and local name.
    pub fn children_named<'s>(
        &self,
        ns_uri: &'s str,
        local: &'s str,
    ) -> impl Iterator<Item = VerifiedNode<'a, 'i>> + use<'a, 'i, 's> {
        self.children().filter(move |c| c.is(ns_uri, local))
    }

    /// Full text content: all descendant text nodes, comments and PIs skipped.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for d in self.node.descendants() {
            if d.id() == self.excluded {
                continue;
            }
            if d.is_text() && !d.ancestors().any(|a| a.id() == self.excluded) {
                out.push_str(d.text().unwrap_or(""));
            }
        }
        out
    }

    /// The same node, for callers that must compare identity with an unverified lookup.
    pub fn id(&self) -> NodeId {
        self.node.id()
    }
}

/// Attribute names treated as XML IDs when checking uniqueness.
const ID_NAMES: [&str; 3] = ["ID", "Id", "id"];

/// Proof that no ID value appears twice in one document: checked once, then reused for every
/// signature in it. It can only be made by [`UniqueIds::check`] and only vouches for that
/// document.
#[derive(Debug, Clone, Copy)]
pub struct UniqueIds<'a, 'i> {
    doc: &'a symbolon_xml::Document<'i>,
}

impl<'a, 'i> UniqueIds<'a, 'i> {
    /// Every unqualified `ID`, `Id` or `id` attribute value in the document is distinct.
    pub fn check(doc: &'a symbolon_xml::Document<'i>) -> Result<Self, DsigError> {
        let mut ids: Vec<&str> = doc
            .descendants()
            .filter(|n| n.is_element())
            .flat_map(|n| n.attributes())
            .filter(|a| a.namespace().is_none() && ID_NAMES.contains(&a.name()))
            .map(|a| a.value())
            .collect();
        ids.sort_unstable();
        match ids.windows(2).find(|w| w.first() == w.get(1)) {
            Some(w) => Err(DsigError::DuplicateId(
                w.first().copied().unwrap_or_default().to_string(),
            )),
            None => Ok(UniqueIds { doc }),
        }
    }

    fn covers(&self, node: Node<'_, '_>) -> bool {
        std::ptr::eq(self.doc, node.document())
    }
}

/// Element children in the DSig namespace; anything else (another element, non-blank text) is
/// malformed.
fn dsig_children<'a, 'i>(node: Node<'a, 'i>) -> Result<Vec<Node<'a, 'i>>, DsigError> {
    let mut out = Vec::new();
    for c in node.children() {
        if c.is_element() {
            if c.tag_name().namespace() != Some(ns::DSIG) {
                return Err(DsigError::Malformed("foreign element inside the signature"));
            }
            out.push(c);
        } else if c.is_text() && !c.text().unwrap_or("").trim().is_empty() {
            return Err(DsigError::Malformed(
                "text inside a signature structure element",
            ));
        }
    }
    Ok(out)
}

fn local<'a>(n: Node<'a, '_>) -> &'a str {
    n.tag_name().name()
}

/// The exclusive c14n parameters named by a CanonicalizationMethod or Transform element.
fn prefix_list<'a>(method: Node<'a, '_>) -> Result<Vec<&'a str>, DsigError> {
    let mut prefixes = Vec::new();
    for c in method.children() {
        if symbolon_xml::is_element(c, ns::EXC_C14N, "InclusiveNamespaces") {
            if !prefixes.is_empty() {
                return Err(DsigError::Malformed("more than one InclusiveNamespaces"));
            }
            // Bounded before any canonicalisation: at most MAX_INCLUSIVE_PREFIXES distinct
            // prefixes (and four times as many tokens), each an NCName or `#default`.
            let mut tokens = 0usize;
            for p in c
                .attribute("PrefixList")
                .unwrap_or("")
                .split_ascii_whitespace()
            {
                tokens += 1;
                if tokens > 4 * MAX_INCLUSIVE_PREFIXES {
                    return Err(DsigError::Malformed(
                        "InclusiveNamespaces PrefixList is too long",
                    ));
                }
                if p != "#default" && !symbolon_xml::is_ncname(p) {
                    return Err(DsigError::Malformed(
                        "InclusiveNamespaces PrefixList names something that is not a prefix",
                    ));
                }
                if !prefixes.contains(&p) {
                    if prefixes.len() == MAX_INCLUSIVE_PREFIXES {
                        return Err(DsigError::Malformed(
                            "InclusiveNamespaces PrefixList names too many prefixes",
                        ));
                    }
                    prefixes.push(p);
                }
            }
            if prefixes.is_empty() {
                prefixes.push("");
            }
        } else if c.is_element() {
            return Err(DsigError::Malformed(
                "unexpected parameter of a c14n method",
            ));
        } else if c.is_text() && !c.text().unwrap_or("").trim().is_empty() {
            return Err(DsigError::Malformed("text inside a c14n method"));
        }
    }
    prefixes.retain(|p| !p.is_empty());
    Ok(prefixes)
}

fn check_sha1(policy: &VerifyPolicy, what: &'static str) -> Result<(), DsigError> {
    if policy.allow_sha1 {
        Ok(())
    } else {
        Err(DsigError::Sha1NotAllowed(what))
    }
}

/// Verify the enveloped signature of `element` (a `ds:Signature` child) against `keys`.
///
/// Checks, in order: the element's ID is present and unique in the whole document; exactly one
/// `ds:Signature` child; its structure (one SignedInfo with CanonicalizationMethod,
/// SignatureMethod and one Reference; SignatureValue; optional KeyInfo; nothing else); the
/// Reference points at the element itself; transforms are enveloped-signature then exclusive c14n;
/// algorithms are on the allow-list; the SignedInfo signature verifies with a pinned key; the
/// digest of the element (less the signature, comments excluded as a same-document reference
/// requires) matches.
pub fn verify_enveloped<'a, 'i>(
    element: Node<'a, 'i>,
    keys: &[PinnedCert],
    policy: &VerifyPolicy,
) -> Result<Verified<'a, 'i>, DsigError> {
    let ids = UniqueIds::check(element.document())?;
    verify_enveloped_unique(element, keys, policy, &ids)
}

/// [`verify_enveloped`] for a document whose IDs were already proven unique (several signatures
/// in one document). A proof for another document is not accepted.
pub fn verify_enveloped_unique<'a, 'i>(
    element: Node<'a, 'i>,
    keys: &[PinnedCert],
    policy: &VerifyPolicy,
    ids: &UniqueIds<'_, '_>,
) -> Result<Verified<'a, 'i>, DsigError> {
    let id = element
        .attribute("ID")
        .filter(|v| !v.is_empty())
        .ok_or(DsigError::MissingId)?;
    if !symbolon_xml::is_ncname(id) {
        return Err(DsigError::BadId(id.to_string()));
    }
    if !ids.covers(element) {
        UniqueIds::check(element.document())?;
    }

    let mut sigs = symbolon_xml::children_named(element, ns::DSIG, "Signature");
    let signature = sigs.next().ok_or(DsigError::NoSignature)?;
    if sigs.next().is_some() {
        return Err(DsigError::MultipleSignatures);
    }

    // Signature: SignedInfo, SignatureValue, KeyInfo? and nothing else.
    let parts = dsig_children(signature)?;
    let signed_info_count = parts.iter().filter(|n| local(**n) == "SignedInfo").count();
    if signed_info_count != 1 {
        return Err(DsigError::SignedInfoCount);
    }
    let (signed_info, signature_value, key_info) = match parts.as_slice() {
        [si, sv] => (*si, *sv, None),
        [si, sv, ki] => (*si, *sv, Some(*ki)),
        _ => {
            return Err(DsigError::Malformed(
                "ds:Signature must be SignedInfo, SignatureValue, KeyInfo?",
            ));
        }
    };
    if local(signed_info) != "SignedInfo"
        || local(signature_value) != "SignatureValue"
        || key_info.is_some_and(|k| local(k) != "KeyInfo")
    {
        return Err(DsigError::Malformed(
            "ds:Signature must be SignedInfo, SignatureValue, KeyInfo?",
        ));
    }

    // SignedInfo: CanonicalizationMethod, SignatureMethod, Reference.
    let si_parts = dsig_children(signed_info)?;
    if si_parts
        .iter()
        .filter(|n| local(**n) == "Reference")
        .count()
        != 1
    {
        return Err(DsigError::ReferenceCount);
    }
    let [c14n_method, sig_method, reference] = si_parts.as_slice() else {
        return Err(DsigError::Malformed(
            "SignedInfo must be CanonicalizationMethod, SignatureMethod, Reference",
        ));
    };
    if local(*c14n_method) != "CanonicalizationMethod"
        || local(*sig_method) != "SignatureMethod"
        || local(*reference) != "Reference"
    {
        return Err(DsigError::Malformed(
            "SignedInfo must be CanonicalizationMethod, SignatureMethod, Reference",
        ));
    }

    let c14n_uri = c14n_method.attribute("Algorithm").unwrap_or("");
    let si_with_comments = match c14n_uri {
        EXC_C14N => false,
        EXC_C14N_WITH_COMMENTS => true,
        other => return Err(DsigError::UnsupportedCanonicalization(other.to_string())),
    };
    let si_prefixes = prefix_list(*c14n_method)?;

    let sig_uri = sig_method.attribute("Algorithm").unwrap_or("");
    let algorithm = match SignatureAlgorithm::classify(sig_uri) {
        SignatureMethod::Allowed(a) => a,
        SignatureMethod::Hmac => return Err(DsigError::HmacRefused(sig_uri.to_string())),
        SignatureMethod::Unknown => {
            return Err(DsigError::UnsupportedSignatureAlgorithm(
                sig_uri.to_string(),
            ));
        }
    };
    if !dsig_children(*sig_method)?.is_empty() {
        return Err(DsigError::Malformed("SignatureMethod takes no parameters"));
    }
    if algorithm.is_sha1() {
        check_sha1(policy, "rsa-sha1 signature")?;
    }

    // Reference: URI = "#" + the element's ID; Transforms; DigestMethod; DigestValue.
    let expected_uri = format!("#{id}");
    let uri = reference.attribute("URI").unwrap_or("");
    if uri != expected_uri {
        return Err(DsigError::ReferenceMismatch {
            uri: uri.to_string(),
            expected: expected_uri,
        });
    }
    let ref_parts = dsig_children(*reference)?;
    let [transforms, digest_method, digest_value] = ref_parts.as_slice() else {
        return Err(DsigError::Malformed(
            "Reference must be Transforms, DigestMethod, DigestValue",
        ));
    };
    if local(*transforms) != "Transforms"
        || local(*digest_method) != "DigestMethod"
        || local(*digest_value) != "DigestValue"
    {
        return Err(DsigError::Malformed(
            "Reference must be Transforms, DigestMethod, DigestValue",
        ));
    }
    let transform_list = dsig_children(*transforms)?;
    let names: Vec<&str> = transform_list
        .iter()
        .map(|t| t.attribute("Algorithm").unwrap_or(""))
        .collect();
    let ref_prefixes = match transform_list.as_slice() {
        [t1, t2]
            if local(*t1) == "Transform"
                && local(*t2) == "Transform"
                && names.first() == Some(&ENVELOPED)
                && matches!(
                    names.get(1),
                    Some(&EXC_C14N) | Some(&EXC_C14N_WITH_COMMENTS)
                ) =>
        {
            if t1.children().any(|c| c.is_element()) {
                return Err(DsigError::UnsupportedTransforms(names.join(", ")));
            }
            prefix_list(*t2)?
        }
        _ => return Err(DsigError::UnsupportedTransforms(names.join(", "))),
    };

    let digest_uri = digest_method.attribute("Algorithm").unwrap_or("");
    let digest = DigestAlgorithm::from_uri(digest_uri)
        .ok_or_else(|| DsigError::UnsupportedDigestAlgorithm(digest_uri.to_string()))?;
    if digest == DigestAlgorithm::Sha1 {
        check_sha1(policy, "sha1 digest")?;
    }
    if digest_method.children().any(|c| c.is_element())
        || digest_value.children().any(|c| c.is_element())
    {
        return Err(DsigError::Malformed(
            "unexpected element in DigestMethod or DigestValue",
        ));
    }
    let expected_digest = decode_base64(&symbolon_xml::text_content(*digest_value))
        .ok_or(DsigError::BadBase64("DigestValue"))?;
    if signature_value.children().any(|c| c.is_element()) {
        return Err(DsigError::Malformed("unexpected element in SignatureValue"));
    }
    let sig_bytes = decode_base64(&symbolon_xml::text_content(signature_value))
        .ok_or(DsigError::BadBase64("SignatureValue"))?;

    // 1. The SignedInfo signature, with pinned keys only. KeyInfo only orders the attempts.
    if keys.is_empty() {
        return Err(DsigError::NoPinnedKeys);
    }
    let mut si_bytes = Vec::with_capacity(1024);
    canonicalize(
        signed_info,
        &C14nOptions {
            with_comments: si_with_comments,
            inclusive_prefixes: &si_prefixes,
            exclude: None,
        },
        &mut si_bytes,
    );
    // With several pinned keys (a rollover), a KeyInfo certificate equal to one of them is tried
    // first; it is never trusted by itself.
    let hinted = if keys.len() > 1 {
        key_info
            .and_then(key_info_cert)
            .and_then(|der| keys.iter().position(|k| k.der() == der))
    } else {
        None
    };
    let order = hinted
        .into_iter()
        .chain((0..keys.len()).filter(|i| Some(*i) != hinted));
    let mut supported = false;
    let mut cert_index = None;
    for i in order {
        let Some(key) = keys.get(i) else { continue };
        if !key.supports(algorithm) {
            continue;
        }
        supported = true;
        if key.verify(algorithm, &si_bytes, &sig_bytes) {
            cert_index = Some(i);
            break;
        }
    }
    let cert_index = match cert_index {
        Some(i) => i,
        None if !supported => return Err(DsigError::NoKeyForAlgorithm(algorithm)),
        None => return Err(DsigError::SignatureInvalid),
    };

    // 2. The digest of the element, less this signature. A bare-name same-document reference
    //    excludes comments whatever the c14n variant says.
    let mut content = Vec::with_capacity(element.range().len());
    canonicalize(
        element,
        &C14nOptions {
            with_comments: false,
            inclusive_prefixes: &ref_prefixes,
            exclude: Some(signature.id()),
        },
        &mut content,
    );
    let actual = digest.digest(&content);
    if aws_lc_rs::constant_time::verify_slices_are_equal(actual.as_ref(), &expected_digest).is_err()
    {
        return Err(DsigError::DigestMismatch);
    }

    Ok(Verified {
        element,
        signature: signature.id(),
        algorithm,
        digest,
        cert_index,
    })
}

/// The DER of the first X509Certificate in a KeyInfo, if any (a hint only).
fn key_info_cert(key_info: Node<'_, '_>) -> Option<Vec<u8>> {
    let cert = key_info
        .descendants()
        .find(|n| symbolon_xml::is_element(*n, ns::DSIG, "X509Certificate"))?;
    decode_base64(&symbolon_xml::text_content(cert))
}
