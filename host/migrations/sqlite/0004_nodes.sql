-- The nodes serving this store and the change each has applied (the audit
-- trail's `seq` is the change sequence). With SQLite there is one node; the
-- table is the same as PostgreSQL's so `GET /v1/cluster` reads alike.
CREATE TABLE nodes (
    node         TEXT    PRIMARY KEY,
    addr         TEXT    NOT NULL,
    started_at   INTEGER NOT NULL, -- unix microseconds
    applied_seq  INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL, -- unix microseconds
    listening    INTEGER NOT NULL  -- 1 while its change listener is connected
);
