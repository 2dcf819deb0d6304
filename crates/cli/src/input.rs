//! Input helpers every `symbolon saml` command shares: reading a file, standard input or a
//! literal; `--now`; the failure that becomes exit code 2; times as RFC 3339.

use clap::Args;
use std::io::Read;
use std::path::{Path, PathBuf};
use symbolon_dsig::SignatureAlgorithm;
use symbolon_saml::time::format_instant;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Args, Debug)]
pub struct BenchSignArgs {
    /// Signing key (PEM).
    #[arg(long)]
    pub key: PathBuf,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
}

pub(crate) fn parse_now(s: &str) -> Result<OffsetDateTime, String> {
    let t =
        OffsetDateTime::parse(s, &Rfc3339).map_err(|e| format!("not an RFC 3339 instant: {e}"))?;
    t.checked_to_offset(time::UtcOffset::UTC)
        .ok_or_else(|| "the instant lies outside the years 0000-9999 in UTC".to_string())
}

pub(crate) fn parse_alg(s: &str) -> Result<SignatureAlgorithm, String> {
    SignatureAlgorithm::from_name(s).ok_or_else(|| format!("unknown algorithm {s:?}"))
}

/// A failure: the exit code and one line for stderr.
pub(crate) struct Failure(pub u8, pub String);

pub(crate) fn read_input(path: &str) -> Result<Vec<u8>, Failure> {
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Failure(2, format!("cannot read standard input: {e}")))?;
        return Ok(buf);
    }
    read_path(Path::new(path))
}

/// Like [`read_input`], but a value that plainly is a message (a URL, a query or POST body with
/// `SAMLRequest=`/`SAMLResponse=`, or XML) is taken as it is rather than as a path.
pub(crate) fn read_input_or_literal(value: &str) -> Result<Vec<u8>, Failure> {
    let v = value.trim_start();
    if v.starts_with('<')
        || v.starts_with("http://")
        || v.starts_with("https://")
        || v.contains("SAMLRequest=")
        || v.contains("SAMLResponse=")
    {
        return Ok(value.as_bytes().to_vec());
    }
    read_input(value)
}

pub(crate) fn read_path(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure(2, format!("cannot open {}: {e}", path.display())))
}

pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// RFC 3339 for a Unix timestamp.
pub(crate) fn unix_to_rfc3339(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .map(format_instant)
        .unwrap_or_else(|_| t.to_string())
}

/// A secret (a password) from standard input, without its line ending.
pub(crate) fn read_secret() -> Result<String, String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    Ok(s.trim_end_matches(['\r', '\n']).to_string())
}
