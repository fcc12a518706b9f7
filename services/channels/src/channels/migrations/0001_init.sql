-- Channels' own database: shop connectors, SKU maps, the webhook inbox (raw deliveries,
-- one per shop order) and the outbound fulfillments to sync back to the shops.

CREATE TABLE connectors (
    channel        TEXT NOT NULL CHECK (channel IN ('shopify', 'woocommerce', 'etsy')),
    shop           TEXT NOT NULL,
    admin_url      TEXT,
    -- Development-grade secret storage; production would read these from a secret store.
    webhook_secret TEXT,
    admin_token    TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, shop)
);

CREATE TABLE sku_map (
    channel      TEXT NOT NULL,
    shop         TEXT NOT NULL,
    external_sku TEXT NOT NULL,
    sku          TEXT NOT NULL,
    unit         TEXT NOT NULL DEFAULT 'pcs' CHECK (unit IN ('kg', 'g', 'L', 'mL', 'pcs')),
    per_item     NUMERIC(18, 6) NOT NULL DEFAULT 1 CHECK (per_item > 0),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, shop, external_sku),
    FOREIGN KEY (channel, shop) REFERENCES connectors (channel, shop) ON DELETE CASCADE
);

-- One row per shop order: a redelivery finds it and does nothing (or, if the first
-- delivery was rejected, tries again: the merchant may have fixed the SKU map).
CREATE TABLE webhooks (
    webhook_id   UUID PRIMARY KEY,
    channel      TEXT NOT NULL,
    shop         TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    order_id     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('received', 'accepted', 'rejected')),
    reason       TEXT,
    raw_body     BYTEA NOT NULL,
    -- The mapped lines as accepted (line_no, external_line_id, external_sku, sku, per_item):
    -- what a fulfillment needs to speak about the shop's line items again.
    lines        JSONB,
    deliveries   INT NOT NULL DEFAULT 1 CHECK (deliveries >= 1),
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    accepted_at  TIMESTAMPTZ,
    UNIQUE (channel, shop, external_id),
    CHECK (status <> 'accepted' OR (lines IS NOT NULL AND accepted_at IS NOT NULL)),
    CHECK (status <> 'rejected' OR reason IS NOT NULL)
);
CREATE INDEX webhooks_by_order ON webhooks (order_id);
CREATE INDEX webhooks_by_status ON webhooks (status, received_at);

CREATE TABLE fulfillments (
    fulfillment_id   UUID PRIMARY KEY,
    -- One fulfillment per shipment: a replayed Shipped adds nothing.
    shipment_id      TEXT NOT NULL UNIQUE,
    order_id         TEXT NOT NULL,
    channel          TEXT NOT NULL,
    shop             TEXT NOT NULL,
    external_id      TEXT NOT NULL,
    tracking_number  TEXT NOT NULL,
    tracking_company TEXT NOT NULL,
    line_items       JSONB NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'synced', 'failed')),
    attempts         INT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    synced_at        TIMESTAMPTZ,
    CHECK (status <> 'synced' OR synced_at IS NOT NULL)
);
CREATE INDEX fulfillments_due ON fulfillments (next_attempt_at) WHERE status = 'pending';
CREATE INDEX fulfillments_by_order ON fulfillments (order_id);
