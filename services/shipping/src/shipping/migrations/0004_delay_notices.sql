-- A customer e-mail about an order whose expected date slipped past its promise
-- (PromiseChanged): it belongs to the order, not to a shipment, and is sent once per new
-- expected date whatever the redeliveries (unique per order, kind and date).
ALTER TABLE notifications ALTER COLUMN shipment_id DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN dedup_key TEXT;
ALTER TABLE notifications ADD COLUMN promised_date DATE;
ALTER TABLE notifications ADD COLUMN expected_date DATE;
CREATE UNIQUE INDEX notifications_once_per_date ON notifications (order_id, kind, dedup_key) WHERE dedup_key IS NOT NULL;
