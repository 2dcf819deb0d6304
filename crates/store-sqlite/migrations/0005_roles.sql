-- Realm roles, granted to users directly or to groups (members of the group and of its
-- subgroups hold them). The role-list mapper puts a user's roles into the assertion.
CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    realm TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    UNIQUE (realm, name)
);

CREATE TABLE role_grants (
    role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'group')),
    subject_id TEXT NOT NULL,
    PRIMARY KEY (role_id, kind, subject_id)
);
