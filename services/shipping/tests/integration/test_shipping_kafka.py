"""The shipping service as it runs (bootstrap.build(...).serve()) on the devstack's Kafka and
PostgreSQL with a real SMTP listener: events from Kafka (in the 'wrong' order) prepare a
shipment; shipping it over HTTP puts Shipped on Kafka and the mail in the SMTP server."""

from __future__ import annotations

import pytest

from devstack.testing import kafka_settings, publish, read_until, serving
from devstack.waiting import poll
from eventkit.migrate import migrate
from shipping.bootstrap import MIGRATIONS, build
from shipping.settings import Settings
from shipping_testkit import allocated, allocation, new_order_id, placed

pytestmark = pytest.mark.integration


@pytest.fixture
async def service(stack, fresh_db, smtp):
    await migrate(str(fresh_db), MIGRATIONS)
    async with serving(build, Settings(**kafka_settings(stack, fresh_db, "shipping", smtp_port=smtp.port))) as (http,):
        yield http


async def test_events_from_kafka_to_shipped_on_kafka_and_a_mail(stack, service, smtp):
    order_id = new_order_id()
    await publish(stack, allocated(order_id, allocation("B250101-0001", "12")))  # overtakes OrderPlaced
    await publish(stack, placed(order_id, order_no="SO-9001", email="kafka@example.com"))

    async def prepared():
        found = (await service.get("/shipments", params={"order_id": order_id})).json()
        return found if found else None
    (shipment,) = await poll(prepared, 60)
    assert shipment["status"] == "prepared"

    r = await service.post(f"/shipments/{shipment['shipment_id']}/ship", json={"carrier": "DPD", "tracking_no": "01234567890123"})
    assert r.status_code == 200, r.text

    (env,) = await read_until(stack, ["Shipped"], [order_id], deadline=60)
    assert env.producer == "shipping" and env.data["tracking_no"] == "01234567890123"
    assert env.data["lines"][0]["lot_no"] == "B250101-0001"
    await poll(lambda: smtp.mailbox.messages, 60)
    assert smtp.mailbox.rcpts == [["kafka@example.com"]]
    assert "SO-9001" in smtp.mailbox.messages[0]["Subject"]
