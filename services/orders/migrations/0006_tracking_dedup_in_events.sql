-- Deduplication reads the events themselves: a batch checks its keys under the row locks of its
-- orders, which every writer of an order's events takes first, so two events of one order with
-- the same key cannot both pass the check. The separate keys table cost a second heap row and a
-- second B-tree per event, as much as the events' own insert; this index is the one B-tree left.
-- Not unique (a unique key of the partitioned table would have to hold occur_time, and a client
-- resending an event with a corrected time must still be caught); source and source name are
-- compared on the rare rows it finds.
CREATE INDEX tracking_events_by_client_event_id ON tracking_events (order_id, client_event_id);

DROP TABLE tracking_event_keys;
