"""A postal address as one printable line (packing slips, e-mails)."""

from __future__ import annotations

from contracts.events.base import PostalAddress


def ship_to_line(a: PostalAddress) -> str | None:
    """"Jeanne Martin, Atelier J, 1 rue de la Paix, 75002 Paris, Île-de-France": the addressee
    first, so a gift's parcel names its recipient, not the buyer."""
    city = " ".join(p for p in (a.zip, a.city) if p)
    text = ", ".join(p for p in (a.name, a.company, a.address1, a.address2, city, a.province) if p)
    return text[:500] or None
