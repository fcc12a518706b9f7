-- Holds and recalls. A held lot is neither allocated nor consumed (every query that picks
-- lots says `NOT on_hold`); what is already allocated in it stays set aside and waits.
-- `hold_seq` grows with every hold and release: LotHeld / LotReleased travel on two topics
-- and consumers keep the highest.
ALTER TABLE lots
    ADD COLUMN on_hold     BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN hold_reason TEXT,
    ADD COLUMN hold_recall_id TEXT,
    ADD COLUMN held_at     TIMESTAMPTZ,
    ADD COLUMN hold_seq    INT NOT NULL DEFAULT 0 CHECK (hold_seq >= 0),
    ADD CONSTRAINT lot_hold_says_why CHECK (NOT on_hold OR hold_reason IS NOT NULL);
-- Lots are looked up by the number printed on the label, ours or the supplier's.
CREATE INDEX lots_supplier_lot_no ON lots (supplier_lot_no) WHERE supplier_lot_no IS NOT NULL;
CREATE INDEX lots_lot_no ON lots (lot_no);
-- The quote's partial index must not offer held stock either.
DROP INDEX lots_free;
CREATE INDEX lots_free ON lots (sku, expiry_date) WHERE on_hand > reserved + allocated AND NOT on_hold;

-- A recall's remaining stock is written off as `disposal` (takes stock away, like a shipment).
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_kind_check;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_kind_check
    CHECK (kind IN ('receipt', 'production', 'consumption', 'shipment', 'disposal'));
ALTER TABLE stock_movements DROP CONSTRAINT movement_sign;
ALTER TABLE stock_movements ADD CONSTRAINT movement_sign CHECK (
    (kind IN ('receipt', 'production') AND quantity > 0)
    OR (kind IN ('consumption', 'shipment', 'disposal') AND quantity < 0)
);
CREATE UNIQUE INDEX stock_movements_one_disposal ON stock_movements (lot_id) WHERE kind = 'disposal';

CREATE TABLE recalls (
    recall_id   TEXT PRIMARY KEY,
    lot_id      TEXT NOT NULL REFERENCES lots (lot_id),
    reason      TEXT NOT NULL CHECK (reason <> ''),
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    disposition TEXT CHECK (disposition IN ('dispose', 'release')),
    opened_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at   TIMESTAMPTZ,
    CHECK ((status = 'closed') = (disposition IS NOT NULL AND closed_at IS NOT NULL))
);

-- The lots a recall put on hold: the recalled lot and every lot made from it.
CREATE TABLE recall_lots (
    recall_id TEXT NOT NULL REFERENCES recalls (recall_id),
    lot_id    TEXT NOT NULL REFERENCES lots (lot_id),
    PRIMARY KEY (recall_id, lot_id)
);

-- The customers who had received goods of those lots when the recall opened (per order).
CREATE TABLE recall_customers (
    recall_id  TEXT NOT NULL REFERENCES recalls (recall_id),
    order_id   TEXT NOT NULL,
    order_no   TEXT NOT NULL,
    customer   TEXT NOT NULL DEFAULT '',
    goods      JSONB NOT NULL,
    state      TEXT NOT NULL DEFAULT 'notified' CHECK (state IN ('notified', 'acknowledged', 'returned')),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (recall_id, order_id)
);
