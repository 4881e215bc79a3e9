-- A company's customers in name, email and last-seen order, as one walk of an index range. The
-- company index of 0015 holds each company's customers newest first only: in the other orders a
-- company's matches were read from the table and sorted before the page was cut (at 1,200,000
-- customers a company of 1,000 took 4 ms of SQL against 0.1 ms for a list page, and the cost
-- grew with the company up to the planner's cap of 5,000). With each order's key beside the
-- company, a page is the range's first rows after the cursor whatever the company's size
-- (`customer_sql::seeks`). Each costs about 75 bytes per customer (89 MB at 1,200,000) and one
-- more index entry to move when a customer's company, or that order's key, changes.
CREATE INDEX customers_company_name ON customers (lower(coalesce(company, '')), lower(coalesce(name, email_normalized, '')), id);
CREATE INDEX customers_company_email ON customers (lower(coalesce(company, '')), coalesce(email_normalized, ''), id);
CREATE INDEX customers_company_last_seen ON customers (lower(coalesce(company, '')), coalesce(last_seen_at, ''), id);
