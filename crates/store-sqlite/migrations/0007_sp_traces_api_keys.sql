-- Rejected responses kept for the account administrators (the decoded message with signature
-- values elided), and per-account API keys (only their SHA-256 is stored).
CREATE TABLE sp_traces (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL REFERENCES sp_accounts(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    idp_name TEXT NOT NULL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX sp_traces_account ON sp_traces(account_id, seq);

CREATE TABLE sp_api_keys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES sp_accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key_sha256 TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
