-- The customer told at every step: what the order confirmation needs (the lines, the shop's
-- language, the dates from PromiseChanged), and the private status links.

-- OrderPlaced's lines and the shop language (a tag as the shop gave it, e.g. 'fr-FR'; NULL:
-- English), and the first promised date and latest expected date orders announced.
ALTER TABLE orders ADD COLUMN language TEXT;
ALTER TABLE orders ADD COLUMN lines JSONB;
ALTER TABLE orders ADD COLUMN promised_date DATE;
ALTER TABLE orders ADD COLUMN expected_date DATE;

-- A mail that carries a status link keeps the raw token here only until it is sent (the
-- body holds a placeholder); sent, the column is emptied, so the database keeps hashes only.
ALTER TABLE notifications ADD COLUMN secret TEXT;
ALTER TABLE notifications ADD CONSTRAINT notifications_secret_until_sent CHECK (status <> 'sent' OR secret IS NULL);
-- Confirmation and "the date follows" mails: once per order (kind + dedup_key 'order',
-- under the unique (order_id, kind, dedup_key) index of 0004). The delivery mail: once per
-- shipment (UNIQUE (shipment_id, kind) of 0001).

-- Private links to the customer's status page: the SHA-256 of a 192-bit random token, never
-- the token. At most one live link per order; revoked ones stay (revoked_at) so the
-- revocation is visible and final.
CREATE TABLE status_links (
    link_id    UUID PRIMARY KEY,
    order_id   TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX status_links_one_live_per_order ON status_links (order_id) WHERE revoked_at IS NULL;
