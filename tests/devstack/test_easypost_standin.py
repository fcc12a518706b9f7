"""The EasyPost stand-in's own promises: basic auth, documented endpoints only, one purchase
per shipment, and tracker webhooks really POSTed, signed, to the configured URL (on demand,
and on its own for `make run`)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from devstack.carriers.easypost import EasyPostStandIn, shipping_env, signature
from devstack.waiting import poll

pytestmark = pytest.mark.integration


class Receiver:
    """A webhook endpoint: keeps what it was sent, answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/easypost"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def buy(stand_in: EasyPostStandIn) -> dict:
    with httpx.Client(base_url=f"{stand_in.url}/v2", auth=(stand_in.api_key, "")) as c:
        shp = c.post("/shipments", json={"shipment": {
            "to_address": {"street1": "1 A St", "city": "Lyon", "country": "FR"},
            "from_address": {"street1": "2 B St", "city": "Lyon", "country": "FR"}, "parcel": {"weight": 10}}}).json()
        return c.post(f"/shipments/{shp['id']}/buy", json={"rate": {"id": shp["rates"][0]["id"]}}).json()


async def test_tracker_updates_are_posted_signed_to_the_webhook_url(receiver):
    with EasyPostStandIn(webhook_url=receiver.url, webhook_secret="s3cret") as stand_in:
        assert shipping_env(stand_in)["SHIPPING_EASYPOST_API_URL"] == f"{stand_in.url}/v2"
        bought = buy(stand_in)
        assert stand_in.send_tracker_update(bought["tracking_code"], "delivered") == 200
        (headers, body), = receiver.received
        assert headers["x-hmac-signature"] == signature(body, "s3cret")
        assert b'"tracker.updated"' in body and bought["tracking_code"].encode() in body
        with httpx.Client(base_url=stand_in.url) as c:
            assert c.post("/v2/shipments", json={}).status_code == 401  # no key
            assert c.get("/v2/trackers", auth=(stand_in.api_key, "")).status_code == 404  # not implemented


async def test_with_auto_delivery_a_bought_label_reports_in_transit_then_delivered(receiver):
    with EasyPostStandIn(webhook_url=receiver.url, auto_deliver_after=1.5) as stand_in:
        buy(stand_in)
        await poll(lambda: len(receiver.received) >= 2 or None, 30)
        statuses = [b'"status": "delivered"' in body for _, body in receiver.received]
        assert statuses == [False, True]
