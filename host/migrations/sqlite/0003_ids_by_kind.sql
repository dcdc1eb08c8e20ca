-- Ids by kind: a policy, a bundle and the catalogue may never share an id
-- (the service refuses it), and every row that belongs to one of them says
-- which kind it belongs to, so that no kind's rows can be reached through
-- another's id. Earlier rows take the kind of the document they name.

ALTER TABLE audit ADD COLUMN kind TEXT NOT NULL DEFAULT 'policy'
    CHECK (kind IN ('policy', 'bundle', 'catalogue'));
UPDATE audit SET kind = COALESCE(
    (SELECT d.kind FROM documents d
     WHERE d.id = audit.id AND d.version = audit.version AND d.hash = audit.hash
     ORDER BY d.published_at LIMIT 1),
    'policy');
DROP INDEX audit_by_id;
CREATE INDEX audit_by_subject ON audit (kind, id, seq);

-- A scenario belongs to a policy or a bundle; names are unique per subject.
CREATE TABLE scenarios_by_kind (
    kind      TEXT NOT NULL CHECK (kind IN ('policy', 'bundle')),
    policy_id TEXT NOT NULL,
    name      TEXT NOT NULL CHECK (length(name) > 0),
    toml      TEXT NOT NULL,
    PRIMARY KEY (kind, policy_id, name)
);
-- The first document stored under an id is the one its scenarios were seeded for.
INSERT INTO scenarios_by_kind (kind, policy_id, name, toml)
SELECT COALESCE(
         (SELECT d.kind FROM documents d WHERE d.id = s.policy_id AND d.kind IN ('policy', 'bundle')
          ORDER BY d.published_at, d.kind LIMIT 1),
         'policy'),
       s.policy_id, s.name, s.toml
FROM scenarios s
WHERE length(s.name) > 0;
DROP TABLE scenarios;
ALTER TABLE scenarios_by_kind RENAME TO scenarios;

-- The decision log: each batch row is of one subject (kind and id). Each
-- record may carry a seventh element, the request id
-- (`[at, version, application_date, eligibility, facts_sha256, request, request_id]`).
ALTER TABLE decision_batches ADD COLUMN kind TEXT NOT NULL DEFAULT 'policy'
    CHECK (kind IN ('policy', 'bundle'));
UPDATE decision_batches SET kind = 'bundle'
WHERE policy_id IN (SELECT id FROM documents WHERE kind = 'bundle')
  AND policy_id NOT IN (SELECT id FROM documents WHERE kind = 'policy');
DROP INDEX decision_batches_by_policy;
CREATE INDEX decision_batches_by_subject ON decision_batches (kind, policy_id, seq);
-- Retention finds its cut by `seq` (batches are written in time order), so
-- no index on time is written with every group commit.

DROP VIEW decisions;
CREATE VIEW decisions AS
SELECT b.seq                      AS batch,
       b.kind                     AS kind,
       b.policy_id                AS policy_id,
       r.value ->> 0              AS at,
       r.value ->> 1              AS version,
       r.value ->> 2              AS application_date,
       r.value ->> 3              AS eligibility,
       r.value ->> 4              AS facts_sha256,
       r.value ->> 5              AS request,
       r.value ->> 6              AS request_id
FROM decision_batches b, json_each(b.records) r;

-- A publish that ran no scenario, at its publisher's word (`allow_untested`).
ALTER TABLE audit ADD COLUMN untested INTEGER NOT NULL DEFAULT 0;
