-- Persistent (pairwise) NameIDs: random, opaque, one per user and client, kept for good.
CREATE TABLE persistent_ids (
    realm TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    value TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (realm, client_id, user_id)
);
