-- A realm's branding on its sign-in pages: an accent colour (#rrggbb) and a logo (PNG, JPEG or
-- WebP, checked by the domain). No row: the product's own look.
CREATE TABLE realm_branding (
    realm TEXT PRIMARY KEY REFERENCES realms(name) ON DELETE CASCADE,
    accent TEXT,
    logo_type TEXT,
    logo BLOB,
    updated_at INTEGER NOT NULL,
    CHECK ((logo IS NULL) = (logo_type IS NULL))
);
