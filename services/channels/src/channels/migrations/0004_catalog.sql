-- Channels' replica of inventory's catalog (ItemDefined, newest revision wins): a shop line
-- nobody mapped whose SKU is one of our finished goods sold by the piece maps to it by itself.
CREATE TABLE catalog_items (
    sku        TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    base_unit  TEXT NOT NULL,
    sellable   BOOLEAN NOT NULL,
    active     BOOLEAN NOT NULL,
    revision   INT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Shop SKUs are matched regardless of case (a shop's "lip-balm-15g" is our LIP-BALM-15G).
CREATE INDEX catalog_items_sku_upper ON catalog_items (upper(sku));

-- The SKUs (upper case, trimmed) of the lines that parked an order in needs_mapping, so that an
-- item defined later releases only the orders waiting for it. NULL: parked before this column
-- existed (such an order is decided again on the next item, and gets its SKUs then).
ALTER TABLE shop_orders ADD COLUMN unmapped_skus TEXT[];
-- The needs-mapping queue of every shop, read whenever an item is defined.
CREATE INDEX shop_orders_needs_mapping ON shop_orders (received_at) WHERE status = 'needs_mapping';
