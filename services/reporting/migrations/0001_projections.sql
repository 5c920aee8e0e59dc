-- Reporting's read models (issue: reporting service), built from the change feeds of customers,
-- orders and complaints. Rollups keep integer numerators and denominators, never percentages.

-- What later events of an order need: who, where from, how, and when it was created.
CREATE TABLE order_facts (
    order_id      uuid        PRIMARY KEY,
    customer_id   uuid        NOT NULL,
    origin_region text        NOT NULL,
    mode          text        NOT NULL,
    create_time   timestamptz NOT NULL,
    -- Whether the route-change and return numerators were counted for it already.
    route_changed boolean     NOT NULL DEFAULT false,
    returned      boolean     NOT NULL DEFAULT false
);

-- A customer's region, for the complaints about it.
CREATE TABLE customer_facts (
    customer_id uuid PRIMARY KEY,
    region_code text NOT NULL
);

-- What later events of a complaint need, and its latest rating (the one the KPI counts).
CREATE TABLE complaint_facts (
    complaint_id  uuid        PRIMARY KEY,
    customer_id   uuid        NOT NULL,
    region_code   text        NOT NULL,
    mode          text        NOT NULL,
    agent         text        NOT NULL,
    -- The agent when it was filed: the slice its feedback timeliness counts in, whatever
    -- reassignment comes before the first answer.
    filed_agent   text        NOT NULL,
    file_time     timestamptz NOT NULL,
    rating_score  smallint,
    rating_time   timestamptz,
    rating_agent  text
);

-- One row per company-local day, KPI and slice: the sums GetKpis adds up.
CREATE TABLE kpi_rollups (
    day         date   NOT NULL,
    kpi         text   NOT NULL,
    customer_id uuid   NOT NULL,
    region_code text   NOT NULL,
    mode        text   NOT NULL,
    agent       text   NOT NULL,
    numerator   bigint NOT NULL,
    denominator bigint NOT NULL,
    PRIMARY KEY (day, kpi, customer_id, region_code, mode, agent)
);
CREATE INDEX kpi_rollups_customer ON kpi_rollups (customer_id, day);
