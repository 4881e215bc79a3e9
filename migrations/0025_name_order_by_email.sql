-- Sorted by name, a customer without a name sits among the names by its email (issue 30), not
-- before them all: the name order's key becomes the name, else the email (storage::customer_sql,
-- NAME_ORDER, writes the same expression). A named customer's key is still its name, so name
-- conditions (equality, lists, prefixes) keep walking this index, testing that the name is set.
DROP INDEX customers_name_sort;
CREATE INDEX customers_name_sort ON customers (lower(coalesce(name, email_normalized, '')), id);
