//! DNS TXT lookups, for the record that proves an account owns an email domain (home-realm
//! discovery). The system's resolver, or one name server given in the configuration; a short
//! timeout and one attempt, so an administrator waiting on "Verify" is answered quickly.

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use std::net::SocketAddr;
use std::time::Duration;

/// How long one lookup may take.
const TIMEOUT: Duration = Duration::from_secs(4);
/// The most TXT strings read from an answer (a domain with hundreds is not ours to read).
const MAX_RECORDS: usize = 64;

/// The TXT records at `name` (each the concatenation of its strings, lossily UTF-8), empty when
/// the name has none or does not exist. `server`: ask this name server instead of the system's.
/// `Err` says why the lookup itself failed.
pub async fn txt_records(name: &str, server: Option<SocketAddr>) -> Result<Vec<String>, String> {
    let mut builder = match server {
        Some(addr) => {
            let mut udp = ConnectionConfig::udp();
            udp.port = addr.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = addr.port();
            let ns = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
            TokioResolver::builder_with_config(
                ResolverConfig::from_parts(None, vec![], vec![ns]),
                TokioRuntimeProvider::default(),
            )
        }
        None => TokioResolver::builder_tokio().map_err(|e| format!("no DNS resolver: {e}"))?,
    };
    builder.options_mut().timeout = TIMEOUT;
    builder.options_mut().attempts = 1;
    let resolver = builder
        .build()
        .map_err(|e| format!("no DNS resolver: {e}"))?;
    let fqdn = format!("{}.", name.trim_end_matches('.'));
    match tokio::time::timeout(TIMEOUT * 2, resolver.txt_lookup(fqdn.as_str())).await {
        Err(_) => Err(format!("the DNS lookup of {name} timed out")),
        Ok(Ok(lookup)) => Ok(lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::TXT(txt) => Some(
                    txt.txt_data
                        .iter()
                        .map(|d| String::from_utf8_lossy(d).into_owned())
                        .collect::<String>(),
                ),
                _ => None,
            })
            .take(MAX_RECORDS)
            .collect()),
        Ok(Err(e)) if e.is_no_records_found() || e.is_nx_domain() => Ok(vec![]),
        Ok(Err(e)) => Err(format!("the DNS lookup of {name} failed: {e}")),
    }
}
