-- SQLite 0023: what an SSO response is made from, besides the person, changed (realms, clients,
-- realm keys, client keys); each IdP instance keeps those in memory while this is unchanged.
CREATE TABLE idp_sso_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO idp_sso_version (id, version) VALUES (1, 0);

CREATE FUNCTION idp_sso_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE idp_sso_version SET version = version + 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER realms_sso_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON realms FOR EACH STATEMENT EXECUTE FUNCTION idp_sso_version_bump();
CREATE TRIGGER clients_sso_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON clients FOR EACH STATEMENT EXECUTE FUNCTION idp_sso_version_bump();
CREATE TRIGGER realm_keys_sso_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON realm_keys FOR EACH STATEMENT EXECUTE FUNCTION idp_sso_version_bump();
CREATE TRIGGER client_keys_sso_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON client_keys FOR EACH STATEMENT EXECUTE FUNCTION idp_sso_version_bump();
