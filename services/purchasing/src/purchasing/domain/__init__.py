"""Pure rules of purchasing: no I/O."""
