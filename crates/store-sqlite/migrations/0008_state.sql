-- Short-lived state shared by every instance: browser sessions, sign-in flows, outstanding
-- requests, failure counters and job leases. Times are Unix seconds.
CREATE TABLE state (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX state_expires ON state(expires);

CREATE TABLE failures (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    window_ends INTEGER NOT NULL
);

CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until INTEGER NOT NULL
);
