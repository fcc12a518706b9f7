-- Inventory's replica of open purchase order lines (PurchaseOrderPlaced / PurchaseOrderCancelled
-- from purchasing): expected supply that dates waiting lines and quotes, and the limit a goods
-- receipt against a PO line is checked against. Quantities in the item's base unit;
-- `received` grows with this service's own receipts against the line.
CREATE TABLE po_lines (
    purchase_order_id TEXT NOT NULL,
    line_no           INT NOT NULL CHECK (line_no >= 1),
    po_no             TEXT NOT NULL,
    sku               TEXT NOT NULL,
    quantity          NUMERIC(18, 6) NOT NULL CHECK (quantity > 0),
    unit              TEXT NOT NULL,
    received          NUMERIC(18, 6) NOT NULL DEFAULT 0 CHECK (received >= 0),
    receipt_tolerance NUMERIC(7, 6) NOT NULL DEFAULT 0 CHECK (receipt_tolerance >= 0),
    expected_date     DATE NOT NULL,
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'cancelled')),
    placed_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (purchase_order_id, line_no),
    -- The tolerance is enforced under the line's row lock; this is the backstop.
    CHECK (received <= quantity * (1 + receipt_tolerance))
);
CREATE INDEX po_lines_open ON po_lines (sku, expected_date) WHERE status = 'open';

-- A cancellation may overtake its placement (another topic): remembered, the PO is then never opened.
CREATE TABLE cancelled_purchase_orders (
    purchase_order_id TEXT PRIMARY KEY,
    cancelled_at      TIMESTAMPTZ NOT NULL
);
