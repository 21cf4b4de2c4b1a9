-- autorec store, version 5: the serving filter costs at most one index probe per listed item.
--
-- Version 4's filter was planned as a hash anti join over every rating of the user, so a read cost
-- grew with the user's history (1.0-1.4 ms on a held connection at 20M ratings, more for heavy
-- raters). OFFSET 0 keeps the NOT EXISTS a per-item subplan (PostgreSQL does not turn an EXISTS
-- with an OFFSET into a join): one probe of the ratings key for each of the list's items, whatever
-- the user's history (0.4-0.6 ms). Same columns and the same rows as before; active_recommendations
-- reads this view and follows.
CREATE OR REPLACE VIEW active_lists AS
SELECT m.task, l.model_id, l.user_id, u.external_id AS user_external_id, kept.items, kept.scores
FROM models m
JOIN recommendation_lists l ON l.model_id = m.id
JOIN users u ON u.id = l.user_id
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(e.item_id ORDER BY e.position), '{}') AS items,
           coalesce(array_agg(e.score ORDER BY e.position), '{}') AS scores
    FROM unnest(l.items, l.scores) WITH ORDINALITY AS e (item_id, score, position)
    WHERE NOT EXISTS (SELECT FROM ratings r WHERE r.user_id = l.user_id AND r.item_id = e.item_id OFFSET 0)
) kept
WHERE m.status = 'active';
