"""Database access of the production service (SQL through the unit of work's session)."""
