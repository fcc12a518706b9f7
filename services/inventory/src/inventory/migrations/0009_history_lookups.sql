-- Lookups every saga runs, by columns no index led with, so each read the whole history:
-- a line's promises (what of it is promised, when its lines are retried) by the line, not by
-- the plan the primary key leads with; and whether a shipment was applied already (every
-- Shipped) by the shipment.
CREATE INDEX promises_line ON promises (order_id, line_no);
CREATE INDEX stock_movements_shipment ON stock_movements (shipment_id, allocation_id) WHERE shipment_id IS NOT NULL;
