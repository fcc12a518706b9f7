// Production: the queue with the work to do first; a batch's page with the orders it covers
// and its reserved lots; start; complete with the actual consumption per lot, output, waste
// and expiry; cancel a planned batch.
import { ApiError, get, post } from "../api.js";
import { field, h, table } from "../dom.js";
import { dateTime, day, qty } from "../format.js";
import { action, badge, batchLink, lotLink, orderLink, showErrors } from "./common.js";

const TODO = { started: 0, planned: 1 };

export async function render(main, [batchId], ctx) {
  if (batchId) return batch(main, batchId, ctx);
  const batches = await get("/api/batches");
  const todo = batches.filter((b) => b.status in TODO)
    .sort((a, b) => TODO[a.status] - TODO[b.status] || String(a.planned_start).localeCompare(String(b.planned_start)));
  const done = batches.filter((b) => !(b.status in TODO))
    .sort((a, b) => String(b.completed_at || b.cancelled_at || "").localeCompare(String(a.completed_at || a.cancelled_at || "")));
  const cols = [
    { label: "Batch", cell: (b) => batchLink(b.batch_id, b.batch_no) },
    { label: "Product", cell: (b) => b.sku },
    { label: "Quantity", num: true, cell: (b) => qty(b.planned_quantity, b.unit) },
    { label: "Status", cell: (b) => badge(b.status) },
    { label: "Planned", cell: (b) => `${day(b.planned_start)} → ${day(b.planned_end)}` },
    { label: "For", cell: (b) => (b.purpose === "stock"
      ? `stock (reorder point)${(b.covers || []).length ? `, promised to ${b.covers.length} order line(s)` : ""}`
      : ((b.covers || []).length ? `${b.covers.length} order line(s)` : "stock")) },
  ];
  main.append(h("h1", {}, "Production"),
    h("h2", {}, "To do"),
    table([...cols, { label: "", cell: (b) => (b.status === "planned"
      ? action("Start", () => post(`/api/batches/${b.batch_id}/start`), ctx)
      : h("a", { class: "button", href: `#/production/${b.batch_id}` }, "Complete…")) }], todo, { empty: "No batch to make." }),
    h("h2", {}, "Done"),
    table(cols, done.slice(0, 50), { empty: "Nothing made yet." }));
}

async function batch(main, batchId, ctx) {
  const b = await get(`/api/batches/${encodeURIComponent(batchId)}`);
  main.append(h("p", {}, h("a", { href: "#/production" }, "← Production")),
    h("h1", {}, `Batch ${b.batch_no} `, badge(b.status)),
    h("div", { class: "card" }, h("dl", { class: "facts" },
      h("dt", {}, "Product"), h("dd", {}, `${b.sku} (recipe version ${b.recipe_version})`),
      h("dt", {}, "Planned"), h("dd", {}, `${qty(b.planned_quantity, b.unit)}, ${day(b.planned_start)} → ${day(b.planned_end)}`),
      b.started_at ? [h("dt", {}, "Started"), h("dd", {}, dateTime(b.started_at))] : null,
      b.completed_at ? [h("dt", {}, "Completed"), h("dd", {}, `${dateTime(b.completed_at)}: ${qty(b.output_quantity, b.unit)} made, ${qty(b.waste_quantity || 0, b.unit)} waste, expires ${day(b.expiry_date)}`)] : null,
      b.cancelled_at ? [h("dt", {}, "Cancelled"), h("dd", {}, `${dateTime(b.cancelled_at)}: ${b.cancel_reason || ""}`)] : null)),
    h("h2", {}, "Covers"),
    table([
      { label: "Order", cell: (c) => orderLink(c.order_id, c.order_no) },
      { label: "Line", cell: (c) => String(c.line_no) },
      { label: "Quantity", num: true, cell: (c) => qty(c.quantity, b.unit) },
    ], b.covers || [], { empty: "Made for stock." }),
    h("h2", {}, b.status === "completed" ? "Consumed" : "Reserved materials"),
    table([
      { label: "Material", cell: (m) => m.sku },
      { label: "Lot", cell: (m) => lotLink(m.lot_no) },
      { label: "Quantity", num: true, cell: (m) => qty(m.quantity, m.unit) },
      { label: "Expiry", cell: (m) => day(m.expiry_date) },
    ], (b.status === "completed" ? b.consumed_materials : b.reserved_materials) || []),
    b.status === "planned" ? h("div", { class: "row" },
      action("Start", () => post(`/api/batches/${b.batch_id}/start`), ctx),
      action("Cancel batch", () => post(`/api/batches/${b.batch_id}/cancel`, { reason: "cancelled from the console" }), ctx,
        { kind: "danger", confirmText: `Cancel batch ${b.batch_no}? The orders it covers are re-planned.` })) : null,
    b.status === "started" && ctx.mayAct ? completeForm(b, ctx) : null);
}

function completeForm(b, ctx) {
  const output = field(`Output (${b.unit})`, { type: "number", min: "0", step: b.unit === "pcs" ? "1" : "any", value: Number(b.planned_quantity), required: true, inputmode: "decimal" });
  const waste = field(`Waste (${b.unit})`, { type: "number", min: "0", step: "any", value: 0, inputmode: "decimal" });
  const expiry = field("Expiry (empty: shelf life from today)", { type: "date" });
  const lots = (b.reserved_materials || []).map((m) => {
    const f = field(`${m.sku} from lot ${m.lot_no} (${m.unit})`, { type: "number", min: "0", step: m.unit === "pcs" ? "1" : "any",
      value: Number(m.quantity), inputmode: "decimal" });
    f.lot = m;
    return f;
  });
  const map = { output_quantity: output, waste_quantity: waste, expiry_date: expiry };
  lots.forEach((f, i) => { map[`consumption.${i}.quantity`] = f; });
  const err = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  return h("form", { class: "card", novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const body = { output_quantity: output.input.value, waste_quantity: waste.input.value || "0",
      expiry_date: expiry.input.value || undefined,
      consumption: lots.filter((f) => Number(f.input.value) > 0).map((f) => ({ lot_id: f.lot.lot_id, quantity: f.input.value })) };
    try {
      await post(`/api/batches/${b.batch_id}/complete`, body);
      ctx.rerender();
    } catch (e) { if (e instanceof ApiError) showErrors(e, map, err); else throw e; }
  } }, h("h2", {}, "Complete this batch"), h("p", { class: "muted" }, "What was actually used, per lot, and what came out."),
  h("fieldset", {}, h("legend", {}, "Consumption per lot"), h("div", { class: "row" }, lots)),
  h("div", { class: "row" }, output, waste, expiry), err, h("button", { type: "submit" }, "Complete batch"));
}

export const refreshOn = (e) => ["BatchScheduled", "BatchStarted", "BatchCompleted", "BatchCancelled"].includes(e.event_type);
