-- What AddContact first answered, so a retry with the same request_id answers the same even after
-- the contact changed (AIP-155). Sealed exactly as in contacts, deleted with the contact (so
-- RemoveContact and erasure take it along) and pruned once its request id has expired.

CREATE TABLE contact_first_answers (
    id           uuid        PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,
    customer_id  uuid        NOT NULL,
    name_sealed  bytea       NOT NULL,
    phone_sealed bytea,
    email_sealed bytea,
    role         text        NOT NULL,
    is_primary   boolean     NOT NULL,
    version      bigint      NOT NULL,
    create_time  timestamptz NOT NULL,
    update_time  timestamptz NOT NULL
);
CREATE INDEX contact_first_answers_create_time ON contact_first_answers (create_time);
