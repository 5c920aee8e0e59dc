-- Profiles, lifecycle, grading and activity (issue: customers service).
-- Migration numbers: 0003 engagement (interactions, follow-ups, surveys), 0004 contacts,
-- 0005 loyalty.

ALTER TABLE customers
    -- Grade within its kind: FREQUENT / OCCASIONAL (individual), LARGE / MEDIUM / SMALL
    -- (enterprise), GOVERNMENT_A / _B / _C (from the level staff set). NULL until first graded.
    ADD COLUMN tier             text,
    -- What the other services act on: KEY, GENERAL or POTENTIAL.
    ADD COLUMN value_class      text NOT NULL DEFAULT 'POTENTIAL'
                                CHECK (value_class IN ('KEY', 'GENERAL', 'POTENTIAL')),
    -- Administrative level of a government customer, set by staff: A, B or C.
    ADD COLUMN government_level text CHECK (government_level IN ('A', 'B', 'C')),
    -- When the customer last shipped (drives DORMANT and CHURNED).
    ADD COLUMN last_shipment_time timestamptz,
    -- Postal addresses (logistics.common.v1.Address as JSON) and transport needs.
    ADD COLUMN addresses        jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN transport_needs  jsonb NOT NULL DEFAULT '{}';

CREATE INDEX customers_value_class ON customers (value_class) WHERE delete_time IS NULL;
CREATE INDEX customers_last_shipment ON customers (last_shipment_time) WHERE delete_time IS NULL;

-- Every status change, with why and who.
CREATE TABLE status_history (
    id          bigserial   PRIMARY KEY,
    customer_id uuid        NOT NULL REFERENCES customers (id),
    from_status text        NOT NULL,
    to_status   text        NOT NULL,
    reason      text        NOT NULL,
    changed_by  text        NOT NULL,
    change_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX status_history_customer ON status_history (customer_id, id);

-- Every tier or value-class change, with why and under which policy.
CREATE TABLE tier_history (
    id               bigserial   PRIMARY KEY,
    customer_id      uuid        NOT NULL REFERENCES customers (id),
    from_tier        text,
    to_tier          text        NOT NULL,
    from_value_class text        NOT NULL,
    to_value_class   text        NOT NULL,
    reason           text        NOT NULL,
    policy_version   integer     NOT NULL,
    change_time      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tier_history_customer ON tier_history (customer_id, id);

-- Versioned grading policies; the highest version is in force. Version 1 holds DOMAIN.md's defaults.
CREATE TABLE grading_policies (
    version     integer     PRIMARY KEY,
    policy      jsonb       NOT NULL,
    created_by  text        NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now()
);

-- Shipments (and later other activity) per customer; the activity id makes recording idempotent.
CREATE TABLE activity (
    customer_id  uuid        NOT NULL REFERENCES customers (id),
    activity_id  text        NOT NULL,
    occur_time   timestamptz NOT NULL,
    spend_minor  bigint      NOT NULL CHECK (spend_minor >= 0),
    record_time  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, activity_id)
);
CREATE INDEX activity_customer_time ON activity (customer_id, occur_time);
