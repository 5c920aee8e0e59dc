-- Every replica hears every change of an order row, whichever code (or operator) made it: the
-- tracking cache forgets the shipment and the watchers look again. Recording tracking events
-- always updates the order row (its tracking sequence), so they are covered too.
-- The payload is "<order id> <tracking number>"; PostgreSQL folds repeats within a transaction.
CREATE FUNCTION notify_order_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('logistics_tracking.' || TG_TABLE_SCHEMA,
                      OLD.id::text || ' ' || OLD.tracking_number);
    RETURN NULL;
END;
$$;

CREATE TRIGGER orders_notify_changed
    AFTER UPDATE OR DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION notify_order_changed();
