//! `symbolon sp domain ...`: email domains of an account (home-realm discovery).

use crate::sp_account::account_id;
use clap::Subcommand;
use symbolon_sp::Actor;
use symbolon_sp::domains::{Proof, claim_domain, remove_domain, txt_record, verify_domain};
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum DomainCmd {
    /// Claim an email domain for an identity provider of the account; prints the TXT record to
    /// publish at the domain.
    Add {
        #[arg(long)]
        account: String,
        domain: String,
        /// The identity provider (by name) people of the domain are sent to.
        #[arg(long)]
        idp: String,
    },
    /// The account's domains: domain, identity provider, verified (or not), TXT record.
    List {
        #[arg(long)]
        account: String,
    },
    /// Look the domain's TXT records up and verify the claim when one carries its token.
    Verify {
        #[arg(long)]
        account: String,
        domain: String,
        /// The operator vouches for the domain without a DNS lookup (for a domain checked by
        /// other means, and for tests).
        #[arg(long)]
        without_dns: bool,
        /// Ask this name server (IP:PORT) instead of the system's resolver.
        #[arg(long)]
        dns_server: Option<std::net::SocketAddr>,
    },
    /// Remove a claim: people of the domain get the password form again.
    Remove {
        #[arg(long)]
        account: String,
        domain: String,
    },
}

pub(super) async fn run<S: symbolon_store::sp::SpStore>(
    s: &S,
    cmd: DomainCmd,
) -> Result<(), String> {
    let actor = Actor::cli();
    let now = OffsetDateTime::now_utc();
    let e = |e: symbolon_sp::SpError| e.to_string();
    match cmd {
        DomainCmd::Add {
            account,
            domain,
            idp,
        } => {
            let id = account_id(s, &account).await?;
            let d = claim_domain(s, &actor, &id, &domain, &idp, now)
                .await
                .map_err(e)?;
            println!("{}", txt_record(&d.token));
            eprintln!(
                "domain {} claimed for {idp}: publish the TXT record above at {}, then run `symbolon sp domain verify --account ... {}`",
                d.domain, d.domain, d.domain
            );
        }
        DomainCmd::List { account } => {
            let id = account_id(s, &account).await?;
            for d in s.account_domains(&id).await.map_err(|e| e.to_string())? {
                let idp = s
                    .idp_by_id(&d.idp_id)
                    .await
                    .map_err(|e| e.to_string())?
                    .map(|i| i.name)
                    .unwrap_or_default();
                let state = d.verified_at.map_or("not verified".to_string(), |t| {
                    format!("verified {}", symbolon_web::page::page_time(t))
                });
                println!("{}\t{idp}\t{state}\t{}", d.domain, txt_record(&d.token));
            }
        }
        DomainCmd::Verify {
            account,
            domain,
            without_dns,
            dns_server,
        } => {
            let id = account_id(s, &account).await?;
            let proof = if without_dns {
                Proof::Operator
            } else {
                let name = symbolon_sp::domains::normalize_domain(&domain).map_err(e)?;
                Proof::Txt(symbolon_web::dns::txt_records(&name, dns_server).await?)
            };
            let d = verify_domain(s, &actor, &id, &domain, &proof, now)
                .await
                .map_err(e)?;
            println!("domain {} verified", d.domain);
        }
        DomainCmd::Remove { account, domain } => {
            let id = account_id(s, &account).await?;
            remove_domain(s, &actor, &id, &domain, now)
                .await
                .map_err(e)?;
            println!("domain {} removed", domain.trim().to_ascii_lowercase());
        }
    }
    Ok(())
}
