-- Policy versions, the catalogue and bundles: immutable once written, but for `status`.
CREATE TABLE documents (
    kind           TEXT    NOT NULL CHECK (kind IN ('policy', 'bundle', 'catalogue')),
    id             TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    department     TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    artifact       BLOB,
    hash           TEXT    NOT NULL,
    effective_from TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('active', 'withdrawn')),
    publisher      TEXT    NOT NULL,
    published_at   INTEGER NOT NULL, -- unix microseconds
    PRIMARY KEY (kind, id, version)
);

-- Who published or withdrew what, and when. Append-only.
CREATE TABLE audit (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL, -- unix microseconds
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL CHECK (action IN ('seed', 'publish', 'withdraw')),
    id       TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    hash     TEXT    NOT NULL
);
CREATE INDEX audit_by_id ON audit (id, seq);

-- Each policy's current scenarios (TOML text), replaced by a publish that brings new ones.
CREATE TABLE scenarios (
    policy_id TEXT NOT NULL,
    name      TEXT NOT NULL,
    toml      TEXT NOT NULL,
    PRIMARY KEY (policy_id, name)
);

-- Every evaluation. `request` only when the configuration keeps facts. The version's hash is
-- not repeated on every row: it is the hash of (policy_id, version) in `documents`.
CREATE TABLE decisions (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    at               INTEGER NOT NULL, -- unix microseconds
    policy_id        TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    application_date TEXT    NOT NULL,
    eligibility      TEXT    NOT NULL,
    facts_sha256     TEXT    NOT NULL,
    request          TEXT
);
-- One index only: every index is written on each of thousands of inserts a second.
-- Reads filter by policy and walk `seq` backwards (time order).
CREATE INDEX decisions_by_policy ON decisions (policy_id, seq);
