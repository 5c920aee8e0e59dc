-- Rate cards (quotes): each version a row, the highest in force. Orders keep the version that
-- priced them, so versions are never changed or deleted. The card itself (zones, per-mode terms,
-- lanes, surcharges) is JSON: it is written and read whole. Version 1, the defaults, is inserted
-- by the service at startup when the table is empty.
CREATE TABLE rate_cards (
    version       integer     PRIMARY KEY CHECK (version > 0),
    card          jsonb       NOT NULL,
    -- Who made the version (a principal, or 'defaults'), and why.
    created_by    text        NOT NULL,
    change_reason text        NOT NULL,
    create_time   timestamptz NOT NULL DEFAULT now()
);
