-- Labels bought from a carrier API (EasyPost), the carrier's webhook events already handled,
-- and the parcel's structured ship-to (a carrier needs street, city and postal code apart).

-- One bought label per shipment. The carrier's shipment id is stored (and committed) before
-- anything is bought: a retry after a lost answer buys that same carrier shipment or finds it
-- bought, never a second one.
CREATE TABLE carrier_labels (
    shipment_id          UUID PRIMARY KEY REFERENCES shipments (shipment_id),
    provider             TEXT NOT NULL,
    provider_shipment_id TEXT NOT NULL,
    rate_id              TEXT,
    carrier              TEXT,
    service              TEXT,
    rate                 NUMERIC(12, 2),
    currency             TEXT,
    tracking_no          TEXT,
    tracker_id           TEXT,
    public_url           TEXT,
    tracking_status      TEXT,  -- the tracker's latest status (EasyPost webhooks)
    label_url            TEXT,
    label_file           BYTEA,
    label_content_type   TEXT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    bought_at            TIMESTAMPTZ,
    -- Bought means all of it: what the carrier printed and how to follow it.
    CHECK (bought_at IS NULL OR (tracking_no IS NOT NULL AND carrier IS NOT NULL))
);
CREATE UNIQUE INDEX carrier_labels_provider_shipment ON carrier_labels (provider, provider_shipment_id);
CREATE INDEX carrier_labels_tracker ON carrier_labels (tracker_id) WHERE tracker_id IS NOT NULL;
CREATE INDEX carrier_labels_tracking ON carrier_labels (tracking_no) WHERE tracking_no IS NOT NULL;

-- Webhook events handled (the carrier delivers at least once): a replay changes nothing.
CREATE TABLE carrier_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    description TEXT,
    outcome     TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_id)
);

-- The shop's ship-to as fields (OrderPlaced details.ship_to); orders typed at the gateway have
-- only the customer's one-line address, which is split when a label is bought.
CREATE TABLE ship_to_addresses (
    order_id TEXT PRIMARY KEY,
    name     TEXT,
    company  TEXT,
    street1  TEXT,
    street2  TEXT,
    city     TEXT,
    zip      TEXT,
    state    TEXT,
    country  TEXT,
    phone    TEXT
);
