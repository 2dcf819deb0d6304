//! `symbolon saml ...`: command-line SAML tools.
//!
//! Exit codes: 0 accepted / done, 1 rejected (one line on stderr naming the reason; anything
//! wrong with the content of an input), 2 bad flags or an input that cannot be opened.

use crate::input::{BenchSignArgs, Failure, one_line, parse_alg, parse_now, read_input, read_path};
use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use symbolon_dsig::{DigestAlgorithm, SignOptions, SignatureAlgorithm, SigningKey};
use symbolon_saml::binding::xml_or_base64;
use symbolon_saml::time::format_instant;
use symbolon_saml::{Expectation, IdpSettings, IdpTrust, SpSettings, metadata, sp};
use symbolon_xml::{C14nOptions, Limits};
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum SamlCommand {
    /// Validate a SAMLResponse as a service provider would, against the IdP's metadata.
    VerifyResponse(VerifyArgs),
    /// Sign the element with the given ID (enveloped signature after its Issuer).
    Sign(SignArgs),
    /// Exclusive XML canonicalisation of a document or of the element with an ID.
    C14n(C14nArgs),
    /// Decode and summarise a SAML message (XML, base64, deflated, a Redirect URL or a POST body).
    Inspect(crate::saml_tools::InspectArgs),
    /// Generate a key pair and a self-signed certificate.
    Keygen(crate::saml_tools::KeygenArgs),
    /// Metadata tools.
    #[command(subcommand)]
    Metadata(crate::saml_tools::MetadataCommand),
    /// Act as a test IdP: issue a signed Response for an SP (prints the XML).
    IssueResponse(crate::saml_idp_tools::IssueArgs),
    /// Check an AuthnRequest (Redirect URL or POST body) as Symbolon's IdP would.
    CheckRequest(crate::saml_idp_tools::CheckArgs),
    /// Validate the same response repeatedly in-process and print the rate (for BENCHMARKS.md).
    #[command(hide = true)]
    BenchValidate(BenchArgs),
    /// Issue signed responses (RSA-2048, Assertion signed) repeatedly and print the rate.
    #[command(hide = true)]
    BenchSign(BenchSignArgs),
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    pub(crate) verify: VerifyArgs,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 3.0)]
    pub(crate) seconds: f64,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The identity provider's metadata (EntityDescriptor or EntitiesDescriptor).
    #[arg(long, value_name = "IDP.xml")]
    pub(crate) idp_metadata: PathBuf,
    /// Our (the SP's) entity ID: the expected Audience.
    #[arg(long, value_name = "SP_ID")]
    pub(crate) sp_entity_id: String,
    /// Our ACS URL: the expected Destination and Recipient.
    #[arg(long, value_name = "ACS_URL")]
    pub(crate) acs_url: String,
    /// Validate at this instant (RFC 3339) instead of the system clock.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    pub(crate) now: Option<OffsetDateTime>,
    /// The AuthnRequest ID this response must answer; without it the response must be unsolicited.
    #[arg(long, value_name = "REQ_ID")]
    pub(crate) in_response_to: Option<String>,
    /// Accept RSA-SHA1 signatures and SHA-1 digests (reported as a warning).
    #[arg(long)]
    pub(crate) allow_sha1: bool,
    /// Clock skew in seconds (default 120, at most 300).
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u16).range(0..=300))]
    pub(crate) clock_skew: u16,
    /// Accept the assertion at most this many seconds after its IssueInstant, whatever its
    /// NotOnOrAfter says (the clock skew comes on top; at most 86400).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub(crate) max_assertion_lifetime: u32,
    /// Our private key (PEM, PKCS#8 RSA), to decrypt an EncryptedAssertion.
    #[arg(long, value_name = "KEY.pem")]
    pub(crate) decrypt_key: Option<PathBuf>,
    /// Accept an assertion encrypted with AES-CBC (by default only AES-GCM).
    #[arg(long)]
    pub(crate) allow_cbc: bool,
    /// The SAMLResponse: XML, or the base64 a browser posts. `-` reads standard input.
    #[arg(value_name = "FILE|-")]
    pub(crate) input: String,
}

#[derive(Args, Debug)]
pub struct SignArgs {
    /// Private key, PEM (PKCS#8, PKCS#1 RSA or SEC1 EC).
    #[arg(long)]
    pub(crate) key: PathBuf,
    /// Certificate, PEM, placed in KeyInfo.
    #[arg(long)]
    pub(crate) cert: Option<PathBuf>,
    /// ID of the element to sign; by default the Assertion's.
    #[arg(long)]
    pub(crate) id: Option<String>,
    /// rsa-sha256 (default for RSA), rsa-sha384, rsa-sha512, ecdsa-sha256, ecdsa-sha384, ecdsa-sha512.
    #[arg(long, value_parser = parse_alg)]
    pub(crate) alg: Option<SignatureAlgorithm>,
    #[arg(value_name = "FILE|-")]
    pub(crate) input: String,
}

#[derive(Args, Debug)]
pub struct C14nArgs {
    /// Keep comments (xml-exc-c14n#WithComments).
    #[arg(long)]
    pub(crate) with_comments: bool,
    /// InclusiveNamespaces PrefixList (space separated; #default for the default namespace).
    #[arg(long, default_value = "")]
    pub(crate) inclusive_prefixes: String,
    /// Canonicalise only the element with this ID (default: the whole document).
    #[arg(long)]
    pub(crate) id: Option<String>,
    #[arg(value_name = "FILE|-")]
    pub(crate) input: String,
}

pub fn run(cmd: SamlCommand) -> ExitCode {
    let result = match cmd {
        SamlCommand::VerifyResponse(a) => verify_response(a),
        SamlCommand::Sign(a) => sign(a),
        SamlCommand::C14n(a) => c14n(a),
        SamlCommand::BenchValidate(a) => bench_validate(a),
        SamlCommand::BenchSign(a) => crate::saml_idp_tools::bench_sign(a),
        SamlCommand::Inspect(a) => crate::saml_tools::inspect(a),
        SamlCommand::Keygen(a) => crate::saml_tools::keygen(a),
        SamlCommand::Metadata(m) => match m {
            crate::saml_tools::MetadataCommand::Lint(a) => crate::saml_tools::lint(a),
            crate::saml_tools::MetadataCommand::Show(a) => crate::saml_tools::metadata_show(a),
            crate::saml_tools::MetadataCommand::Idp(a) => crate::saml_tools::metadata_idp(a),
            crate::saml_tools::MetadataCommand::Sp(a) => crate::saml_tools::metadata_sp(a),
        },
        SamlCommand::IssueResponse(a) => crate::saml_idp_tools::issue_response(a),
        SamlCommand::CheckRequest(a) => crate::saml_idp_tools::check_request(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, msg)) => {
            let _ = writeln!(std::io::stderr(), "{}", one_line(&msg));
            ExitCode::from(code)
        }
    }
}

pub(crate) fn verify_response(a: VerifyArgs) -> Result<(), Failure> {
    let key = decryption_key(&a)?;
    let metadata_bytes = read_path(&a.idp_metadata)?;
    let input = read_input(&a.input)?;
    let now = a.now.unwrap_or_else(OffsetDateTime::now_utc);
    let reject = |m: String| Failure(1, format!("rejected: {m}"));

    let xml = xml_or_base64(&input).map_err(|e| reject(e.to_string()))?;
    let limits = Limits::default();
    let doc = symbolon_xml::parse_bytes(&xml, &limits)
        .map_err(|e| reject(format!("not acceptable XML: {e}")))?;

    // An aggregate is narrowed to the entity named by the (unverified) Issuer; the verification
    // that follows is what establishes trust.
    let entities = metadata::parse_metadata(&metadata_bytes)
        .map_err(|e| reject(format!("IdP metadata: {e}")))?;
    let wanted = if entities.len() == 1 {
        None
    } else {
        sp::issuer_hint(&doc)
    };
    let entity = metadata::select_entity(entities, wanted.as_deref())
        .map_err(|e| reject(format!("IdP metadata: {e}")))?;
    let trust = IdpTrust::from_entity(&entity).map_err(|e| reject(format!("IdP metadata: {e}")))?;
    for s in &trust.skipped {
        let _ = writeln!(
            std::io::stderr(),
            "warning: IdP metadata certificate skipped: {s}"
        );
    }

    let mut idp = IdpSettings::new(trust.entity_id.clone(), trust.certs.clone());
    idp.allow_sha1 = a.allow_sha1;
    let sp_settings = SpSettings {
        entity_id: a.sp_entity_id,
        acs_url: a.acs_url,
    };
    let expect = Expectation {
        now,
        clock_skew: time::Duration::seconds(i64::from(a.clock_skew)),
        in_response_to: a.in_response_to.as_deref(),
        max_assertion_lifetime: time::Duration::seconds(i64::from(a.max_assertion_lifetime)),
    };
    idp.allow_cbc = a.allow_cbc;
    let policy = symbolon_dsig::enc::DecryptPolicy {
        allow_cbc: a.allow_cbc,
    };
    let v = symbolon_saml::encrypted::validate_any(
        &xml,
        &limits,
        key.as_ref().map(|k| (k, &policy)),
        &idp,
        &sp_settings,
        &expect,
    )
    .map_err(|e| reject(e.to_string()))?;
    for w in &v.warnings {
        let _ = writeln!(std::io::stderr(), "warning: {}", one_line(w));
    }

    let mut attributes = Map::new();
    for at in &v.attributes {
        attributes.insert(at.name.clone(), json!(at.values));
    }
    let mut out = Map::new();
    out.insert("issuer".into(), json!(v.issuer));
    out.insert("name_id".into(), json!(v.name_id));
    out.insert("name_id_format".into(), json!(v.name_id_format));
    out.insert("session_index".into(), json!(v.session_index));
    out.insert("assertion_id".into(), json!(v.assertion_id));
    out.insert(
        "not_on_or_after".into(),
        json!(format_instant(v.not_on_or_after)),
    );
    out.insert("attributes".into(), Value::Object(attributes));
    let text = serde_json::to_string(&Value::Object(out)).map_err(|e| Failure(1, e.to_string()))?;
    println!("{text}");
    Ok(())
}

pub(crate) fn sign(a: SignArgs) -> Result<(), Failure> {
    let key_pem = String::from_utf8(read_path(&a.key)?)
        .map_err(|_| Failure(1, "key is not PEM text".into()))?;
    let cert_pem = match &a.cert {
        Some(p) => Some(
            String::from_utf8(read_path(p)?)
                .map_err(|_| Failure(1, "certificate is not PEM text".into()))?,
        ),
        None => None,
    };
    let key = SigningKey::from_pem(&key_pem, cert_pem.as_deref())
        .map_err(|e| Failure(1, e.to_string()))?;
    let input = read_input(&a.input)?;
    let xml = String::from_utf8(input).map_err(|_| Failure(1, "document is not UTF-8".into()))?;
    let id = match a.id {
        Some(id) => id,
        None => {
            let doc = symbolon_xml::parse(&xml, &Limits::default())
                .map_err(|e| Failure(1, e.to_string()))?;
            let found = doc
                .descendants()
                .find(|n| symbolon_xml::is_element(*n, symbolon_xml::ns::SAML, "Assertion"))
                .and_then(|n| n.attribute("ID"))
                .map(str::to_string);
            found.ok_or_else(|| Failure(1, "no Assertion with an ID; pass --id".into()))?
        }
    };
    let mut opts = SignOptions::for_key(&key);
    if let Some(alg) = a.alg {
        opts = SignOptions {
            algorithm: alg,
            digest: DigestAlgorithm::matching(alg),
        };
    }
    let rng = symbolon_dsig::SystemRandom::new();
    let out = symbolon_dsig::sign_enveloped(&xml, &id, &key, &opts, &rng)
        .map_err(|e| Failure(1, e.to_string()))?;
    print!("{out}");
    Ok(())
}

pub(crate) fn c14n(a: C14nArgs) -> Result<(), Failure> {
    let input = read_input(&a.input)?;
    let doc = symbolon_xml::parse_bytes(&input, &Limits::default())
        .map_err(|e| Failure(1, e.to_string()))?;
    let prefixes: Vec<&str> = a.inclusive_prefixes.split_whitespace().collect();
    let opts = C14nOptions {
        with_comments: a.with_comments,
        inclusive_prefixes: &prefixes,
        exclude: None,
    };
    let mut out = Vec::new();
    match &a.id {
        Some(id) => {
            let node = doc
                .descendants()
                .find(|n| n.is_element() && n.attribute("ID") == Some(id.as_str()))
                .ok_or_else(|| Failure(1, format!("no element with ID {id:?}")))?;
            symbolon_xml::canonicalize(node, &opts, &mut out);
        }
        None => symbolon_xml::canonicalize_document(&doc, &opts, &mut out),
    }
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| Failure(1, e.to_string()))?;
    Ok(())
}

/// Each iteration does what a server does per POST: decode, parse, validate. Metadata is parsed
/// once, as a server keeps its IdP configuration.
/// `--decrypt-key`, read and parsed.
fn decryption_key(a: &VerifyArgs) -> Result<Option<symbolon_dsig::enc::DecryptionKey>, Failure> {
    a.decrypt_key
        .as_ref()
        .map(|path| {
            let pem = String::from_utf8(read_path(path)?)
                .map_err(|_| Failure(1, "the key is not PEM text".into()))?;
            symbolon_dsig::enc::DecryptionKey::from_pem(&pem).map_err(|e| Failure(1, e.to_string()))
        })
        .transpose()
}

pub(crate) fn bench_validate(a: BenchArgs) -> Result<(), Failure> {
    let v = a.verify;
    let key = decryption_key(&v)?;
    let policy = symbolon_dsig::enc::DecryptPolicy {
        allow_cbc: v.allow_cbc,
    };
    let metadata_bytes = read_path(&v.idp_metadata)?;
    let input = read_input(&v.input)?;
    let trust =
        IdpTrust::from_metadata(&metadata_bytes, None).map_err(|e| Failure(1, e.to_string()))?;
    let mut idp = IdpSettings::new(trust.entity_id, trust.certs);
    idp.allow_cbc = v.allow_cbc;
    let sp_settings = SpSettings {
        entity_id: v.sp_entity_id,
        acs_url: v.acs_url,
    };
    let expect = Expectation {
        now: v.now.unwrap_or_else(OffsetDateTime::now_utc),
        clock_skew: time::Duration::seconds(i64::from(v.clock_skew)),
        in_response_to: v.in_response_to.as_deref(),
        max_assertion_lifetime: sp::DEFAULT_MAX_ASSERTION_LIFETIME,
    };
    let limits = Limits::default();
    let run = || -> Result<(), Failure> {
        let xml = xml_or_base64(&input).map_err(|e| Failure(1, e.to_string()))?;
        symbolon_saml::encrypted::validate_any(
            &xml,
            &limits,
            key.as_ref().map(|k| (k, &policy)),
            &idp,
            &sp_settings,
            &expect,
        )
        .map(|_| ())
        .map_err(|e| Failure(1, format!("rejected: {e}")))
    };
    run()?;
    let start = std::time::Instant::now();
    let mut n: u64 = 0;
    while start.elapsed().as_secs_f64() < a.seconds {
        for _ in 0..100 {
            run()?;
        }
        n += 100;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({ "iterations": n, "seconds": secs, "per_second": n as f64 / secs })
    );
    Ok(())
}
