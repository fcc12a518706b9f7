from __future__ import annotations

import os
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict
from sqlalchemy import text

from contracts.events import OrderPlaced
from contracts.events.base import Customer, OrderLine
from eventkit import Context, DomainRejection, Runtime, Service, ServiceSettings


class ProbeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROBE_", extra="ignore")
    service_name: str = "probe"
    instance: str = "a"
    # How long a "SLOW" order takes to apply: makes batches long enough to interrupt.
    slow_ms: int = 50


# Failed attempts so far per "FLAKY" order: a transient failure that goes away when retried.
_flaky_attempts: Counter[str] = Counter()


async def on_order_placed(ctx: Context, event: OrderPlaced) -> None:
    if event.customer.name == "POISON":
        # "Fixed" by an operator inserting the order into probe_fixed (the cause went away).
        fixed = await ctx.session.execute(text("SELECT 1 FROM probe_fixed WHERE order_id = :o"), {"o": event.order_id})
        if fixed.first() is None:
            raise ValueError("probe: this order can never be handled")
    if event.customer.name == "REJECT":
        raise DomainRejection("probe: rejected by the domain")
    if event.customer.name == "TRANSIENT":
        # Classed transient (an OSError) but deterministic: retried until the stuck bound.
        raise OSError("probe: no space left on this order's device")
    if event.customer.name == "FLAKY" and _flaky_attempts[event.order_id] < int(os.environ.get("PROBE_FLAKY_FAILURES", "2")):
        _flaky_attempts[event.order_id] += 1
        raise OSError("probe: the order's device is busy for now")
    if event.customer.name == "SLOW":
        await ctx.session.execute(text("SELECT pg_sleep(:s)"), {"s": int(os.environ.get("PROBE_SLOW_MS", "50")) / 1000})
    await ctx.session.execute(
        text(
            "INSERT INTO probe_seen (order_id, applied, handled_by) VALUES (:o, 1, :i) "
            "ON CONFLICT (order_id) DO UPDATE SET applied = probe_seen.applied + 1"
        ),
        {"o": event.order_id, "i": os.environ.get("PROBE_INSTANCE", "a")},
    )


def make_api(rt: Runtime) -> FastAPI:
    app = FastAPI()

    @app.post("/emit/{order_id}")
    async def emit(order_id: str) -> dict:
        async with rt.uow.start(correlation_id=order_id) as ctx:
            env = await ctx.emit(
                OrderPlaced(
                    order_id=order_id,
                    order_no=order_id,
                    customer=Customer(name="probe", email="probe@example.com"),
                    lines=[OrderLine(line_no=1, sku="SKU-1", quantity=1, unit="pcs")],
                    placed_at=datetime.now(timezone.utc),
                )
            )
        return {"event_id": str(env.event_id)}

    @app.get("/seen")
    async def seen() -> list[dict]:
        async with rt.engine.connect() as conn:
            rows = await conn.execute(text("SELECT order_id, applied, handled_by FROM probe_seen ORDER BY order_id"))
            return [dict(r._mapping) for r in rows]

    return app


if __name__ == "__main__":
    Service(
        ProbeSettings(),
        handlers={OrderPlaced: on_order_placed},
        http_app=make_api,
        migrations=Path(__file__).parent / "migrations",
    ).run()
