-- autorec store, version 2: stored top-N lists as one row per (model, user), partitioned by model.
--
-- A model's lists fill their own partition, recommendation_lists_m<model id>. A scorer writes them
-- into a table of its own (recommendation_lists_m<id>_next) and attaches it in one transaction,
-- dropping the partition it replaces, so readers see the old lists or the new ones, never a mix,
-- and a killed scorer changes nothing that is served. Retiring a model drops its partition: no mass
-- DELETE, no dead tuples. The version 1 table of one row per rank is carried over, and a view of
-- the same name and columns keeps SQL written against it working.

CREATE TABLE recommendation_lists (
    model_id bigint NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    user_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    items    bigint[] NOT NULL,
    scores   real[] NOT NULL,
    PRIMARY KEY (model_id, user_id),
    CONSTRAINT recommendation_lists_lengths CHECK (cardinality(items) = cardinality(scores))
) PARTITION BY LIST (model_id);

DO $$
DECLARE m bigint;
BEGIN
    FOR m IN SELECT DISTINCT model_id FROM recommendations ORDER BY 1 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF recommendation_lists FOR VALUES IN (%s)',
                       'recommendation_lists_m' || m, m);
    END LOOP;
END $$;

INSERT INTO recommendation_lists (model_id, user_id, items, scores)
SELECT model_id, user_id, array_agg(item_id ORDER BY rank), array_agg(score ORDER BY rank)
FROM recommendations GROUP BY model_id, user_id;

DROP TABLE recommendations;

-- Version 1's shape, one row per rank, for any SQL written against it.
CREATE VIEW recommendations AS
SELECT l.model_id, l.user_id, e.rank::integer AS rank, e.item_id, e.score
FROM recommendation_lists l
CROSS JOIN LATERAL unnest(l.items, l.scores) WITH ORDINALITY AS e (item_id, score, rank);

-- The serving layer: the active model's list of a user, one indexed row.
CREATE VIEW active_lists AS
SELECT m.task, l.model_id, l.user_id, u.external_id AS user_external_id, l.items, l.scores
FROM models m
JOIN recommendation_lists l ON l.model_id = m.id
JOIN users u ON u.id = l.user_id
WHERE m.status = 'active';

-- The same lists one row per rank, with the items' external ids and titles.
CREATE VIEW active_recommendations AS
SELECT a.task, a.model_id, a.user_external_id, e.rank::integer AS rank, i.external_id AS item_external_id,
       i.title, e.score
FROM active_lists a
CROSS JOIN LATERAL unnest(a.items, a.scores) WITH ORDINALITY AS e (item_id, score, rank)
JOIN items i ON i.id = e.item_id;

-- Shards of a scoring run that have written their lists into a model's _next table; the lists are
-- attached only when every shard of the run is here.
CREATE TABLE scoring_shards (
    model_id    bigint NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    shard       integer NOT NULL CHECK (shard >= 0),
    shards      integer NOT NULL CHECK (shards >= 1 AND shard < shards),
    top_n       integer NOT NULL,
    users       integer NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_id, shards, shard)
);
