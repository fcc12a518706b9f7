"""The events inventory consumes, one module each, named after the event (`bootstrap.py`
wires `on_<event>` of each). Each runs in the transaction that also claims the inbox row and
writes the outbox, so an event's effects and the events it raises commit together or not at
all. The steps they share live in modules named for the step: `covering` (cover a line from
stock, a plan's surplus or a new plan), `making` (plan a batch, reserve its materials),
`waiting`, `resumption` (retry waiting lines), `replenishment` (reorder points), `shrinking`
(fit a plan to a smaller batch), and `completion/` (the steps of a batch completion).
The lock order all of them follow is stated once, in `adapters/stock.py`.

| event | module |
|---|---|
| OrderPlaced | `order_placed` |
| OrderCancelled | `order_cancelled` |
| BatchCompleted | `batch_completed` |
| BatchCancelled | `batch_cancelled` |
| BatchScheduled | `batch_scheduled` |
| Shipped | `shipped` |
| RecipePublished | `recipe_published` |
| PurchaseOrderPlaced | `purchase_order_placed` |
| PurchaseOrderCancelled | `purchase_order_cancelled` |
"""
