//! `symbolon sp idp ...`.

use crate::sp_account::account_id;
use clap::Subcommand;
use std::path::PathBuf;
use symbolon_sp::{Actor, MappingProfile};
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum IdpCmd {
    /// "Add Identity Provider" from the IdP's metadata (a file, or a URL refreshed on a schedule).
    Add {
        #[arg(long)]
        account: String,
        #[arg(
            long,
            required_unless_present = "metadata_url",
            conflicts_with = "metadata_url"
        )]
        metadata: Option<PathBuf>,
        /// Fetch the metadata from this URL now and keep it up to date from there.
        #[arg(long, value_name = "URL")]
        metadata_url: Option<String>,
        /// Allow a plain http:// metadata URL.
        #[arg(long, requires = "metadata_url")]
        allow_http: bool,
        /// Every document fetched must be signed by this certificate (PEM).
        #[arg(long, value_name = "CERT.pem", requires = "metadata_url")]
        metadata_signing_cert: Option<PathBuf>,
        /// The entity to take from an aggregate (a federation's metadata).
        #[arg(long, requires = "metadata_url")]
        entity_id: Option<String>,
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Where an identity provider's metadata is refreshed from, and how the refresh goes.
    Source {
        #[arg(long)]
        account: String,
        idp: String,
    },
    /// Fetch the metadata URLs of an account's identity providers now (all, or one).
    Refresh {
        #[arg(long)]
        account: String,
        idp: Option<String>,
    },
    List {
        #[arg(long)]
        account: String,
    },
    /// The mapping profile and SSO mode.
    Profile {
        #[arg(long)]
        account: String,
        idp: String,
        #[arg(long)]
        name_attribute: Option<String>,
        #[arg(long)]
        locale_attribute: Option<String>,
        #[arg(long)]
        timezone_attribute: Option<String>,
        /// The claim that carries the user's groups.
        #[arg(long)]
        role_attribute: Option<String>,
        /// Require SP-initiated sign-in (unsolicited responses are refused).
        #[arg(long)]
        sp_initiated: bool,
        /// Accept assertions encrypted with AES-CBC (for an IdP that cannot do AES-GCM).
        #[arg(long)]
        allow_cbc: bool,
    },
    /// Map a group to a role (a group maps to at most one role per account).
    MapGroup {
        #[arg(long)]
        account: String,
        idp: String,
        group: String,
        role: String,
    },
    /// Point a mapped group at another role (also repairs a mapping to a deleted role).
    RemapGroup {
        #[arg(long)]
        account: String,
        idp: String,
        group: String,
        role: String,
    },
    /// Remove the mapping of a group.
    UnmapGroup {
        #[arg(long)]
        account: String,
        idp: String,
        group: String,
    },
    /// The group -> role mappings of an identity provider (a deleted role is marked).
    Mappings {
        #[arg(long)]
        account: String,
        idp: String,
    },
    /// Rename an identity provider or change its description.
    Rename {
        #[arg(long)]
        account: String,
        idp: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Replace an identity provider's metadata (a certificate rollover, a moved endpoint); the
    /// profile and mappings stay.
    ReplaceMetadata {
        #[arg(long)]
        account: String,
        idp: String,
        #[arg(long)]
        metadata: PathBuf,
    },
    /// Delete an identity provider and its group mappings.
    Delete {
        #[arg(long)]
        account: String,
        idp: String,
    },
}

pub(super) async fn run<S: symbolon_store::sp::SpStore>(s: &S, cmd: IdpCmd) -> Result<(), String> {
    let actor = Actor::cli();
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_sp::SpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        IdpCmd::Add {
            account,
            metadata,
            metadata_url,
            allow_http,
            metadata_signing_cert,
            entity_id,
            name,
            description,
        } => {
            let id = account_id(s, &account).await?;
            let summary = match (metadata, metadata_url) {
                (Some(path), _) => {
                    let xml =
                        std::fs::read(&path).map_err(|err| format!("{}: {err}", path.display()))?;
                    symbolon_sp::add_idp(s, &actor, &id, &name, description.as_deref(), &xml, now)
                        .await
                        .map_err(e)?
                }
                (None, Some(url)) => {
                    let signing_cert = match metadata_signing_cert {
                        None => None,
                        Some(p) => Some(read_cert(&p)?),
                    };
                    let fetched = fetcher()?.outcome(&url, allow_http, None, None).await;
                    let settings = symbolon_sp::SourceSettings {
                        url,
                        allow_http,
                        signing_cert,
                        entity_id,
                    };
                    symbolon_sp::add_idp_from_url(
                        s,
                        &actor,
                        &id,
                        &name,
                        description.as_deref(),
                        &settings,
                        fetched,
                        &symbolon_sp::RefreshPolicy::default(),
                        now,
                    )
                    .await
                    .map_err(e)?
                }
                (None, None) => return Err("give --metadata or --metadata-url".into()),
            };
            println!(
                "identity provider {name} added: {}",
                summary.config.entity_id
            );
            for c in summary.certificates {
                println!("certificate: {c}");
            }
            for (sev, msg) in summary.findings {
                eprintln!("{sev}: {msg}");
            }
        }
        IdpCmd::Source { account, idp } => {
            let id = account_id(s, &account).await?;
            let c = symbolon_sp::idp_named(s, &id, &idp).await.map_err(e)?;
            let Some(src) = c.metadata_source else {
                return Err(format!(
                    "{idp} has no metadata URL (it was added from a file)"
                ));
            };
            let t = |v: Option<OffsetDateTime>| {
                v.map(symbolon_idp_text).unwrap_or_else(|| "never".into())
            };
            println!("url\t{}", src.url);
            println!("signed\t{}", !src.signing_certs.is_empty());
            println!("checked\t{}", t(src.checked_at));
            println!("changed\t{}", t(src.changed_at));
            println!("next\t{}", t(Some(src.next_at)));
            println!("failures\t{}", src.failures);
            println!("last_error\t{}", src.last_error.unwrap_or_default());
        }
        IdpCmd::Refresh { account, idp } => {
            let id = account_id(s, &account).await?;
            let fetcher = fetcher()?;
            let policy = symbolon_sp::RefreshPolicy::default();
            let mut failed = false;
            for c in s.idps(&id).await.map_err(st)? {
                if idp.as_ref().is_some_and(|n| *n != c.name) {
                    continue;
                }
                let Some(src) = &c.metadata_source else {
                    if idp.is_some() {
                        return Err(format!("{} has no metadata URL", c.name));
                    }
                    continue;
                };
                let fetched = fetcher
                    .outcome(
                        &src.url,
                        src.allow_http,
                        src.etag.as_deref(),
                        src.last_modified.as_deref(),
                    )
                    .await;
                match symbolon_sp::refresh_idp(s, &c, fetched, &policy, now)
                    .await
                    .map_err(e)?
                {
                    symbolon_sp::RefreshReport::Unchanged => println!("{}	unchanged", c.name),
                    symbolon_sp::RefreshReport::Changed(ch) => {
                        println!("{}	changed	{}", c.name, ch.join("; "));
                    }
                    symbolon_sp::RefreshReport::Failed(why) => {
                        failed = true;
                        println!("{}	failed	{why}", c.name);
                    }
                }
            }
            if failed {
                return Err("a refresh failed; the last good metadata stays in use".into());
            }
        }
        IdpCmd::List { account } => {
            let id = account_id(s, &account).await?;
            for i in s.idps(&id).await.map_err(st)? {
                // The pinned certificate that expires first.
                let days = i
                    .certs
                    .iter()
                    .filter_map(|d| symbolon_store::expiry::days_left(d, now))
                    .min()
                    .map(|d| format!("{d} days left"))
                    .unwrap_or_default();
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{days}",
                    i.id,
                    i.name,
                    i.entity_id,
                    if i.sp_initiated {
                        "sp-initiated"
                    } else {
                        "idp-initiated"
                    },
                    i.description.unwrap_or_default()
                );
            }
        }
        IdpCmd::Profile {
            account,
            idp,
            name_attribute,
            locale_attribute,
            timezone_attribute,
            role_attribute,
            sp_initiated,
            allow_cbc,
        } => {
            let id = account_id(s, &account).await?;
            let p = MappingProfile {
                name: name_attribute,
                locale: locale_attribute,
                timezone: timezone_attribute,
                role: role_attribute,
                sp_initiated,
                allow_cbc,
            };
            symbolon_sp::set_profile(s, &actor, &id, &idp, &p, now)
                .await
                .map_err(e)?;
            println!("mapping profile of {idp} saved");
        }
        IdpCmd::MapGroup {
            account,
            idp,
            group,
            role,
        } => {
            let id = account_id(s, &account).await?;
            symbolon_sp::map_group(s, &actor, &id, &idp, &group, &role, now)
                .await
                .map_err(e)?;
            println!("group {group} -> role {role}");
        }
        IdpCmd::RemapGroup {
            account,
            idp,
            group,
            role,
        } => {
            let id = account_id(s, &account).await?;
            if symbolon_sp::remap_group(s, &actor, &id, &idp, &group, &role, now)
                .await
                .map_err(e)?
            {
                println!("group {group} -> role {role}");
            } else {
                println!("group {group} already maps to {role}; nothing changed");
            }
        }
        IdpCmd::UnmapGroup {
            account,
            idp,
            group,
        } => {
            let id = account_id(s, &account).await?;
            symbolon_sp::unmap_group(s, &actor, &id, &idp, &group, now)
                .await
                .map_err(e)?;
            println!("mapping of group {group} removed");
        }
        IdpCmd::Mappings { account, idp } => {
            let id = account_id(s, &account).await?;
            let c = symbolon_sp::idp_named(s, &id, &idp).await.map_err(e)?;
            let roles = s.account_roles(&id).await.map_err(st)?;
            for m in s.mappings(&c.id).await.map_err(st)? {
                let live = roles.iter().any(|r| r.id == m.role_id);
                println!(
                    "{}\t{}{}",
                    m.group,
                    m.role_name,
                    if live { "" } else { "\t(deleted role)" }
                );
            }
        }
        IdpCmd::Rename {
            account,
            idp,
            name,
            description,
        } => {
            let id = account_id(s, &account).await?;
            let c = symbolon_sp::idp_named(s, &id, &idp).await.map_err(e)?;
            let new_name = name.unwrap_or_else(|| c.name.clone());
            let description = description.or(c.description);
            let c = symbolon_sp::rename_idp(
                s,
                &actor,
                &id,
                &idp,
                &new_name,
                description.as_deref(),
                now,
            )
            .await
            .map_err(e)?;
            println!("identity provider {} saved", c.name);
        }
        IdpCmd::ReplaceMetadata {
            account,
            idp,
            metadata,
        } => {
            let id = account_id(s, &account).await?;
            let xml =
                std::fs::read(&metadata).map_err(|err| format!("{}: {err}", metadata.display()))?;
            let summary = symbolon_sp::replace_idp_metadata(s, &actor, &id, &idp, &xml, now)
                .await
                .map_err(e)?;
            println!("metadata of {idp} replaced");
            for c in summary.certificates {
                println!("certificate: {c}");
            }
        }
        IdpCmd::Delete { account, idp } => {
            let id = account_id(s, &account).await?;
            symbolon_sp::delete_idp(s, &actor, &id, &idp, now)
                .await
                .map_err(e)?;
            println!("identity provider {idp} deleted");
        }
    }
    Ok(())
}

pub(crate) fn fetcher() -> Result<symbolon_web::fetch::Fetcher, String> {
    symbolon_web::fetch::Fetcher::new(symbolon_web::fetch::FetchLimits::default())
        .map_err(|e| e.to_string())
}

pub(crate) fn read_cert(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let pem = std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))?;
    symbolon_dsig::pem_blocks(&pem)
        .into_iter()
        .find(|(l, _)| l == "CERTIFICATE")
        .map(|(_, d)| d)
        .ok_or_else(|| format!("{}: no CERTIFICATE block", path.display()))
}

fn symbolon_idp_text(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
