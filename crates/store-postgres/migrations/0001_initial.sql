-- Symbolon on PostgreSQL: the same schema as the SQLite migrations 0001-0008, in one step.
-- Times are Unix seconds (BIGINT); flags are BOOLEAN; certificates BYTEA.

-- From SQLite 0001_initial.sql
CREATE TABLE realms (
    name TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    assertion_lifespan_secs BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE realm_keys (
    kid TEXT PRIMARY KEY,
    realm TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('next', 'active', 'passive', 'retired')),
    algorithm TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    certificate_der BYTEA NOT NULL,
    created_at BIGINT NOT NULL
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
    enabled BOOLEAN NOT NULL,
    attributes TEXT NOT NULL,
    password_hash TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (realm, username)
);

CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    realm TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    url_name TEXT,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (realm, client_id)
);
CREATE UNIQUE INDEX clients_url_name ON clients(realm, url_name) WHERE url_name IS NOT NULL;

CREATE TABLE events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    realm TEXT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT,
    client_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX events_realm_at ON events(realm, at DESC, id DESC);

-- From SQLite 0002_admin_tokens.sql
-- Bearer tokens for the admin REST API. Only a SHA-256 of each token is kept.
CREATE TABLE admin_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);

-- From SQLite 0003_groups_access.sql
-- Hierarchical groups (full path, e.g. /eng/platform), membership, and client access assignments.
CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    realm TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
    path TEXT NOT NULL,
    UNIQUE (realm, path)
);

CREATE TABLE user_groups (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);

CREATE TABLE client_access (
    client_row_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'group')),
    subject_id TEXT NOT NULL,
    PRIMARY KEY (client_row_id, kind, subject_id)
);

-- From SQLite 0004_persistent_ids.sql
-- Persistent (pairwise) NameIDs: random, opaque, one per user and client, kept for good.
CREATE TABLE persistent_ids (
    realm TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    value TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (realm, client_id, user_id)
);

-- From SQLite 0005_roles.sql
-- Realm roles, granted to users directly or to groups (members of the group and of its
-- subgroups hold them). The role-list mapper puts a user's roles into the assertion.
CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    realm TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    UNIQUE (realm, name)
);

CREATE TABLE role_grants (
    role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'group')),
    subject_id TEXT NOT NULL,
    PRIMARY KEY (role_id, kind, subject_id)
);

-- From SQLite 0006_sp.sql
-- The multi-tenant service provider: accounts, roles, native users, SAML accounts, IdP
-- configurations with group mappings, SAML users seen, the audit log, consumed assertions and
-- the SP's signing key.
CREATE TABLE sp_accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE sp_roles (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES sp_accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    builtin BOOLEAN NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE sp_users (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES sp_accounts(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    display_name TEXT,
    master BOOLEAN NOT NULL,
    role_id TEXT,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, email)
);
CREATE INDEX sp_users_email ON sp_users(email);

CREATE TABLE sp_saml_accounts (
    account_id TEXT NOT NULL REFERENCES sp_accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    role_id TEXT NOT NULL,
    description TEXT,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE sp_idps (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES sp_accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    entity_id TEXT NOT NULL,
    certs TEXT NOT NULL,
    sso_url TEXT,
    metadata_xml TEXT NOT NULL,
    name_attribute TEXT,
    locale_attribute TEXT,
    timezone_attribute TEXT,
    role_attribute TEXT,
    sp_initiated BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, name)
);
CREATE INDEX sp_idps_entity ON sp_idps(entity_id);

-- At most one role per group per account.
CREATE TABLE sp_group_mappings (
    idp_id TEXT NOT NULL REFERENCES sp_idps(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    group_name TEXT NOT NULL,
    role_id TEXT NOT NULL,
    role_name TEXT NOT NULL,
    PRIMARY KEY (account_id, group_name)
);

CREATE TABLE sp_saml_users (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES sp_accounts(id) ON DELETE CASCADE,
    name_id TEXT NOT NULL,
    last_role TEXT NOT NULL,
    last_logon BIGINT NOT NULL,
    UNIQUE (account_id, name_id)
);

CREATE TABLE sp_audit (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    principal TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX sp_audit_account ON sp_audit(account_id, seq);

CREATE TABLE sp_consumed_assertions (
    issuer TEXT NOT NULL,
    assertion_id TEXT NOT NULL,
    until BIGINT NOT NULL,
    PRIMARY KEY (issuer, assertion_id)
);

CREATE TABLE sp_keys (
    kid TEXT PRIMARY KEY,
    private_key_pem TEXT NOT NULL,
    certificate_der BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- From SQLite 0007_sp_traces_api_keys.sql
-- Rejected responses kept for the account administrators (the decoded message with signature
-- values elided), and per-account API keys (only their SHA-256 is stored).
CREATE TABLE sp_traces (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES sp_accounts(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
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
    created_at BIGINT NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);

-- From SQLite 0008_state.sql
-- Short-lived state shared by every instance: browser sessions, sign-in flows, outstanding
-- requests, failure counters and job leases. Times are Unix seconds.
CREATE TABLE state (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires BIGINT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX state_expires ON state(expires);

CREATE TABLE failures (
    key TEXT PRIMARY KEY,
    count BIGINT NOT NULL,
    window_ends BIGINT NOT NULL
);

CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until BIGINT NOT NULL
);
