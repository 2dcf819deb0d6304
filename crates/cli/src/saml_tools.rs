//! `symbolon saml inspect | keygen | metadata lint`: tools for administrators.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use symbolon_dsig::{VerifyPolicy, verify_enveloped};
use symbolon_saml::binding::{MAX_INFLATED, decode_redirect, form_decode, inflate_capped};
use symbolon_saml::lint::{Severity, lint_entity};
use symbolon_saml::metadata::{IdpTrust, parse_metadata_document, pin_certificates};
use symbolon_xml::{Limits, Node, is_element, ns};
use time::OffsetDateTime;

use crate::input::{Failure, read_input, read_input_or_literal, read_path};

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// A SAMLRequest/SAMLResponse: XML, base64, deflated base64, a whole Redirect URL or a POST
    /// body (`SAMLResponse=...&RelayState=...`). `-` reads standard input.
    #[arg(value_name = "INPUT|-")]
    input: String,
    /// Check signatures against this IdP's metadata.
    #[arg(long)]
    idp_metadata: Option<PathBuf>,
    /// Check signatures (XML or Redirect query) against this SP's metadata.
    #[arg(long)]
    sp_metadata: Option<PathBuf>,
    /// Summary only, no pretty-printed XML.
    #[arg(long)]
    summary: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KeyAlg {
    Rsa2048,
    Rsa3072,
    EcP256,
}

#[derive(Args, Debug)]
pub struct KeygenArgs {
    #[arg(long, value_enum, default_value = "rsa2048")]
    alg: KeyAlg,
    /// Common name of the self-signed certificate.
    #[arg(long)]
    cn: String,
    /// Validity in days.
    #[arg(long, default_value_t = 730, value_parser = clap::value_parser!(u32).range(1..=36500))]
    days: u32,
    /// Directory for key.pem (PKCS#8, mode 0600) and cert.pem.
    #[arg(long)]
    out: PathBuf,
    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
}

#[derive(Subcommand, Debug)]
pub enum MetadataCommand {
    /// Lint findings for administrators. Exit 1 when any finding is an error.
    Lint(LintArgs),
    /// Print the parsed entities as JSON (entity IDs, endpoints, keys, flags).
    Show(ShowArgs),
    /// Generate IdP metadata.
    Idp(IdpMetaArgs),
    /// Generate SP metadata.
    Sp(SpMetaArgs),
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    #[arg(value_name = "FILE|-")]
    input: String,
}

#[derive(Args, Debug)]
pub struct IdpMetaArgs {
    #[arg(long)]
    entity_id: String,
    /// SSO endpoint (published for HTTP-Redirect and HTTP-POST).
    #[arg(long)]
    sso_url: String,
    /// SLO endpoint (HTTP-Redirect and HTTP-POST).
    #[arg(long)]
    slo_url: Option<String>,
    /// Signing certificate(s), PEM. Repeat for a rollover.
    #[arg(long, required = true)]
    cert: Vec<PathBuf>,
    /// Sign the metadata with this key (PEM); the first --cert goes in KeyInfo.
    #[arg(long)]
    sign_key: Option<PathBuf>,
    #[arg(long)]
    want_authn_requests_signed: bool,
}

#[derive(Args, Debug)]
pub struct SpMetaArgs {
    #[arg(long)]
    entity_id: String,
    /// AssertionConsumerService (HTTP-POST). Repeat for more; the first is the default.
    #[arg(long, required = true)]
    acs_url: Vec<String>,
    #[arg(long)]
    slo_url: Option<String>,
    /// Signing certificate, PEM.
    #[arg(long)]
    cert: Option<PathBuf>,
    #[arg(long)]
    authn_requests_signed: bool,
    #[arg(long)]
    want_assertions_signed: bool,
}

#[derive(Args, Debug)]
pub struct LintArgs {
    #[arg(value_name = "FILE|-")]
    input: String,
    /// Judge dates at this instant (RFC 3339) instead of now.
    #[arg(long, value_parser = crate::input::parse_now)]
    now: Option<OffsetDateTime>,
}

pub fn keygen(a: KeygenArgs) -> Result<(), Failure> {
    let alg = match a.alg {
        KeyAlg::Rsa2048 | KeyAlg::Rsa3072 => &rcgen::PKCS_RSA_SHA256,
        KeyAlg::EcP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
    };
    let key = match a.alg {
        KeyAlg::Rsa2048 => rcgen::KeyPair::generate_rsa_for(alg, rcgen::RsaKeySize::_2048),
        KeyAlg::Rsa3072 => rcgen::KeyPair::generate_rsa_for(alg, rcgen::RsaKeySize::_3072),
        KeyAlg::EcP256 => rcgen::KeyPair::generate_for(alg),
    }
    .map_err(|e| Failure(1, format!("key generation failed: {e}")))?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|e| Failure(1, e.to_string()))?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, a.cn.clone());
    let now = OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::minutes(5);
    params.not_after = now
        .checked_add(time::Duration::days(i64::from(a.days)))
        .filter(|t| t.year() <= 9999)
        .ok_or_else(|| Failure(2, format!("--days {} reaches past the year 9999", a.days)))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| Failure(1, format!("certificate failed: {e}")))?;
    std::fs::create_dir_all(&a.out)
        .map_err(|e| Failure(2, format!("cannot create {}: {e}", a.out.display())))?;
    let key_path = a.out.join("key.pem");
    let cert_path = a.out.join("cert.pem");
    if !a.force && (key_path.exists() || cert_path.exists()) {
        return Err(Failure(
            1,
            format!(
                "{} or {} exists; pass --force to overwrite",
                key_path.display(),
                cert_path.display()
            ),
        ));
    }
    write_private(&key_path, key.serialize_pem().as_bytes())?;
    std::fs::write(&cert_path, cert.pem())
        .map_err(|e| Failure(2, format!("cannot write {}: {e}", cert_path.display())))?;
    let pinned =
        symbolon_dsig::PinnedCert::from_der(cert.der()).map_err(|e| Failure(1, e.to_string()))?;
    println!("wrote {} and {}", key_path.display(), cert_path.display());
    println!(
        "key: {}; certificate valid until {}",
        pinned.kind(),
        crate::input::unix_to_rfc3339(pinned.not_after())
    );
    println!("SHA-256 fingerprint: {}", pinned.sha256_fingerprint());
    Ok(())
}

fn write_private(path: &std::path::Path, data: &[u8]) -> Result<(), Failure> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| Failure(2, format!("cannot write {}: {e}", path.display())))?;
    f.write_all(data)
        .map_err(|e| Failure(2, format!("cannot write {}: {e}", path.display())))
}

pub fn lint(a: LintArgs) -> Result<(), Failure> {
    let bytes = read_input(&a.input)?;
    let now = a.now.unwrap_or_else(OffsetDateTime::now_utc);
    let md = parse_metadata_document(&bytes).map_err(|e| Failure(1, format!("metadata: {e}")))?;
    let mut errors = 0;
    for e in &md.entities {
        let roles: Vec<&str> = [e.idp.as_ref().map(|_| "IdP"), e.sp.as_ref().map(|_| "SP")]
            .into_iter()
            .flatten()
            .collect();
        println!(
            "{} ({})",
            e.entity_id,
            if roles.is_empty() {
                "no SAML 2.0 role".into()
            } else {
                roles.join(" + ")
            }
        );
        let findings = lint_entity(e, now);
        if findings.is_empty() {
            println!("  no findings");
        }
        for f in findings {
            let sev = match f.severity {
                Severity::Info => "info",
                Severity::Warning => "warning",
                Severity::Error => {
                    errors += 1;
                    "error"
                }
            };
            println!("  {sev:7} {:24} {}", f.code, f.message);
        }
    }
    if errors > 0 {
        return Err(Failure(1, format!("{errors} error finding(s)")));
    }
    Ok(())
}

/// A message decoded from whatever form it came in.
struct Decoded {
    xml: Vec<u8>,
    form: &'static str,
    relay: Option<String>,
    /// The raw query, when it was a Redirect.
    query: Option<String>,
}

fn decode_any(input: &[u8]) -> Result<Decoded, Failure> {
    let text = String::from_utf8_lossy(input).trim().to_string();
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
    if text.starts_with('<') {
        return Ok(Decoded {
            xml: text.into_bytes(),
            form: "XML",
            relay: None,
            query: None,
        });
    }
    let query = if let Some((_, q)) = text.split_once('?').filter(|_| text.contains("SAML")) {
        Some(q.split('#').next().unwrap_or(q).to_string())
    } else if text.starts_with("SAMLRequest=")
        || text.starts_with("SAMLResponse=")
        || text.contains("&SAMLRequest=")
        || text.contains("&SAMLResponse=")
    {
        Some(text.clone())
    } else {
        None
    };
    if let Some(q) = query {
        // A Redirect query (deflated) or a POST body (plain base64): try Redirect first.
        if let Ok(m) = decode_redirect(&q) {
            return Ok(Decoded {
                xml: m.xml,
                form: "HTTP-Redirect (deflated)",
                relay: m.relay_state,
                query: Some(q),
            });
        }
        let value = q
            .split('&')
            .find_map(|p| {
                p.strip_prefix("SAMLResponse=")
                    .or_else(|| p.strip_prefix("SAMLRequest="))
            })
            .ok_or_else(|| Failure(1, "no SAMLRequest or SAMLResponse parameter".into()))?;
        let relay = q
            .split('&')
            .find_map(|p| p.strip_prefix("RelayState="))
            .map(|r| form_decode(r, "RelayState"))
            .transpose()
            .map_err(|e| Failure(1, e.to_string()))?;
        let b64 = form_decode(value, "SAML message").map_err(|e| Failure(1, e.to_string()))?;
        let xml = symbolon_saml::binding::decode_post(b64.as_bytes())
            .map_err(|e| Failure(1, e.to_string()))?;
        return Ok(Decoded {
            xml,
            form: "HTTP-POST body",
            relay,
            query: None,
        });
    }
    let raw = symbolon_dsig::decode_base64(&text).ok_or_else(|| {
        Failure(
            1,
            "input is neither XML, base64, a URL nor a POST body".into(),
        )
    })?;
    if raw.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
        return Ok(Decoded {
            xml: raw,
            form: "base64",
            relay: None,
            query: None,
        });
    }
    let xml = inflate_capped(&raw, MAX_INFLATED).map_err(|e| Failure(1, e.to_string()))?;
    Ok(Decoded {
        xml,
        form: "deflated base64",
        relay: None,
        query: None,
    })
}

fn attr_line(n: Node<'_, '_>, names: &[&str]) -> String {
    names
        .iter()
        .filter_map(|a| n.attribute(*a).map(|v| format!("{a}={v}")))
        .collect::<Vec<_>>()
        .join("  ")
}

pub fn inspect(a: InspectArgs) -> Result<(), Failure> {
    let input = read_input_or_literal(&a.input)?;
    let Decoded {
        xml,
        form,
        relay,
        query,
    } = decode_any(&input)?;
    let doc = symbolon_xml::parse_bytes(&xml, &Limits::default())
        .map_err(|e| Failure(1, format!("not acceptable XML: {e}")))?;
    let root = doc.root_element();
    let mut out = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(out, "message:  {} ({})", root.tag_name().name(), form);
    let _ = writeln!(
        out,
        "          {}",
        attr_line(
            root,
            &[
                "ID",
                "IssueInstant",
                "Destination",
                "InResponseTo",
                "AssertionConsumerServiceURL",
                "ProtocolBinding"
            ]
        )
    );
    if let Some(r) = &relay {
        let _ = writeln!(out, "relay:    {r}");
    }
    for n in root.descendants().filter(|n| n.is_element()) {
        let depth = n.ancestors().filter(|x| x.is_element()).count();
        let ind = "  ".repeat(depth.saturating_sub(1));
        if is_element(n, ns::SAML, "Issuer") {
            let _ = writeln!(
                out,
                "{ind}issuer:   {}",
                symbolon_xml::text_content(n).trim()
            );
        } else if is_element(n, ns::SAML, "Assertion") {
            let _ = writeln!(
                out,
                "{ind}assertion {}",
                attr_line(n, &["ID", "IssueInstant"])
            );
        } else if is_element(n, ns::SAML, "NameID") {
            let _ = writeln!(
                out,
                "{ind}name id:  {}  {}",
                symbolon_xml::text_content(n),
                attr_line(n, &["Format", "SPNameQualifier"])
            );
        } else if is_element(n, ns::SAMLP, "StatusCode") {
            let _ = writeln!(out, "{ind}status:   {}", n.attribute("Value").unwrap_or(""));
        } else if is_element(n, ns::SAML, "SubjectConfirmationData")
            || is_element(n, ns::SAML, "Conditions")
        {
            let _ = writeln!(
                out,
                "{ind}{}: {}",
                n.tag_name().name(),
                attr_line(
                    n,
                    &["NotBefore", "NotOnOrAfter", "Recipient", "InResponseTo"]
                )
            );
        } else if is_element(n, ns::SAML, "Audience") {
            let _ = writeln!(
                out,
                "{ind}audience: {}",
                symbolon_xml::text_content(n).trim()
            );
        } else if is_element(n, ns::SAML, "AuthnStatement") {
            let _ = writeln!(
                out,
                "{ind}authn:    {}",
                attr_line(n, &["AuthnInstant", "SessionIndex", "SessionNotOnOrAfter"])
            );
        } else if is_element(n, ns::SAML, "Attribute") {
            let values: Vec<String> = n
                .children()
                .filter(|c| is_element(*c, ns::SAML, "AttributeValue"))
                .map(symbolon_xml::text_content)
                .collect();
            let _ = writeln!(
                out,
                "{ind}attribute {} = {:?}",
                n.attribute("Name").unwrap_or(""),
                values
            );
        } else if is_element(n, ns::DSIG, "Signature") {
            let parent = n
                .parent_element()
                .map(|p| p.tag_name().name())
                .unwrap_or("");
            let alg = n
                .descendants()
                .find(|d| is_element(*d, ns::DSIG, "SignatureMethod"))
                .and_then(|d| d.attribute("Algorithm"))
                .unwrap_or("");
            let _ = writeln!(out, "{ind}signature on {parent} ({alg})");
        }
    }
    // Signature checks against the given metadata.
    let mut keys = Vec::new();
    for (path, idp) in [(&a.idp_metadata, true), (&a.sp_metadata, false)] {
        let Some(p) = path else { continue };
        let md = parse_metadata_document(&read_path(p)?)
            .map_err(|e| Failure(1, format!("metadata: {e}")))?;
        for e in &md.entities {
            if idp {
                if let Ok(t) = IdpTrust::from_entity(e) {
                    keys.extend(t.certs);
                }
            } else if let Some(sp) = &e.sp {
                keys.extend(pin_certificates(sp.signing_certificates()).0);
            }
        }
    }
    if a.idp_metadata.is_some() || a.sp_metadata.is_some() {
        for n in root
            .descendants()
            .filter(|n| is_element(*n, ns::DSIG, "Signature"))
        {
            let Some(parent) = n.parent_element() else {
                continue;
            };
            let verdict = match verify_enveloped(parent, &keys, &VerifyPolicy::default()) {
                Ok(v) => format!(
                    "verifies ({}, pinned certificate #{})",
                    v.algorithm,
                    v.cert_index + 1
                ),
                Err(e) => format!("DOES NOT VERIFY: {e}"),
            };
            let _ = writeln!(
                out,
                "check:    signature on {}: {verdict}",
                parent.tag_name().name()
            );
        }
        if let Some(q) = &query
            && let Ok(m) = decode_redirect(q)
        {
            let verdict = match m.verify_signature(&keys, false) {
                Ok(Some(alg)) => format!("verifies ({alg})"),
                Ok(None) => "no query signature".into(),
                Err(e) => format!("DOES NOT VERIFY: {e}"),
            };
            let _ = writeln!(out, "check:    Redirect query signature: {verdict}");
        }
    }
    if !a.summary {
        let _ = writeln!(out, "\n{}", pretty(root));
    }
    print!("{out}");
    Ok(())
}

/// Indented XML for reading (not canonical, not for signing).
fn pretty(root: Node<'_, '_>) -> String {
    fn walk(n: Node<'_, '_>, depth: usize, out: &mut String) {
        let ind = "  ".repeat(depth);
        let name = n.tag_name().name();
        let mut open = format!("{ind}<{name}");
        for a in n.attributes() {
            open.push_str(&format!(" {}=\"{}\"", a.name(), a.value()));
        }
        let children: Vec<Node<'_, '_>> = n.children().filter(|c| c.is_element()).collect();
        let text = n
            .children()
            .filter(|c| c.is_text())
            .filter_map(|c| c.text())
            .collect::<String>();
        let text = text.trim();
        if children.is_empty() {
            if text.is_empty() {
                out.push_str(&format!("{open}/>\n"));
            } else {
                let shown = if text.len() > 120 {
                    format!(
                        "{}…",
                        &text[..text.char_indices().nth(100).map_or(text.len(), |(i, _)| i)]
                    )
                } else {
                    text.to_string()
                };
                out.push_str(&format!("{open}>{shown}</{name}>\n"));
            }
            return;
        }
        out.push_str(&format!("{open}>\n"));
        for c in children {
            walk(c, depth + 1, out);
        }
        out.push_str(&format!("{ind}</{name}>\n"));
    }
    let mut out = String::new();
    walk(root, 0, &mut out);
    out
}

fn cert_der(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    let pem = String::from_utf8(read_path(path)?)
        .map_err(|_| Failure(1, "certificate is not PEM text".into()))?;
    symbolon_dsig::pem_blocks(&pem)
        .into_iter()
        .find(|(l, _)| l == "CERTIFICATE")
        .map(|(_, d)| d)
        .ok_or_else(|| Failure(1, format!("no CERTIFICATE in {}", path.display())))
}

fn endpoint(
    binding: &str,
    location: &str,
    index: Option<u16>,
    is_default: Option<bool>,
) -> symbolon_saml::metadata::Endpoint {
    symbolon_saml::metadata::Endpoint {
        binding: binding.into(),
        location: location.into(),
        response_location: None,
        index,
        is_default,
    }
}

pub fn metadata_idp(a: IdpMetaArgs) -> Result<(), Failure> {
    use symbolon_saml::metadata::{BINDING_POST, BINDING_REDIRECT};
    use symbolon_saml::metadata_gen::{
        IdpMetadataParams, PublishedKey, idp_metadata, sign_metadata,
    };
    let mut keys = Vec::new();
    for c in &a.cert {
        keys.push(PublishedKey {
            der: cert_der(c)?,
            key_use: Some("signing"),
        });
    }
    let both = |u: &str| {
        vec![
            endpoint(BINDING_REDIRECT, u, None, None),
            endpoint(BINDING_POST, u, None, None),
        ]
    };
    let rng = symbolon_dsig::SystemRandom::new();
    let id = symbolon_saml::messages::new_id(&rng).map_err(|e| Failure(1, e.to_string()))?;
    let p = IdpMetadataParams {
        entity_id: a.entity_id,
        id: a.sign_key.as_ref().map(|_| id.clone()),
        valid_until: None,
        want_authn_requests_signed: a.want_authn_requests_signed,
        keys,
        single_logout: a.slo_url.as_deref().map(both).unwrap_or_default(),
        name_id_formats: vec![
            symbolon_saml::messages::NAMEID_EMAIL.into(),
            symbolon_saml::messages::NAMEID_PERSISTENT.into(),
            symbolon_saml::messages::NAMEID_TRANSIENT.into(),
            symbolon_saml::messages::NAMEID_UNSPECIFIED.into(),
        ],
        single_sign_on: both(&a.sso_url),
    };
    let mut xml = idp_metadata(&p).ok_or_else(|| Failure(1, "invalid metadata values".into()))?;
    if let Some(k) = &a.sign_key {
        let key_pem = String::from_utf8(read_path(k)?)
            .map_err(|_| Failure(1, "key is not PEM text".into()))?;
        let cert_pem = a
            .cert
            .first()
            .map(|c| read_path(c))
            .transpose()?
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        let key = symbolon_dsig::SigningKey::from_pem(&key_pem, cert_pem.as_deref())
            .map_err(|e| Failure(1, e.to_string()))?;
        xml = sign_metadata(
            &xml,
            &id,
            &key,
            &symbolon_dsig::SignOptions::for_key(&key),
            &rng,
        )
        .map_err(|e| Failure(1, e.to_string()))?;
    }
    println!("{xml}");
    Ok(())
}

pub fn metadata_sp(a: SpMetaArgs) -> Result<(), Failure> {
    use symbolon_saml::metadata::{BINDING_POST, BINDING_REDIRECT};
    use symbolon_saml::metadata_gen::{PublishedKey, SpMetadataParams, sp_metadata};
    let keys = match &a.cert {
        Some(c) => vec![PublishedKey {
            der: cert_der(c)?,
            key_use: Some("signing"),
        }],
        None => vec![],
    };
    let p = SpMetadataParams {
        entity_id: a.entity_id,
        authn_requests_signed: a.authn_requests_signed,
        want_assertions_signed: a.want_assertions_signed,
        keys,
        single_logout: a
            .slo_url
            .iter()
            .map(|u| endpoint(BINDING_REDIRECT, u, None, None))
            .collect(),
        name_id_formats: vec![symbolon_saml::messages::NAMEID_EMAIL.into()],
        assertion_consumer: a
            .acs_url
            .iter()
            .enumerate()
            .map(|(i, u)| endpoint(BINDING_POST, u, Some(i as u16), (i == 0).then_some(true)))
            .collect(),
        ..Default::default()
    };
    println!(
        "{}",
        sp_metadata(&p).ok_or_else(|| Failure(1, "invalid metadata values".into()))?
    );
    Ok(())
}

pub fn metadata_show(a: ShowArgs) -> Result<(), Failure> {
    use serde_json::{Value, json};
    let md = parse_metadata_document(&read_input(&a.input)?)
        .map_err(|e| Failure(1, format!("metadata: {e}")))?;
    let eps = |v: &[symbolon_saml::metadata::Endpoint]| -> Value {
        v.iter().map(|e| json!({"binding": e.binding, "location": e.location, "index": e.index, "is_default": e.is_default})).collect()
    };
    let certs = |ders: Vec<&[u8]>| -> Value {
        ders.into_iter()
            .map(|d| match symbolon_dsig::describe_certificate(d) {
                Ok(c) => json!({"subject": c.subject, "not_after": crate::input::unix_to_rfc3339(c.not_after), "key": c.key, "sha256": c.sha256}),
                Err(e) => json!({"error": e.to_string()}),
            })
            .collect()
    };
    let entities: Vec<Value> = md
        .entities
        .iter()
        .map(|e| {
            json!({
                "entity_id": e.entity_id,
                "valid_until": e.valid_until_raw,
                "roles": e.roles,
                "idp": e.idp.as_ref().map(|i| json!({
                    "want_authn_requests_signed": i.want_authn_requests_signed,
                    "single_sign_on": eps(&i.single_sign_on),
                    "single_logout": eps(&i.single_logout),
                    "name_id_formats": i.name_id_formats,
                    "signing_certificates": certs(i.signing_certificates().collect()),
                })),
                "sp": e.sp.as_ref().map(|s| json!({
                    "authn_requests_signed": s.authn_requests_signed,
                    "want_assertions_signed": s.want_assertions_signed,
                    "assertion_consumer": eps(&s.assertion_consumer),
                    "single_logout": eps(&s.single_logout),
                    "name_id_formats": s.name_id_formats,
                    "signing_certificates": certs(s.signing_certificates().collect()),
                    "requested_attributes": s.requested_attributes.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
                })),
            })
        })
        .collect();
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({"root": md.root_element, "entities": entities}))
            .unwrap_or_default()
    );
    Ok(())
}
