-- Make to stock: reorder rules per item, the replenishments they raised, and plans (future
-- batches) made for stock instead of for an order.

-- One rule per item, in the item's base unit. Either a fixed target (min/max) or a target
-- from recent demand (days of cover over a lookback window); the point is always explicit.
CREATE TABLE reorder_rules (
    sku            TEXT PRIMARY KEY REFERENCES items (sku),
    reorder_point  NUMERIC(18, 6) NOT NULL CHECK (reorder_point >= 0),
    target         NUMERIC(18, 6) CHECK (target >= 0),
    days_of_cover  INT CHECK (days_of_cover > 0),
    lookback_days  INT NOT NULL DEFAULT 28 CHECK (lookback_days > 0),
    unit           TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT reorder_rule_one_kind CHECK ((target IS NULL) <> (days_of_cover IS NULL)),
    CONSTRAINT reorder_target_not_below_point CHECK (target IS NULL OR target >= reorder_point)
);

-- Each crossing of a reorder point, and what was done about it. At most one open
-- (waiting | suggested) per item: that is "exactly one replenishment per crossing".
CREATE TABLE replenishments (
    replenishment_id TEXT PRIMARY KEY,
    sku              TEXT NOT NULL REFERENCES items (sku),
    action           TEXT NOT NULL CHECK (action IN ('batch', 'purchase')),
    -- planned: a batch for stock exists (plan_id); waiting: its materials are short (retried
    -- when supply appears); suggested: purchasing was asked to buy; closed: the position is
    -- back at or above the point (a suggestion), or the rule was deleted.
    status           TEXT NOT NULL CHECK (status IN ('planned', 'waiting', 'suggested', 'closed')),
    unit             TEXT NOT NULL,
    on_hand_free     NUMERIC(18, 6) NOT NULL,
    open_supply      NUMERIC(18, 6) NOT NULL,
    reorder_point    NUMERIC(18, 6) NOT NULL,
    target           NUMERIC(18, 6) NOT NULL,
    quantity         NUMERIC(18, 6) NOT NULL CHECK (quantity > 0),
    plan_id          TEXT REFERENCES plans (plan_id),
    shortages        JSONB NOT NULL DEFAULT '[]'::jsonb,
    reached_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status = 'planned') = (plan_id IS NOT NULL))
);
CREATE UNIQUE INDEX replenishments_one_open ON replenishments (sku) WHERE status IN ('waiting', 'suggested');
CREATE INDEX replenishments_by_sku ON replenishments (sku, reached_at);

-- A plan for stock covers no order when it is made; orders may be promised against it later.
ALTER TABLE plans ADD COLUMN purpose TEXT NOT NULL DEFAULT 'order' CHECK (purpose IN ('order', 'stock'));
