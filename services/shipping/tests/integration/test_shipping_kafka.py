"""The shipping service as it runs (bootstrap.build(...).serve()) on the devstack's Kafka and
PostgreSQL with a real SMTP listener: events from Kafka (in the 'wrong' order) prepare a
shipment; shipping it over HTTP puts Shipped on Kafka and the mail in the SMTP server."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import httpx
import pytest

from eventkit.migrate import migrate
from shipping.bootstrap import MIGRATIONS, build
from shipping.settings import Settings
from shipping_testkit import allocated, allocation, eventually, free_port, new_order_id, placed, publish, read_topic

pytestmark = pytest.mark.integration


@pytest.fixture
async def service(stack, fresh_db, smtp):
    await migrate(str(fresh_db), MIGRATIONS)
    settings = Settings(
        database_url=str(fresh_db), kafka_bootstrap=stack.bootstrap, topic_prefix=stack.topic_prefix,
        consumer_group=f"shipping-test-{uuid.uuid4().hex[:8]}", http_port=free_port(), relay_poll_interval=0.2,
        smtp_port=smtp.port,
    )
    svc = build(settings)
    task = asyncio.create_task(svc.serve())
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}") as http:
        async def ready():
            with contextlib.suppress(httpx.TransportError):
                return (await http.get("/health/ready")).status_code == 200
        await eventually(ready, timeout=60)
        yield http
    svc.request_stop()
    await asyncio.wait_for(task, 30)


async def test_events_from_kafka_to_shipped_on_kafka_and_a_mail(stack, service, smtp):
    order_id = new_order_id()
    await publish(stack, allocated(order_id, allocation("B250101-0001", "12")))  # overtakes OrderPlaced
    await publish(stack, placed(order_id, order_no="SO-9001", email="kafka@example.com"))

    async def prepared():
        found = (await service.get("/shipments", params={"order_id": order_id})).json()
        return found if found else None
    (shipment,) = await eventually(prepared, timeout=60)
    assert shipment["status"] == "prepared"

    r = await service.post(f"/shipments/{shipment['shipment_id']}/ship", json={"carrier": "DPD", "tracking_no": "01234567890123"})
    assert r.status_code == 200, r.text

    (env,) = await read_topic(stack, "Shipped", order_id, timeout=60)
    assert env.producer == "shipping" and env.data["tracking_no"] == "01234567890123"
    assert env.data["lines"][0]["lot_no"] == "B250101-0001"
    await eventually(lambda: smtp.mailbox.messages, timeout=60)
    assert smtp.mailbox.rcpts == [["kafka@example.com"]]
    assert "SO-9001" in smtp.mailbox.messages[0]["Subject"]
