//! Logs of the serving commands (`serve`, `idp serve`, `sp serve`, `demo`): to standard error
//! (standard output carries only the "listening on" lines), one access-log line per request
//! (target `symbolon::access`), plain text without colour codes unless standard error is a
//! terminal, or one JSON object per line. `RUST_LOG` filters as usual (default `info`;
//! `RUST_LOG=info,symbolon::access=off` turns the access log off).

use std::io::IsTerminal;

/// The log format a serving command was asked for: `text` or `json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// `text` or `json`; anything else is an error that names the accepted values.
    pub fn parse(s: &str) -> Result<LogFormat, String> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("log format {other:?} must be \"text\" or \"json\"")),
        }
    }

    /// From `SYMBOLON_SERVER_LOG_FORMAT` (the variable `serve` reads for `server.log_format`),
    /// for the commands that have no configuration file.
    pub fn from_env() -> Result<LogFormat, String> {
        match std::env::var("SYMBOLON_SERVER_LOG_FORMAT") {
            Ok(v) => LogFormat::parse(&v).map_err(|e| format!("SYMBOLON_SERVER_LOG_FORMAT: {e}")),
            Err(_) => Ok(LogFormat::Text),
        }
    }
}

/// Install the process's log subscriber (once; later calls change nothing).
pub fn init(format: LogFormat) {
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        );
    let _ = match format {
        LogFormat::Json => subscriber.json().try_init(),
        LogFormat::Text => subscriber.try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(LogFormat::parse("json"), Ok(LogFormat::Json));
        assert_eq!(LogFormat::parse("text"), Ok(LogFormat::Text));
        assert!(
            LogFormat::parse("JSON")
                .unwrap_err()
                .contains("\"text\" or \"json\"")
        );
    }
}
