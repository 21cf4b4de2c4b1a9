-- autorec store, version 4: what is served is right.
--
-- The serving views drop every item the user has rated, whenever the rating arrived: the scorer
-- already leaves out the ratings of the snapshot it scored from, and a rating imported after the
-- lists were written removes its item from the user's list at once (one index probe of the ratings
-- key per listed item). Ranks are counted again over what is left, so they stay 1, 2, 3, ...
--
-- A served model is trained on the whole snapshot; the model that was compared on the holdout (the
-- same kind and settings trained without it) is registered beside it, and compared_model_id links
-- the served model to it, so the next night compares its candidate against that one.

ALTER TABLE models ADD COLUMN compared_model_id bigint REFERENCES models (id) ON DELETE SET NULL;

-- What a model's stored lists are: the ratings they leave out were read at lists_as_of (every rating
-- imported before then is masked), and each list holds lists_top items (fewer only when the user has
-- rated nearly every item). `autorec db check` audits both.
ALTER TABLE models ADD COLUMN lists_as_of timestamptz, ADD COLUMN lists_top integer;
ALTER TABLE scoring_shards ADD COLUMN ratings_as_of timestamptz;

-- When each rating was last written, so an audit can tell a rating imported after the lists were
-- written (dropped when served) from one the scorer should have masked. Existing rows get the
-- migration's time (a constant default: no table rewrite).
ALTER TABLE ratings ADD COLUMN imported_at timestamptz NOT NULL DEFAULT now();

-- The serving layer: the active model's list of a user, one indexed row, without rated items.
-- Same columns as before, so active_recommendations (migration 002), which reads it, follows.
CREATE OR REPLACE VIEW active_lists AS
SELECT m.task, l.model_id, l.user_id, u.external_id AS user_external_id, kept.items, kept.scores
FROM models m
JOIN recommendation_lists l ON l.model_id = m.id
JOIN users u ON u.id = l.user_id
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(e.item_id ORDER BY e.position), '{}') AS items,
           coalesce(array_agg(e.score ORDER BY e.position), '{}') AS scores
    FROM unnest(l.items, l.scores) WITH ORDINALITY AS e (item_id, score, position)
    WHERE NOT EXISTS (SELECT 1 FROM ratings r WHERE r.user_id = l.user_id AND r.item_id = e.item_id)
) kept
WHERE m.status = 'active';
