-- Shop orders with a life of their own (paid, cancelled, updated at the shop), deliveries
-- recorded one by one, mappings by product/variant id, connectors that hold API credentials
-- (encrypted by the service before they reach this table) and reconcile on a schedule.

ALTER TABLE connectors
    ADD COLUMN enabled             BOOLEAN NOT NULL DEFAULT true,
    ADD COLUMN shop_id             TEXT,          -- the platform's own shop id (Etsy)
    ADD COLUMN api_key             TEXT,          -- encrypted: WooCommerce consumer key, Etsy keystring
    ADD COLUMN api_secret          TEXT,          -- encrypted: WooCommerce consumer secret
    ADD COLUMN access_token        TEXT,          -- encrypted: Etsy OAuth access token
    ADD COLUMN refresh_token       TEXT,          -- encrypted: Etsy OAuth refresh token
    ADD COLUMN token_expires_at    TIMESTAMPTZ,
    -- The secret replaced by the last rotation, accepted until previous_secret_until so
    -- deliveries signed just before the rotation are not refused.
    ADD COLUMN previous_secret       TEXT,
    ADD COLUMN previous_secret_until TIMESTAMPTZ,
    -- Intake rules: hold_unpaid, skip_test_orders, ignore_non_shipping, ignore_zero_price,
    -- ignore_product_types, ignore_skus (see channels.domain.intake_rules).
    ADD COLUMN rules               JSONB NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN reconcile_from      TIMESTAMPTZ,   -- the next reconciliation asks for orders modified since
    ADD COLUMN reconciled_at       TIMESTAMPTZ,
    ADD COLUMN reconcile_error     TEXT;

-- Map by what the shop sends: its SKU, or (for lines without one) its product or variant id.
-- A mapping may also say "not goods" (gift wrap, tips): sku NULL, ignore true.
ALTER TABLE sku_map ADD COLUMN match_on TEXT NOT NULL DEFAULT 'sku' CHECK (match_on IN ('sku', 'product', 'variant'));
ALTER TABLE sku_map ADD COLUMN ignore BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE sku_map ALTER COLUMN sku DROP NOT NULL;
ALTER TABLE sku_map ADD CONSTRAINT sku_map_target CHECK (ignore OR sku IS NOT NULL);
ALTER TABLE sku_map DROP CONSTRAINT sku_map_pkey;
ALTER TABLE sku_map ADD PRIMARY KEY (channel, shop, match_on, external_sku);

-- The webhook inbox becomes the shop order's record: one row per (channel, shop, order id),
-- holding the newest version the platform sent (judged by the platform's updated_at).
ALTER TABLE webhooks RENAME TO shop_orders;
ALTER TABLE shop_orders RENAME COLUMN webhook_id TO shop_order_id;
ALTER TABLE shop_orders DROP CONSTRAINT webhooks_status_check;
ALTER TABLE shop_orders DROP CONSTRAINT webhooks_check1;
-- Counted as versions arrive (a row is created first, then counted with its first version).
ALTER TABLE shop_orders DROP CONSTRAINT webhooks_deliveries_check;
ALTER TABLE shop_orders ADD CONSTRAINT shop_orders_deliveries CHECK (deliveries >= 0);
UPDATE shop_orders SET status = 'needs_review' WHERE status = 'rejected';
ALTER TABLE shop_orders
    ADD COLUMN reference           TEXT,          -- "#1042"
    ADD COLUMN platform_status     TEXT,
    ADD COLUMN platform_updated_at TIMESTAMPTZ,
    ADD COLUMN source              TEXT NOT NULL DEFAULT 'webhook' CHECK (source IN ('webhook', 'fetch', 'reconcile', 'retry')),
    ADD COLUMN cancelled_at        TIMESTAMPTZ,
    -- Something the shop did that we record but do not apply (a change after acceptance, a
    -- cancellation after shipment); shown to the operator.
    ADD COLUMN attention           TEXT,
    ADD COLUMN updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD CONSTRAINT shop_orders_status CHECK (status IN
        ('received', 'accepted', 'needs_mapping', 'needs_review', 'awaiting_payment', 'test', 'cancelled', 'no_goods')),
    ADD CONSTRAINT shop_orders_reason CHECK (status NOT IN ('needs_mapping', 'needs_review') OR reason IS NOT NULL);
ALTER INDEX webhooks_by_order RENAME TO shop_orders_by_order;
DROP INDEX webhooks_by_status;
CREATE INDEX shop_orders_by_status ON shop_orders (channel, shop, status, received_at);

-- Every delivery as it came (the platforms redeliver with the same delivery id).
CREATE TABLE deliveries (
    id           BIGSERIAL PRIMARY KEY,
    channel      TEXT NOT NULL,
    shop         TEXT NOT NULL,
    delivery_id  TEXT,                 -- X-Shopify-Webhook-Id, X-WC-Webhook-Delivery-ID, webhook-id
    topic        TEXT,
    external_id  TEXT,
    outcome      TEXT NOT NULL,        -- what intake did: accepted, stale, needs_mapping, queued ...
    detail       TEXT,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    repeats      INT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX deliveries_once ON deliveries (channel, shop, delivery_id) WHERE delivery_id IS NOT NULL;
CREATE INDEX deliveries_recent ON deliveries (received_at DESC);

-- Orders to fetch from the platform (Etsy's thin ORDER_PAID notice names a receipt).
CREATE TABLE order_fetches (
    channel         TEXT NOT NULL,
    shop            TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts        INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, shop, external_id)
);
CREATE INDEX order_fetches_due ON order_fetches (next_attempt_at) WHERE status = 'pending';

ALTER TABLE fulfillments
    ADD COLUMN tracking_url             TEXT,
    ADD COLUMN complete                 BOOLEAN NOT NULL DEFAULT true,
    ADD COLUMN platform_fulfillment_id  TEXT;
