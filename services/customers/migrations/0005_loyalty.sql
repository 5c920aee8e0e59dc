-- Loyalty points (issue: customers service, item 9): a ledger of movements, and lots of earned
-- points that expire 365 days after they were earned and are spent oldest first.

-- One row per customer with points; locked by every movement so concurrent ones queue and the
-- balance never goes below zero.
CREATE TABLE loyalty_accounts (
    customer_id     uuid        PRIMARY KEY REFERENCES customers (id),
    -- Sum of the remaining points of lots not yet expired by an EXPIRE movement.
    balance         bigint      NOT NULL DEFAULT 0 CHECK (balance >= 0),
    lifetime_earned bigint      NOT NULL DEFAULT 0 CHECK (lifetime_earned >= 0),
    update_time     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE point_movements (
    id            bigserial   PRIMARY KEY,
    customer_id   uuid        NOT NULL REFERENCES customers (id),
    kind          text        NOT NULL CHECK (kind IN ('EARN', 'REDEEM', 'ADJUST', 'EXPIRE')),
    points        bigint      NOT NULL CHECK (points <> 0),
    balance_after bigint      NOT NULL CHECK (balance_after >= 0),
    reason        text        NOT NULL,
    reference     text        NOT NULL DEFAULT '',
    create_time   timestamptz NOT NULL DEFAULT now(),
    expire_time   timestamptz
);
CREATE INDEX point_movements_customer ON point_movements (customer_id, id);
-- AwardPoints is idempotent per customer and order reference.
CREATE UNIQUE INDEX point_movements_award ON point_movements (customer_id, reference)
    WHERE kind = 'EARN';

-- Points added by an EARN or positive ADJUST movement, and how many of them are left.
CREATE TABLE point_lots (
    id          bigserial   PRIMARY KEY,
    customer_id uuid        NOT NULL REFERENCES customers (id),
    movement_id bigint      NOT NULL REFERENCES point_movements (id),
    points      bigint      NOT NULL CHECK (points > 0),
    remaining   bigint      NOT NULL CHECK (remaining >= 0 AND remaining <= points),
    earn_time   timestamptz NOT NULL,
    expire_time timestamptz NOT NULL
);
CREATE INDEX point_lots_open ON point_lots (customer_id, expire_time, id) WHERE remaining > 0;
CREATE INDEX point_lots_expiry ON point_lots (expire_time) WHERE remaining > 0;
