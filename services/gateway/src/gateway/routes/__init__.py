"""The gateway's routes, one module per area of the operator's work."""
