-- Each customer's lifecycle status over time, from the customers feed: the churn rate's
-- denominator is the customers ACTIVE when a period starts, which no daily sum can give.
CREATE TABLE customer_status_history (
    customer_id uuid        NOT NULL,
    since       timestamptz NOT NULL,
    status      text        NOT NULL,
    PRIMARY KEY (customer_id, since, status)
);
