-- Purchasing: suppliers and their terms per material, purchase orders and their lines, the
-- receipts inventory reported against them, a replica of the catalog (ItemDefined) and the
-- demand picture built from inventory's order-line facts (what waits for which material).
-- Quantities NUMERIC(18,6); pack sizes, minimums and received quantities in the material's
-- base unit (as inventory keeps stock).

CREATE TABLE catalog_items (
    sku        TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    base_unit  TEXT NOT NULL,
    active     BOOLEAN NOT NULL,
    revision   INT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE suppliers (
    supplier_id TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX suppliers_name ON suppliers (lower(name));

CREATE TABLE supplier_materials (
    supplier_id        TEXT NOT NULL REFERENCES suppliers (supplier_id) ON DELETE CASCADE,
    material_sku       TEXT NOT NULL,
    lead_time_days     INT NOT NULL CHECK (lead_time_days >= 0),
    pack_size          NUMERIC(18, 6) NOT NULL CHECK (pack_size > 0),
    min_order_quantity NUMERIC(18, 6) NOT NULL DEFAULT 0 CHECK (min_order_quantity >= 0),
    price              NUMERIC(18, 6) CHECK (price >= 0),
    currency           TEXT,
    preferred          BOOLEAN NOT NULL DEFAULT false,
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (supplier_id, material_sku)
);
-- At most one preferred supplier per material: suggestions go to it.
CREATE UNIQUE INDEX supplier_materials_preferred ON supplier_materials (material_sku) WHERE preferred;

CREATE SEQUENCE po_numbers;

CREATE TABLE purchase_orders (
    purchase_order_id TEXT PRIMARY KEY,
    po_no             TEXT NOT NULL UNIQUE,
    supplier_id       TEXT NOT NULL REFERENCES suppliers (supplier_id),
    status            TEXT NOT NULL
        CHECK (status IN ('draft', 'sent', 'partly_received', 'received', 'cancelled')),
    currency          TEXT,
    receipt_tolerance NUMERIC(7, 6) NOT NULL CHECK (receipt_tolerance >= 0),
    created_from      TEXT NOT NULL DEFAULT 'manual' CHECK (created_from IN ('manual', 'suggestion')),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at           TIMESTAMPTZ,
    received_at       TIMESTAMPTZ,
    cancelled_at      TIMESTAMPTZ,
    cancel_reason     TEXT,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (status = 'draft' OR status = 'cancelled' OR sent_at IS NOT NULL)
);
CREATE INDEX purchase_orders_status ON purchase_orders (status, created_at);

CREATE TABLE po_lines (
    purchase_order_id TEXT NOT NULL REFERENCES purchase_orders (purchase_order_id),
    line_no           INT NOT NULL CHECK (line_no >= 1),
    material_sku      TEXT NOT NULL,
    quantity          NUMERIC(18, 6) NOT NULL CHECK (quantity > 0),  -- as ordered, in `unit`
    unit              TEXT NOT NULL,
    base_quantity     NUMERIC(18, 6) NOT NULL CHECK (base_quantity > 0),
    base_unit         TEXT NOT NULL,
    received          NUMERIC(18, 6) NOT NULL DEFAULT 0 CHECK (received >= 0),  -- base unit
    unit_price        NUMERIC(18, 6) CHECK (unit_price >= 0),
    lead_time_days    INT NOT NULL CHECK (lead_time_days >= 0),
    expected_date     DATE,  -- set when sent: sent date + lead time
    PRIMARY KEY (purchase_order_id, line_no)
);
CREATE INDEX po_lines_material ON po_lines (material_sku);

-- GoodsReceived against a PO line, once per lot (a redelivered receipt counts once).
CREATE TABLE receipts (
    lot_id            TEXT PRIMARY KEY,
    lot_no            TEXT NOT NULL,
    supplier_lot_no   TEXT,
    purchase_order_id TEXT NOT NULL,
    po_line           INT NOT NULL,
    material_sku      TEXT NOT NULL,
    base_quantity     NUMERIC(18, 6) NOT NULL CHECK (base_quantity > 0),
    received_date     DATE NOT NULL,
    recorded_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX receipts_po ON receipts (purchase_order_id, po_line);

-- The demand picture: per order line, the latest of inventory's facts about it (by the
-- envelope's occurred_at) and, while it waits for materials, what its batch requires of each.
CREATE TABLE waiting_lines (
    order_id TEXT NOT NULL,
    line_no  INT NOT NULL,
    fact_at  TIMESTAMPTZ NOT NULL,
    waiting  BOOLEAN NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
CREATE TABLE line_requirements (
    order_id     TEXT NOT NULL,
    line_no      INT NOT NULL,
    material_sku TEXT NOT NULL,
    required     NUMERIC(18, 6) NOT NULL,
    missing      NUMERIC(18, 6) NOT NULL,
    unit         TEXT NOT NULL,
    PRIMARY KEY (order_id, line_no, material_sku),
    FOREIGN KEY (order_id, line_no) REFERENCES waiting_lines (order_id, line_no) ON DELETE CASCADE
);
CREATE INDEX line_requirements_material ON line_requirements (material_sku);
-- Usable stock of a material as inventory last reported it (MaterialsShort.available).
CREATE TABLE material_stock (
    material_sku TEXT PRIMARY KEY,
    available    NUMERIC(18, 6) NOT NULL,
    unit         TEXT NOT NULL,
    seen_at      TIMESTAMPTZ NOT NULL
);
-- An order cancelled here waits for nothing, whatever arrives about it later.
CREATE TABLE cancelled_orders (
    order_id     TEXT PRIMARY KEY,
    cancelled_at TIMESTAMPTZ NOT NULL
);
