-- The KPI sums without the customer: what company-wide, regional, mode and agent figures read
-- (GetKpis without a customer, GetAgentQuality). kpi_rollups has a row per customer too, so a
-- month of a million orders from thousands of customers is hundreds of thousands of its rows;
-- here it is a few thousand. Written beside kpi_rollups with the same increments, in the same
-- transaction; a projection, rebuilt with the others.
CREATE TABLE kpi_rollups_by_region (
    day         date   NOT NULL,
    kpi         text   NOT NULL,
    region_code text   NOT NULL,
    mode        text   NOT NULL,
    agent       text   NOT NULL,
    numerator   bigint NOT NULL,
    denominator bigint NOT NULL,
    PRIMARY KEY (day, kpi, region_code, mode, agent)
);

INSERT INTO kpi_rollups_by_region (day, kpi, region_code, mode, agent, numerator, denominator)
SELECT day, kpi, region_code, mode, agent, sum(numerator), sum(denominator)
  FROM kpi_rollups
 GROUP BY day, kpi, region_code, mode, agent;
