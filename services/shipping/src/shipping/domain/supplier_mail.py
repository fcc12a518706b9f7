"""The e-mail a supplier gets when a purchase order is sent to them (PurchaseOrderPlaced):
what to deliver, how much, by when. Pure text; the notifier mails it like any other."""

from __future__ import annotations

from contracts.events import PurchaseOrderPlaced


def _qty(q) -> str:
    return format(q.normalize(), "f")


def purchase_order_mail(po: PurchaseOrderPlaced) -> tuple[str, str]:
    """(subject, body) of the order to the supplier."""
    subject = f"Purchase order {po.po_no}"
    rows = []
    for line in po.lines:
        price = f" at {_qty(line.unit_price)} {po.currency or ''}/unit".rstrip() if line.unit_price is not None else ""
        rows.append(f"  {line.line_no}. {line.material_sku}: {_qty(line.quantity)} {line.unit.value}{price}, "
                    f"delivery expected by {line.expected_date:%Y-%m-%d}")
    body = (
        f"Hello {po.supplier_name},\n\n"
        f"please deliver the following against our purchase order {po.po_no}:\n\n"
        + "\n".join(rows)
        + f"\n\nPlease quote {po.po_no} and the line number on the delivery note, with your lot numbers "
        "and expiry dates.\n\nThank you.\n"
    )
    return subject, body
