-- Cancellation: a batch records when and why it was cancelled; the orders cancelled so far
-- are remembered so a reservation arriving after the cancellation (another topic, any order)
-- does not make the batch cover a dead order again.

ALTER TABLE batches
    ADD COLUMN cancelled_at  TIMESTAMPTZ,
    ADD COLUMN cancel_reason TEXT;
ALTER TABLE batches
    ADD CONSTRAINT batches_cancelled_when CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL));

CREATE TABLE cancelled_orders (
    order_id     TEXT PRIMARY KEY,
    reason       TEXT NOT NULL DEFAULT '',
    cancelled_at TIMESTAMPTZ NOT NULL,              -- as the orders service says
    recorded_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
