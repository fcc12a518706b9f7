"""Local HTTP servers standing in for the shop platforms' admin APIs (Shopify, WooCommerce,
Etsy) in tests and demos. Each implements only the platform's documented endpoints that the
channels service calls (anything else is 404), keeps the orders it was given, and records
every request so tests can assert the exact calls made."""
