-- The number of a cancelled order (OrderCancelled.order_no), so that a batch its cancellation
-- cancels, also one born cancelled from a reservation that came later, names the order the
-- way people do. NULL for orders cancelled before (and by producers older than the field).
ALTER TABLE cancelled_orders ADD COLUMN order_no TEXT;
