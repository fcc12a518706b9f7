"""The steps of a batch completion, one module each, in the order `handlers.batch_completed`
runs them (and takes their locks, once, before the first step that changes stock):

1. `recording` - record the completion (once per batch) and name the lots production used;
2. `consumption` - consume the materials used, then release the rest of the reservations;
3. `output_stock` - put the output in stock as a finished lot;
4. `promised_orders` - allocate it to the orders promised on the plan;
5. `shortfall` - release what a yield shortfall leaves uncovered (the lines are re-planned by
   the resumption that follows) and mark the orders partly served as backordered."""
