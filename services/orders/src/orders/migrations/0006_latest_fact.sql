-- A statement re-emitted under a new event id is a repeat only when it equals the latest
-- statement of its kind (a line's supply, a batch's schedule, ...; see
-- orders.domain.numbers.fact_kind), not when it equals any statement in the order's history:
-- a line short of A, then of B, then of A again is short of A. So (event_type, fact_hash) is
-- no longer unique; one-time happenings (a shipment, a batch started) are still looked up
-- across the whole history, now through a plain index.
ALTER TABLE timeline ADD COLUMN fact_kind TEXT;
-- Older rows do not keep the body a kind is read from: their kind is their event type, so
-- the first repeat of such a line or batch statement after this migration is recorded once more.
UPDATE timeline SET fact_kind = event_type;
ALTER TABLE timeline ALTER COLUMN fact_kind SET NOT NULL;
ALTER TABLE timeline DROP CONSTRAINT timeline_order_id_event_type_fact_hash_key;
CREATE INDEX timeline_fact ON timeline (order_id, event_type, fact_hash);
CREATE INDEX timeline_latest_fact ON timeline (order_id, fact_kind, id DESC);
