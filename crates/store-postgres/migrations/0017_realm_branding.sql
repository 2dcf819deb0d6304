-- SQLite 0024: a realm's branding on its sign-in pages (accent colour, logo).
CREATE TABLE realm_branding (
    realm TEXT PRIMARY KEY REFERENCES realms(name) ON DELETE CASCADE,
    accent TEXT,
    logo_type TEXT,
    logo BYTEA,
    updated_at BIGINT NOT NULL,
    CHECK ((logo IS NULL) = (logo_type IS NULL))
);
