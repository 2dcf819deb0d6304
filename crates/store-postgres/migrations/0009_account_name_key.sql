-- Account names are unique per deployment, compared without case and surrounding spaces: the
-- store keeps the compared form (computed by symbolon_store::sp::account_name_key on every write)
-- under a unique index. Existing duplicates keep their names; all but the oldest get a key made
-- unique with their ID, so that the index can be built, until an administrator renames them.
ALTER TABLE sp_accounts ADD COLUMN name_key TEXT;
UPDATE sp_accounts SET name_key = lower(btrim(name));
UPDATE sp_accounts SET name_key = name_key || ' #' || id
WHERE EXISTS (
    SELECT 1 FROM sp_accounts o
    WHERE o.name_key = sp_accounts.name_key
      AND (o.created_at < sp_accounts.created_at
           OR (o.created_at = sp_accounts.created_at AND o.id < sp_accounts.id))
);
CREATE UNIQUE INDEX sp_accounts_name_key ON sp_accounts (name_key);
