-- Tables every service keeps in its own schema: the change-feed outbox and the idempotency keys.
-- Applied by logistics_platform::db::migrate into the service's schema (its search_path).

-- Events written in the same transaction as the change they describe. Readers serve only rows
-- whose transaction id is below the oldest running transaction (see platform::changefeed), ordered
-- by (txid, id): a bigserial alone is not commit order.
CREATE TABLE outbox (
    id          bigserial   PRIMARY KEY,
    txid        xid8        NOT NULL DEFAULT pg_current_xact_id(),
    event_id    uuid        NOT NULL DEFAULT gen_random_uuid(),
    event_type  text        NOT NULL,
    resource_id text        NOT NULL,
    payload     bytea       NOT NULL,
    occur_time  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_txid_id ON outbox (txid, id);

-- AIP-155 request ids: the first response to a create is stored and replayed to retries.
CREATE TABLE idempotency_keys (
    principal    text        NOT NULL,
    method       text        NOT NULL,
    request_id   uuid        NOT NULL,
    request_hash bytea       NOT NULL,
    response     bytea,
    create_time  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, method, request_id)
);
CREATE INDEX idempotency_keys_create_time ON idempotency_keys (create_time);
