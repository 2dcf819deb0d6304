-- The realm's sign-in policy: 'password', or 'second-factor' (password and a second factor).
ALTER TABLE realms ADD COLUMN auth_policy TEXT NOT NULL DEFAULT 'password';
