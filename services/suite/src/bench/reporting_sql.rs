//! The SQL of `logistics bench reporting`: a month of synthetic orders as raw rows, the loader
//! that turns raw rows into reporting's read models in bulk, and the reports computed from the raw
//! rows, to compare with the service's answers from its rollups.
//!
//! The loader writes what the projection writes for each order's `order.created`,
//! `order.picked_up` and `order.delivered` (the facts, the volume and the KPI sums), a million
//! orders in seconds instead of applying three million events one by one. The benchmark checks it
//! against the projection itself on a sample before trusting it (see `reporting.rs`).

/// Where the raw rows live, beside reporting's own schema.
pub const RAW_SCHEMA: &str = "reporting_bench";

/// Creates `RAW_SCHEMA.<table>`: `orders` orders of `customers` customers created in the month
/// starting at `month_start` ("YYYY-MM-01", company time), drawn from fixed hashes of their
/// number so every run builds the same month. A few customers ship much more than most, eight
/// regions, four modes; about 92% picked up by the end of their window, 95% delivered (some in the
/// month after), of which 90% on time, 2% with document errors, 1% damaged, 0.2% lost and 0.5%
/// short.
pub fn raw_orders(table: &str, orders: u64, customers: u64, month_start: &str) -> String {
    format!(
        "DROP TABLE IF EXISTS {RAW_SCHEMA}.{table};
         CREATE TABLE {RAW_SCHEMA}.{table} AS
         WITH drawn AS (
             SELECT n,
                    -- Uniform draws in [0, 1) from hashes of the order number and a salt.
                    (hashint8(n * 8 + 0)::bigint + 2147483648) / 4294967296.0 AS u0,
                    (hashint8(n * 8 + 1)::bigint + 2147483648) / 4294967296.0 AS u1,
                    (hashint8(n * 8 + 2)::bigint + 2147483648) / 4294967296.0 AS u2,
                    (hashint8(n * 8 + 3)::bigint + 2147483648) / 4294967296.0 AS u3,
                    (hashint8(n * 8 + 4)::bigint + 2147483648) / 4294967296.0 AS u4,
                    (hashint8(n * 8 + 5)::bigint + 2147483648) / 4294967296.0 AS u5,
                    (hashint8(n * 8 + 6)::bigint + 2147483648) / 4294967296.0 AS u6,
                    (hashint8(n * 8 + 7)::bigint + 2147483648) / 4294967296.0 AS u7
               FROM generate_series(1, {orders}) AS n
         ), shaped AS (
             SELECT n, u3, u4, u5, u6, u7,
                    -- Squaring skews the customers: the first ones ship the most.
                    floor(u0 * u0 * {customers})::bigint AS customer_n,
                    ('{month_start}'::timestamp AT TIME ZONE 'Asia/Shanghai')
                      + (u1 * (('{month_start}'::date + interval '1 month')
                               - '{month_start}'::date)) AS create_time,
                    1 + floor(u2 * 20)::int AS pieces
               FROM drawn
         )
         SELECT md5('bench order ' || n)::uuid AS order_id,
                md5('bench customer ' || customer_n)::uuid AS customer_id,
                CASE WHEN u3 < 0.9 THEN 'R' || (customer_n % 8)::text
                     ELSE 'R' || floor(u3 * 80)::int % 8 END AS origin_region,
                CASE WHEN u4 < 0.70 THEN 'ROAD' WHEN u4 < 0.85 THEN 'RAIL'
                     WHEN u4 < 0.95 THEN 'AIR' ELSE 'SEA' END AS mode,
                create_time,
                pieces,
                pieces * (500 + floor(u5 * 19500)::bigint) AS weight_grams,
                (1000 + floor(u5 * 100000))::bigint AS price_fen,
                create_time + (2 + u6 * 28) * interval '1 hour' AS pickup_time,
                u6 < 0.92 AS picked_up_in_window,
                CASE WHEN u7 < 0.95 THEN create_time + (14 + u7 * 100) * interval '1 hour' END
                  AS delivery_time,
                (u7 * 1000)::int % 10 <> 0 AS delivered_on_time,
                (u7 * 10000)::int % 50 = 1 AS document_errors,
                CASE WHEN (u7 * 100000)::int % 100 = 7 THEN 1 ELSE 0 END AS damaged_pieces,
                CASE WHEN (u7 * 100000)::int % 500 = 3 THEN pieces
                     WHEN pieces > 1 AND (u7 * 100000)::int % 200 = 11 THEN 1
                     ELSE 0 END AS missing_pieces
           FROM shaped;
         CREATE INDEX ON {RAW_SCHEMA}.{table} (customer_id);
         ANALYZE {RAW_SCHEMA}.{table};"
    )
}

/// Loads the raw orders of `RAW_SCHEMA.<table>` into the read models of `schema`, as the
/// projection would from their events: facts, volume on the creation day, the created
/// denominators, the dispatch on the pickup day, and what a delivery adds on its day.
pub fn load(schema: &str, table: &str) -> String {
    let day = |column: &str| format!("({column} AT TIME ZONE 'Asia/Shanghai')::date");
    let created = day("create_time");
    let picked = day("pickup_time");
    let delivered = day("delivery_time");
    let minutes =
        "greatest(floor(extract(epoch FROM delivery_time - create_time) / 60), 0)::bigint";
    let lost = "(missing_pieces > 0 AND missing_pieces >= pieces)";
    format!(
        "INSERT INTO {schema}.order_facts (order_id, customer_id, origin_region, mode, create_time,
                                           price_fen)
         SELECT order_id, customer_id, origin_region, mode, create_time, price_fen
           FROM {RAW_SCHEMA}.{table};
         INSERT INTO {schema}.volume_rollups (day, customer_id, region_code, mode, shipments,
                                              pieces, weight_grams)
         SELECT {created}, customer_id, origin_region, mode, count(*), sum(pieces),
                sum(weight_grams)
           FROM {RAW_SCHEMA}.{table} GROUP BY 1, 2, 3, 4;
         INSERT INTO {schema}.kpi_rollups (day, kpi, customer_id, region_code, mode, agent,
                                           numerator, denominator)
         SELECT day, kpi, customer_id, origin_region, mode, '', sum(numerator), sum(denominator)
           FROM (
             SELECT {created} AS day, kpi, customer_id, origin_region, mode, 0 AS numerator,
                    1 AS denominator
               FROM {RAW_SCHEMA}.{table},
                    unnest(ARRAY['ROUTE_CHANGE_RATE', 'RETURN_RATE']) AS kpi
             UNION ALL
             SELECT {picked}, 'ON_TIME_DISPATCH_RATE', customer_id, origin_region, mode,
                    picked_up_in_window::int, 1
               FROM {RAW_SCHEMA}.{table}
             UNION ALL
             SELECT {delivered}, kpi, customer_id, origin_region, mode, numerator, 1
               FROM {RAW_SCHEMA}.{table},
                    LATERAL (VALUES
                      ('ON_TIME_ARRIVAL_RATE', delivered_on_time::int::bigint),
                      ('DOCUMENT_ACCURACY_RATE', (NOT document_errors)::int::bigint),
                      ('DAMAGE_RATE', (damaged_pieces > 0)::int::bigint),
                      ('LOSS_RATE', {lost}::int::bigint),
                      ('SHORTAGE_RATE', (missing_pieces > 0 AND NOT {lost})::int::bigint),
                      ('ACCIDENT_RATE', (damaged_pieces > 0 OR missing_pieces > 0)::int::bigint),
                      ('AVERAGE_CYCLE_TIME', {minutes}),
                      ('CYCLE_TIME_STDDEV', {minutes} * {minutes})
                    ) AS delivery (kpi, numerator)
              WHERE delivery_time IS NOT NULL
           ) AS facts
          GROUP BY 1, 2, 3, 4, 5;
         INSERT INTO {schema}.kpi_rollups_by_region (day, kpi, region_code, mode, agent,
                                                     numerator, denominator)
         SELECT day, kpi, region_code, mode, agent, sum(numerator), sum(denominator)
           FROM {schema}.kpi_rollups GROUP BY 1, 2, 3, 4, 5;
         INSERT INTO {schema}.kpi_rollups_by_customer_month (customer_id, month, kpi, numerator,
                                                             denominator)
         SELECT customer_id, date_trunc('month', day::timestamp)::date, kpi, sum(numerator),
                sum(denominator)
           FROM {schema}.kpi_rollups GROUP BY 1, 2, 3;
         INSERT INTO {schema}.volume_rollups_by_customer_month (customer_id, month, shipments,
                                                                pieces, weight_grams)
         SELECT customer_id, date_trunc('month', day::timestamp)::date, sum(shipments),
                sum(pieces), sum(weight_grams)
           FROM {schema}.volume_rollups GROUP BY 1, 2;
         ANALYZE {schema}.order_facts;
         ANALYZE {schema}.volume_rollups;
         ANALYZE {schema}.kpi_rollups;
         ANALYZE {schema}.kpi_rollups_by_region;
         ANALYZE {schema}.kpi_rollups_by_customer_month;
         ANALYZE {schema}.volume_rollups_by_customer_month;"
    )
}

/// The rows of the read models that differ between schemas `a` and `b` (0 when the loader wrote
/// what the projection writes).
pub fn differences(a: &str, b: &str) -> String {
    let compare = |table: &str, columns: &str| {
        format!(
            "SELECT count(*) FROM ((SELECT {columns} FROM {a}.{table} EXCEPT ALL
                                     SELECT {columns} FROM {b}.{table})
                                    UNION ALL
                                    (SELECT {columns} FROM {b}.{table} EXCEPT ALL
                                     SELECT {columns} FROM {a}.{table})) AS differing"
        )
    };
    [
        compare(
            "order_facts",
            "order_id, customer_id, origin_region, mode, create_time, price_fen",
        ),
        compare("volume_rollups", "*"),
        compare("kpi_rollups", "*"),
        compare("kpi_rollups_by_region", "*"),
        compare("kpi_rollups_by_customer_month", "*"),
        compare("volume_rollups_by_customer_month", "*"),
    ]
    .map(|query| format!("({query})"))
    .join(" + ")
}

/// The monthly statement's figures of customer `$1` for the month `[$2, $3)` and the month before
/// `[$4, $2)`, from the raw rows: what GetMonthlyStatement answers from its rollups.
pub fn statement_from_raw(table: &str) -> String {
    let day = |column: &str| format!("({column} AT TIME ZONE 'Asia/Shanghai')::date");
    let (created, picked, delivered) =
        (day("create_time"), day("pickup_time"), day("delivery_time"));
    let month =
        |column: &str, first: &str, end: &str| format!("{column} >= {first} AND {column} < {end}");
    let figures = |first: &str, end: &str| {
        format!(
            "count(*) FILTER (WHERE {c}), sum(pieces) FILTER (WHERE {c}),
             sum(weight_grams) FILTER (WHERE {c}),
             count(*) FILTER (WHERE {p} AND picked_up_in_window), count(*) FILTER (WHERE {p}),
             count(*) FILTER (WHERE {d} AND delivered_on_time),
             count(*) FILTER (WHERE {d} AND NOT document_errors), count(*) FILTER (WHERE {d}),
             count(*) FILTER (WHERE {d} AND damaged_pieces > 0),
             count(*) FILTER (WHERE {d} AND missing_pieces >= pieces),
             count(*) FILTER (WHERE {d} AND missing_pieces > 0 AND missing_pieces < pieces),
             sum(greatest(floor(extract(epoch FROM delivery_time - create_time) / 60), 0))
               FILTER (WHERE {d})",
            c = month(&created, first, end),
            p = month(&picked, first, end),
            d = month(&delivered, first, end),
        )
    };
    format!(
        "SELECT {this}, {before}
           FROM {RAW_SCHEMA}.{table}
          WHERE customer_id = $1
            AND (create_time >= ($4::date::timestamp AT TIME ZONE 'Asia/Shanghai')
                 OR delivery_time >= ($4::date::timestamp AT TIME ZONE 'Asia/Shanghai'))",
        this = figures("$2::date", "$3::date"),
        before = figures("$4::date", "$2::date"),
    )
}

/// The order KPIs of the whole company over the days `[$1, $2)` from the raw rows: what GetKpis
/// answers from its rollups (without a filter). One row: dispatch numerator and denominator,
/// arrival, documents, damage, loss, shortage (numerators), deliveries, minutes, created.
pub fn company_kpis_from_raw(table: &str) -> String {
    let day = |column: &str| format!("({column} AT TIME ZONE 'Asia/Shanghai')::date");
    let within =
        |column: &str| format!("{} >= $1::date AND {} < $2::date", day(column), day(column));
    format!(
        "SELECT count(*) FILTER (WHERE {p} AND picked_up_in_window), count(*) FILTER (WHERE {p}),
                count(*) FILTER (WHERE {d} AND delivered_on_time),
                count(*) FILTER (WHERE {d} AND NOT document_errors),
                count(*) FILTER (WHERE {d} AND damaged_pieces > 0),
                count(*) FILTER (WHERE {d} AND missing_pieces > 0 AND missing_pieces >= pieces),
                count(*) FILTER (WHERE {d} AND missing_pieces > 0 AND missing_pieces < pieces),
                count(*) FILTER (WHERE {d}),
                coalesce(sum(greatest(floor(extract(epoch FROM delivery_time - create_time) / 60), 0))
                  FILTER (WHERE {d}), 0)::bigint,
                count(*) FILTER (WHERE {c})
           FROM {RAW_SCHEMA}.{table}",
        p = within("pickup_time"),
        d = within("delivery_time"),
        c = within("create_time"),
    )
}
