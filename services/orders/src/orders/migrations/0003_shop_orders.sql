-- Shop orders: a shop order is (channel, shop, the platform's order id). Two shops of one
-- platform may both send order 1042; keyed without the shop, the second was dropped.
ALTER TABLE orders
    ADD COLUMN channel_shop TEXT,
    -- What the shop knew beyond lines and buyer (contracts ShopDetails): its order number,
    -- money, ship-to, shipping method, buyer's note, language.
    ADD COLUMN shop_details JSONB,
    -- Something an operator must look at that the saga cannot act on (e.g. the shop
    -- cancelled an order that had already shipped). Cleared by nobody but a person.
    ADD COLUMN attention TEXT;

DROP INDEX orders_channel_ref;
CREATE UNIQUE INDEX orders_shop_order ON orders (channel, COALESCE(channel_shop, ''), channel_order_ref)
    WHERE channel_order_ref IS NOT NULL;
CREATE INDEX orders_attention ON orders (placed_at) WHERE attention IS NOT NULL;
