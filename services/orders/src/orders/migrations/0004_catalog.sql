-- Orders' replica of inventory's catalog (ItemDefined, newest revision wins): order lines are
-- checked against it at the door, synchronously, without asking inventory.
CREATE TABLE catalog_items (
    sku                TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    kind               TEXT NOT NULL,
    base_unit          TEXT NOT NULL,
    sellable           BOOLEAN NOT NULL,
    max_order_quantity NUMERIC(18, 6),
    active             BOOLEAN NOT NULL,
    revision           INT NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Channel orders that failed the same checks: kept whole (the event's body) with the reasons,
-- never placed and never announced, until a person deals with them.
CREATE TABLE review_orders (
    order_id          TEXT PRIMARY KEY,
    status            TEXT NOT NULL DEFAULT 'needs_review' CHECK (status IN ('needs_review')),
    channel           TEXT NOT NULL,
    shop              TEXT NOT NULL DEFAULT '',
    channel_order_ref TEXT NOT NULL,
    customer_name     TEXT NOT NULL,
    reasons           JSONB NOT NULL,
    received          JSONB NOT NULL,
    event_id          UUID,
    received_at       TIMESTAMPTZ NOT NULL,
    recorded_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX review_orders_recorded ON review_orders (recorded_at DESC);
