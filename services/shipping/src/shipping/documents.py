"""The parcel's paper: a 4x6 inch shipping label and an A4 packing slip, as PDF (reportlab).

Pure rendering: a `ParcelPapers` in, PDF bytes out, no database and no network. The label
carries ship-from, ship-to, order and shipment numbers, the weight and a Code128 barcode of
the tracking number (the carrier's scanners read Code128); before a tracking number exists
the label says so instead of printing a barcode of something else. The packing slip lists
what is in the box: each line with SKU, quantity and lot number (the lot is what a recall
traces)."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4, inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

LABEL_SIZE = (4 * inch, 6 * inch)
FONT, BOLD = "Helvetica", "Helvetica-Bold"
# Code128 bars: no thinner than this (a 203 dpi thermal printer still draws 2 dots per bar),
# no wider than needed; quiet zones of 10 modules each side are part of the barcode's width.
MIN_BAR_PT, MAX_BAR_PT = 0.72, 1.6


@dataclass(frozen=True)
class PaperLine:
    line_no: int
    sku: str
    quantity: Decimal
    unit: str
    lot_no: str
    expiry_date: date | None = None


@dataclass(frozen=True)
class ParcelPapers:
    order_no: str
    shipment_no: str  # "<order no>/<seq>": what people say; the id is printed beside it
    shipment_id: str
    ship_from: Sequence[str]  # address lines, the name first
    ship_to: Sequence[str]
    weight: str  # "850 g"
    lines: Sequence[PaperLine]
    carrier: str | None = None
    service: str | None = None
    tracking_no: str | None = None
    printed_on: date | None = None


# Letters whose stroke is no accent to strip (NFKD leaves them whole).
_STROKED = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Œ": "OE", "œ": "oe"}


def _latin1(text: str) -> str:
    """The standard PDF fonts know Latin-1 only (anything else prints as a blank box): a letter
    outside it loses its accent or stroke if that helps ("ő" -> "o", "Ł" -> "L"), else "?"."""
    out = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
            continue
        if ch in _STROKED:
            out.append(_STROKED[ch])
            continue
        base = "".join(b for b in unicodedata.normalize("NFKD", ch) if ord(b) < 256 and not unicodedata.combining(b))
        out.append(base or "?")
    return "".join(out)


def _lines(c: Canvas, x: float, y: float, lines: Sequence[str], size: float, leading: float,
           font: str = FONT, width: float | None = None) -> float:
    c.setFont(font, size)
    for line in lines:
        text = _latin1(line)
        while width and len(text) > 4 and stringWidth(text, font, size) > width:
            text = text[:-1]  # cut until it fits: a line running off the label is worse
        c.drawString(x, y, text)
        y -= leading
    return y


def _quantity(q: Decimal) -> str:
    return f"{q.normalize():f}"


def render_label(p: ParcelPapers) -> bytes:
    buf = io.BytesIO()
    w, h = LABEL_SIZE
    c = Canvas(buf, pagesize=LABEL_SIZE, pageCompression=0)
    c.setTitle(f"Shipping label {p.shipment_no}")
    margin = 14
    inner = w - 2 * margin
    y = h - margin - 8
    c.setFont(BOLD, 7)
    c.drawString(margin, y, "FROM")
    y = _lines(c, margin, y - 9, p.ship_from, 8, 9.5, width=inner)
    c.line(margin, y + 2, w - margin, y + 2)
    y -= 12
    c.setFont(BOLD, 8)
    c.drawString(margin, y, "SHIP TO")
    y = _lines(c, margin + 6, y - 16, p.ship_to[:1], 15, 17, font=BOLD, width=inner - 6)
    y = _lines(c, margin + 6, y, p.ship_to[1:], 12, 14, width=inner - 6)
    c.line(margin, y + 4, w - margin, y + 4)
    y -= 12
    y = _lines(c, margin, y, [f"Order {p.order_no}", f"Shipment {p.shipment_no}"], 11, 13, font=BOLD)
    y = _lines(c, margin, y, [f"Weight {p.weight}",
                              f"Carrier {p.carrier or '-'}" + (f" ({p.service})" if p.service else "")], 10, 12)
    y = _lines(c, margin, y - 1, [p.shipment_id], 6, 8)
    c.line(margin, y + 4, w - margin, y + 4)
    if p.tracking_no:
        _barcode(c, p.tracking_no, margin, inner, bottom=margin + 14, top=y - 6)
        _lines(c, margin, margin + 2, [f"Tracking {p.tracking_no}"], 9, 10, font=BOLD)
    else:
        _lines(c, margin, y - 30, ["No tracking number yet:", "buy a label or ship with the carrier's number."], 9, 11)
    c.showPage()
    c.save()
    return buf.getvalue()


def _barcode(c: Canvas, value: str, x: float, width: float, bottom: float, top: float) -> None:
    probe = Code128(value, barWidth=1, humanReadable=False, quiet=1)
    bar = max(MIN_BAR_PT, min(MAX_BAR_PT, width / probe.width))
    height = max(36.0, min(90.0, top - bottom))
    code = Code128(value, barWidth=bar, barHeight=height, humanReadable=False, quiet=1)
    code.drawOn(c, x + max(0.0, (width - code.width) / 2), bottom)


def render_packing_slip(p: ParcelPapers) -> bytes:
    buf = io.BytesIO()
    w, h = A4
    c = Canvas(buf, pagesize=A4, pageCompression=0)
    c.setTitle(f"Packing slip {p.shipment_no}")
    margin = 50
    page = 1

    def header() -> float:
        y = h - margin
        c.setFont(BOLD, 18)
        c.drawString(margin, y, "Packing slip")
        c.setFont(FONT, 9)
        c.drawRightString(w - margin, y, f"page {page}")
        y -= 22
        y = _lines(c, margin, y, [f"Order {p.order_no}", f"Shipment {p.shipment_no}"], 11, 14, font=BOLD)
        extra = [p.shipment_id]
        if p.printed_on:
            extra.append(f"Date {p.printed_on.isoformat()}")
        return _lines(c, margin, y, extra, 8, 10) - 8

    y = header()
    top = y
    c.setFont(BOLD, 9)
    c.drawString(margin, y, "Ship to")
    c.drawString(w / 2, y, "From")
    left = _lines(c, margin, y - 13, p.ship_to, 10, 12, width=w / 2 - margin - 10)
    right = _lines(c, w / 2, y - 13, p.ship_from, 10, 12, width=w / 2 - margin)
    y = min(left, right, top - 13) - 6
    y = _lines(c, margin, y, [f"Weight {p.weight}"], 10, 12)
    if p.tracking_no:
        y = _lines(c, margin, y, [f"Carrier {p.carrier or '-'}, tracking {p.tracking_no}"], 10, 12)
    y -= 10
    cols = (margin, margin + 30, margin + 200, margin + 300, margin + 420)

    def table_head(y: float) -> float:
        c.setFont(BOLD, 9)
        for x, title in zip(cols, ("#", "SKU", "Quantity", "Lot", "Best before")):
            c.drawString(x, y, title)
        c.line(margin, y - 4, w - margin, y - 4)
        return y - 16

    y = table_head(y)
    c.setFont(FONT, 10)
    for line in p.lines:
        if y < margin + 20:
            c.showPage()
            page += 1
            y = table_head(header())
            c.setFont(FONT, 10)
        cells = (str(line.line_no), line.sku, f"{_quantity(line.quantity)} {line.unit}", line.lot_no,
                 line.expiry_date.isoformat() if line.expiry_date else "")
        for x, text in zip(cols, cells):
            c.drawString(x, y, _latin1(text))
        y -= 14
    c.showPage()
    c.save()
    return buf.getvalue()
