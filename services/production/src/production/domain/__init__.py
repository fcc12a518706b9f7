"""Pure production logic: recipe rules, capacity scheduling, batch numbering, batch
lifecycle and completion defaults. No I/O here, so all of it is unit-testable."""
