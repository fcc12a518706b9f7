-- Make to stock (inventory's ReorderPointReached): what a reorder point asks purchasing to
-- buy, per crossing and material. A material below its own point wants its target level; a
-- batch for stock waiting for materials wants what its batch requires of each short one.
-- Open until a purchase order for the material is sent (`ordered`) or inventory planned the
-- batch after all (`closed`, ReplenishmentPlanned).
CREATE TABLE reorder_requests (
    replenishment_id  TEXT NOT NULL,
    material_sku      TEXT NOT NULL,
    -- material: its own reorder point was crossed; stock_batch: a batch for `for_sku` waits for it
    kind              TEXT NOT NULL CHECK (kind IN ('material', 'stock_batch')),
    for_sku           TEXT NOT NULL,
    wanted            NUMERIC(18, 6) NOT NULL CHECK (wanted > 0),
    unit              TEXT NOT NULL,
    reorder_point     NUMERIC(18, 6),
    raised_at         TIMESTAMPTZ NOT NULL,
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'ordered', 'closed')),
    purchase_order_id TEXT,
    closed_at         TIMESTAMPTZ,
    PRIMARY KEY (replenishment_id, material_sku)
);
CREATE INDEX reorder_requests_open ON reorder_requests (material_sku) WHERE status = 'open';
