-- Email domains an account claims for home-realm discovery (store::domains). At most one
-- verified claim per domain; a claim goes with its account and with its identity provider.
CREATE TABLE sp_domains (
    account_id TEXT NOT NULL REFERENCES sp_accounts(id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    idp_id TEXT NOT NULL REFERENCES sp_idps(id) ON DELETE CASCADE,
    token TEXT NOT NULL,
    verified_at INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, domain)
);
CREATE UNIQUE INDEX sp_domains_verified ON sp_domains (domain) WHERE verified_at IS NOT NULL;
