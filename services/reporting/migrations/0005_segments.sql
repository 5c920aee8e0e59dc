-- Customer segmentation (客户细分): each customer's current dimensions, and each order's price,
-- so SegmentCustomers groups customers and their spend in SQL. Both tables stay projections:
-- everything here comes from the customers and orders feeds.

-- Stored names are the enum names without their prefix ("ENTERPRISE", "GOVERNMENT_A"...);
-- empty for rows written before this migration, until the projection is rebuilt.
ALTER TABLE customer_facts
    ADD COLUMN kind        text    NOT NULL DEFAULT '',
    ADD COLUMN role        text    NOT NULL DEFAULT '',
    ADD COLUMN tier        text    NOT NULL DEFAULT '',
    ADD COLUMN value_class text    NOT NULL DEFAULT '',
    ADD COLUMN industry    text    NOT NULL DEFAULT '',
    ADD COLUMN status      text    NOT NULL DEFAULT '',
    -- Deleted customers keep their row (later events may name them) but are not counted.
    ADD COLUMN deleted     boolean NOT NULL DEFAULT false;

-- The status history already knows every customer's latest status.
UPDATE customer_facts f
   SET status = latest.status
  FROM (SELECT DISTINCT ON (customer_id) customer_id, status
          FROM customer_status_history
         ORDER BY customer_id, since DESC) latest
 WHERE latest.customer_id = f.customer_id;

-- The quoted price in fen (CNY) from order.created, and whether order.cancelled took it back.
-- A customer's spend is summed from these rows when asked, so no running sum can double.
ALTER TABLE order_facts
    ADD COLUMN price_fen bigint  NOT NULL DEFAULT 0,
    ADD COLUMN cancelled boolean NOT NULL DEFAULT false;
CREATE INDEX order_facts_customer_spend ON order_facts (customer_id) INCLUDE (price_fen)
    WHERE NOT cancelled;
