"""The words of the customer's status page, in the language its order's e-mails are written in
(the shop's tag, told by shipping when it resolves the link): a French shop's customer reads
French mails and then a French page. English for every other tag, and where no order is known
(a link that opens nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Words:
    lang: str  # the page's `lang` attribute
    steps: dict[str, str]  # step key -> label
    status: dict[str, str]  # the orders service's status -> a sentence for the customer
    labels: dict[str, str]
    months: tuple[str, ...]
    first_day: str  # how the first of a month is written ("1", "1er")

    def day(self, value: date | None) -> str:
        if value is None:
            return ""
        day = self.first_day if value.day == 1 else str(value.day)
        return f"{day} {self.months[value.month - 1]} {value.year}"


ENGLISH = Words(
    lang="en",
    steps={
        "received": "Order received", "materials_reserved": "Materials reserved", "in_production": "In production",
        "ready_to_ship": "Ready to ship", "shipped": "Shipped", "delivered": "Delivered",
    },
    status={
        "received": "We received your order.",
        "awaiting_materials": "We received your order and are waiting for materials to make it.",
        "materials_reserved": "The materials for your order are reserved; production is planned.",
        "in_production": "Your order is being made.",
        "allocated": "Your order is made and set aside for you; it is being packed.",
        "ready_to_ship": "Your order is packed and ready to ship.",
        "partially_shipped": "Part of your order has shipped; the rest follows.",
        "shipped": "Your order has shipped.",
        "delivered": "Your order was delivered.",
        "cancelled": "Your order was cancelled.",
    },
    labels={
        "title": "Order {order_no}", "ordered": "Ordered", "promised": "Promised to ship by",
        "expected": "Expected to ship", "lines": "What you ordered", "parcel": "Parcel {n}",
        "shipped_on": "shipped {date}", "delivered_on": ", delivered {date}",
    },
    months=("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December"),
    first_day="1",
)

FRENCH = Words(
    lang="fr",
    steps={
        "received": "Commande reçue", "materials_reserved": "Matières réservées", "in_production": "En fabrication",
        "ready_to_ship": "Prête à partir", "shipped": "Expédiée", "delivered": "Livrée",
    },
    status={
        "received": "Nous avons bien reçu votre commande.",
        "awaiting_materials": "Nous avons bien reçu votre commande et attendons les matières pour la fabriquer.",
        "materials_reserved": "Les matières de votre commande sont réservées ; sa fabrication est planifiée.",
        "in_production": "Votre commande est en cours de fabrication.",
        "allocated": "Votre commande est fabriquée et mise de côté pour vous ; elle est en cours d'emballage.",
        "ready_to_ship": "Votre commande est emballée et prête à partir.",
        "partially_shipped": "Une partie de votre commande a été expédiée ; le reste suivra.",
        "shipped": "Votre commande a été expédiée.",
        "delivered": "Votre commande a été livrée.",
        "cancelled": "Votre commande a été annulée.",
    },
    labels={
        "title": "Commande {order_no}", "ordered": "Commandée le", "promised": "Expédition promise au plus tard le",
        "expected": "Expédition prévue le", "lines": "Votre commande", "parcel": "Colis {n}",
        "shipped_on": "expédié le {date}", "delivered_on": ", livré le {date}",
    },
    months=("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
            "novembre", "décembre"),
    first_day="1er",
)

_BY_LANGUAGE = {"en": ENGLISH, "fr": FRENCH}


def words_for(tag: str | None) -> Words:
    """'fr', 'fr-FR', 'fr_CA' -> French; anything else (or nothing) -> English."""
    base = (tag or "").replace("_", "-").split("-")[0].strip().lower()
    return _BY_LANGUAGE.get(base, ENGLISH)
