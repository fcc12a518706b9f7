-- Shipping's own database: what it knows about orders (recipient, cancellation), the
-- shipments with their lot lines, and the customer notifications waiting to be mailed.

-- Filled by OrderPlaced (recipient) and OrderCancelled; a row may exist with only
-- cancelled_at set when the cancellation arrived first.
CREATE TABLE orders (
    order_id          TEXT PRIMARY KEY,
    order_no          TEXT,
    recipient_name    TEXT,
    recipient_email   TEXT,
    recipient_address TEXT,
    recipient_phone   TEXT,
    recipient_country TEXT,
    cancelled_at      TIMESTAMPTZ,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE shipments (
    shipment_id  UUID PRIMARY KEY,
    -- One shipment per order (no partial shipments yet).
    order_id     TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL CHECK (status IN ('prepared', 'shipped', 'delivered', 'cancelled')),
    carrier      TEXT,
    tracking_no  TEXT,
    prepared_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    shipped_at   TIMESTAMPTZ,
    delivered_at TIMESTAMPTZ,
    cancelled_at TIMESTAMPTZ,
    -- Whatever left the building has a carrier and a tracking number.
    CHECK (status IN ('prepared', 'cancelled')
           OR (carrier IS NOT NULL AND tracking_no IS NOT NULL AND shipped_at IS NOT NULL)),
    CHECK (status <> 'delivered' OR delivered_at IS NOT NULL)
);
CREATE INDEX shipments_by_status ON shipments (status, prepared_at);

-- The allocations the shipment carries (quantities in the item's base unit).
CREATE TABLE shipment_lines (
    shipment_id   UUID NOT NULL REFERENCES shipments (shipment_id) ON DELETE CASCADE,
    allocation_id TEXT NOT NULL,
    line_no       INT NOT NULL CHECK (line_no >= 1),
    sku           TEXT NOT NULL,
    lot_id        TEXT NOT NULL,
    lot_no        TEXT NOT NULL,
    quantity      NUMERIC(18, 6) NOT NULL CHECK (quantity > 0),
    unit          TEXT NOT NULL,
    expiry_date   DATE,
    PRIMARY KEY (shipment_id, allocation_id)
);

-- Outgoing customer e-mails. `waiting_recipient`: shipped before OrderPlaced reached us;
-- the row becomes `pending` once the recipient is known. The sender claims `pending`
-- rows with FOR UPDATE SKIP LOCKED, so two instances never mail the same row.
CREATE TABLE notifications (
    notification_id UUID PRIMARY KEY,
    order_id        TEXT NOT NULL,
    shipment_id     UUID NOT NULL REFERENCES shipments (shipment_id),
    kind            TEXT NOT NULL DEFAULT 'shipped',
    to_addr         TEXT,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('waiting_recipient', 'pending', 'sent')),
    attempts        INT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at         TIMESTAMPTZ,
    CHECK ((status = 'waiting_recipient') = (to_addr IS NULL)),
    CHECK (status <> 'sent' OR sent_at IS NOT NULL),
    -- One shipping confirmation per shipment.
    UNIQUE (shipment_id, kind)
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_by_order ON notifications (order_id);
