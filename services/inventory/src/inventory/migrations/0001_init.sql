-- Inventory: items, lots and their ledger, the recipe replica, production plans, the
-- demand of order lines, material reservations and finished-goods allocations.
-- Quantities are NUMERIC(18,6) in the item's base unit. The stock invariants live here as
-- CHECK constraints so no code path (or concurrent race) can break them.

CREATE TABLE items (
    sku                     TEXT PRIMARY KEY,
    name                    TEXT NOT NULL,
    kind                    TEXT NOT NULL CHECK (kind IN ('raw', 'finished')),
    base_unit               TEXT NOT NULL CHECK (base_unit IN ('kg', 'g', 'L', 'mL', 'pcs')),
    shelf_life_days         INT CHECK (shelf_life_days > 0),
    supplier_lead_time_days INT CHECK (supplier_lead_time_days >= 0),
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE lots (
    lot_id          TEXT PRIMARY KEY,
    sku             TEXT NOT NULL REFERENCES items (sku),
    lot_no          TEXT NOT NULL,
    supplier_lot_no TEXT,
    source          TEXT NOT NULL CHECK (source IN ('receipt', 'production')),
    -- The batch that made this lot (finished lots only): one lot per batch.
    batch_id        TEXT UNIQUE,
    received_date   DATE NOT NULL,
    expiry_date     DATE,
    -- Cache of SUM(stock_movements.quantity) for the lot, kept in the same transaction.
    on_hand         NUMERIC(18, 6) NOT NULL DEFAULT 0,
    reserved        NUMERIC(18, 6) NOT NULL DEFAULT 0,
    allocated       NUMERIC(18, 6) NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (sku, lot_no),
    CONSTRAINT lot_on_hand_not_negative CHECK (on_hand >= 0),
    CONSTRAINT lot_reserved_not_negative CHECK (reserved >= 0),
    CONSTRAINT lot_allocated_not_negative CHECK (allocated >= 0),
    CONSTRAINT lot_set_aside_within_on_hand CHECK (reserved + allocated <= on_hand)
);
CREATE INDEX lots_fefo ON lots (sku, expiry_date NULLS LAST, received_date, lot_no);

CREATE TABLE stock_movements (
    movement_id   BIGSERIAL PRIMARY KEY,
    lot_id        TEXT NOT NULL REFERENCES lots (lot_id),
    sku           TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('receipt', 'production', 'consumption', 'shipment')),
    quantity      NUMERIC(18, 6) NOT NULL,
    order_id      TEXT,
    shipment_id   TEXT,
    batch_id      TEXT,
    allocation_id TEXT,
    note          TEXT NOT NULL DEFAULT '',
    event_id      UUID,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Receipts and production add stock, consumption and shipment take it away.
    CONSTRAINT movement_sign CHECK (
        (kind IN ('receipt', 'production') AND quantity > 0)
        OR (kind IN ('consumption', 'shipment') AND quantity < 0)
    )
);
CREATE INDEX stock_movements_lot ON stock_movements (lot_id);
CREATE INDEX stock_movements_sku ON stock_movements (sku);
CREATE INDEX stock_movements_batch ON stock_movements (batch_id) WHERE batch_id IS NOT NULL;
-- The same fact applied twice must not move stock twice.
CREATE UNIQUE INDEX stock_movements_one_consumption ON stock_movements (lot_id, batch_id) WHERE kind = 'consumption';
CREATE UNIQUE INDEX stock_movements_one_shipment ON stock_movements (allocation_id, shipment_id) WHERE kind = 'shipment';

-- Replica of production's recipes (latest recipe_version wins).
CREATE TABLE recipes (
    sku            TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    recipe_version INT NOT NULL,
    output_unit    TEXT NOT NULL,
    ingredients    JSONB NOT NULL,
    batch_min      NUMERIC(18, 6) NOT NULL,
    batch_multiple NUMERIC(18, 6) NOT NULL,
    expected_yield NUMERIC(18, 6) NOT NULL,
    lead_time_days INT NOT NULL,
    shelf_life_days INT,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE order_demands (
    order_id    TEXT PRIMARY KEY,
    order_no    TEXT NOT NULL,
    priority    INT NOT NULL DEFAULT 0,
    placed_at   TIMESTAMPTZ NOT NULL,
    customer    TEXT NOT NULL DEFAULT '',
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE demand_lines (
    order_id         TEXT NOT NULL REFERENCES order_demands (order_id),
    line_no          INT NOT NULL,
    sku              TEXT NOT NULL,
    -- In the item's base unit (`unit`); what the customer typed is kept beside it.
    quantity         NUMERIC(18, 6) NOT NULL CHECK (quantity > 0),
    unit             TEXT NOT NULL,
    ordered_quantity NUMERIC(18, 6) NOT NULL,
    ordered_unit     TEXT NOT NULL,
    -- Quantity waiting for materials (not allocated, not promised) and why.
    waiting          NUMERIC(18, 6) NOT NULL DEFAULT 0 CHECK (waiting >= 0),
    reason           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE line_shortages (
    order_id     TEXT NOT NULL,
    line_no      INT NOT NULL,
    material_sku TEXT NOT NULL,
    required     NUMERIC(18, 6) NOT NULL,
    available    NUMERIC(18, 6) NOT NULL,
    missing      NUMERIC(18, 6) NOT NULL CHECK (missing > 0),
    unit         TEXT NOT NULL,
    PRIMARY KEY (order_id, line_no, material_sku),
    FOREIGN KEY (order_id, line_no) REFERENCES demand_lines (order_id, line_no)
);

-- A production plan is a future batch: plan_id becomes production's batch id.
CREATE TABLE plans (
    plan_id         TEXT PRIMARY KEY,
    sku             TEXT NOT NULL,
    batch_quantity  NUMERIC(18, 6) NOT NULL CHECK (batch_quantity > 0),
    promised        NUMERIC(18, 6) NOT NULL DEFAULT 0,
    unit            TEXT NOT NULL,
    recipe_version  INT NOT NULL,
    lead_time_days  INT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'completed')),
    batch_no        TEXT,
    output_quantity NUMERIC(18, 6),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at    TIMESTAMPTZ,
    CONSTRAINT plan_promised_within_batch CHECK (promised >= 0 AND promised <= batch_quantity)
);
CREATE INDEX plans_open ON plans (sku, created_at) WHERE status = 'planned';

CREATE TABLE promises (
    plan_id   TEXT NOT NULL REFERENCES plans (plan_id),
    order_id  TEXT NOT NULL,
    line_no   INT NOT NULL,
    quantity  NUMERIC(18, 6) NOT NULL CHECK (quantity > 0),
    allocated NUMERIC(18, 6) NOT NULL DEFAULT 0,
    PRIMARY KEY (plan_id, order_id, line_no),
    FOREIGN KEY (order_id, line_no) REFERENCES demand_lines (order_id, line_no),
    CONSTRAINT promise_allocated_within CHECK (allocated >= 0 AND allocated <= quantity)
);

CREATE TABLE reservations (
    reservation_id TEXT PRIMARY KEY,
    plan_id        TEXT NOT NULL REFERENCES plans (plan_id),
    lot_id         TEXT NOT NULL REFERENCES lots (lot_id),
    sku            TEXT NOT NULL,
    quantity       NUMERIC(18, 6) NOT NULL CHECK (quantity > 0),
    consumed       NUMERIC(18, 6) NOT NULL DEFAULT 0 CHECK (consumed >= 0),
    released       NUMERIC(18, 6) NOT NULL DEFAULT 0 CHECK (released >= 0),
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (plan_id, lot_id)
);
CREATE INDEX reservations_lot ON reservations (lot_id);

CREATE TABLE allocations (
    allocation_id TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL,
    line_no       INT NOT NULL,
    lot_id        TEXT NOT NULL REFERENCES lots (lot_id),
    sku           TEXT NOT NULL,
    quantity      NUMERIC(18, 6) NOT NULL CHECK (quantity > 0),
    shipped       NUMERIC(18, 6) NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'allocated' CHECK (status IN ('allocated', 'shipped')),
    plan_id       TEXT,
    shipment_id   TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    shipped_at    TIMESTAMPTZ,
    FOREIGN KEY (order_id, line_no) REFERENCES demand_lines (order_id, line_no),
    CONSTRAINT allocation_shipped_within CHECK (shipped >= 0 AND shipped <= quantity)
);
CREATE INDEX allocations_order ON allocations (order_id);
CREATE INDEX allocations_lot ON allocations (lot_id);

-- Batches whose completion was applied (guards a replayed BatchCompleted).
CREATE TABLE completed_batches (
    batch_id         TEXT PRIMARY KEY,
    batch_no         TEXT NOT NULL,
    sku              TEXT NOT NULL,
    planned_quantity NUMERIC(18, 6) NOT NULL,
    output_quantity  NUMERIC(18, 6) NOT NULL,
    waste_quantity   NUMERIC(18, 6) NOT NULL,
    unit             TEXT NOT NULL,
    finished_lot_id  TEXT REFERENCES lots (lot_id),
    -- Promised quantity the output could not cover (yield shortfall), left outstanding.
    shortfall        NUMERIC(18, 6) NOT NULL DEFAULT 0,
    completed_at     TIMESTAMPTZ NOT NULL
);
