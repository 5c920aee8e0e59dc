-- Orders: one shipment each. Cargo lines, documents and the quote are stored with the order as
-- JSON: they are written once, at creation, and always read with it.

CREATE SEQUENCE order_number_seq;
-- Serials of tracking numbers (the number is the serial, offset, plus a check digit).
CREATE SEQUENCE tracking_serial_seq;

CREATE TABLE orders (
    id                      uuid PRIMARY KEY,
    order_number            text NOT NULL UNIQUE,
    tracking_number         text NOT NULL UNIQUE,
    customer_id             uuid NOT NULL,
    mode                    text NOT NULL,
    status                  text NOT NULL,
    origin                  jsonb NOT NULL,
    destination             jsonb NOT NULL,
    -- Copied out of the addresses for filters and reports.
    origin_region           text NOT NULL,
    destination_region      text NOT NULL,
    cargo                   jsonb NOT NULL,
    total_pieces            integer NOT NULL CHECK (total_pieces > 0),
    total_weight_grams      bigint NOT NULL CHECK (total_weight_grams > 0),
    total_volume_cm3        bigint NOT NULL CHECK (total_volume_cm3 >= 0),
    requested_pickup_start  timestamptz,
    requested_pickup_end    timestamptz,
    customer_references     text[] NOT NULL DEFAULT '{}',
    documents               jsonb NOT NULL DEFAULT '[]',
    quote                   jsonb NOT NULL,
    price_fen               bigint NOT NULL CHECK (price_fen >= 0),
    priority_transport      boolean NOT NULL DEFAULT false,
    promised_delivery_time  timestamptz NOT NULL,
    estimated_delivery_time timestamptz NOT NULL,
    -- The pickup, once scheduled; dispatch facts for the on-time dispatch KPI.
    pickup_window_start     timestamptz,
    pickup_window_end       timestamptz,
    pickup_same_day         boolean,
    pickup_schedule_time    timestamptz,
    dispatch_time           timestamptz,
    vehicle_id              text,
    driver_name             text,
    -- Milestones.
    pickup_time             timestamptz,
    delivery_time           timestamptz,
    cancel_reason           text,
    route_changed           boolean NOT NULL DEFAULT false,
    -- When the latest tracking event occurred: "no movement for 24 hours" is measured from it.
    last_movement_time      timestamptz,
    created_by              text NOT NULL,
    create_time             timestamptz NOT NULL,
    update_time             timestamptz NOT NULL,
    status_time             timestamptz NOT NULL,
    -- Bumped by every write; the etag is derived from it.
    version                 bigint NOT NULL DEFAULT 1,
    CHECK (requested_pickup_end IS NULL OR requested_pickup_end > requested_pickup_start)
);

-- ListOrders: newest first, overall and per customer, the keyset being (create_time, id).
CREATE INDEX orders_by_create_time ON orders (create_time DESC, id DESC);
CREATE INDEX orders_by_customer ON orders (customer_id, create_time DESC, id DESC);
CREATE INDEX orders_by_status ON orders (status, create_time DESC, id DESC);
-- Lookup by the customer's own references (exact).
CREATE INDEX orders_by_reference ON orders USING gin (customer_references);
-- Problem shipments: only orders still on their way are scanned.
CREATE INDEX orders_open_by_promise ON orders (promised_delivery_time)
    WHERE status NOT IN ('DELIVERED', 'RETURNED_TO_SENDER', 'CANCELLED');
