"""The e-mails a customer gets: the order confirmation (with the promised date, or the date
later when it is not known yet), when (part of) the order ships, when it is delivered, when
its expected date slips past the promise, and recall notices. Wording comes from
`templates` in the order's shop language; this module only arranges it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shipping.domain.templates import Wording, for_language

# Stands in the stored body for the private status link: the token is kept apart from the
# text (operators read bodies) and put in only when the mail is sent.
STATUS_LINK = "[private status link]"


@dataclass(frozen=True)
class Recipient:
    """Who is written to, and in which words: the order as shipping knows it."""

    order_no: str | None = None
    name: str | None = None
    language: str | None = None  # the shop's tag as given ('fr-FR'); None: English


@dataclass(frozen=True)
class ItemLine:
    sku: str
    quantity: Decimal
    unit: str
    lot_no: str | None = None


def _qty(q: Decimal) -> str:
    # 12.000000 -> 12, 1.250000 -> 1.25: customers read the quantity, not the column type.
    return format(Decimal(q).normalize(), "f")


class _Mail:
    """A mail being written: the wording of the recipient's language and the lines so far."""

    def __init__(self, to: Recipient):
        self.w: Wording = for_language(to.language)
        self.ref = self.w("ref", order_no=to.order_no) if to.order_no else self.w("ref_unnumbered")
        self.lines = [self.w("greeting", name=to.name) if to.name else self.w("greeting_unnamed"), ""]

    def t(self, key: str, **fields: object) -> str:
        """A string with the order reference filled in ({ref}, or {Ref} to start a sentence)."""
        return self.w(key, ref=self.ref, Ref=self.ref[0].upper() + self.ref[1:], **fields)

    def items(self, items: list[ItemLine], with_lots: bool = False, heading: str = "items") -> None:
        self.lines.append(self.w(heading))
        for i in items:
            key = "item_lot" if with_lots and i.lot_no else "item"
            self.lines.append(self.w(key, quantity=_qty(i.quantity), unit=i.unit, sku=i.sku, lot_no=i.lot_no))

    def body(self) -> str:
        return "\n".join(self.lines) + "\n"


def confirmation_mail(to: Recipient, items: list[ItemLine], promised: date | None) -> tuple[str, str]:
    """(subject, body): the order received, its lines, the date we ship by (or that the date
    follows) and the private status link (as STATUS_LINK)."""
    m = _Mail(to)
    m.lines += [m.t("confirmation.intro"), ""]
    m.items(items)
    m.lines.append("")
    m.lines.append(m.t("confirmation.promised", date=m.w.date(promised)) if promised else m.t("confirmation.undated"))
    m.lines += ["", m.w("status_link"), STATUS_LINK, "", m.w("thanks")]
    return m.t("confirmation.subject"), m.body()


def dated_mail(to: Recipient, promised: date) -> tuple[str, str]:
    """The date that a confirmation without one said would follow."""
    m = _Mail(to)
    d = m.w.date(promised)
    m.lines += [m.t("dated.body", date=d), "", m.w("thanks")]
    return m.t("dated.subject", date=d), m.body()


def status_link_mail(to: Recipient) -> tuple[str, str]:
    """A new private status link (issued by an operator; the previous one no longer opens)."""
    m = _Mail(to)
    m.lines += [m.t("status_link.body"), STATUS_LINK, "", m.w("thanks")]
    return m.t("status_link.subject"), m.body()


def without_status_link(body: str, to: Recipient) -> str:
    """A mail written with the private link, for when the link is revoked before the mail
    leaves: the link's lines say it was withdrawn instead (a dead link would open nothing)."""
    m = _Mail(to)
    withdrawn = m.t("status_link.withdrawn")
    block = f"{m.w('status_link')}\n{STATUS_LINK}"
    return body.replace(block, withdrawn) if block in body else body.replace(STATUS_LINK, withdrawn)


def shipped_mail(to: Recipient, carrier: str, tracking_no: str, items: list[ItemLine], partial: bool = False,
                 follow_up: bool = False) -> tuple[str, str]:
    """(subject, body) of the shipping confirmation. `partial`: the rest is backordered and
    follows later; `follow_up`: an earlier part of the order already left."""
    variant = "_partial" if partial else "_rest" if follow_up else ""
    m = _Mail(to)
    m.lines.append(m.t("shipped.intro" + variant))
    if partial:
        m.lines.append(m.w("shipped.backorder"))
    m.lines += ["", m.w("shipped.carrier", carrier=carrier), m.w("shipped.tracking", tracking_no=tracking_no), ""]
    m.items(items, with_lots=True)
    m.lines += ["", m.w("thanks")]
    return m.t("shipped.subject" + variant, carrier=carrier, tracking_no=tracking_no), m.body()


def delivered_mail(to: Recipient, carrier: str, tracking_no: str, delivered_on: date,
                   items: list[ItemLine]) -> tuple[str, str]:
    m = _Mail(to)
    m.lines += [m.t("delivered.body", carrier=carrier, tracking_no=tracking_no, date=m.w.date(delivered_on)), ""]
    m.items(items)
    m.lines += ["", m.w("delivered.help"), "", m.w("thanks")]
    return m.t("delivered.subject"), m.body()


def tells_customer(promised: date | None, expected: date | None, previous: date | None) -> bool:
    """A delay notice is due when the expected date moved later and past the promise. A move
    earlier, or one still within the promise, is no news for the customer; each later date
    is told once (the caller keeps one notice per order and date)."""
    if promised is None or expected is None or expected <= promised:
        return False
    return previous is None or expected > previous


def delayed_mail(to: Recipient, promised: date, expected: date) -> tuple[str, str]:
    m = _Mail(to)
    m.lines += [m.t("delayed.body", promised=m.w.date(promised), expected=m.w.date(expected)),
                m.w("delayed.sorry"), "", m.w("delayed.thanks")]
    return m.t("delayed.subject"), m.body()


@dataclass(frozen=True)
class RecalledItem:
    sku: str
    quantity: Decimal
    unit: str
    lot_no: str
    shipped_on: date | None
    carrier: str | None
    tracking_no: str | None


def recall_mail(to: Recipient, reason: str, items: list[RecalledItem]) -> tuple[str, str]:
    """(subject, body) of a recall notice: what the customer received, when and in which
    parcel, why it is recalled, and what to do (keep it aside and answer)."""
    m = _Mail(to)
    m.lines += [m.t("recall.intro"), m.w("recall.reason", reason=reason), "", m.w("recall.items")]
    for i in items:
        when = m.w("recall.shipped_on", date=m.w.date(i.shipped_on)) if i.shipped_on else m.w("recall.shipped")
        parcel = m.w("recall.parcel", carrier=i.carrier, tracking_no=i.tracking_no) if i.carrier else ""
        m.lines.append(m.w("recall.item", quantity=_qty(i.quantity), unit=i.unit, sku=i.sku, lot_no=i.lot_no,
                           when=when, parcel=parcel))
    m.lines += ["", m.w("recall.action"), "", m.w("recall.sorry")]
    return m.t("recall.subject"), m.body()
