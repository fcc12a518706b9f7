-- A scheduled reconciliation that failed (wrong credentials, the shop's API down) is tried
-- again after a growing pause instead of at every poll: consecutive failures and when the
-- last one happened. A success resets both; changing the connector tries again at once.
ALTER TABLE connectors
    ADD COLUMN reconcile_failures  INT NOT NULL DEFAULT 0,
    ADD COLUMN reconcile_failed_at TIMESTAMPTZ;
