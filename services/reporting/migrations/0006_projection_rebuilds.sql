-- RebuildProjections (issue: reporting service): each rebuild of the read models from the feeds,
-- so every replica can show the latest one. Not a projection itself: a rebuild never swaps it.
CREATE TABLE projection_rebuilds (
    id             uuid        PRIMARY KEY,
    state          text        NOT NULL,
    create_time    timestamptz NOT NULL,
    end_time       timestamptz,
    -- Events the rebuild's followers applied so far, over the three feeds.
    applied_events bigint      NOT NULL DEFAULT 0,
    -- Why it failed; empty otherwise.
    failure        text        NOT NULL DEFAULT ''
);
CREATE INDEX projection_rebuilds_latest ON projection_rebuilds (create_time DESC);
