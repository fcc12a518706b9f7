-- Promise kept, expected date beside it: `promised_date` is now set once (the first date
-- known after placement) and `expected_date` follows every supply change.
ALTER TABLE orders ADD COLUMN expected_date DATE;
UPDATE orders SET expected_date = promised_date;
-- A waiting line's date and kind of wait (MaterialsShort expected_date / reason_code), and
-- when it was said (a reservation or allocation of the line said later ends the wait).
ALTER TABLE order_lines ADD COLUMN waiting_date DATE;
ALTER TABLE order_lines ADD COLUMN short_code TEXT;
ALTER TABLE order_lines ADD COLUMN short_at TIMESTAMPTZ;
-- When the line's allocation last grew, and the day it became fully allocated.
ALTER TABLE order_lines ADD COLUMN allocated_at TIMESTAMPTZ;
ALTER TABLE line_plans ADD COLUMN reserved_at TIMESTAMPTZ;
