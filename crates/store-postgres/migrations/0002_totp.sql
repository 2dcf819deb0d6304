-- Second factors of IdP users: a TOTP secret (sealed when a key encryption secret is set) with
-- the last step used (no replay), and one-time recovery codes (SHA-256 of the normalised code).
CREATE TABLE user_totp (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    last_step BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE user_recovery_codes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_sha256 TEXT NOT NULL,
    PRIMARY KEY (user_id, code_sha256)
);
