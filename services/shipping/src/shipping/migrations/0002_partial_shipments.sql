-- Partial shipments (backorders): an order may have several shipments, numbered per order.

-- What the latest allocation says, kept monotonic: once inventory reported the order fully
-- allocated with nothing outstanding, the shipment that carries the rest completes it.
ALTER TABLE orders ADD COLUMN allocation_complete BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE shipments DROP CONSTRAINT shipments_order_id_key;
-- 1, 2, ... per order; the shipment id is derived from (order id, seq).
ALTER TABLE shipments ADD COLUMN seq INT NOT NULL DEFAULT 1 CHECK (seq >= 1);
ALTER TABLE shipments ADD CONSTRAINT shipments_order_seq UNIQUE (order_id, seq);
-- Set when the shipment leaves: whether it completed the order (Shipped.complete).
ALTER TABLE shipments ADD COLUMN complete BOOLEAN;
CREATE INDEX shipments_by_order ON shipments (order_id);
-- At most one shipment of an order is being prepared; new allocations go into it.
CREATE UNIQUE INDEX shipments_one_prepared_per_order ON shipments (order_id) WHERE status = 'prepared';

-- Until now shipments were prepared only for fully allocated orders and always complete.
INSERT INTO orders (order_id, allocation_complete)
SELECT DISTINCT order_id, true FROM shipments
ON CONFLICT (order_id) DO UPDATE SET allocation_complete = true;
UPDATE shipments SET complete = true WHERE status IN ('shipped', 'delivered');

ALTER TABLE shipments ADD CONSTRAINT shipments_left_says_complete
    CHECK (status IN ('prepared', 'cancelled') OR complete IS NOT NULL);
