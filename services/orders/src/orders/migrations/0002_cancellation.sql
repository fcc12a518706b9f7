-- Cancellation. It is a fact of its own, not a rank of `progress`: saga events keep arriving
-- (and raising progress) while the other services undo their work, and a parcel that left
-- before shipping saw the cancel must still show as shipped.

ALTER TABLE orders
    ADD COLUMN cancelled_at  TIMESTAMPTZ,
    ADD COLUMN cancel_reason TEXT,
    -- A cancelled order says when it was cancelled; progress never holds `cancelled`.
    ADD CONSTRAINT orders_cancelled_has_time CHECK (status <> 'cancelled' OR cancelled_at IS NOT NULL),
    ADD CONSTRAINT orders_progress_not_cancelled CHECK (progress <> 'cancelled');

-- A batch production cancelled (BatchCancelled): the plan no longer makes the line and no
-- longer counts for the promised date.
ALTER TABLE line_plans ADD COLUMN cancelled_at TIMESTAMPTZ;
