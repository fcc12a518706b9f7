-- The catalog as events: items gain what other services need to check orders and recipes
-- against (ItemDefined carries it): intermediates (made, used in recipes, not sold), a
-- plausibility bound per order line, an active flag, and a revision that grows with every
-- change so replicas keep the newest definition.
ALTER TABLE items DROP CONSTRAINT items_kind_check;
ALTER TABLE items ADD CONSTRAINT items_kind_check CHECK (kind IN ('raw', 'finished', 'intermediate'));
ALTER TABLE items ADD COLUMN max_order_quantity NUMERIC(18, 6) CHECK (max_order_quantity > 0);
ALTER TABLE items ADD COLUMN active BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE items ADD COLUMN revision INT NOT NULL DEFAULT 1 CHECK (revision >= 1);
ALTER TABLE items ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
