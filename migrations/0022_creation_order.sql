-- Customers whose place in creation order, (created_at, id), is not their place in insertion
-- order (seq): inserted when a customer created after them was already there (two requests
-- racing, a clock behind another). Every other customer came after all that existed, so among
-- them the two orders agree, and the trigram index, whose rowids are seqs, lists a search's
-- matches newest first or oldest first as it reads them: storage::query's `Plan::Stream` reads a
-- page's worth from it and tests these few beside them. A trigger keeps the list as rows are
-- inserted (one seek of customers_created) and deleted; nothing changes created_at or id.
CREATE TABLE customers_out_of_order (seq INTEGER PRIMARY KEY);

INSERT INTO customers_out_of_order (seq)
    SELECT seq FROM (
        SELECT seq, created_at || char(1) || id AS k,
               max(created_at || char(1) || id) OVER (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
        FROM customers
    ) WHERE k < before;

CREATE TRIGGER customers_out_of_order_insert AFTER INSERT ON customers
WHEN EXISTS (SELECT 1 FROM customers c WHERE (c.created_at, c.id) > (NEW.created_at, NEW.id))
BEGIN
    INSERT INTO customers_out_of_order (seq) VALUES (NEW.seq);
END;

CREATE TRIGGER customers_out_of_order_delete AFTER DELETE ON customers BEGIN
    DELETE FROM customers_out_of_order WHERE seq = OLD.seq;
END;
