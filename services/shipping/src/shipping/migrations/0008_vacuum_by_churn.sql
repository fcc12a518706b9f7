-- Notifications and shipments change status (a column of their indexes) a few times each:
-- vacuumed after a fixed number of dead versions, not after 20% of the table (autovacuum's
-- default), so the dead entries the pending-mail poll and the status lists step over stay
-- bounded instead of growing with the history the tables hold.
ALTER TABLE notifications SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
ALTER TABLE shipments SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
ALTER TABLE orders SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
