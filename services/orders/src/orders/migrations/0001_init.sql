-- The orders service's own schema. Quantities NUMERIC(18,6); statuses are checked here so a
-- bug in the code cannot store a word the rest of the system does not know.

CREATE SEQUENCE order_no_seq START 1;

CREATE TABLE orders (
    order_id          TEXT PRIMARY KEY,
    order_no          TEXT NOT NULL UNIQUE,
    channel           TEXT NOT NULL DEFAULT 'gateway',
    channel_order_ref TEXT,
    customer          JSONB NOT NULL,
    customer_name     TEXT NOT NULL,
    customer_email    TEXT NOT NULL,
    wanted_date       DATE,
    priority          INT NOT NULL DEFAULT 0,
    placed_at         TIMESTAMPTZ NOT NULL,
    -- What the user sees: derived from `progress` and the lines (awaiting materials wins
    -- until every line is covered).
    status            TEXT NOT NULL DEFAULT 'received',
    -- High-water mark of what the events said; never lowered.
    progress          TEXT NOT NULL DEFAULT 'received',
    fully_allocated_on DATE,
    promised_date     DATE,
    -- Fingerprint of the placing request, to tell a retried POST from a conflicting one.
    content_hash      TEXT NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT orders_status_known CHECK (status IN ('received','awaiting_materials','materials_reserved',
        'in_production','allocated','ready_to_ship','partially_shipped','shipped','delivered','cancelled')),
    CONSTRAINT orders_progress_known CHECK (progress IN ('received','awaiting_materials','materials_reserved',
        'in_production','allocated','ready_to_ship','partially_shipped','shipped','delivered','cancelled'))
);
CREATE INDEX orders_placed_at ON orders (placed_at DESC, order_no DESC);
CREATE INDEX orders_status ON orders (status);
CREATE UNIQUE INDEX orders_channel_ref ON orders (channel, channel_order_ref) WHERE channel_order_ref IS NOT NULL;

CREATE TABLE order_lines (
    order_id        TEXT NOT NULL REFERENCES orders (order_id),
    line_no         INT NOT NULL CHECK (line_no >= 1),
    sku             TEXT NOT NULL,
    quantity        NUMERIC(18,6) NOT NULL CHECK (quantity > 0),
    unit            TEXT NOT NULL CHECK (unit IN ('kg','g','L','mL','pcs')),
    -- Latest MaterialsShort for the line (NULL: never short). Whether it still counts is
    -- decided with the line's plans and allocations (domain.status).
    shortages       JSONB,
    short_reason    TEXT,
    -- From the latest cumulative OrderAllocated: allocated quantity (in `allocated_unit`)
    -- and whether nothing is outstanding any more. fully_allocated never goes back to false.
    allocated_quantity NUMERIC(18,6) NOT NULL DEFAULT 0 CHECK (allocated_quantity >= 0),
    allocated_unit  TEXT,
    fully_allocated BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_sku ON order_lines (sku);

-- Which planned batch (plan id = batch id) makes (part of) which line, and what is known
-- about it: the reservation's estimate, the schedule, start and completion.
CREATE TABLE line_plans (
    order_id          TEXT NOT NULL,
    line_no           INT NOT NULL,
    plan_id           TEXT NOT NULL,
    batch_no          TEXT,
    quantity          NUMERIC(18,6) CHECK (quantity > 0),
    unit              TEXT,
    ready_estimate    DATE,           -- reservation day + lead time (until scheduled)
    planned_end       DATE,
    schedule_seen_at  TIMESTAMPTZ,    -- occurred_at of the BatchScheduled that set planned_end
    started_at        TIMESTAMPTZ,
    completed_at      TIMESTAMPTZ,
    PRIMARY KEY (order_id, line_no, plan_id),
    FOREIGN KEY (order_id, line_no) REFERENCES order_lines (order_id, line_no)
);

CREATE TABLE shipments (
    order_id     TEXT NOT NULL REFERENCES orders (order_id),
    shipment_id  TEXT NOT NULL,
    carrier      TEXT NOT NULL,
    tracking_no  TEXT NOT NULL,
    complete     BOOLEAN NOT NULL,
    shipped_at   TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ,
    PRIMARY KEY (order_id, shipment_id)
);

CREATE TABLE timeline (
    id          BIGSERIAL PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES orders (order_id),
    at          TIMESTAMPTZ NOT NULL,
    status      TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    event_id    UUID NOT NULL,
    producer    TEXT NOT NULL,
    detail      TEXT NOT NULL,
    -- Hash of the event body: the same fact re-emitted under a new event id adds nothing.
    fact_hash   TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (order_id, event_id),
    UNIQUE (order_id, event_type, fact_hash)
);
CREATE INDEX timeline_order_at ON timeline (order_id, at, id);

-- Events about an order this service does not know (yet): kept whole and applied when the
-- order is created here, so every arrival order converges to the same state.
CREATE TABLE parked_events (
    order_id    TEXT NOT NULL,
    event_id    UUID NOT NULL,
    event_type  TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    envelope    JSONB NOT NULL,
    parked_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, event_id)
);
