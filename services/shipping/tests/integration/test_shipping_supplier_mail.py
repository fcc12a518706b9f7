"""PurchaseOrderPlaced: the supplier gets the purchase order by e-mail through the same
sender as customers - once per PO whatever the redeliveries; none without an address."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from contracts.events import PurchaseOrderPlaced
from contracts.events.purchasing import PurchaseOrderLine
from devstack.testing import deliver_to_handler
from devstack.waiting import poll
from shipping.supplier_orders import on_purchase_order_placed
from shipping_testkit import sender

pytestmark = pytest.mark.integration


def placed(email: str | None) -> PurchaseOrderPlaced:
    return PurchaseOrderPlaced(
        purchase_order_id=str(uuid.uuid4()), po_no="PO-000007", supplier_id="s-1", supplier_name="Sweet Supplies",
        supplier_email=email, currency="EUR",
        lines=[PurchaseOrderLine(line_no=1, material_sku="SUGAR", quantity=Decimal("50.000000"), unit="kg",
                                 expected_date=date(2030, 5, 4), unit_price=Decimal("1.2"))],
        sent_at=datetime.now(timezone.utc),
    )


async def test_the_supplier_is_mailed_once_per_purchase_order(rt, client, smtp):
    po = placed("orders@sweet.example")
    async with sender(rt):
        for _ in range(2):  # redelivered under a new event id
            await deliver_to_handler(rt.uow, on_purchase_order_placed, po)
        await deliver_to_handler(rt.uow, on_purchase_order_placed, placed(None))
        await poll(lambda: smtp.mailbox.messages, 10)

        async def sent():
            notes = (await client.get("/notifications", params={"order_id": po.purchase_order_id})).json()
            return notes if notes and notes[0]["status"] == "sent" else None

        (note,) = await poll(sent, 10)
    assert len(smtp.mailbox.messages) == 1
    mail = smtp.mailbox.messages[0]
    assert mail["To"] == "orders@sweet.example" and mail["Subject"] == "Purchase order PO-000007"
    body = mail.get_payload()
    assert "SUGAR: 50 kg at 1.2 EUR/unit, delivery expected by 2030-05-04" in body and "Hello Sweet Supplies" in body
    assert note["kind"] == "purchase_order"
