-- Outbound SCIM provisioning from the identity provider (SQLite 0018; the target is in the client's JSON
-- data): which remote resource each local user and group became, and how the runs went.
CREATE TABLE idp_scim_links (
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    local_id TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (client_id, kind, local_id)
);
CREATE TABLE idp_scim_status (
    client_id TEXT PRIMARY KEY REFERENCES clients(id) ON DELETE CASCADE,
    data TEXT NOT NULL
);
