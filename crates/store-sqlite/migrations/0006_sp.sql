-- The multi-tenant service provider: accounts, roles, native users, SAML accounts, IdP
-- configurations with group mappings, SAML users seen, the audit log, consumed assertions and
-- the SP's signing key.
CREATE TABLE sp_accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE sp_roles (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES sp_accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    builtin INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE sp_users (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES sp_accounts(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    display_name TEXT,
    master INTEGER NOT NULL,
    role_id TEXT,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
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
    sp_initiated INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
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
    last_logon INTEGER NOT NULL,
    UNIQUE (account_id, name_id)
);

CREATE TABLE sp_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    principal TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX sp_audit_account ON sp_audit(account_id, seq);

CREATE TABLE sp_consumed_assertions (
    issuer TEXT NOT NULL,
    assertion_id TEXT NOT NULL,
    until INTEGER NOT NULL,
    PRIMARY KEY (issuer, assertion_id)
);

CREATE TABLE sp_keys (
    kid TEXT PRIMARY KEY,
    private_key_pem TEXT NOT NULL,
    certificate_der BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
