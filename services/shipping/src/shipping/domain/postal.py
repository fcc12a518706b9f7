"""A ship-to address as a carrier wants it: street, postal code and city apart (no I/O).

Shop orders bring their ship-to in fields (kept as they came). Orders typed at the gateway
have only the customer's one-line address ("12 Analytical Row, EC1A 1AA London"); it is
split here by commas: the part that starts or ends with a postal code (a token with a digit)
gives zip and city, the parts before it the street (the first one with a house number first),
a part after it the state. Without a city there is nothing a carrier can deliver to: None."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ZIP_FIRST = re.compile(r"^(?P<zip>[A-Z]{0,2}-?\d[\dA-Z\- ]{1,9}?)\s+(?P<city>\D.*)$", re.IGNORECASE)
_CITY_FIRST = re.compile(r"^(?P<city>\D+?)\s+(?P<zip>[A-Z0-9]{0,4}\d[A-Z0-9 \-]{1,8})$", re.IGNORECASE)


@dataclass(frozen=True)
class PostalAddress:
    name: str | None
    street1: str
    city: str
    zip: str | None = None
    street2: str | None = None
    state: str | None = None
    country: str | None = None
    company: str | None = None
    phone: str | None = None


def split_address_line(line: str | None, *, name: str | None = None, country: str | None = None,
                       phone: str | None = None) -> PostalAddress | None:
    parts = [p.strip() for p in (line or "").split(",") if p.strip()]
    if name and parts and parts[0].casefold() == name.casefold():
        parts = parts[1:]  # a gift's line names its recipient first
    if len(parts) < 2:
        return None
    where = _locality(parts)
    if where is None:
        city_at, zip_code, city = len(parts) - 1, None, parts[-1]
    else:
        city_at, zip_code, city = where
    street = parts[:city_at]
    state = parts[city_at + 1] if city_at + 1 < len(parts) else None
    if not street:
        return None
    numbered = [p for p in street if any(c.isdigit() for c in p)]
    street1 = numbered[0] if numbered else street[-1]
    rest = [p for p in street if p != street1]
    street2 = rest[-1] if rest and street.index(rest[-1]) > street.index(street1) else None
    return PostalAddress(name=name, street1=street1, street2=street2, city=city, zip=zip_code, state=state,
                         country=country, phone=phone)


def _locality(parts: list[str]) -> tuple[int, str, str] | None:
    """(index, zip, city) of the last part that reads "ZIP City" or "City ZIP"."""
    for i in range(len(parts) - 1, 0, -1):
        for pattern in (_ZIP_FIRST, _CITY_FIRST):
            m = pattern.match(parts[i])
            if m:
                return i, m["zip"].strip(), m["city"].strip()
    return None
