-- An order's row and its lines are updated at every step of its saga: vacuumed after a
-- fixed number of dead versions, not after 20% of the table (autovacuum's default, which
-- lets the dead entries in orders_status grow with the history the table holds).
ALTER TABLE orders SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
ALTER TABLE order_lines SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
