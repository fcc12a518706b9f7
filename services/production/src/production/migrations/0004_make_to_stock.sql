-- Make to stock: a batch planned by a reorder point (inventory's ReplenishmentPlanned) is
-- made for stock. It shares the queue (and capacity) with batches for orders, may be covered
-- by orders promised against it later, and is never cancelled by an order's cancellation.
ALTER TABLE batches ADD COLUMN purpose TEXT NOT NULL DEFAULT 'order' CHECK (purpose IN ('order', 'stock'));
