//! `symbolon idp webhook --realm R ...` and `symbolon sp webhook --account A ...`: the verbs
//! and output both share.

use clap::Subcommand;
use symbolon_store::webhooks::{Delivery, Webhook};

#[derive(Subcommand, Debug)]
pub enum WebhookCmd {
    /// Add an endpoint for some event types; prints its ID and its signing secret (shown once).
    Add {
        url: String,
        /// Event types, comma-separated: sign-in.failed, certificate.expiring,
        /// metadata.refreshed, metadata.failed, configuration.changed, user.created,
        /// user.removed.
        #[arg(long, value_delimiter = ',', required = true)]
        events: Vec<String>,
        /// Allow a plain http:// endpoint.
        #[arg(long)]
        allow_http: bool,
    },
    /// The endpoints: ID, URL, event types.
    List,
    /// Remove an endpoint and its delivery log.
    Remove { id: String },
    /// Queue a `webhook.test` message to an endpoint (delivered within seconds by a running
    /// server).
    Test { id: String },
    /// The delivery log, newest first: time, status, attempts, last HTTP status, event, message
    /// ID, last error.
    Deliveries {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

pub(crate) fn print_added(w: &Webhook) {
    eprintln!(
        "added webhook {} for {}; its signing secret (shown once; verify the webhook-signature header with it):",
        w.url,
        w.events.join(", ")
    );
    println!("{}\t{}", w.id, w.secret.0);
}

pub(crate) fn print_hooks(hooks: &[Webhook]) {
    for w in hooks {
        println!("{}\t{}\t{}", w.id, w.url, w.events.join(","));
    }
}

pub(crate) fn print_deliveries(ds: &[Delivery]) {
    for d in ds {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            symbolon_saml::time::format_instant(d.created_at),
            d.status.as_str(),
            d.attempts,
            d.last_code.map(|c| c.to_string()).unwrap_or_default(),
            d.event_type,
            d.id,
            d.last_error.as_deref().unwrap_or("")
        );
    }
}
