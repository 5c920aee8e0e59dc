-- Customer records (issue: foundation). Enums are stored by name, so the data reads well in psql.

CREATE SEQUENCE customer_code_seq;

CREATE TABLE customers (
    id              uuid        PRIMARY KEY,
    -- Human-readable code "C" + at least six digits; ordered by its number, not as text.
    code_number     bigint      NOT NULL UNIQUE DEFAULT nextval('customer_code_seq'),
    customer_code   text        NOT NULL UNIQUE
                                GENERATED ALWAYS AS ('C' || lpad(code_number::text, 6, '0')) STORED,
    kind            text        NOT NULL CHECK (kind IN ('INDIVIDUAL', 'ENTERPRISE', 'GOVERNMENT')),
    role            text        NOT NULL CHECK (role IN ('END_CUSTOMER', 'INTERMEDIARY')),
    display_name    text        NOT NULL,
    industry        text        NOT NULL DEFAULT '',
    region_code     text        NOT NULL DEFAULT '',
    status          text        NOT NULL
                                CHECK (status IN ('PROSPECT', 'ACTIVE', 'DORMANT', 'CHURNED', 'BLOCKED')),
    account_manager text        NOT NULL DEFAULT '',
    notes           text        NOT NULL DEFAULT '',
    version         bigint      NOT NULL DEFAULT 1,
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now(),
    delete_time     timestamptz
);

-- One index per list order (keyset pagination reads them in order), and one for name prefixes.
CREATE INDEX customers_create_time ON customers (create_time, id);
CREATE INDEX customers_display_name ON customers (display_name, id);
CREATE INDEX customers_name_prefix ON customers (lower(display_name) text_pattern_ops);
CREATE INDEX customers_region ON customers (region_code);
