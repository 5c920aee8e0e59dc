-- Per customer and company-local month (its first day), the KPI sums and the volumes: what a
-- monthly statement reads. kpi_rollups holds thousands of rows a month for a big customer (a row
-- per day, KPI, region and mode), spread over as many pages as rows; here it is a dozen.
-- Written with the same increments as kpi_rollups and volume_rollups, in the same statement;
-- projections, rebuilt with the others.
CREATE TABLE kpi_rollups_by_customer_month (
    customer_id uuid   NOT NULL,
    month       date   NOT NULL,
    kpi         text   NOT NULL,
    numerator   bigint NOT NULL,
    denominator bigint NOT NULL,
    PRIMARY KEY (customer_id, month, kpi)
);

CREATE TABLE volume_rollups_by_customer_month (
    customer_id  uuid   NOT NULL,
    month        date   NOT NULL,
    shipments    bigint NOT NULL,
    pieces       bigint NOT NULL,
    weight_grams bigint NOT NULL,
    PRIMARY KEY (customer_id, month)
);

INSERT INTO kpi_rollups_by_customer_month (customer_id, month, kpi, numerator, denominator)
SELECT customer_id, date_trunc('month', day::timestamp)::date, kpi, sum(numerator),
       sum(denominator)
  FROM kpi_rollups
 GROUP BY 1, 2, 3;

INSERT INTO volume_rollups_by_customer_month (customer_id, month, shipments, pieces, weight_grams)
SELECT customer_id, date_trunc('month', day::timestamp)::date, sum(shipments), sum(pieces),
       sum(weight_grams)
  FROM volume_rollups
 GROUP BY 1, 2;
