-- Passkeys (WebAuthn credentials) of IdP users: the library's serialised credential, with the
-- counter and backup flags as columns (a use is recorded by compare and set on the counter),
-- and the required actions an administrator set (e.g. register a passkey at the next sign-in).
CREATE TABLE user_passkeys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    passkey TEXT NOT NULL,
    sign_count BIGINT NOT NULL,
    backup_eligible BOOLEAN NOT NULL,
    backup_state BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    last_used BIGINT
);
CREATE INDEX user_passkeys_user ON user_passkeys (user_id);

CREATE TABLE user_required_actions (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    PRIMARY KEY (user_id, action)
);
