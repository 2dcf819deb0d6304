-- SQLite 0019: what outbound provisioning decides from changed (users, groups, membership,
-- clients and their access rules); the provisioning job skips a client whose run saw this
-- version and found nothing to do.
CREATE TABLE idp_config_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO idp_config_version (id, version) VALUES (1, 0);

CREATE FUNCTION idp_config_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE idp_config_version SET version = version + 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER users_idp_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION idp_config_version_bump();
CREATE TRIGGER groups_idp_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON groups FOR EACH STATEMENT EXECUTE FUNCTION idp_config_version_bump();
CREATE TRIGGER user_groups_idp_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_groups FOR EACH STATEMENT EXECUTE FUNCTION idp_config_version_bump();
CREATE TRIGGER clients_idp_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON clients FOR EACH STATEMENT EXECUTE FUNCTION idp_config_version_bump();
CREATE TRIGGER client_access_idp_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON client_access FOR EACH STATEMENT EXECUTE FUNCTION idp_config_version_bump();
