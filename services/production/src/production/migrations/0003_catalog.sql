-- Production's replica of inventory's catalog (ItemDefined, newest revision wins): what a
-- recipe is checked against before it is published (products and ingredients exist, are of
-- the right kind, and their units fit).
CREATE TABLE catalog_items (
    sku        TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    base_unit  TEXT NOT NULL,
    active     BOOLEAN NOT NULL,
    revision   INT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
