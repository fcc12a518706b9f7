-- Rows updated on every stock change are vacuumed after a fixed number of dead versions,
-- not after 20% of the table (autovacuum's default): with the default, the dead index
-- entries every lookup steps over (FEFO searches over lots_free, waiting lines, open plans)
-- grew with the history the tables hold, and so did the cost of each event.
ALTER TABLE lots SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
ALTER TABLE items SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
ALTER TABLE allocations SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
ALTER TABLE reservations SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
ALTER TABLE plans SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
ALTER TABLE promises SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
ALTER TABLE demand_lines SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
