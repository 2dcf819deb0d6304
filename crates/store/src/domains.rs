//! Email domains an SP account claims for home-realm discovery: a person who types an address
//! at a verified domain is sent to the account's identity provider instead of the password form.
//! A domain is claimed with a random token, proved by a DNS TXT record carrying it (or by the
//! operator), and verified for one account at most (the database refuses a second).

use crate::Result;
use std::future::Future;
use time::OffsetDateTime;

/// A domain an account claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountDomain {
    pub account_id: String,
    /// Lower-case, without a trailing dot.
    pub domain: String,
    /// The identity provider of the account that people of this domain are sent to.
    pub idp_id: String,
    /// The value the TXT record must carry (not a secret: it only ties the claim to the record).
    pub token: String,
    /// When ownership was proved; `None`: claimed, not verified (discovery ignores it).
    pub verified_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// The domains of accounts.
pub trait DomainStore {
    /// Insert the claim, or replace the account's claim of that domain. `Conflict` when the
    /// claim is verified and another account's claim of the domain is verified too.
    fn put_domain(&self, d: &AccountDomain) -> impl Future<Output = Result<()>> + Send;
    /// The account's claims, by domain.
    fn account_domains(
        &self,
        account_id: &str,
    ) -> impl Future<Output = Result<Vec<AccountDomain>>> + Send;
    /// The verified claim of a domain, if any account has one.
    fn verified_domain(
        &self,
        domain: &str,
    ) -> impl Future<Output = Result<Option<AccountDomain>>> + Send;
    /// Whether any account has a verified domain (the sign-in page then asks for the email
    /// address first).
    fn has_verified_domains(&self) -> impl Future<Output = Result<bool>> + Send;
    /// Remove the account's claim; whether there was one.
    fn delete_domain(
        &self,
        account_id: &str,
        domain: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
}
