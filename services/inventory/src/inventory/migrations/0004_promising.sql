-- Promising (quotes and dated waits).
-- A plan remembers when production expects it done (BatchScheduled.planned_end): the surplus
-- of a planned batch is promised at that date.
ALTER TABLE plans ADD COLUMN planned_end DATE;
-- A waiting line says what kind of wait it is (MaterialsShort.reason_code) and when it could
-- be ready if what is missing is bought now (MaterialsShort.expected_date).
ALTER TABLE demand_lines ADD COLUMN reason_code TEXT;
ALTER TABLE demand_lines ADD COLUMN expected_date DATE;
-- The quote sums the free, unexpired stock of one SKU: only lots with something free matter,
-- and with 50,000 lots most are fully used; this keeps the sum to the few that are not.
CREATE INDEX lots_free ON lots (sku, expiry_date) WHERE on_hand > reserved + allocated;
