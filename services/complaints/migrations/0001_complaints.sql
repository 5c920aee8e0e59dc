-- Complaints, inquiries, suggestions and claims (issue: complaints service). Enums are stored by
-- name, so the data reads well in psql; times are timestamptz; money is integer fen.

CREATE SEQUENCE complaint_number_seq;

CREATE TABLE complaints (
    id                       uuid        PRIMARY KEY,
    complaint_number         text        NOT NULL UNIQUE,
    kind                     text        NOT NULL
                                         CHECK (kind IN ('COMPLAINT', 'INQUIRY', 'SUGGESTION', 'CLAIM')),
    channel                  text        NOT NULL,
    category                 text        NOT NULL,
    customer_id              uuid        NOT NULL,
    order_id                 uuid,
    order_number             text,
    tracking_number          text,
    subject                  text        NOT NULL,
    description              text        NOT NULL DEFAULT '',
    status                   text        NOT NULL,
    -- Where a PENDING_CUSTOMER complaint goes back to; NULL in every other status.
    paused_in                text,
    priority                 text        NOT NULL,
    priority_override_reason text        NOT NULL DEFAULT '',
    assigned_agent           text        NOT NULL DEFAULT '',
    assigned_team            text        NOT NULL DEFAULT '',
    -- The shipment at filing (logistics.complaints.v1.ShipmentEvidence, encoded): a snapshot,
    -- written once.
    evidence                 bytea,
    -- The investigation (RecordInvestigation), replaced as a whole.
    findings                 text,
    responsible_party        text,
    root_cause               text,
    investigated_by          text,
    investigate_time         timestamptz,
    -- The proposal (actions with their amounts in fen, the message, who and when) as JSON,
    -- replaced as a whole.
    proposal                 jsonb,
    resolution_feedback      text        NOT NULL DEFAULT '',
    -- The SLA targets in business minutes, fixed at filing (or when staff set the priority).
    first_response_target    bigint      NOT NULL CHECK (first_response_target > 0),
    resolution_target        bigint      NOT NULL CHECK (resolution_target > 0),
    -- Where each running clock reaches 80%, 100% and 200% of its target on the current calendar;
    -- NULL while it is paused or stopped. Kept by every write and by the SLA sweep, so queues
    -- (due soon, breached) and the sweep read indexes instead of recomputing every clock.
    first_response_warn_at   timestamptz,
    first_response_due_at    timestamptz,
    first_response_double_at timestamptz,
    resolution_warn_at       timestamptz,
    resolution_due_at        timestamptz,
    resolution_double_at     timestamptz,
    -- Whether each clock went past its target, kept once known (a stopped clock stays breached).
    first_response_breached  boolean     NOT NULL DEFAULT false,
    resolution_breached      boolean     NOT NULL DEFAULT false,
    -- What the sweep already did, so each warning and escalation happens once per clock.
    first_response_warned    boolean     NOT NULL DEFAULT false,
    resolution_warned        boolean     NOT NULL DEFAULT false,
    first_response_level     smallint    NOT NULL DEFAULT 0 CHECK (first_response_level BETWEEN 0 AND 2),
    resolution_level         smallint    NOT NULL DEFAULT 0 CHECK (resolution_level BETWEEN 0 AND 2),
    resolution_count         integer     NOT NULL DEFAULT 0,
    reopen_count             integer     NOT NULL DEFAULT 0,
    file_time                timestamptz NOT NULL,
    first_response_time      timestamptz,
    resolve_time             timestamptz,
    close_time               timestamptz,
    update_time              timestamptz NOT NULL,
    filed_by                 text        NOT NULL,
    version                  bigint      NOT NULL DEFAULT 1
);

CREATE INDEX complaints_file_time ON complaints (file_time DESC, id DESC);
CREATE INDEX complaints_customer ON complaints (customer_id, file_time DESC);
CREATE INDEX complaints_order ON complaints (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX complaints_order_number ON complaints (order_number) WHERE order_number IS NOT NULL;
CREATE INDEX complaints_tracking_number ON complaints (tracking_number)
    WHERE tracking_number IS NOT NULL;
CREATE INDEX complaints_agent ON complaints (assigned_agent) WHERE assigned_agent <> '';
-- The sweep's work: open complaints whose next warning, breach or double breach has come.
CREATE INDEX complaints_first_response_clock ON complaints (first_response_warn_at)
    WHERE first_response_warn_at IS NOT NULL;
CREATE INDEX complaints_resolution_clock ON complaints (resolution_warn_at)
    WHERE resolution_warn_at IS NOT NULL;
CREATE INDEX complaints_auto_close ON complaints (resolve_time) WHERE status = 'RESOLVED';

-- The stretches a complaint waited for the customer: the clocks do not count them. A running
-- pause has no resume_time; a complaint has at most one.
CREATE TABLE complaint_pauses (
    complaint_id uuid        NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
    pause_time   timestamptz NOT NULL,
    resume_time  timestamptz CHECK (resume_time >= pause_time),
    PRIMARY KEY (complaint_id, pause_time)
);
CREATE UNIQUE INDEX complaint_pauses_one_running ON complaint_pauses (complaint_id)
    WHERE resume_time IS NULL;

-- A claim (索赔) of a CLAIM complaint.
CREATE TABLE claims (
    complaint_id      uuid        PRIMARY KEY REFERENCES complaints (id) ON DELETE CASCADE,
    claimed_fen       bigint      NOT NULL CHECK (claimed_fen > 0),
    evidence          text[]      NOT NULL,
    status            text        NOT NULL
                                  CHECK (status IN ('SUBMITTED', 'UNDER_REVIEW', 'APPROVED', 'REJECTED', 'PAID')),
    window_end        timestamptz NOT NULL,
    -- The goods' declared value at filing, which caps an approval; NULL when none was declared.
    declared_value_fen bigint,
    approved_fen      bigint      CHECK (approved_fen > 0 AND approved_fen <= claimed_fen),
    rejection_reason  text,
    reviewed_by       text,
    review_time       timestamptz,
    payment_reference text,
    pay_time          timestamptz
);

-- The customer's ratings, one per resolution; the latest counts.
CREATE TABLE ratings (
    complaint_id      uuid        NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
    resolution_number integer     NOT NULL,
    score             smallint    NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment           text        NOT NULL DEFAULT '',
    rated_by          text        NOT NULL,
    rate_time         timestamptz NOT NULL,
    PRIMARY KEY (complaint_id, resolution_number)
);

-- Who did what, when: every step of every complaint.
CREATE TABLE complaint_audit (
    id           bigserial   PRIMARY KEY,
    complaint_id uuid        NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
    action       text        NOT NULL,
    actor        text        NOT NULL,
    occur_time   timestamptz NOT NULL,
    from_status  text,
    to_status    text,
    detail       text        NOT NULL DEFAULT ''
);
CREATE INDEX complaint_audit_complaint ON complaint_audit (complaint_id, id);

-- The business calendar, one row per version; the highest is current. The document is the
-- calendar as JSON (time zone, week, holidays, make-up days).
CREATE TABLE business_calendars (
    version     integer     PRIMARY KEY CHECK (version > 0),
    calendar    jsonb       NOT NULL,
    updated_by  text        NOT NULL,
    update_time timestamptz NOT NULL
);

-- The SLA policy, one row per version; the highest is current.
CREATE TABLE sla_policies (
    version     integer     PRIMARY KEY CHECK (version > 0),
    policy      jsonb       NOT NULL,
    updated_by  text        NOT NULL,
    update_time timestamptz NOT NULL
);
