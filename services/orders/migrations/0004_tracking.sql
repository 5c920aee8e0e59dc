-- Tracking: the events of every shipment (the suite's highest-volume table), their deduplication
-- keys, proofs of delivery, and what tracking adds to orders.

-- Events of an order are numbered in the order they were recorded (under the order's row lock),
-- so a watcher can ask for "everything after the n-th" whatever times the events carry.
ALTER TABLE orders ADD COLUMN tracking_sequence bigint NOT NULL DEFAULT 0;

-- Partitioned by month of occurrence (UTC). Every lookup is "the events of one order": an order's
-- events occur from a day before its creation on (RecordTrackingEvents refuses earlier ones), so
-- reads give that lower bound and touch only the months since the order was created; retention
-- drops whole months. Receive time would put every insert in one partition, but reads could not
-- be bounded by it.
CREATE TABLE tracking_events (
    order_id                    uuid NOT NULL,
    sequence                    bigint NOT NULL,
    event_id                    uuid NOT NULL,
    client_event_id             text NOT NULL,
    source                      text NOT NULL,
    source_name                 text NOT NULL,
    code                        text NOT NULL,
    occur_time                  timestamptz NOT NULL,
    receive_time                timestamptz NOT NULL,
    facility_code               text NOT NULL DEFAULT '',
    city                        text NOT NULL DEFAULT '',
    region_code                 text NOT NULL DEFAULT '',
    description                 text NOT NULL DEFAULT '',
    new_estimated_delivery_time timestamptz,
    -- The status the event moved the order to; NULL when it moved nothing.
    applied_status              text,
    -- Stored behind a newer event of the same order.
    late                        boolean NOT NULL,
    recorded_by                 text NOT NULL,
    -- A unique key of a partitioned table must hold the partition key; this one is also the index
    -- of "the events of an order in time order" (read backwards for the latest).
    PRIMARY KEY (order_id, occur_time, sequence)
) PARTITION BY RANGE (occur_time);

-- Whatever falls outside the monthly partitions (a partition not created yet, far-away times)
-- lands here, so no insert ever fails for want of a partition.
CREATE TABLE tracking_events_default PARTITION OF tracking_events DEFAULT;

-- Creates the monthly partitions from last month to `months_ahead` months ahead, those missing;
-- returns how many it created. The service calls it at start and daily; replicas take turns
-- through an advisory lock. A month whose rows already sit in the default partition is skipped
-- with a warning (moving them is an operator's job), rather than failing the others.
CREATE FUNCTION ensure_tracking_event_partitions(months_ahead integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    first_month timestamptz := date_trunc('month', now(), 'UTC') - interval '1 month';
    month_start timestamptz;
    partition_name text;
    created integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('logistics.orders.tracking_event_partitions'));
    FOR step IN 0 .. months_ahead + 1 LOOP
        month_start := first_month + make_interval(months => step);
        partition_name := 'tracking_events_' || to_char(month_start AT TIME ZONE 'UTC', 'YYYYMM');
        CONTINUE WHEN to_regclass(quote_ident(partition_name)) IS NOT NULL;
        BEGIN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF tracking_events FOR VALUES FROM (%L) TO (%L)',
                partition_name, month_start, month_start + interval '1 month');
            created := created + 1;
        EXCEPTION WHEN check_violation THEN
            RAISE WARNING 'tracking_events_default holds rows of %; partition not created', partition_name;
        END;
    END LOOP;
    RETURN created;
END
$$;

SELECT ensure_tracking_event_partitions(3);

-- Deduplication: one row per (order, source, client event id). Unpartitioned, so the key can be
-- unique without the partition key: a client resending an event with a corrected time is still
-- caught. Rejected events are not recorded here, so they can be sent again once legal.
CREATE TABLE tracking_event_keys (
    order_id        uuid NOT NULL,
    source          text NOT NULL,
    source_name     text NOT NULL,
    client_event_id text NOT NULL,
    event_id        uuid NOT NULL,
    PRIMARY KEY (order_id, source, source_name, client_event_id)
);

-- One proof per delivered order.
CREATE TABLE proofs_of_delivery (
    order_id               uuid PRIMARY KEY REFERENCES orders (id),
    signed_by              text NOT NULL,
    delivery_time          timestamptz NOT NULL,
    signature_type         text,
    signature              bytea CHECK (octet_length(signature) <= 1048576),
    photo_type             text,
    photo                  bytea CHECK (octet_length(photo) <= 1048576),
    damaged_pieces         integer NOT NULL CHECK (damaged_pieces >= 0),
    missing_pieces         integer NOT NULL CHECK (missing_pieces >= 0),
    document_errors        boolean NOT NULL,
    route_changed          boolean NOT NULL,
    on_time                boolean NOT NULL,
    promised_delivery_time timestamptz NOT NULL,
    notes                  text NOT NULL DEFAULT '',
    facility_code          text NOT NULL DEFAULT '',
    city                   text NOT NULL DEFAULT '',
    region_code            text NOT NULL DEFAULT '',
    recorded_by            text NOT NULL,
    record_time            timestamptz NOT NULL,
    -- SHA-256 of the request that recorded it: the same request again gets the stored proof.
    request_sha256         bytea NOT NULL
);
-- PNG and JPEG are compressed already: store them out of line without trying again.
ALTER TABLE proofs_of_delivery ALTER COLUMN signature SET STORAGE EXTERNAL;
ALTER TABLE proofs_of_delivery ALTER COLUMN photo SET STORAGE EXTERNAL;

-- Problem shipments: orders on their way by when they last moved, and orders in exception.
CREATE INDEX orders_on_the_way_by_movement ON orders ((coalesce(last_movement_time, pickup_time)))
    WHERE status IN ('PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'EXCEPTION');
CREATE INDEX orders_in_exception ON orders (promised_delivery_time, id)
    WHERE status = 'EXCEPTION';
