-- Case-insensitive equality and prefix filters on company and phone through an index, as name
-- and email already have theirs (their sort indexes, 0001). The expression is the one
-- storage::query writes for an indexed condition, `lower(coalesce(col, ''))`; the plain
-- `lower(col)` it writes where a condition must not drive the walk matches no index. Not partial:
-- status=deleted and status=all filter through them too.
CREATE INDEX customers_company_filter ON customers (lower(coalesce(company, '')));
CREATE INDEX customers_phone_filter ON customers (lower(coalesce(phone, '')));
