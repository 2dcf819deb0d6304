-- What outbound provisioning decides from (users, groups, membership, clients and their access
-- rules) changed: the provisioning job skips a client whose run saw this version and found
-- nothing to do (see 0018). The database bumps it, so no code path can forget to.
CREATE TABLE idp_config_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO idp_config_version (id, version) VALUES (1, 0);
CREATE TRIGGER users_insert_idp_version AFTER INSERT ON users BEGIN UPDATE idp_config_version SET version = version + 1; END;
CREATE TRIGGER users_update_idp_version AFTER UPDATE ON users BEGIN UPDATE idp_config_version SET version = version + 1; END;
CREATE TRIGGER users_delete_idp_version AFTER DELETE ON users BEGIN UPDATE idp_config_version SET version = version + 1; END;
CREATE TRIGGER groups_insert_idp_version AFTER INSERT ON groups BEGIN UPDATE idp_config_version SET version = version + 1; END;
CREATE TRIGGER groups_update_idp_version AFTER UPDATE ON groups BEGIN UPDATE idp_config_version SET version = version + 1; END;
CREATE TRIGGER groups_delete_idp_version AFTER DELETE ON groups BEGIN UPDATE idp_config_version SET version = version + 1; END;
CREATE TRIGGER user_groups_insert_idp_version AFTER INSERT ON user_groups BEGIN UPDATE idp_config_version SET version = version + 1; END;
CREATE TRIGGER user_groups_update_idp_version AFTER UPDATE ON user_groups BEGIN UPDATE idp_config_version SET version = version + 1; END;
CREATE TRIGGER user_groups_delete_idp_version AFTER DELETE ON user_groups BEGIN UPDATE idp_config_version SET version = version + 1; END;
CREATE TRIGGER clients_insert_idp_version AFTER INSERT ON clients BEGIN UPDATE idp_config_version SET version = version + 1; END;
CREATE TRIGGER clients_update_idp_version AFTER UPDATE ON clients BEGIN UPDATE idp_config_version SET version = version + 1; END;
CREATE TRIGGER clients_delete_idp_version AFTER DELETE ON clients BEGIN UPDATE idp_config_version SET version = version + 1; END;
CREATE TRIGGER client_access_insert_idp_version AFTER INSERT ON client_access BEGIN UPDATE idp_config_version SET version = version + 1; END;
CREATE TRIGGER client_access_update_idp_version AFTER UPDATE ON client_access BEGIN UPDATE idp_config_version SET version = version + 1; END;
CREATE TRIGGER client_access_delete_idp_version AFTER DELETE ON client_access BEGIN UPDATE idp_config_version SET version = version + 1; END;
