-- Maker–checker (issue 15): a version submitted by one officer waits here
-- until a reviewer of the same department approves it (then it is published
-- in the same transaction, and the publish's audit entry names the
-- approver) or rejects it with a comment. Rows are never removed.
CREATE TABLE reviews (
    review_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind           TEXT    NOT NULL CHECK (kind IN ('policy')),
    id             TEXT    NOT NULL,
    department     TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    title          TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    effective_from TEXT,
    scenarios      TEXT,               -- JSON [{name, toml}], NULL: keep the stored ones
    allow_untested INTEGER NOT NULL DEFAULT 0,
    note           TEXT    NOT NULL DEFAULT '',
    submitted_by   TEXT    NOT NULL,
    submitted_at   INTEGER NOT NULL,   -- unix microseconds
    status         TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reviewed_by    TEXT,
    reviewed_at    INTEGER,            -- unix microseconds
    comment        TEXT,
    published_seq  INTEGER             -- the publish's change, when approved
);
CREATE INDEX reviews_by_department ON reviews (department, review_id);
CREATE INDEX reviews_by_subject ON reviews (kind, id, review_id);

-- A publish that went through review names its approver.
ALTER TABLE audit ADD COLUMN approver TEXT;
