"""Pure inventory rules: no I/O, no database, only values in and values out."""
