-- The decision log stored in batches: one row per policy per write of the
-- log's writer, its records a JSON array of arrays. A row per evaluation cost
-- ~2.5 µs of CPU (binding, B-tree, index, WAL), most of the log's cost under
-- load; a batch row costs that once for hundreds of records.
--
-- Each element of `records` is
--   [at (unix µs), version, application_date, eligibility, facts_sha256, request or null]
-- oldest first. The `decisions` view below gives one row per evaluation for
-- anyone querying the database by hand.
CREATE TABLE decision_batches (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    policy_id TEXT    NOT NULL,
    first_at  INTEGER NOT NULL, -- unix microseconds, the oldest record's
    last_at   INTEGER NOT NULL, -- the newest record's
    count     INTEGER NOT NULL,
    kept      INTEGER NOT NULL, -- how many records keep their request
    records   TEXT    NOT NULL
);
CREATE INDEX decision_batches_by_policy ON decision_batches (policy_id, seq);

-- Existing records move over, one batch per record (order and content kept).
INSERT INTO decision_batches (policy_id, first_at, last_at, count, kept, records)
SELECT policy_id, at, at, 1, request IS NOT NULL,
       json_array(json_array(at, version, application_date, eligibility, facts_sha256, request))
FROM decisions
ORDER BY seq;

DROP TABLE decisions;

CREATE VIEW decisions AS
SELECT b.seq                      AS batch,
       b.policy_id                AS policy_id,
       r.value ->> 0              AS at,
       r.value ->> 1              AS version,
       r.value ->> 2              AS application_date,
       r.value ->> 3              AS eligibility,
       r.value ->> 4              AS facts_sha256,
       r.value ->> 5              AS request
FROM decision_batches b, json_each(b.records) r;
