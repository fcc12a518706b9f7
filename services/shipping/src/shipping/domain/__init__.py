"""Pure shipping rules: carriers, shipment transitions, notification text. No I/O."""
