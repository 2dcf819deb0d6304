//! `symbolon idp client ...`.

use clap::Subcommand;
use symbolon_idp::Actor;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum ClientCmd {
    /// Import a client from SP metadata ("Import a Client").
    Import {
        #[arg(long)]
        realm: String,
        /// SP metadata file (`-` for standard input).
        #[arg(
            required_unless_present = "metadata_url",
            conflicts_with = "metadata_url"
        )]
        file: Option<String>,
        /// Fetch the SP metadata from this URL now and keep the client up to date from there.
        #[arg(long, value_name = "URL")]
        metadata_url: Option<String>,
        /// Allow a plain http:// metadata URL.
        #[arg(long, requires = "metadata_url")]
        allow_http: bool,
        /// Every document fetched must be signed by this certificate (PEM).
        #[arg(long, value_name = "CERT.pem", requires = "metadata_url")]
        metadata_signing_cert: Option<std::path::PathBuf>,
        /// IDP-Initiated SSO URL Name: /realms/{realm}/protocol/saml/clients/{name}
        #[arg(long)]
        url_name: Option<String>,
        /// Home URL.
        #[arg(long)]
        home_url: Option<String>,
    },
    List {
        #[arg(long)]
        realm: String,
    },
    /// Limit the client to assigned users and groups.
    Restrict {
        #[arg(long)]
        realm: String,
        client_id: String,
    },
    /// Open the client to every user of the realm.
    Open {
        #[arg(long)]
        realm: String,
        client_id: String,
    },
    /// Assign the client to `user:NAME` or `group:/PATH` (members of subgroups included).
    Assign {
        #[arg(long)]
        realm: String,
        client_id: String,
        subject: String,
    },
    Unassign {
        #[arg(long)]
        realm: String,
        client_id: String,
        subject: String,
    },
    /// Who can reach the client.
    Access {
        #[arg(long)]
        realm: String,
        client_id: String,
    },
    /// Add a protocol mapper. --source user-attribute:NAME | user-property:username|email|firstName|lastName
    /// | group-list | group-list-full | role-list | hardcoded:VALUE
    AddMapper {
        #[arg(long)]
        realm: String,
        client_id: String,
        /// The SAML attribute name.
        #[arg(long)]
        attribute: String,
        #[arg(long)]
        source: String,
        /// basic, uri or unspecified (or the full URI).
        #[arg(long)]
        name_format: Option<String>,
    },
    /// Change a protocol mapper (by name): its SAML attribute, source and NameFormat.
    EditMapper {
        #[arg(long)]
        realm: String,
        client_id: String,
        name: String,
        /// The SAML attribute name (default: unchanged).
        #[arg(long)]
        attribute: Option<String>,
        /// As for add-mapper, e.g. user-attribute:locale, property:email, group-list-full.
        #[arg(long)]
        source: String,
        #[arg(long)]
        name_format: Option<String>,
    },
    /// Remove a protocol mapper by name.
    RemoveMapper {
        #[arg(long)]
        realm: String,
        client_id: String,
        name: String,
    },
    /// Set where the client takes logout messages (single logout); without an option, show it.
    /// An option left out keeps that binding's URL; an empty value removes it.
    Logout {
        #[arg(long)]
        realm: String,
        client_id: String,
        /// The HTTP-Redirect location (used when both are set).
        #[arg(long)]
        redirect: Option<String>,
        /// The HTTP-POST location.
        #[arg(long)]
        post: Option<String>,
        /// The back-channel (SOAP) location, where an administrator's revoke is sent.
        #[arg(long)]
        soap: Option<String>,
    },
    /// Delete a client with its access assignments (pairwise NameIDs are kept).
    Delete {
        #[arg(long)]
        realm: String,
        client_id: String,
    },
    /// Import the SP's metadata again into an existing client: endpoints and signing
    /// certificates are replaced, every setting and mapper stays; prints what changed.
    Reimport {
        #[arg(long)]
        realm: String,
        client_id: String,
        /// SP metadata file (`-` for standard input).
        file: String,
    },
}

pub(super) async fn run<S: symbolon_store::IdpStore>(s: &S, cmd: ClientCmd) -> Result<(), String> {
    let actor = Actor("cli".into());
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_idp::IdpError| e.to_string();
    let st = |e: symbolon_store::StoreError| e.to_string();
    match cmd {
        ClientCmd::Import {
            realm,
            file,
            metadata_url,
            allow_http,
            metadata_signing_cert,
            url_name,
            home_url,
        } => {
            let (mut c, findings) = match (file, metadata_url) {
                (Some(file), _) => {
                    let bytes = crate::input::read_input(&file).map_err(|f| f.1)?;
                    symbolon_idp::import_client(s, &actor, &realm, &bytes, url_name.as_deref(), now)
                        .await
                        .map_err(e)?
                }
                (None, Some(url)) => {
                    let signing_cert = match metadata_signing_cert {
                        Some(p) => Some(crate::sp_cmd::read_cert(&p)?),
                        None => None,
                    };
                    let fetched = crate::sp_cmd::fetcher()?
                        .outcome(&url, allow_http, None, None)
                        .await;
                    symbolon_idp::import_client_from_url(
                        s,
                        &actor,
                        &realm,
                        url_name.as_deref(),
                        &symbolon_idp::ClientSource {
                            url,
                            allow_http,
                            signing_cert,
                        },
                        fetched,
                        &Default::default(),
                        now,
                    )
                    .await
                    .map_err(e)?
                }
                (None, None) => return Err("give a metadata file or --metadata-url".into()),
            };
            if let Some(h) = home_url {
                c.home_url = Some(h.clone());
                symbolon_idp::update_client(s, &actor, &c, &format!("Home URL {h}"), now)
                    .await
                    .map_err(e)?;
            }
            println!(
                "imported client {} ({} ACS endpoint(s), NameID format {})",
                c.client_id,
                c.acs.len(),
                c.name_id_format
            );
            for f in findings {
                println!("  {:?} {}: {}", f.severity, f.code, f.message);
            }
        }
        ClientCmd::List { realm } => {
            super::existing_realm(s, &realm).await?;
            for c in s.clients(&realm).await.map_err(st)? {
                println!(
                    "{}\t{}\t{}",
                    c.client_id,
                    c.idp_initiated_url_name.unwrap_or_default(),
                    if c.enabled { "enabled" } else { "disabled" }
                );
            }
        }
        ClientCmd::RemoveMapper {
            realm,
            client_id,
            name,
        } => {
            symbolon_idp::roles::remove_mapper(s, &actor, &realm, &client_id, &name, now)
                .await
                .map_err(e)?;
            println!("{client_id}: mapper {name} removed");
        }
        ClientCmd::Restrict { realm, client_id } => {
            symbolon_idp::set_client_restricted(s, &actor, &realm, &client_id, true, now)
                .await
                .map_err(e)?;
            println!("{client_id}: only assigned users and groups");
        }
        ClientCmd::Open { realm, client_id } => {
            symbolon_idp::set_client_restricted(s, &actor, &realm, &client_id, false, now)
                .await
                .map_err(e)?;
            println!("{client_id}: open to every user of {realm}");
        }
        ClientCmd::Assign {
            realm,
            client_id,
            subject,
        } => {
            let who = symbolon_idp::Subject::parse(&subject).map_err(e)?;
            symbolon_idp::assign_client(s, &actor, &realm, &client_id, &who, true, now)
                .await
                .map_err(e)?;
            println!("{client_id} assigned to {subject}");
        }
        ClientCmd::Unassign {
            realm,
            client_id,
            subject,
        } => {
            let who = symbolon_idp::Subject::parse(&subject).map_err(e)?;
            symbolon_idp::assign_client(s, &actor, &realm, &client_id, &who, false, now)
                .await
                .map_err(e)?;
            println!("{client_id} unassigned from {subject}");
        }
        ClientCmd::Access { realm, client_id } => {
            let c = s
                .client(&realm, &client_id)
                .await
                .map_err(st)?
                .ok_or_else(|| format!("no client {client_id:?} in realm {realm}"))?;
            for line in symbolon_idp::client_access_summary(s, &c)
                .await
                .map_err(e)?
            {
                println!("{line}");
            }
        }
        ClientCmd::AddMapper {
            realm,
            client_id,
            attribute,
            source,
            name_format,
        } => {
            let (kind, param) = source.split_once(':').unwrap_or((source.as_str(), ""));
            let kind = if kind == "property" {
                "user-property"
            } else {
                kind
            };
            let mapper = symbolon_store::Mapper {
                name: attribute.clone(),
                saml_attribute: attribute.clone(),
                name_format: symbolon_idp::roles::name_format(name_format.as_deref().unwrap_or(""))
                    .map_err(e)?,
                friendly_name: None,
                source: symbolon_idp::roles::mapper_source(kind, param).map_err(e)?,
            };
            symbolon_idp::roles::add_mapper(s, &actor, &realm, &client_id, mapper, now)
                .await
                .map_err(e)?;
            println!("{client_id}: mapper {attribute} added");
        }
        ClientCmd::EditMapper {
            realm,
            client_id,
            name,
            attribute,
            source,
            name_format,
        } => {
            let c = s
                .client(&realm, &client_id)
                .await
                .map_err(st)?
                .ok_or_else(|| format!("no client {client_id:?} in realm {realm}"))?;
            let current = c
                .mappers
                .iter()
                .find(|m| m.name == name)
                .ok_or_else(|| format!("client {client_id} has no mapper named {name:?}"))?;
            let (kind, param) = source.split_once(':').unwrap_or((source.as_str(), ""));
            let kind = if kind == "property" {
                "user-property"
            } else {
                kind
            };
            let mapper = symbolon_store::Mapper {
                name: name.clone(),
                saml_attribute: attribute.unwrap_or_else(|| current.saml_attribute.clone()),
                name_format: symbolon_idp::roles::name_format(name_format.as_deref().unwrap_or(""))
                    .map_err(e)?,
                friendly_name: None,
                source: symbolon_idp::roles::mapper_source(kind, param).map_err(e)?,
            };
            let changed =
                symbolon_idp::roles::edit_mapper(s, &actor, &realm, &client_id, &name, mapper, now)
                    .await
                    .map_err(e)?;
            println!(
                "{client_id}: mapper {name} {}",
                if changed { "saved" } else { "unchanged" }
            );
        }
        ClientCmd::Logout {
            realm,
            client_id,
            redirect,
            post,
            soap,
        } => {
            use symbolon_saml::metadata::{BINDING_POST, BINDING_REDIRECT};
            use symbolon_saml::soap::BINDING_SOAP;
            let mut c = s
                .client(&realm, &client_id)
                .await
                .map_err(st)?
                .ok_or_else(|| format!("no client {client_id:?} in realm {realm}"))?;
            if redirect.is_some() || post.is_some() || soap.is_some() {
                let keep = |b: &str| symbolon_idp::logout_location(&c, b).map(str::to_string);
                let redirect = redirect.or_else(|| keep(BINDING_REDIRECT));
                let post = post.or_else(|| keep(BINDING_POST));
                let soap = soap.or_else(|| keep(BINDING_SOAP));
                symbolon_idp::set_logout_endpoints(
                    &mut c,
                    redirect.as_deref(),
                    post.as_deref(),
                    soap.as_deref(),
                )
                .map_err(e)?;
                symbolon_idp::update_client(s, &actor, &c, "logout endpoints", now)
                    .await
                    .map_err(e)?;
            }
            for (label, b) in [
                ("redirect", BINDING_REDIRECT),
                ("post", BINDING_POST),
                ("soap", BINDING_SOAP),
            ] {
                println!(
                    "{label}\t{}",
                    symbolon_idp::logout_location(&c, b).unwrap_or("(none)")
                );
            }
        }
        ClientCmd::Delete { realm, client_id } => {
            symbolon_idp::delete_client(s, &actor, &realm, &client_id, now)
                .await
                .map_err(e)?;
            println!("client {client_id} deleted");
        }
        ClientCmd::Reimport {
            realm,
            client_id,
            file,
        } => {
            let bytes = crate::input::read_input(&file).map_err(|f| f.1)?;
            let (_, changes, findings) =
                symbolon_idp::reimport_client(s, &actor, &realm, &client_id, &bytes, now)
                    .await
                    .map_err(e)?;
            if changes.is_empty() {
                println!("client {client_id}: nothing changed");
            }
            for c in changes {
                println!("{c}");
            }
            for f in findings {
                eprintln!("  {:?} {}: {}", f.severity, f.code, f.message);
            }
        }
    }
    Ok(())
}
