"""Adapters of carrier label APIs (one module per API)."""
