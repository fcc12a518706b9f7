"""Pure channel rules: shop payload parsing, signatures, SKU mapping, fulfillment lines. No I/O."""
