-- Webhooks of an IdP realm or an SP account, and their deliveries (store::webhooks). A webhook
-- goes with its realm or account, its deliveries with it.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    realm TEXT REFERENCES realms(name) ON DELETE CASCADE,
    account_id TEXT REFERENCES sp_accounts(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    allow_http INTEGER NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    CHECK ((realm IS NULL) <> (account_id IS NULL))
);
CREATE INDEX webhooks_realm ON webhooks (realm);
CREATE INDEX webhooks_account ON webhooks (account_id);
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    next_at INTEGER NOT NULL,
    last_code INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
