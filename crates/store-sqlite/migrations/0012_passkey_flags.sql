-- A passkey whose signature counter did not move forward (a cloned authenticator or a replay)
-- is flagged and refused until the user or an administrator clears the flag.
ALTER TABLE user_passkeys ADD COLUMN flagged_at INTEGER;
