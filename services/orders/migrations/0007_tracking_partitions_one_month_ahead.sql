-- Event partitions are kept one month ahead instead of three. No event occurs more than minutes
-- after the clock of the replica recording it, so the months after next stay empty; yet every
-- lookup of an order's events "from a time on" (deduplication of each incoming event, reads)
-- searched them too: two index descents per key for nothing. The upkeep job creates next
-- month's partition daily, weeks before it is needed, and the default partition catches the rest.
DO $$
DECLARE
    month_start timestamptz;
    partition_name text;
    is_empty boolean;
BEGIN
    FOR step IN 2 .. 12 LOOP
        month_start := date_trunc('month', now(), 'UTC') + make_interval(months => step);
        partition_name := 'tracking_events_' || to_char(month_start AT TIME ZONE 'UTC', 'YYYYMM');
        CONTINUE WHEN to_regclass(quote_ident(partition_name)) IS NULL;
        EXECUTE format('SELECT NOT EXISTS (SELECT 1 FROM %I)', partition_name) INTO is_empty;
        IF is_empty THEN
            EXECUTE format('DROP TABLE %I', partition_name);
        END IF;
    END LOOP;
END
$$;
