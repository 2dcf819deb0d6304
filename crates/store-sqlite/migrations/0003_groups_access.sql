-- Hierarchical groups (full path, e.g. /eng/platform), membership, and client access assignments.
CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    realm TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
    path TEXT NOT NULL,
    UNIQUE (realm, path)
);

CREATE TABLE user_groups (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);

CREATE TABLE client_access (
    client_row_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'group')),
    subject_id TEXT NOT NULL,
    PRIMARY KEY (client_row_id, kind, subject_id)
);
