-- A cascade or bulk soft delete reads which customers to delete in one request and deletes them
-- in the next; a sub-customer created in between (its parent still live then) would be left live
-- under a deleted parent. The batch that deletes ends by writing the deleted ids here: the
-- trigger fails the whole batch (the deletes and their audit rows with it) when any of them has
-- a live sub-customer, and otherwise stores nothing. The client gets 409 `conflict` and retries.
CREATE TABLE subtree_checks (
    ids TEXT NOT NULL  -- JSON array of the customer ids the batch soft-deleted
);

CREATE TRIGGER subtree_checks_no_live_child BEFORE INSERT ON subtree_checks BEGIN
    SELECT RAISE(ABORT, 'subtree_changed: a sub-customer was added while its parent was being deleted')
    WHERE EXISTS (
        SELECT 1 FROM customers k
        WHERE k.parent_id IN (SELECT value FROM json_each(new.ids)) AND k.deleted_at IS NULL
    );
    SELECT RAISE(IGNORE);
END;
