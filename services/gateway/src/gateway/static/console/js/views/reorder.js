// Make to stock: reorder points per item, where each item stands against its point (free
// stock + what planned batches or open purchase orders will bring), and the replenishments
// the crossings raised (batches for stock, purchase suggestions).
import { ApiError, del, get, put } from "../api.js";
import { field, h, table } from "../dom.js";
import { dateTime, qty } from "../format.js";
import { action, badge, batchLink, link, list, showErrors } from "./common.js";

const STATUS_WORDS = { ok: "OK", replenishing: "Replenishing", waiting: "Waiting for materials", below: "Below the point" };

export async function render(main, _params, ctx) {
  const [rules, reps, items, batches] = await Promise.all([get("/api/reorder-rules"), get("/api/replenishments", { limit: 50 }),
    get("/api/items"), get("/api/batches", { limit: 200 }).catch(() => [])]);
  // A replenishment names its plan; production numbers the batch (same id) once it is scheduled.
  const batchNo = new Map(list(batches).map((b) => [b.batch_id, b.batch_no]));
  main.append(h("h1", {}, "Reorder points"),
    h("p", { class: "muted" }, "Below its point, a finished good gets one batch for stock (sized by its recipe, its materials "
      + "reserved; it waits if they are short) and a material one purchase suggestion. Position = free stock + planned "
      + "batches' unpromised output, or + open purchase orders for a material. ",
      h("a", { href: "#/purchasing" }, "Suggestions →")),
    table([
      { label: "Item", cell: (r) => link(`#/stock/${encodeURIComponent(r.sku)}`, r.sku) },
      { label: "Status", cell: (r) => h("span", { class: `status ${r.status === "ok" ? "s-ok" : "s-warn"}` }, STATUS_WORDS[r.status] || r.status) },
      { label: "Free", num: true, cell: (r) => qty(r.on_hand_free, r.unit) },
      { label: "Coming", num: true, cell: (r) => qty(r.open_supply, r.unit) },
      { label: "Position", num: true, cell: (r) => h("strong", {}, qty(r.position, r.unit)) },
      { label: "Point", num: true, cell: (r) => qty(r.reorder_point, r.unit) },
      { label: "Fill up to", num: true, cell: (r) => [qty(r.effective_target, r.unit),
        r.days_of_cover ? h("span", { class: "muted" }, ` (${r.days_of_cover} days of cover)`) : null] },
      { label: "Action", cell: (r) => action("Remove", () => del(`/api/reorder-rules/${encodeURIComponent(r.sku)}`), ctx,
        { kind: "secondary", confirmText: `Remove the reorder point of ${r.sku}?` }) },
    ], list(rules), { empty: "No reorder points yet." }),
    ctx.mayAct ? ruleForm(ctx, list(items)) : null,
    h("h2", {}, "Replenishments"),
    table([
      { label: "When", cell: (r) => dateTime(r.reached_at) },
      { label: "Item", cell: (r) => r.sku },
      { label: "What", cell: (r) => (r.action === "batch" ? "batch for stock" : "purchase") },
      { label: "Status", cell: (r) => badge(r.status) },
      { label: "Quantity", num: true, cell: (r) => qty(r.quantity, r.unit) },
      { label: "Batch / missing", cell: (r) => (r.plan_id ? batchLink(r.plan_id, batchNo.get(r.plan_id))
        : (r.shortages || []).map((s, i) => [i ? ", " : "", `${qty(s.missing, s.unit)} ${s.material_sku}`])) },
    ], list(reps), { empty: "No reorder point was crossed yet." }));
}

function ruleForm(ctx, items) {
  const sku = field("Item", { name: "sku", list: "reorder-items", required: true });
  const point = field("Reorder point", { name: "reorder_point", type: "number", min: "0", step: "any", inputmode: "decimal", required: true });
  const kind = field("Fill up to", { name: "kind" }, { as: "select",
    options: [{ value: "target", label: "a target quantity (min/max)" }, { value: "days", label: "days of recent demand" }] });
  const target = field("Target / days of cover", { name: "target", type: "number", min: "0", step: "any", inputmode: "decimal", required: true });
  const unit = field("Unit", { name: "unit", required: true });
  const base = Object.fromEntries(items.map((i) => [i.sku, i.base_unit]));
  sku.input.addEventListener("change", () => { if (base[sku.input.value.trim()]) unit.input.value = base[sku.input.value.trim()]; });
  const err = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  const map = { reorder_point: point, target, days_of_cover: target, unit };
  return h("details", { class: "card" }, h("summary", {}, "Set a reorder point"), h("form", { novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const code = sku.input.value.trim();
    if (!code) { sku.error("Choose the item"); sku.input.focus(); return; }
    sku.error("");
    const body = { reorder_point: point.input.value, unit: unit.input.value.trim() };
    if (kind.input.value === "days") body.days_of_cover = Number(target.input.value); else body.target = target.input.value;
    try {
      await put(`/api/reorder-rules/${encodeURIComponent(code)}`, body);
      ctx.rerender();
    } catch (e) { if (e instanceof ApiError) showErrors(e, map, err); else throw e; }
  } }, h("datalist", { id: "reorder-items" }, items.map((i) => h("option", { value: i.sku }, i.name))),
  h("div", { class: "row" }, sku, point, kind, target, unit), err, h("button", { type: "submit" }, "Save")));
}

export const refreshOn = (e) => ["ReorderPointReached", "ReplenishmentPlanned", "OrderAllocated", "MaterialsReserved",
  "BatchCompleted", "GoodsReceived", "PurchaseOrderPlaced"].includes(e.event_type);
