-- The PostgreSQL store: the same documents, audit trail, scenarios and nodes
-- as the embedded store, for several nodes on one database, and the decision
-- log as one row per evaluation in monthly partitions.

-- Policy versions, the catalogue and bundles: immutable once written, but for `status`.
CREATE TABLE documents (
    kind           TEXT    NOT NULL CHECK (kind IN ('policy', 'bundle', 'catalogue')),
    id             TEXT    NOT NULL,
    version        BIGINT  NOT NULL,
    department     TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    artifact       BYTEA,
    hash           TEXT    NOT NULL,
    effective_from TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('active', 'withdrawn')),
    publisher      TEXT    NOT NULL,
    published_at   BIGINT  NOT NULL, -- unix microseconds
    PRIMARY KEY (kind, id, version)
);

-- Who published or withdrew what, and when. Append-only. `seq` is also the
-- change sequence every node follows: writers hold one advisory lock, so
-- numbers are given and committed in the same order, without gaps.
CREATE TABLE audit (
    seq      BIGINT  PRIMARY KEY,
    kind     TEXT    NOT NULL CHECK (kind IN ('policy', 'bundle', 'catalogue')),
    at       BIGINT  NOT NULL, -- unix microseconds
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL CHECK (action IN ('seed', 'publish', 'withdraw')),
    id       TEXT    NOT NULL,
    version  BIGINT  NOT NULL,
    hash     TEXT    NOT NULL,
    untested BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX audit_by_subject ON audit (kind, id, seq);

-- Each policy's and bundle's current scenarios (TOML text).
CREATE TABLE scenarios (
    kind      TEXT NOT NULL CHECK (kind IN ('policy', 'bundle')),
    policy_id TEXT NOT NULL,
    name      TEXT NOT NULL CHECK (length(name) > 0),
    toml      TEXT NOT NULL,
    PRIMARY KEY (kind, policy_id, name)
);

-- The nodes serving this database and the change each has applied.
CREATE TABLE nodes (
    node         TEXT    PRIMARY KEY,
    addr         TEXT    NOT NULL,
    started_at   BIGINT  NOT NULL, -- unix microseconds
    applied_seq  BIGINT  NOT NULL,
    heartbeat_at BIGINT  NOT NULL, -- unix microseconds
    listening    BOOLEAN NOT NULL
);

-- Every evaluation, one row each, partitioned by month of `at` (UTC):
-- retention drops whole partitions. Partitions are created by the nodes as
-- months begin (`decisions_yYYYYmMM`). `request` only when the configuration
-- keeps facts; the version's hash is read from `documents`.
CREATE SEQUENCE decisions_seq;
CREATE TABLE decisions (
    seq              BIGINT NOT NULL DEFAULT nextval('decisions_seq'),
    at               BIGINT NOT NULL, -- unix microseconds
    kind             TEXT   NOT NULL,
    policy_id        TEXT   NOT NULL,
    version          BIGINT NOT NULL,
    application_date TEXT   NOT NULL,
    eligibility      TEXT   NOT NULL,
    facts_sha256     TEXT   NOT NULL,
    request          TEXT,
    request_id       TEXT
) PARTITION BY RANGE (at);
-- One index: reads are by subject, newest first.
CREATE INDEX decisions_by_subject ON decisions (kind, policy_id, at);
