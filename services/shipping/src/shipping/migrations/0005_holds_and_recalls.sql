-- Holds (inventory's LotHeld / LotReleased): a prepared shipment carrying a held lot is
-- blocked (shown as `blocked`, refused at ship) until the hold ends. Kept per lot with the
-- highest hold_seq seen: the two events travel on two topics and may arrive in either order.
CREATE TABLE held_lots (
    lot_id     TEXT PRIMARY KEY,
    lot_no     TEXT NOT NULL,
    sku        TEXT NOT NULL,
    held       BOOLEAN NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    recall_id  TEXT,
    hold_seq   INT NOT NULL CHECK (hold_seq >= 1),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX shipment_lines_lot ON shipment_lines (lot_id);
-- A recall e-mail (kind `recall`) is once per recall and order: dedup_key = the recall id,
-- under the unique (order_id, kind, dedup_key) index of 0004.
