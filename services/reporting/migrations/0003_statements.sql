-- Monthly customer statements (issue 11, point 3): the volume rollup they read (a projection),
-- and the statements generated from the rollups (not a projection: generated on request or by
-- the monthly job, and kept as generated).

-- Projection. Per company-local day of an order's creation and slice (customer, origin region,
-- mode): orders created, their pieces and their actual weight in grams. Integers only; a general
-- volume rollup (statements, volume by region and month), not a statement table.
CREATE TABLE volume_rollups (
    day          date   NOT NULL,
    customer_id  uuid   NOT NULL,
    region_code  text   NOT NULL,
    mode         text   NOT NULL,
    shipments    bigint NOT NULL,
    pieces       bigint NOT NULL,
    weight_grams bigint NOT NULL,
    PRIMARY KEY (day, customer_id, region_code, mode)
);
CREATE INDEX volume_rollups_customer ON volume_rollups (customer_id, day);

-- Not a projection. One generated statement per customer and month: the integer sums of the month
-- and of the month before, in the order of the domain's `StatementSums::to_vec`; the values are
-- computed from them when read. A second generation of the month updates the row in place.
CREATE TABLE monthly_statements (
    id            uuid        PRIMARY KEY,
    customer_id   uuid        NOT NULL,
    -- The month's first day.
    month         date        NOT NULL,
    generate_time timestamptz NOT NULL,
    sums          bigint[]    NOT NULL,
    previous_sums bigint[]    NOT NULL,
    UNIQUE (customer_id, month)
);
CREATE INDEX monthly_statements_month ON monthly_statements (month DESC, customer_id);

-- Not a projection. The months generated, so the monthly job generates a closed month once
-- (even one without any activity) and leaves regeneration to GenerateMonthlyStatements.
CREATE TABLE statement_generations (
    month            date        PRIMARY KEY,
    generate_time    timestamptz NOT NULL,
    statements_count integer     NOT NULL
);
