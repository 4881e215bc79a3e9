-- The tree's and the merges' invariants, checked by the database as each row is written, so no
-- two requests meeting can break them: the API's own checks read the tree in one request and
-- write in the next, and another request can change the tree in between.

-- No circle, at most 5 levels (domain::hierarchy::MAX_DEPTH; a unit test holds the two equal).
-- A top-level customer is level 1. Moving a customer under a parent puts its deepest descendant
-- (soft-deleted ones too, which a restore brings back) at the parent's level + 1 + the height of
-- its subtree. Both walks stop two levels past the limit, so even a broken tree cannot loop.
CREATE TRIGGER customers_tree_update BEFORE UPDATE OF parent_id ON customers
WHEN new.parent_id IS NOT NULL AND new.parent_id IS NOT old.parent_id
BEGIN
    SELECT RAISE(ABORT, 'invalid_parent: the parent is this customer or one of its sub-customers; that would make a circle')
    WHERE EXISTS (
        WITH RECURSIVE up(id, n) AS (
            SELECT new.parent_id, 1
            UNION ALL SELECT c.parent_id, up.n + 1 FROM customers c JOIN up ON c.id = up.id
            WHERE c.parent_id IS NOT NULL AND up.n < 7)
        SELECT 1 FROM up WHERE up.id = new.id);
    SELECT RAISE(ABORT, 'invalid_parent: customers nest at most 5 levels deep; under this parent the deepest sub-customer would be deeper')
    WHERE (
        WITH RECURSIVE up(id, n) AS (
            SELECT new.parent_id, 1
            UNION ALL SELECT c.parent_id, up.n + 1 FROM customers c JOIN up ON c.id = up.id
            WHERE c.parent_id IS NOT NULL AND up.n < 7)
        SELECT max(n) FROM up)
      + 1
      + (WITH RECURSIVE down(id, n) AS (
            SELECT new.id, 0
            UNION ALL SELECT c.id, down.n + 1 FROM customers c JOIN down ON c.parent_id = down.id WHERE down.n < 7)
         SELECT max(n) FROM down) > 5;
END;

CREATE TRIGGER customers_tree_insert BEFORE INSERT ON customers
WHEN new.parent_id IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'invalid_parent: customers nest at most 5 levels deep; this parent is already at level 5')
    WHERE (
        WITH RECURSIVE up(id, n) AS (
            SELECT new.parent_id, 1
            UNION ALL SELECT c.parent_id, up.n + 1 FROM customers c JOIN up ON c.id = up.id
            WHERE c.parent_id IS NOT NULL AND up.n < 7)
        SELECT max(n) FROM up) + 1 > 5;
END;

-- One live holder of a merge's history: a customer is merged into a live customer other than
-- itself, never into one that was merged away or deleted meanwhile.
CREATE TRIGGER customers_merged_into_live BEFORE UPDATE OF merged_into ON customers
WHEN new.merged_into IS NOT NULL AND new.merged_into IS NOT old.merged_into
 AND (new.merged_into = new.id
      OR NOT EXISTS (SELECT 1 FROM customers t WHERE t.id = new.merged_into AND t.deleted_at IS NULL))
BEGIN
    SELECT RAISE(ABORT, 'merge_raced: the merge target was merged away or deleted meanwhile');
END;

-- The first statement of a merge's batch writes its target and sources here: the trigger fails
-- the whole batch unless, as it runs, the target is live and every source is a live customer
-- other than the target. Two opposite merges, or the same merge twice, meeting: one of them
-- commits, the other changes nothing and answers 409. Nothing is stored.
CREATE TABLE merge_checks (
    target  TEXT NOT NULL,
    sources TEXT NOT NULL  -- JSON array of the source ids
);

CREATE TRIGGER merge_checks_live BEFORE INSERT ON merge_checks BEGIN
    SELECT RAISE(ABORT, 'merge_raced: the target or a source was merged or deleted meanwhile')
    WHERE NOT EXISTS (SELECT 1 FROM customers t WHERE t.id = new.target AND t.deleted_at IS NULL)
       OR EXISTS (
            SELECT 1 FROM json_each(new.sources) s LEFT JOIN customers c ON c.id = s.value
            WHERE c.id IS NULL OR c.deleted_at IS NOT NULL OR c.id = new.target);
    SELECT RAISE(IGNORE);
END;
