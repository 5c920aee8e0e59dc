-- Contacts (issue: customers service, item 1). Name, phone and email are personal data: stored
-- only sealed by logistics_platform::pii (AES-256-GCM, key id in each value), never in plaintext.
-- Exact lookups use keyed hashes (HMAC-SHA256 under a separate key) of the normalized values.

CREATE TABLE contacts (
    id           uuid        PRIMARY KEY,
    customer_id  uuid        NOT NULL REFERENCES customers (id),
    name_sealed  bytea       NOT NULL,
    phone_sealed bytea,
    email_sealed bytea,
    phone_lookup bytea,
    email_lookup bytea,
    role         text        NOT NULL DEFAULT '',
    is_primary   boolean     NOT NULL DEFAULT false,
    version      bigint      NOT NULL DEFAULT 1,
    create_time  timestamptz NOT NULL DEFAULT now(),
    update_time  timestamptz NOT NULL DEFAULT now(),
    CHECK (phone_sealed IS NOT NULL OR email_sealed IS NOT NULL),
    CHECK ((phone_sealed IS NULL) = (phone_lookup IS NULL)),
    CHECK ((email_sealed IS NULL) = (email_lookup IS NULL))
);
-- Ids are UUIDv7, so (customer_id, id) lists a customer's contacts oldest first.
CREATE INDEX contacts_customer ON contacts (customer_id, id);
CREATE INDEX contacts_phone_lookup ON contacts (phone_lookup) WHERE phone_lookup IS NOT NULL;
CREATE INDEX contacts_email_lookup ON contacts (email_lookup) WHERE email_lookup IS NOT NULL;
-- At most one main contact per customer.
CREATE UNIQUE INDEX contacts_one_primary ON contacts (customer_id) WHERE is_primary;

-- When the customer's personal data was erased (EraseCustomerPersonalData); NULL if never.
ALTER TABLE customers ADD COLUMN erase_time timestamptz;
