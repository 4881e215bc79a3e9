-- The limit of 50 attributes held by the database too, so no write path (a patch racing an
-- upsert, a future endpoint) can store more. The API checks first and explains; this only
-- refuses, under a name `http::error` maps to a 422 on `attributes`.
CREATE TRIGGER customers_attribute_limit_insert BEFORE INSERT ON customers
WHEN (SELECT count(*) FROM json_each(new.attributes)) > 50
BEGIN
    SELECT RAISE(ABORT, 'customer_attributes_limit: at most 50 attributes');
END;

CREATE TRIGGER customers_attribute_limit_update BEFORE UPDATE OF attributes ON customers
WHEN (SELECT count(*) FROM json_each(new.attributes)) > 50
BEGIN
    SELECT RAISE(ABORT, 'customer_attributes_limit: at most 50 attributes');
END;
