-- Engagement (issue: customers service, items 6-8): the interaction log, follow-ups (return visits)
-- and satisfaction surveys, with the monthly survey samples.

-- Every contact with a customer. Listed newest first, overall or per customer or agent.
CREATE TABLE interactions (
    id          uuid        PRIMARY KEY,
    customer_id uuid        NOT NULL REFERENCES customers (id),
    channel     text        NOT NULL
                            CHECK (channel IN ('PHONE', 'EMAIL', 'VISIT', 'LETTER', 'ONLINE_CHAT', 'HOTLINE')),
    direction   text        NOT NULL CHECK (direction IN ('INBOUND', 'OUTBOUND')),
    subject     text        NOT NULL,
    summary     text        NOT NULL DEFAULT '',
    agent       text        NOT NULL,
    occur_time  timestamptz NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now()
);
-- Keyset pagination reads (occur_time, id) backwards; the filtered variants lead with their column.
CREATE INDEX interactions_occur_time ON interactions (occur_time, id);
CREATE INDEX interactions_customer ON interactions (customer_id, occur_time, id);
CREATE INDEX interactions_agent ON interactions (agent, occur_time, id);

-- Return visits. review_month is set only on the monthly PERIODIC_REVIEW the sweep creates for a
-- KEY customer, and its unique index is what makes that "at most one per customer and month" even
-- when two sweeps run at once.
CREATE TABLE follow_ups (
    id            uuid        PRIMARY KEY,
    customer_id   uuid        NOT NULL REFERENCES customers (id),
    reason        text        NOT NULL
                              CHECK (reason IN ('THANK_YOU_AFTER_DELIVERY', 'COMPLAINT_RESOLVED',
                                                'PERIODIC_REVIEW', 'OTHER')),
    status        text        NOT NULL
                              CHECK (status IN ('SCHEDULED', 'COMPLETED', 'MISSED', 'CANCELLED')),
    due_time      timestamptz NOT NULL,
    agent         text        NOT NULL DEFAULT '',
    notes         text        NOT NULL DEFAULT '',
    reference     text        NOT NULL DEFAULT '',
    outcome       text        NOT NULL DEFAULT '',
    outcome_notes text        NOT NULL DEFAULT '',
    complete_time timestamptz,
    cancel_time   timestamptz,
    review_month  text        CHECK (review_month ~ '^[0-9]{4}-[0-9]{2}$'),
    version       bigint      NOT NULL DEFAULT 1,
    create_time   timestamptz NOT NULL DEFAULT now(),
    update_time   timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'COMPLETED') = (complete_time IS NOT NULL)),
    CHECK ((status = 'CANCELLED') = (cancel_time IS NOT NULL))
);
CREATE INDEX follow_ups_due_time ON follow_ups (due_time, id);
CREATE INDEX follow_ups_customer ON follow_ups (customer_id, due_time, id);
CREATE INDEX follow_ups_agent ON follow_ups (agent, due_time, id);
-- The sweep and overdue lists look only at what is still open.
CREATE INDEX follow_ups_scheduled ON follow_ups (due_time, id) WHERE status = 'SCHEDULED';
CREATE UNIQUE INDEX follow_ups_one_review_a_month ON follow_ups (customer_id, review_month)
    WHERE review_month IS NOT NULL;

-- Satisfaction survey answers, five scores 1-5 each.
CREATE TABLE surveys (
    id             uuid        PRIMARY KEY,
    customer_id    uuid        NOT NULL REFERENCES customers (id),
    follow_up_id   uuid        REFERENCES follow_ups (id),
    timeliness     smallint    NOT NULL CHECK (timeliness BETWEEN 1 AND 5),
    cargo_safety   smallint    NOT NULL CHECK (cargo_safety BETWEEN 1 AND 5),
    staff_attitude smallint    NOT NULL CHECK (staff_attitude BETWEEN 1 AND 5),
    price          smallint    NOT NULL CHECK (price BETWEEN 1 AND 5),
    information    smallint    NOT NULL CHECK (information BETWEEN 1 AND 5),
    comment        text        NOT NULL DEFAULT '',
    agent          text        NOT NULL DEFAULT '',
    survey_time    timestamptz NOT NULL,
    create_time    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX surveys_survey_time ON surveys (survey_time, id);
CREATE INDEX surveys_customer ON surveys (customer_id, survey_time, id);

-- Customers picked for a month's survey calls. The unique key is the rule "never the same customer
-- twice in a month"; pick_order keeps the order of picking per manager so a later, larger sample
-- extends the earlier one instead of replacing it.
CREATE TABLE survey_samples (
    month           text        NOT NULL CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
    customer_id     uuid        NOT NULL REFERENCES customers (id),
    account_manager text        NOT NULL,
    pick_order      integer     NOT NULL,
    pick_time       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (month, customer_id),
    UNIQUE (month, account_manager, pick_order)
);
