"""The carriers a shipment can leave with.

A fixed list on purpose: the carrier name goes to the customer and to the shop (fulfillment
sync), where platforms match it against their own carrier lists, so a typo ("DLH") would
break tracking links downstream. Unknown carriers are refused (422); "Local courier" covers
anything else."""

from __future__ import annotations

import re

CARRIERS: tuple[str, ...] = ("DHL", "UPS", "DPD", "GLS", "FedEx", "USPS", "Local courier")

_BY_FOLDED = {c.casefold(): c for c in CARRIERS}

# The carriers' public tracking pages; the shop and the customer get the link.
_TRACKING_PAGES = {
    "DHL": "https://www.dhl.com/global-en/home/tracking/tracking-parcel.html?submit=1&tracking-id={}",
    "UPS": "https://www.ups.com/track?tracknum={}",
    "DPD": "https://tracking.dpd.de/status/en_US/parcel/{}",
    "GLS": "https://gls-group.com/track/{}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
}


def tracking_url(carrier: str, tracking_no: str) -> str | None:
    page = _TRACKING_PAGES.get(carrier)
    return page.format(tracking_no) if page else None

# Carrier tracking numbers are letters, digits and dashes (DHL 10 digits, UPS 1Z..., DPD 14).
TRACKING_NO_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9\-]{3,39}$"
_TRACKING_NO = re.compile(TRACKING_NO_PATTERN)


def canonical_carrier(name: str) -> str | None:
    """The carrier's canonical spelling, matched case-insensitively; None if unknown."""
    return _BY_FOLDED.get(" ".join(name.split()).casefold())


def valid_tracking_no(value: str) -> bool:
    return bool(_TRACKING_NO.match(value))
