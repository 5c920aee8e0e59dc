-- What a service that follows other services' change feeds keeps in its own schema (see
-- logistics_platform::feed_follower). Applied by feed_follower::migrate, after the service's own
-- migrations, with a history table of its own (_platform_feed_migrations).
--
-- Written to find the tables already there: customers created feed_cursors in its migration 0006
-- before the follower moved into the platform, so everything here is "if not exists", and a
-- database migrated by either generation works with both.

-- Where each followed feed stands. The cursor moves in the same transaction as the effect of the
-- event it points past, so a restart resumes exactly after the last event applied.
CREATE TABLE IF NOT EXISTS feed_cursors (
    feed           text        PRIMARY KEY,
    -- The opaque cursor of the last event consumed; '' before the first (start at the beginning).
    cursor         text        NOT NULL,
    -- Events the cursor has moved past, whatever their type.
    applied_events bigint      NOT NULL DEFAULT 0 CHECK (applied_events >= 0),
    -- Of those, events the handler passed over (e.g. about a customer this service does not know).
    skipped_events bigint      NOT NULL DEFAULT 0 CHECK (skipped_events >= 0),
    -- When the cursor last moved.
    update_time    timestamptz NOT NULL DEFAULT now()
);

-- Of the events consumed, those whose event id had been applied already (a replay after the
-- cursor was reset): passed over without calling the handler.
ALTER TABLE feed_cursors ADD COLUMN IF NOT EXISTS duplicate_events bigint NOT NULL DEFAULT 0
    CHECK (duplicate_events >= 0);
-- When the last event consumed was written at its source: with update_time, the feed's lag. NULL
-- before the first event, and on rows last moved by a follower older than this column.
ALTER TABLE feed_cursors ADD COLUMN IF NOT EXISTS last_event_time timestamptz;

-- The ids of the events applied recently, per feed: an event that comes again under another cursor
-- changes nothing. Pruned after the follower's dedupe window (default 7 days).
CREATE TABLE IF NOT EXISTS feed_applied_events (
    feed       text        NOT NULL,
    event_id   text        NOT NULL,
    apply_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feed, event_id)
);
CREATE INDEX IF NOT EXISTS feed_applied_events_apply_time ON feed_applied_events (apply_time);
