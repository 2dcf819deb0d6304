-- Symbolon on SQLite: the identity provider's tables. Times are Unix seconds.
CREATE TABLE realms (
    name TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    assertion_lifespan_secs INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE realm_keys (
    kid TEXT PRIMARY KEY,
    realm TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('next', 'active', 'passive', 'retired')),
    algorithm TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    certificate_der BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
-- At most one active (signing) key per realm.
CREATE UNIQUE INDEX realm_keys_one_active ON realm_keys(realm) WHERE status = 'active';

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    realm TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
    username TEXT NOT NULL,
    email TEXT,
    first_name TEXT,
    last_name TEXT,
    enabled INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    password_hash TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (realm, username)
);

CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    realm TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    url_name TEXT,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (realm, client_id)
);
CREATE UNIQUE INDEX clients_url_name ON clients(realm, url_name) WHERE url_name IS NOT NULL;

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    realm TEXT NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT,
    client_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX events_realm_at ON events(realm, at DESC, id DESC);
