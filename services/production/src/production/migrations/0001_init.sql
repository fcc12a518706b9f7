-- Production owns recipes (every published version), batches (manufacturing orders), the
-- order lines each batch covers, the material lots reserved for it and what it consumed.

-- Every published version of every recipe; the highest version per SKU is in force.
CREATE TABLE recipes (
    sku             TEXT NOT NULL,
    recipe_version  INT NOT NULL CHECK (recipe_version >= 1),
    name            TEXT NOT NULL CHECK (btrim(name) <> ''),
    output_unit     TEXT NOT NULL,
    -- [{sku, quantity, unit}] per one unit of output, as published.
    ingredients     JSONB NOT NULL CHECK (jsonb_typeof(ingredients) = 'array' AND jsonb_array_length(ingredients) > 0),
    batch_min       NUMERIC(18,6) NOT NULL CHECK (batch_min > 0),
    batch_multiple  NUMERIC(18,6) NOT NULL CHECK (batch_multiple > 0),
    expected_yield  NUMERIC(7,6) NOT NULL CHECK (expected_yield > 0 AND expected_yield <= 1),
    lead_time_days  INT NOT NULL CHECK (lead_time_days >= 0),
    shelf_life_days INT CHECK (shelf_life_days >= 1),
    published_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (sku, recipe_version)
);

-- Batch numbers: B<yymmdd>-<nnnn>, nnnn from this sequence (unique across days).
CREATE SEQUENCE batch_no_seq START 1;

CREATE TABLE batches (
    batch_id         TEXT PRIMARY KEY,           -- = inventory's plan_id
    batch_no         TEXT NOT NULL UNIQUE,       -- becomes the finished lot number
    sku              TEXT NOT NULL,
    recipe_version   INT NOT NULL,
    planned_quantity NUMERIC(18,6) NOT NULL CHECK (planned_quantity > 0),
    unit             TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'planned'
                     CHECK (status IN ('planned', 'started', 'completed', 'cancelled')),
    planned_start    DATE NOT NULL,
    planned_end      DATE NOT NULL,
    lead_time_days   INT NOT NULL CHECK (lead_time_days >= 0),
    started_at       TIMESTAMPTZ,
    completed_at     TIMESTAMPTZ,
    output_quantity  NUMERIC(18,6) CHECK (output_quantity >= 0),
    waste_quantity   NUMERIC(18,6) CHECK (waste_quantity >= 0),
    expiry_date      DATE,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (planned_end >= planned_start),
    CHECK (status NOT IN ('started', 'completed') OR started_at IS NOT NULL),
    -- A completed batch has its result; nothing else has one.
    CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
    CHECK (status <> 'completed' OR (output_quantity IS NOT NULL AND waste_quantity IS NOT NULL))
);
-- The capacity count: batches occupying a slot on their start day.
CREATE INDEX batches_load ON batches (planned_start) WHERE status IN ('planned', 'started');
CREATE INDEX batches_by_sku ON batches (sku, status);

-- The order lines a batch covers (make-to-order). One row per batch/order/line, so the
-- same fact delivered twice cannot count twice.
CREATE TABLE batch_covers (
    batch_id   TEXT NOT NULL REFERENCES batches (batch_id),
    order_id   TEXT NOT NULL,
    line_no    INT NOT NULL CHECK (line_no >= 1),
    quantity   NUMERIC(18,6) NOT NULL CHECK (quantity > 0),
    added_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_id, order_id, line_no)
);
CREATE INDEX batch_covers_by_order ON batch_covers (order_id);

-- Material lots reserved for the batch, per order line whose reservation set them aside
-- (so a redelivered reservation replaces itself instead of adding up).
CREATE TABLE batch_materials (
    batch_id    TEXT NOT NULL REFERENCES batches (batch_id),
    order_id    TEXT NOT NULL,
    line_no     INT NOT NULL,
    lot_id      TEXT NOT NULL,
    sku         TEXT NOT NULL,
    lot_no      TEXT NOT NULL,
    quantity    NUMERIC(18,6) NOT NULL CHECK (quantity > 0),
    unit        TEXT NOT NULL,
    expiry_date DATE,
    PRIMARY KEY (batch_id, order_id, line_no, lot_id)
);

-- What the completed batch actually consumed, per lot (backward traceability).
CREATE TABLE batch_consumption (
    batch_id    TEXT NOT NULL REFERENCES batches (batch_id),
    lot_id      TEXT NOT NULL,
    sku         TEXT NOT NULL,
    lot_no      TEXT NOT NULL,
    quantity    NUMERIC(18,6) NOT NULL CHECK (quantity > 0),
    unit        TEXT NOT NULL,
    PRIMARY KEY (batch_id, lot_id)
);
CREATE INDEX batch_consumption_by_lot ON batch_consumption (lot_id);
