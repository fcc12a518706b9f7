-- A batch changes status (a column of batches_load and batches_by_sku) several times:
-- vacuumed after a fixed number of dead versions, not after 20% of the table (autovacuum's
-- default), so the floor's queue lists step over a bounded number of dead entries.
ALTER TABLE batches SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
