-- A bundle's (一件事) versions go through review too: `kind` may be 'bundle'.
-- SQLite cannot alter a CHECK constraint, so the table is rebuilt with its rows.
CREATE TABLE reviews_next (
    review_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind           TEXT    NOT NULL CHECK (kind IN ('policy', 'bundle')),
    id             TEXT    NOT NULL,
    department     TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    title          TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    effective_from TEXT,
    scenarios      TEXT,
    allow_untested INTEGER NOT NULL DEFAULT 0,
    note           TEXT    NOT NULL DEFAULT '',
    submitted_by   TEXT    NOT NULL,
    submitted_at   INTEGER NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reviewed_by    TEXT,
    reviewed_at    INTEGER,
    comment        TEXT,
    published_seq  INTEGER
);
INSERT INTO reviews_next SELECT review_id, kind, id, department, version, title, source,
    effective_from, scenarios, allow_untested, note, submitted_by, submitted_at, status,
    reviewed_by, reviewed_at, comment, published_seq FROM reviews;
DROP TABLE reviews;
ALTER TABLE reviews_next RENAME TO reviews;
CREATE INDEX reviews_by_department ON reviews (department, review_id);
CREATE INDEX reviews_by_subject ON reviews (kind, id, review_id);
