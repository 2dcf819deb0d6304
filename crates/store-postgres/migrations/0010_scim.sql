-- SCIM provisioning into the service provider (SQLite 0017): users and groups per account,
-- their membership (a user and a group of the same account only: composite foreign keys), the
-- account's settings, and a scope on API keys (a SCIM token may do nothing else).
CREATE TABLE sp_scim_users (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES sp_accounts(id) ON DELETE CASCADE,
    user_name TEXT NOT NULL,
    user_name_key TEXT NOT NULL,
    external_id TEXT,
    name_id TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (account_id, user_name_key),
    UNIQUE (account_id, id)
);
CREATE INDEX sp_scim_users_name_id ON sp_scim_users (account_id, name_id);
CREATE TABLE sp_scim_groups (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES sp_accounts(id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    external_id TEXT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (account_id, id)
);
CREATE TABLE sp_scim_members (
    account_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id),
    FOREIGN KEY (account_id, group_id) REFERENCES sp_scim_groups(account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, user_id) REFERENCES sp_scim_users(account_id, id) ON DELETE CASCADE
);
CREATE INDEX sp_scim_members_user ON sp_scim_members (user_id);
CREATE INDEX sp_scim_members_account ON sp_scim_members (account_id);
CREATE TABLE sp_scim_settings (
    account_id TEXT PRIMARY KEY REFERENCES sp_accounts(id) ON DELETE CASCADE,
    name_source TEXT NOT NULL,
    default_role_id TEXT
);
-- Users removed by provisioning (DELETE): single sign-on stays refused for the NameID until it
-- is provisioned again.
CREATE TABLE sp_scim_removed (
    account_id TEXT NOT NULL REFERENCES sp_accounts(id) ON DELETE CASCADE,
    name_id TEXT NOT NULL,
    removed_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, name_id)
);
ALTER TABLE sp_api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'api';
CREATE TRIGGER sp_scim_users_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sp_scim_users FOR EACH STATEMENT EXECUTE FUNCTION sp_config_version_bump();
CREATE TRIGGER sp_scim_groups_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sp_scim_groups FOR EACH STATEMENT EXECUTE FUNCTION sp_config_version_bump();
CREATE TRIGGER sp_scim_members_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sp_scim_members FOR EACH STATEMENT EXECUTE FUNCTION sp_config_version_bump();
CREATE TRIGGER sp_scim_settings_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sp_scim_settings FOR EACH STATEMENT EXECUTE FUNCTION sp_config_version_bump();
CREATE TRIGGER sp_scim_removed_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sp_scim_removed FOR EACH STATEMENT EXECUTE FUNCTION sp_config_version_bump();
