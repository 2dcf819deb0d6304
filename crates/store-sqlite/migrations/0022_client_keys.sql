-- Per-client signing keys: a client may sign with a key of its own, with the realm keys'
-- rollover (next, active, passive, retired). Without an active one it signs with the realm's.
CREATE TABLE client_keys (
    kid TEXT PRIMARY KEY,
    client TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    realm TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('next', 'active', 'passive', 'retired')),
    algorithm TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    certificate_der BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX client_keys_client ON client_keys(client);
-- At most one active (signing) key per client.
CREATE UNIQUE INDEX client_keys_one_active ON client_keys(client) WHERE status = 'active';
