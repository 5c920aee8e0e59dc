-- Scorecard templates (绩效考核模板): data users create, not a projection of the feeds, so a
-- rebuild of the projections leaves them alone. Rules are integers: rates in basis points,
-- deductions in hundredths of a point.
CREATE TABLE scorecard_templates (
    id           uuid        PRIMARY KEY,
    display_name text        NOT NULL,
    description  text        NOT NULL,
    creator      text        NOT NULL,
    create_time  timestamptz NOT NULL
);
-- ListScorecardTemplates pages by (create_time, id).
CREATE INDEX scorecard_templates_create_time ON scorecard_templates (create_time, id);

-- A template's KPIs, in the order it shows them.
CREATE TABLE scorecard_template_items (
    template_id           uuid     NOT NULL REFERENCES scorecard_templates (id) ON DELETE CASCADE,
    position              smallint NOT NULL,
    kpi                   text     NOT NULL,
    weight_points         integer  NOT NULL CHECK (weight_points BETWEEN 1 AND 1000),
    direction             text     NOT NULL,
    target_basis_points   integer  NOT NULL CHECK (target_basis_points BETWEEN 0 AND 10000),
    deduction_centipoints integer  NOT NULL CHECK (deduction_centipoints BETWEEN 0 AND 100000),
    floor_basis_points    integer  NOT NULL CHECK (floor_basis_points BETWEEN 0 AND 10000),
    PRIMARY KEY (template_id, position),
    UNIQUE (template_id, kpi)
);
