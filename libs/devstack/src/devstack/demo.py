"""Demo data: a small natural-cosmetics maker, loaded through the gateway API only.

Raw materials with supplier lots, three suppliers with their terms (lead time, pack, minimum,
price), five products with recipes, opening stock of two of them, and three orders that show the saga's three paths: one served from stock, one made to order,
one mixed (part from stock, part made; its second line waits for a scarce material, so a
shortage is visible and purchasing suggests what to buy from whom). Idempotent: everything is looked up first and only what is missing is
created, so running it twice changes nothing.

    python -m devstack.demo --gateway http://127.0.0.1:8100
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import date, timedelta
from typing import Any

import httpx

# (sku, name, base unit, shelf life days or None)
RAW_MATERIALS = [
    ("SHEA-BUTTER", "Shea butter, unrefined", "kg", 730),
    ("COCOA-BUTTER", "Cocoa butter, organic", "kg", 730),
    ("COCONUT-OIL", "Coconut oil, virgin", "kg", 730),
    ("ALMOND-OIL", "Sweet almond oil", "L", 365),
    ("BEESWAX", "Beeswax pastilles", "kg", 1825),
    ("EMULSIFYING-WAX", "Emulsifying wax (Olivem 1000)", "kg", 1095),
    ("LAVENDER-EO", "Lavender essential oil", "mL", 1095),
    ("VITAMIN-E", "Vitamin E (tocopherol)", "mL", 730),
    ("GLYCERIN", "Vegetable glycerin", "L", 1095),
    ("DISTILLED-WATER", "Distilled water", "L", None),
    ("SOAP-BASE", "Glycerin melt-and-pour soap base", "kg", 1095),
    ("JAR-50ML", "Amber glass jar 50 mL with lid", "pcs", None),
    ("TIN-15G", "Aluminium tin 15 g", "pcs", None),
    ("BOTTLE-30ML", "Dropper bottle 30 mL", "pcs", None),
    ("LABEL", "Printed product label", "pcs", None),
]

# sku, name, recipe: ingredients per one unit of output, batch rules, yield, lead time, shelf life
PRODUCTS: list[dict[str, Any]] = [
    {"sku": "LIP-BALM-15G", "name": "Lip balm 15 g tin", "batch_min": "100", "batch_multiple": "50",
     "expected_yield": "0.97", "lead_time_days": 1, "shelf_life_days": 730,
     "ingredients": [("BEESWAX", "0.005", "kg"), ("SHEA-BUTTER", "0.004", "kg"), ("COCONUT-OIL", "0.004", "kg"),
                     ("ALMOND-OIL", "0.002", "L"), ("VITAMIN-E", "0.1", "mL"), ("TIN-15G", "1", "pcs"),
                     ("LABEL", "1", "pcs")]},
    {"sku": "BODY-BUTTER-50ML", "name": "Whipped body butter 50 mL jar", "batch_min": "50", "batch_multiple": "25",
     "expected_yield": "0.95", "lead_time_days": 2, "shelf_life_days": 365,
     "ingredients": [("SHEA-BUTTER", "0.022", "kg"), ("COCOA-BUTTER", "0.012", "kg"), ("COCONUT-OIL", "0.008", "kg"),
                     ("ALMOND-OIL", "0.006", "L"), ("VITAMIN-E", "0.5", "mL"), ("LAVENDER-EO", "0.4", "mL"),
                     ("JAR-50ML", "1", "pcs"), ("LABEL", "1", "pcs")]},
    {"sku": "HAND-CREAM-50ML", "name": "Lavender hand cream 50 mL jar", "batch_min": "50", "batch_multiple": "25",
     "expected_yield": "0.96", "lead_time_days": 3, "shelf_life_days": 365,
     "ingredients": [("DISTILLED-WATER", "0.032", "L"), ("ALMOND-OIL", "0.006", "L"), ("SHEA-BUTTER", "0.005", "kg"),
                     ("EMULSIFYING-WAX", "0.003", "kg"), ("GLYCERIN", "0.002", "L"), ("VITAMIN-E", "0.25", "mL"),
                     ("LAVENDER-EO", "0.25", "mL"), ("JAR-50ML", "1", "pcs"), ("LABEL", "1", "pcs")]},
    {"sku": "LAVENDER-SOAP", "name": "Lavender soap bar 100 g", "batch_min": "50", "batch_multiple": "25",
     "expected_yield": "0.98", "lead_time_days": 2, "shelf_life_days": 730,
     "ingredients": [("SOAP-BASE", "0.1", "kg"), ("LAVENDER-EO", "1.5", "mL"), ("LABEL", "1", "pcs")]},
    {"sku": "FACE-OIL-30ML", "name": "Nourishing face oil 30 mL", "batch_min": "50", "batch_multiple": "25",
     "expected_yield": "0.98", "lead_time_days": 1, "shelf_life_days": 540,
     "ingredients": [("ALMOND-OIL", "0.028", "L"), ("VITAMIN-E", "0.6", "mL"), ("LAVENDER-EO", "0.3", "mL"),
                     ("BOTTLE-30ML", "1", "pcs"), ("LABEL", "1", "pcs")]},
]

# Suppliers of the raw materials: (name, e-mail, phone, {sku: (lead time days, pack size,
# minimum order quantity, price per base unit, preferred)}); pack and minimum in the base unit.
SUPPLIERS = [
    ("Karite & Co", "orders@karite.example", "+33 1 23 45 67 89", {
        "SHEA-BUTTER": (10, "5", "10", "9.80", True), "COCOA-BUTTER": (10, "5", "5", "14.50", True),
        "COCONUT-OIL": (7, "5", "5", "6.20", True), "BEESWAX": (14, "1", "2", "18.00", True)}),
    ("Apothecary Oils", "sales@apothecary-oils.example", "+44 20 7946 0321", {
        "ALMOND-OIL": (5, "1", "2", "11.40", True), "LAVENDER-EO": (5, "100", "100", "0.09", True),
        "VITAMIN-E": (5, "100", "100", "0.12", True), "GLYCERIN": (5, "5", "5", "4.10", True),
        "EMULSIFYING-WAX": (7, "1", "1", "21.00", True), "SOAP-BASE": (7, "10", "10", "5.60", True),
        "COCOA-BUTTER": (4, "1", "1", "19.90", False)}),
    ("PackRight Packaging", "orders@packright.example", None, {
        "JAR-50ML": (12, "100", "200", "0.42", True), "TIN-15G": (12, "100", "200", "0.31", True),
        "BOTTLE-30ML": (12, "50", "100", "0.55", True), "LABEL": (6, "500", "500", "0.04", True)}),
]

# Goods receipts: (sku, quantity, unit, supplier lot, days until expiry or None). Enough for a
# few batches of everything, except cocoa butter: 0.3 kg is short of one body-butter batch
# (50 / 0.95 x 0.012 kg = 0.63 kg), so that shortage shows up on /api/shortages.
RECEIPTS = [
    ("SHEA-BUTTER", "4", "kg", "KAR-2406-118", 200), ("SHEA-BUTTER", "6", "kg", "KAR-2411-032", 420),
    ("COCOA-BUTTER", "0.3", "kg", "CAC-2409-007", 300),
    ("COCONUT-OIL", "8", "kg", "CNO-2410-551", 400),
    ("ALMOND-OIL", "6", "L", "ALM-2410-090", 240),
    ("BEESWAX", "5", "kg", "BWX-2407-014", 900),
    ("EMULSIFYING-WAX", "2", "kg", "OLV-2408-233", 700),
    ("LAVENDER-EO", "500", "mL", "LAV-2407-301", 150), ("LAVENDER-EO", "500", "mL", "LAV-2411-077", 600),
    ("VITAMIN-E", "250", "mL", "TOC-2409-412", 500),
    ("GLYCERIN", "2", "L", "GLY-2408-015", 800),
    ("DISTILLED-WATER", "20", "L", "AQD-2411-002", None),
    ("SOAP-BASE", "15", "kg", "SBM-2410-120", 900),
    ("JAR-50ML", "400", "pcs", "JAR-24-8812", None),
    ("TIN-15G", "500", "pcs", "TIN-24-4410", None),
    ("BOTTLE-30ML", "200", "pcs", "BTL-24-0931", None),
    ("LABEL", "2000", "pcs", "LBL-24-0007", None),
]

# Opening finished stock (made before the system was introduced): (sku, quantity, lot no, days to expiry)
FINISHED_STOCK = [
    ("LIP-BALM-15G", "60", "OPEN-LB-2409", 600),
    ("LAVENDER-SOAP", "30", "OPEN-SOAP-2409", 650),
]

# Order ids are fixed (uuid5) so a second run finds the orders it placed the first time.
_DEMO_NS = uuid.UUID("8f2d8a53-3c1e-4f5e-9a70-6a1f0de0c0a1")
ORDERS = [
    ("from stock", {"customer": {"name": "Ada's Apothecary", "email": "orders@ada-apothecary.example",
                                 "customer_id": "C-1001", "country": "DE"},
                    "lines": [{"sku": "LIP-BALM-15G", "quantity": "24", "unit": "pcs"}], "wanted_in_days": 5}),
    ("make to order", {"customer": {"name": "Hotel Lindenhof", "email": "purchasing@lindenhof.example",
                                    "customer_id": "C-1002", "country": "AT"},
                       "lines": [{"sku": "HAND-CREAM-50ML", "quantity": "75", "unit": "pcs"}], "wanted_in_days": 14}),
    ("mixed", {"customer": {"name": "Green Corner Shop", "email": "hello@greencorner.example",
                            "customer_id": "C-1003", "country": "NL"},
               "lines": [{"sku": "LAVENDER-SOAP", "quantity": "40", "unit": "pcs"},
                         {"sku": "BODY-BUTTER-50ML", "quantity": "30", "unit": "pcs"}], "wanted_in_days": 10}),
]

READY_TIMEOUT = 60.0
RECIPES_TIMEOUT = 30.0
# The demo talks to these only (channels need not be up to load it).
NEEDED_SERVICES = ("orders", "inventory", "production", "purchasing")


class DemoError(RuntimeError):
    pass


async def load_demo(gateway_url: str, api_key: str = "dev-operator-key") -> None:
    async with httpx.AsyncClient(base_url=gateway_url.rstrip("/"), headers={"X-API-Key": api_key},
                                 timeout=httpx.Timeout(15.0, connect=3.0)) as client:
        api = _Api(client)
        await api.wait_ready()
        today = date.today()
        # Items, then recipes (checked against production's replica of the items), then stock
        # and orders (checked against orders' replica), each step once the last has arrived.
        report = [
            await _items(api),
            await _await_replicas(api, "items"),
            await _suppliers(api),
            await _recipes(api),
            await _await_replicas(api, "recipes"),
            await _receipts(api, today),
            await _orders(api, today),
        ]
    for line in report:
        print(f"demo: {line}")


class _Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = await self.client.request(method, path, **kwargs)
        if resp.status_code >= 400:
            raise DemoError(f"{method} {path} -> {resp.status_code}: {resp.text[:300]}")
        return resp.json() if resp.content else None

    async def create(self, path: str, body: dict[str, Any]) -> bool:
        """POST; False if it exists already (409: someone else created it since we looked)."""
        resp = await self.client.post(path, json=body)
        if resp.status_code == 409:
            return False
        if resp.status_code >= 400:
            raise DemoError(f"POST {path} -> {resp.status_code}: {resp.text[:300]}")
        return True

    async def get_list(self, path: str, **params: Any) -> list[dict[str, Any]]:
        body = await self.call("GET", path, params=params or None)
        return body["items"] if isinstance(body, dict) and "items" in body else body

    async def wait_ready(self) -> None:
        """Poll the gateway's readiness report until the services the demo needs are ready."""
        deadline = time.monotonic() + READY_TIMEOUT
        last = ""
        while time.monotonic() < deadline:
            try:
                resp = await self.client.get("/health/ready")
                services = resp.json().get("services", {}) if resp.status_code in (200, 503) else {}
                if all(services.get(name, {}).get("ready") for name in NEEDED_SERVICES):
                    return
                last = resp.text[:300]
            except (httpx.TransportError, ValueError) as exc:
                last = repr(exc)
            await asyncio.sleep(0.5)
        raise DemoError(f"gateway not ready after {READY_TIMEOUT:.0f}s: {last}")


async def _items(api: _Api) -> str:
    """Raw materials and the products (finished goods): inventory owns items and announces
    each (ItemDefined); orders and production check orders and recipes against their replicas."""
    existing = {i["sku"] for i in await api.get_list("/api/items")}
    created = 0
    for sku, name, unit, life in RAW_MATERIALS:
        if sku not in existing:
            item = {"sku": sku, "name": name, "kind": "raw", "base_unit": unit, "supplier_lead_time_days": 7}
            created += await api.create("/api/items", item | ({"shelf_life_days": life} if life else {}))
    for p in PRODUCTS:
        if p["sku"] not in existing:
            created += await api.create("/api/items", {"sku": p["sku"], "name": p["name"], "kind": "finished",
                                                       "base_unit": "pcs", "shelf_life_days": p["shelf_life_days"]})
    total = len(RAW_MATERIALS) + len(PRODUCTS)
    return f"items: {created} created, {total - created} already there"


async def _await_replicas(api: _Api, what: str) -> str:
    """Orders and production learn items from ItemDefined, inventory learns recipes from
    RecipePublished (over Kafka, about a second behind): poll until every item and recipe has
    arrived everywhere, so no demo recipe or order meets a replica that is catching up."""
    skus = [r[0] for r in RAW_MATERIALS] + [p["sku"] for p in PRODUCTS]
    deadline = time.monotonic() + RECIPES_TIMEOUT
    while True:
        behind = [sku for sku in skus if not (await api.call("GET", f"/api/items/{sku}/replicas"))["everywhere"]]
        if not behind:
            return f"{what}: every service has them"
        if time.monotonic() > deadline:
            raise DemoError(f"{what}: not replicated after {RECIPES_TIMEOUT:.0f}s: {', '.join(behind)}")
        await asyncio.sleep(0.3)


async def _suppliers(api: _Api) -> str:
    """Suppliers and their terms (purchasing): what the shortages' suggestions are bought from."""
    existing = {s["name"]: s["supplier_id"] for s in await api.get_list("/api/suppliers")}
    created = 0
    for name, email, phone, materials in SUPPLIERS:
        if name not in existing:
            supplier = await api.call("POST", "/api/suppliers", json={"name": name, "email": email, "phone": phone})
            existing[name] = supplier["supplier_id"]
            created += 1
        for sku, (lead, pack, moq, price, preferred) in materials.items():
            terms = {"lead_time_days": lead, "pack_size": pack, "min_order_quantity": moq, "price": price,
                     "currency": "EUR", "preferred": preferred}
            await api.call("PUT", f"/api/suppliers/{existing[name]}/materials/{sku}", json=terms)  # idempotent
    return f"suppliers: {created} created, {len(SUPPLIERS) - created} already there"


async def _recipes(api: _Api) -> str:
    existing = {r["sku"] for r in await api.get_list("/api/recipes")}
    published = 0
    for p in PRODUCTS:
        if p["sku"] in existing:
            continue
        recipe = {k: v for k, v in p.items() if k != "ingredients"}
        recipe["output_unit"] = "pcs"
        recipe["ingredients"] = [{"sku": s, "quantity": q, "unit": u} for s, q, u in p["ingredients"]]
        published += await api.create("/api/recipes", recipe)
    return f"recipes: {published} published, {len(PRODUCTS) - published} already there"


async def _receipts(api: _Api, today: date) -> str:
    wanted = [(sku, qty, unit, {"supplier_lot_no": lot}, days) for sku, qty, unit, lot, days in RECEIPTS]
    wanted += [(sku, qty, "pcs", {"lot_no": lot}, days) for sku, qty, lot, days in FINISHED_STOCK]
    received = 0
    for sku, qty, unit, ident, days in wanted:
        lots = await api.get_list("/api/lots", sku=sku)
        (field, value), = ident.items()
        if any(lot.get(field) == value for lot in lots):
            continue
        body: dict[str, Any] = {"sku": sku, "quantity": qty, "unit": unit, **ident}
        if days is not None:
            body["expiry_date"] = (today + timedelta(days=days)).isoformat()
        received += await api.create("/api/receipts", body)
    scarce = next(r for r in RECEIPTS if r[0] == "COCOA-BUTTER")
    return (f"receipts: {received} lots received, {len(wanted) - received} already there "
            f"(finished stock: {', '.join(f'{q} {s}' for s, q, _, _ in FINISHED_STOCK)}; "
            f"scarce: {scarce[1]} {scarce[2]} {scarce[0]})")


async def _orders(api: _Api, today: date) -> str:
    placed: list[str] = []
    for kind, spec in ORDERS:
        order_id = str(uuid.uuid5(_DEMO_NS, spec["customer"]["customer_id"]))
        found = await api.client.get(f"/api/orders/{order_id}")
        if found.status_code == 200:
            continue
        if found.status_code != 404:
            raise DemoError(f"GET /api/orders/{order_id} -> {found.status_code}: {found.text[:300]}")
        body = {"order_id": order_id, "customer": spec["customer"], "lines": spec["lines"],
                "wanted_date": (today + timedelta(days=spec["wanted_in_days"])).isoformat()}
        order = await api.call("POST", "/api/orders", json=body)
        placed.append(f"{order.get('order_no') or order_id} ({kind}, {spec['customer']['name']})")
    if not placed:
        return f"orders: all {len(ORDERS)} already placed"
    return f"orders: placed {', '.join(placed)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--gateway", default="http://127.0.0.1:8100", help="gateway base URL")
    parser.add_argument("--api-key", default="dev-operator-key", help="an operator API key")
    args = parser.parse_args(argv)
    try:
        asyncio.run(load_demo(args.gateway, args.api_key))
    except (DemoError, httpx.HTTPError) as exc:
        print(f"demo: failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
