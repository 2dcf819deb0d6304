-- The ACS keeps what it decides from (IdP configurations, accounts, roles, native users, SAML
-- accounts, mappings) in memory; this number tells every instance when to read it again. The
-- database bumps it on every change to those tables, so no code path can forget to.
CREATE TABLE sp_config_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO sp_config_version (id, version) VALUES (1, 0);
CREATE TRIGGER sp_accounts_insert_version AFTER INSERT ON sp_accounts BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_accounts_update_version AFTER UPDATE ON sp_accounts BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_accounts_delete_version AFTER DELETE ON sp_accounts BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_roles_insert_version AFTER INSERT ON sp_roles BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_roles_update_version AFTER UPDATE ON sp_roles BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_roles_delete_version AFTER DELETE ON sp_roles BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_users_insert_version AFTER INSERT ON sp_users BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_users_update_version AFTER UPDATE ON sp_users BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_users_delete_version AFTER DELETE ON sp_users BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_saml_accounts_insert_version AFTER INSERT ON sp_saml_accounts BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_saml_accounts_update_version AFTER UPDATE ON sp_saml_accounts BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_saml_accounts_delete_version AFTER DELETE ON sp_saml_accounts BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_idps_insert_version AFTER INSERT ON sp_idps BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_idps_update_version AFTER UPDATE ON sp_idps BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_idps_delete_version AFTER DELETE ON sp_idps BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_group_mappings_insert_version AFTER INSERT ON sp_group_mappings BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_group_mappings_update_version AFTER UPDATE ON sp_group_mappings BEGIN UPDATE sp_config_version SET version = version + 1; END;
CREATE TRIGGER sp_group_mappings_delete_version AFTER DELETE ON sp_group_mappings BEGIN UPDATE sp_config_version SET version = version + 1; END;

-- Expired replay-cache entries are purged on a schedule, not on every sign-in.
CREATE INDEX sp_consumed_assertions_until ON sp_consumed_assertions(until);
