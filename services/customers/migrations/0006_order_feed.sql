-- Customers learns from orders (issue item 12): the service follows other services' change feeds
-- and applies each event once.

-- Where each followed feed stands. The cursor moves in the same transaction as the effect of the
-- event it points past, so a restart resumes exactly after the last event applied. Generic: one row
-- per feed ("orders" now; complaints' may follow).
CREATE TABLE feed_cursors (
    feed           text        PRIMARY KEY,
    -- The opaque cursor of the last event consumed; '' before the first (start at the beginning).
    cursor         text        NOT NULL,
    -- Events the cursor has moved past, whatever their type.
    applied_events bigint      NOT NULL DEFAULT 0 CHECK (applied_events >= 0),
    -- Of those, events about a customer this service does not know or has deleted: logged and
    -- passed over, so one such event never holds up the feed.
    skipped_events bigint      NOT NULL DEFAULT 0 CHECK (skipped_events >= 0),
    update_time    timestamptz NOT NULL DEFAULT now()
);

-- When the customer last placed an order. Ordering restarts the inactivity clock as a shipment
-- does: a customer reactivated by a new order must not be made DORMANT again by the next sweep
-- while that order is still on its way (its delivery sets last_shipment_time).
ALTER TABLE customers ADD COLUMN last_order_time timestamptz;

-- What scheduled a follow-up automatically, e.g. the order number of the delivery a thank-you
-- follow-up is for. Unique per customer and reason, so applying the same delivery again (a second
-- follower, a replay without the cursor) cannot schedule a second one. NULL for follow-ups staff
-- scheduled, which stay free to repeat a reason and reference.
ALTER TABLE follow_ups ADD COLUMN source_key text;
CREATE UNIQUE INDEX follow_ups_one_per_source ON follow_ups (customer_id, reason, source_key)
    WHERE source_key IS NOT NULL;
