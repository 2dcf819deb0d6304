//! `symbolon saml issue-response | check-request`: the IdP side of the SAML core from the command
//! line, for testing a service provider and for interop tests.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::json;
use symbolon_dsig::{SignOptions, SigningKey, SystemRandom};
use symbolon_saml::binding::{decode_post, decode_redirect};
use symbolon_saml::idp::{
    AC_PASSWORD_PROTECTED, Arrival, OutAttribute, ResponseParams, SignParts, SpRegistration,
    build_response, check_authn_request,
};
use symbolon_saml::metadata::{parse_metadata_document, pin_certificates};
use symbolon_xml::Limits;
use time::{Duration, OffsetDateTime};

use crate::input::{Failure, parse_now, read_input_or_literal, read_path};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SignWhat {
    Response,
    Assertion,
    Both,
}

#[derive(Args, Debug)]
pub struct IssueArgs {
    /// IdP signing key (PEM) and certificate.
    #[arg(long)]
    key: PathBuf,
    #[arg(long)]
    cert: Option<PathBuf>,
    #[arg(long)]
    idp_entity_id: String,
    /// The SP's metadata: its entity ID and default ACS.
    #[arg(long)]
    sp_metadata: PathBuf,
    /// Override the ACS URL (must be one of the SP's).
    #[arg(long)]
    acs_url: Option<String>,
    #[arg(long)]
    name_id: String,
    #[arg(long, default_value = symbolon_saml::messages::NAMEID_EMAIL)]
    name_id_format: String,
    /// An attribute, NAME=VALUE; repeat a name for several values.
    #[arg(long = "attr", value_name = "NAME=VALUE")]
    attrs: Vec<String>,
    #[arg(long)]
    in_response_to: Option<String>,
    #[arg(long, value_enum, default_value = "both")]
    sign: SignWhat,
    /// Assertion lifespan in seconds.
    #[arg(long, default_value_t = 300)]
    lifespan: i64,
    #[arg(long, value_parser = parse_now)]
    now: Option<OffsetDateTime>,
    /// Print the base64 an HTTP-POST form would carry instead of XML.
    #[arg(long)]
    base64: bool,
    /// Issue this many responses, each with its own IDs, one base64 line each (for load tests:
    /// every response can be posted once).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    count: u32,
    /// Encrypt the (signed) assertion to this certificate (PEM): an EncryptedAssertion.
    #[arg(long, value_name = "CERT.pem")]
    encrypt_to: Option<PathBuf>,
    /// With --encrypt-to: aes256-gcm (default), aes128-gcm, aes256-cbc, aes128-cbc.
    #[arg(long, default_value = "aes256-gcm", value_parser = parse_data_alg)]
    data_algorithm: symbolon_dsig::enc::DataAlgorithm,
    /// With --encrypt-to: rsa-oaep-mgf1p (default) or rsa-oaep-sha256.
    #[arg(long, default_value = "rsa-oaep-mgf1p", value_parser = parse_transport)]
    key_transport: symbolon_dsig::enc::KeyTransport,
}

fn parse_data_alg(s: &str) -> Result<symbolon_dsig::enc::DataAlgorithm, String> {
    use symbolon_dsig::enc::DataAlgorithm as D;
    match s {
        "aes256-gcm" => Ok(D::Aes256Gcm),
        "aes128-gcm" => Ok(D::Aes128Gcm),
        "aes256-cbc" => Ok(D::Aes256Cbc),
        "aes128-cbc" => Ok(D::Aes128Cbc),
        _ => Err("one of aes256-gcm, aes128-gcm, aes256-cbc, aes128-cbc".into()),
    }
}

fn parse_transport(s: &str) -> Result<symbolon_dsig::enc::KeyTransport, String> {
    symbolon_dsig::enc::KeyTransport::from_name(s)
        .ok_or_else(|| "rsa-oaep-sha256 or rsa-oaep-mgf1p".into())
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The SP's metadata: entity ID, ACS endpoints, signing certificates.
    #[arg(long)]
    sp_metadata: PathBuf,
    /// This IdP's SSO endpoint(s) (the expected Destination).
    #[arg(long, required = true)]
    sso_url: Vec<String>,
    /// Require a signature (as when the client or the SP metadata says so).
    #[arg(long)]
    require_signed: bool,
    #[arg(long, value_parser = parse_now)]
    now: Option<OffsetDateTime>,
    /// A Redirect URL or query string, a POST body (`SAMLRequest=...`), or the XML. `-` for stdin.
    #[arg(value_name = "INPUT|-")]
    input: String,
}

pub fn issue_response(a: IssueArgs) -> Result<(), Failure> {
    let key_pem = String::from_utf8(read_path(&a.key)?)
        .map_err(|_| Failure(1, "key is not PEM text".into()))?;
    let cert_pem = a
        .cert
        .as_ref()
        .map(|c| read_path(c))
        .transpose()?
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    let key = SigningKey::from_pem(&key_pem, cert_pem.as_deref())
        .map_err(|e| Failure(1, e.to_string()))?;
    let md = parse_metadata_document(&read_path(&a.sp_metadata)?)
        .map_err(|e| Failure(1, format!("SP metadata: {e}")))?;
    let entity = md
        .entities
        .first()
        .ok_or_else(|| Failure(1, "SP metadata has no entity".into()))?;
    let sp = entity
        .sp
        .as_ref()
        .ok_or_else(|| Failure(1, "SP metadata has no SPSSODescriptor".into()))?;
    let acs = match a.acs_url {
        Some(u) if sp.assertion_consumer.iter().any(|e| e.location == u) => u,
        Some(u) => return Err(Failure(1, format!("{u} is not one of the SP's ACS URLs"))),
        None => sp
            .default_acs()
            .map(|e| e.location.clone())
            .ok_or_else(|| Failure(1, "the SP has no HTTP-POST ACS".into()))?,
    };
    let mut attributes: Vec<OutAttribute> = Vec::new();
    for kv in &a.attrs {
        let (n, v) = kv
            .split_once('=')
            .ok_or_else(|| Failure(2, format!("--attr {kv:?} is not NAME=VALUE")))?;
        match attributes.iter_mut().find(|x| x.name == n) {
            Some(x) => x.values.push(v.into()),
            None => attributes.push(OutAttribute {
                name: n.into(),
                name_format: Some(symbolon_saml::idp::ATTRNAME_BASIC.into()),
                friendly_name: None,
                values: vec![v.into()],
            }),
        }
    }
    let rng = SystemRandom::new();
    let now = a.now.unwrap_or_else(OffsetDateTime::now_utc);
    let parts = match a.sign {
        SignWhat::Response => SignParts {
            response: true,
            assertion: false,
        },
        SignWhat::Assertion => SignParts {
            response: false,
            assertion: true,
        },
        SignWhat::Both => SignParts {
            response: true,
            assertion: true,
        },
    };
    let opts = SignOptions::for_key(&key);
    let encrypt_to = match &a.encrypt_to {
        None => None,
        Some(path) => {
            let pem = String::from_utf8(read_path(path)?)
                .map_err(|_| Failure(1, "the certificate is not PEM text".into()))?;
            let der = symbolon_dsig::pem_blocks(&pem)
                .into_iter()
                .find(|(l, _)| l == "CERTIFICATE")
                .map(|(_, d)| d)
                .ok_or_else(|| Failure(1, "no CERTIFICATE block".into()))?;
            Some(
                symbolon_dsig::enc::EncryptionCert::from_der(&der)
                    .map_err(|e| Failure(1, e.to_string()))?,
            )
        }
    };
    let enc_opts = symbolon_dsig::enc::EncryptOptions {
        data: a.data_algorithm,
        transport: a.key_transport,
    };
    let issue = || -> Result<String, Failure> {
        let id = || symbolon_saml::messages::new_id(&rng).map_err(|e| Failure(1, e.to_string()));
        let p = ResponseParams {
            response_id: id()?,
            assertion_id: id()?,
            now,
            idp_entity_id: a.idp_entity_id.clone(),
            destination: acs.clone(),
            in_response_to: a.in_response_to.clone(),
            audience: entity.entity_id.clone(),
            name_id: a.name_id.clone(),
            name_id_format: Some(a.name_id_format.clone()),
            sp_name_qualifier: None,
            lifespan: Duration::seconds(a.lifespan),
            not_before_slack: Duration::seconds(30),
            session_index: Some(id()?),
            session_not_on_or_after: None,
            authn_instant: now,
            authn_context_class_ref: AC_PASSWORD_PROTECTED.into(),
            attributes: attributes.clone(),
        };
        symbolon_saml::idp::build_response_for(
            &p,
            parts,
            encrypt_to.as_ref().map(|c| (c, &enc_opts)),
            &key,
            &opts,
            &rng,
        )
        .map_err(|e| Failure(1, e.to_string()))
    };
    if a.count > 1 {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for _ in 0..a.count {
            let xml = issue()?;
            writeln!(out, "{}", symbolon_dsig::encode_base64(xml.as_bytes()))
                .map_err(|e| Failure(1, e.to_string()))?;
        }
        return out.flush().map_err(|e| Failure(1, e.to_string()));
    }
    let xml = issue()?;
    if a.base64 {
        println!("{}", symbolon_dsig::encode_base64(xml.as_bytes()));
    } else {
        println!("{xml}");
    }
    Ok(())
}

pub fn check_request(a: CheckArgs) -> Result<(), Failure> {
    let md = parse_metadata_document(&read_path(&a.sp_metadata)?)
        .map_err(|e| Failure(1, format!("SP metadata: {e}")))?;
    let entity = md
        .entities
        .first()
        .ok_or_else(|| Failure(1, "SP metadata has no entity".into()))?;
    let sp = entity
        .sp
        .as_ref()
        .ok_or_else(|| Failure(1, "SP metadata has no SPSSODescriptor".into()))?;
    let reg = SpRegistration {
        entity_id: entity.entity_id.clone(),
        acs: sp.assertion_consumer.clone(),
        signing_certs: pin_certificates(sp.signing_certificates()).0,
        require_signed_requests: a.require_signed || sp.authn_requests_signed == Some(true),
        allow_sha1: false,
    };
    let input = String::from_utf8(read_input_or_literal(&a.input)?)
        .map_err(|_| Failure(1, "input is not text".into()))?;
    let input = input.trim();
    let reject = |m: String| Failure(1, format!("rejected: {m}"));
    let sso: Vec<&str> = a.sso_url.iter().map(String::as_str).collect();
    let now = a.now.unwrap_or_else(OffsetDateTime::now_utc);
    let skew = Duration::seconds(120);
    let query = input.split_once('?').map_or(input, |(_, q)| q);
    let (accepted, relay) = if input.starts_with('<') {
        let doc =
            symbolon_xml::parse(input, &Limits::default()).map_err(|e| reject(e.to_string()))?;
        (
            check_authn_request(&doc, Arrival::Post, &reg, &sso, now, skew)
                .map_err(|e| reject(e.to_string()))?,
            None,
        )
    } else if let Ok(m) = decode_redirect(query) {
        let doc = symbolon_xml::parse_bytes(&m.xml, &Limits::default())
            .map_err(|e| reject(e.to_string()))?;
        (
            check_authn_request(&doc, Arrival::Redirect(&m), &reg, &sso, now, skew)
                .map_err(|e| reject(e.to_string()))?,
            m.relay_state.clone(),
        )
    } else {
        // A POST body: SAMLRequest=<base64, form-encoded>.
        let value = query
            .split('&')
            .find_map(|p| p.strip_prefix("SAMLRequest="))
            .ok_or_else(|| reject("no SAMLRequest".into()))?;
        let value = symbolon_saml::binding::form_decode(value, "SAMLRequest")
            .map_err(|e| reject(e.to_string()))?;
        let xml = decode_post(value.as_bytes()).map_err(|e| reject(e.to_string()))?;
        let doc = symbolon_xml::parse_bytes(&xml, &Limits::default())
            .map_err(|e| reject(e.to_string()))?;
        (
            check_authn_request(&doc, Arrival::Post, &reg, &sso, now, skew)
                .map_err(|e| reject(e.to_string()))?,
            None,
        )
    };
    let r = &accepted.request;
    println!(
        "{}",
        json!({
            "id": r.id,
            "issuer": r.issuer,
            "acs_url": accepted.acs_url,
            "signed": accepted.signed,
            "relay_state": relay,
            "force_authn": r.force_authn,
            "is_passive": r.is_passive,
            "name_id_format": r.name_id_format,
            "requested_authn_context": r.requested_authn_context.as_ref().map(|c| json!({"comparison": c.comparison.as_str(), "class_refs": c.class_refs})),
        })
    );
    Ok(())
}

/// Each iteration builds a complete Response (IDs from the system RNG, eight attributes) and signs
/// its Assertion: what the IdP does per sign-in.
pub fn bench_sign(a: crate::input::BenchSignArgs) -> Result<(), Failure> {
    let key_pem = String::from_utf8(read_path(&a.key)?)
        .map_err(|_| Failure(1, "key is not PEM text".into()))?;
    let key = SigningKey::from_pem(&key_pem, None).map_err(|e| Failure(1, e.to_string()))?;
    let opts = SignOptions::for_key(&key);
    let rng = SystemRandom::new();
    let attributes: Vec<OutAttribute> = [
        "email",
        "firstName",
        "lastName",
        "displayName",
        "locale",
        "timezone",
        "department",
        "groups",
    ]
    .iter()
    .map(|n| OutAttribute {
        name: (*n).into(),
        name_format: Some(symbolon_saml::idp::ATTRNAME_BASIC.into()),
        friendly_name: None,
        values: vec![format!("value of {n}")],
    })
    .collect();
    let once = || -> Result<usize, Failure> {
        let id = || symbolon_saml::messages::new_id(&rng).map_err(|e| Failure(1, e.to_string()));
        let now = OffsetDateTime::now_utc();
        let p = ResponseParams {
            response_id: id()?,
            assertion_id: id()?,
            now,
            idp_entity_id: "https://idp.example.test/realms/acme".into(),
            destination: "https://sp.example.test/saml/acs".into(),
            in_response_to: Some(id()?),
            audience: "https://sp.example.test/saml/metadata".into(),
            name_id: "alice@example.test".into(),
            name_id_format: Some(symbolon_saml::messages::NAMEID_EMAIL.into()),
            sp_name_qualifier: None,
            lifespan: Duration::minutes(5),
            not_before_slack: Duration::seconds(30),
            session_index: Some(id()?),
            session_not_on_or_after: None,
            authn_instant: now,
            authn_context_class_ref: AC_PASSWORD_PROTECTED.into(),
            attributes: attributes.clone(),
        };
        build_response(
            &p,
            SignParts {
                response: false,
                assertion: true,
            },
            &key,
            &opts,
            &rng,
        )
        .map(|x| x.len())
        .map_err(|e| Failure(1, e.to_string()))
    };
    let size = once()?;
    let start = std::time::Instant::now();
    let mut n: u64 = 0;
    while start.elapsed().as_secs_f64() < a.seconds {
        for _ in 0..20 {
            once()?;
        }
        n += 20;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({ "iterations": n, "seconds": secs, "per_second": n as f64 / secs, "response_bytes": size })
    );
    Ok(())
}
