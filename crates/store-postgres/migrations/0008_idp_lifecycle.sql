-- An account's identity provider: AES-CBC opt-in for encrypted assertions, and the metadata URL
-- it is refreshed from (JSON: the URL, what the document must satisfy, the refresh state).
ALTER TABLE sp_idps ADD COLUMN allow_cbc BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sp_idps ADD COLUMN metadata_source TEXT;
