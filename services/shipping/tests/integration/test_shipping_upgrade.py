"""A database from before partial shipments: its shipments keep their ids and ship complete."""

from __future__ import annotations

import shutil
import uuid

import asyncpg
import pytest

from eventkit.db import asyncpg_dsn
from eventkit.migrate import migrate
from shipping.bootstrap import MIGRATIONS
from shipping.repository import shipment_id_for

pytestmark = pytest.mark.integration


async def test_upgrade_keeps_prepared_and_shipped_shipments_complete(fresh_db, tmp_path):
    shutil.copy(MIGRATIONS / "0001_init.sql", tmp_path)
    await migrate(fresh_db, tmp_path)
    prepared, shipped = str(uuid.uuid4()), str(uuid.uuid4())
    conn = await asyncpg.connect(asyncpg_dsn(fresh_db))
    try:
        await conn.execute(
            "INSERT INTO shipments (shipment_id, order_id, status) VALUES ($1, $2, 'prepared')",
            shipment_id_for(prepared), prepared)
        await conn.execute(
            "INSERT INTO shipments (shipment_id, order_id, status, carrier, tracking_no, shipped_at) "
            "VALUES ($1, $2, 'shipped', 'DHL', 'JD1', now())", shipment_id_for(shipped), shipped)
        await migrate(fresh_db, MIGRATIONS)
        rows = await conn.fetch("SELECT order_id, seq, status, complete FROM shipments ORDER BY status")
        assert [tuple(r) for r in rows] == [(prepared, 1, "prepared", None), (shipped, 1, "shipped", True)]
        complete = await conn.fetch("SELECT order_id FROM orders WHERE allocation_complete ORDER BY order_id")
        assert sorted(r["order_id"] for r in complete) == sorted([prepared, shipped])
    finally:
        await conn.close()
