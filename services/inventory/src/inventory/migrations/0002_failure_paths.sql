-- Failure paths: cancelled orders and batches, shrunk batches, released allocations and
-- promises, backorders after a yield shortfall.

-- An order cancelled here (possibly before its OrderPlaced arrived: then it is never placed).
CREATE TABLE cancelled_orders (
    order_id     TEXT PRIMARY KEY,
    reason       TEXT NOT NULL DEFAULT '',
    cancelled_at TIMESTAMPTZ NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE order_demands
    ADD COLUMN cancelled_at TIMESTAMPTZ,
    -- Set once a yield shortfall left the order partly allocated with the rest re-planned:
    -- its partial OrderAllocated say `backordered` (the allocated part may ship now).
    ADD COLUMN backordered BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE demand_lines
    ADD COLUMN status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'cancelled')),
    ADD CONSTRAINT cancelled_line_waits_for_nothing CHECK (status = 'open' OR waiting = 0);
-- The lines a goods receipt or released stock may wake up.
CREATE INDEX demand_lines_waiting ON demand_lines (sku) WHERE waiting > 0 AND status = 'open';
CREATE INDEX line_shortages_material ON line_shortages (material_sku);

-- A plan is cancelled with its batch; production's latest planned quantity is kept so a
-- shrink the plan's promises still prevented can be applied once they are released.
ALTER TABLE plans DROP CONSTRAINT plans_status_check;
ALTER TABLE plans
    ADD CONSTRAINT plans_status_check CHECK (status IN ('planned', 'completed', 'cancelled')),
    ADD COLUMN scheduled_quantity NUMERIC(18, 6) CHECK (scheduled_quantity > 0),
    ADD COLUMN cancelled_at TIMESTAMPTZ;

-- Released: the part of a promise dropped (order cancelled, plan cancelled, yield shortfall:
-- the line is covered elsewhere or waits). Open part = quantity - allocated - released.
ALTER TABLE promises ADD COLUMN released NUMERIC(18, 6) NOT NULL DEFAULT 0;
ALTER TABLE promises DROP CONSTRAINT promise_allocated_within;
ALTER TABLE promises ADD CONSTRAINT promise_allocated_within
    CHECK (allocated >= 0 AND released >= 0 AND allocated + released <= quantity);

-- Released: the part of an allocation given back to stock (order cancelled).
-- Open part = quantity - shipped - released.
ALTER TABLE allocations ADD COLUMN released NUMERIC(18, 6) NOT NULL DEFAULT 0;
ALTER TABLE allocations ADD COLUMN released_at TIMESTAMPTZ;
ALTER TABLE allocations DROP CONSTRAINT allocation_shipped_within;
ALTER TABLE allocations ADD CONSTRAINT allocation_shipped_within
    CHECK (shipped >= 0 AND released >= 0 AND shipped + released <= quantity);
ALTER TABLE allocations DROP CONSTRAINT allocations_status_check;
ALTER TABLE allocations ADD CONSTRAINT allocations_status_check CHECK (status IN ('allocated', 'shipped', 'released'));
