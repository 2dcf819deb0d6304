-- The ACS keeps what it decides from (IdP configurations, accounts, roles, native users, SAML
-- accounts, mappings) in memory; this number tells every instance when to read it again. The
-- database bumps it on every change to those tables, so no code path can forget to.
CREATE TABLE sp_config_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO sp_config_version (id, version) VALUES (1, 0);

CREATE FUNCTION sp_config_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sp_config_version SET version = version + 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER sp_accounts_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sp_accounts FOR EACH STATEMENT EXECUTE FUNCTION sp_config_version_bump();
CREATE TRIGGER sp_roles_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sp_roles FOR EACH STATEMENT EXECUTE FUNCTION sp_config_version_bump();
CREATE TRIGGER sp_users_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sp_users FOR EACH STATEMENT EXECUTE FUNCTION sp_config_version_bump();
CREATE TRIGGER sp_saml_accounts_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sp_saml_accounts FOR EACH STATEMENT EXECUTE FUNCTION sp_config_version_bump();
CREATE TRIGGER sp_idps_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sp_idps FOR EACH STATEMENT EXECUTE FUNCTION sp_config_version_bump();
CREATE TRIGGER sp_group_mappings_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sp_group_mappings FOR EACH STATEMENT EXECUTE FUNCTION sp_config_version_bump();

-- Expired replay-cache entries are purged on a schedule, not on every sign-in.
CREATE INDEX sp_consumed_assertions_until ON sp_consumed_assertions(until);
