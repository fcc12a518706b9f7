"""A batch's life: planned -> started -> completed (or cancelled before it starts)."""

from __future__ import annotations

from enum import StrEnum


class BatchStatus(StrEnum):
    planned = "planned"
    started = "started"
    completed = "completed"
    cancelled = "cancelled"


# Batches that occupy a capacity slot on their planned_start day.
LOADING = (BatchStatus.planned, BatchStatus.started)


def start_refusal(status: BatchStatus) -> str | None:
    """Why the batch cannot start now, or None if it can."""
    if status == BatchStatus.planned:
        return None
    return f"batch is {status.value}; only a planned batch can start"


def complete_refusal(status: BatchStatus) -> str | None:
    if status == BatchStatus.started:
        return None
    if status == BatchStatus.planned:
        return "batch is planned; start it before completing it"
    return f"batch is {status.value}; only a started batch can complete"


def announces_schedule(status: BatchStatus) -> bool:
    """Whether a newly covered order line is announced with BatchScheduled. A finished or
    cancelled batch still records the line (traceability) but has no schedule to announce."""
    return status in LOADING


def saga_of(batch_id: str, order_ids: list[str]) -> str:
    """The correlation id of a batch command: the order's saga when the batch covers exactly
    one order (one trace per order), else the batch itself (it starts its own chain)."""
    distinct = sorted(set(order_ids))
    return distinct[0] if len(distinct) == 1 else batch_id
