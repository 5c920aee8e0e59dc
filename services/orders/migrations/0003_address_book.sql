-- Address book (寄送清单): saved addresses per customer. The customer is named by id only: the
-- orders service does not own customers.

-- One row per customer with saved addresses: creates lock it, so the per-customer limit holds
-- under concurrent creates, and default flags move without racing.
CREATE TABLE address_books (
    customer_id uuid PRIMARY KEY
);

CREATE TABLE saved_addresses (
    id                uuid        PRIMARY KEY,
    customer_id       uuid        NOT NULL REFERENCES address_books (customer_id),
    label             text        NOT NULL,
    -- logistics.common.v1.Address as JSON: recipient, lines, city, postal_code, region_code,
    -- country_code.
    address           jsonb       NOT NULL,
    usage             text        NOT NULL CHECK (usage IN ('SENDER', 'RECIPIENT', 'BOTH')),
    default_sender    boolean     NOT NULL DEFAULT false,
    default_recipient boolean     NOT NULL DEFAULT false,
    version           bigint      NOT NULL DEFAULT 1,
    create_time       timestamptz NOT NULL DEFAULT now(),
    update_time       timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT default_sender OR usage IN ('SENDER', 'BOTH')),
    CHECK (NOT default_recipient OR usage IN ('RECIPIENT', 'BOTH'))
);
-- Ids are UUIDv7, so (customer_id, id) lists a customer's addresses oldest first.
CREATE INDEX saved_addresses_customer ON saved_addresses (customer_id, id);
CREATE UNIQUE INDEX saved_addresses_label ON saved_addresses (customer_id, lower(label));
CREATE UNIQUE INDEX saved_addresses_default_sender ON saved_addresses (customer_id)
    WHERE default_sender;
CREATE UNIQUE INDEX saved_addresses_default_recipient ON saved_addresses (customer_id)
    WHERE default_recipient;
