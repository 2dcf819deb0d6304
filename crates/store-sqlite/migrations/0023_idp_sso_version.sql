-- What an SSO response is made from, besides the person, changed: a realm (its settings and
-- sign-in policy), a client, a realm key or a client key. Each IdP instance keeps those in
-- memory while this number is unchanged and reads it once per request, so every instance sees
-- every change at its next request. The database bumps it, so no code path can forget to.
CREATE TABLE idp_sso_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO idp_sso_version (id, version) VALUES (1, 0);
CREATE TRIGGER realms_insert_sso_version AFTER INSERT ON realms BEGIN UPDATE idp_sso_version SET version = version + 1; END;
CREATE TRIGGER realms_update_sso_version AFTER UPDATE ON realms BEGIN UPDATE idp_sso_version SET version = version + 1; END;
CREATE TRIGGER realms_delete_sso_version AFTER DELETE ON realms BEGIN UPDATE idp_sso_version SET version = version + 1; END;
CREATE TRIGGER clients_insert_sso_version AFTER INSERT ON clients BEGIN UPDATE idp_sso_version SET version = version + 1; END;
CREATE TRIGGER clients_update_sso_version AFTER UPDATE ON clients BEGIN UPDATE idp_sso_version SET version = version + 1; END;
CREATE TRIGGER clients_delete_sso_version AFTER DELETE ON clients BEGIN UPDATE idp_sso_version SET version = version + 1; END;
CREATE TRIGGER realm_keys_insert_sso_version AFTER INSERT ON realm_keys BEGIN UPDATE idp_sso_version SET version = version + 1; END;
CREATE TRIGGER realm_keys_update_sso_version AFTER UPDATE ON realm_keys BEGIN UPDATE idp_sso_version SET version = version + 1; END;
CREATE TRIGGER realm_keys_delete_sso_version AFTER DELETE ON realm_keys BEGIN UPDATE idp_sso_version SET version = version + 1; END;
CREATE TRIGGER client_keys_insert_sso_version AFTER INSERT ON client_keys BEGIN UPDATE idp_sso_version SET version = version + 1; END;
CREATE TRIGGER client_keys_update_sso_version AFTER UPDATE ON client_keys BEGIN UPDATE idp_sso_version SET version = version + 1; END;
CREATE TRIGGER client_keys_delete_sso_version AFTER DELETE ON client_keys BEGIN UPDATE idp_sso_version SET version = version + 1; END;
