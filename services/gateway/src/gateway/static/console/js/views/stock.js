// Stock: items with on hand / reserved / allocated / available, lots with expiry and
// holds, the ledger of a lot, and the goods receipt form.
import { ApiError, get, patch, post } from "../api.js";
import { field, h, table, toast } from "../dom.js";
import { dateTime, day, qty } from "../format.js";
import { action, link, lotLink, showErrors } from "./common.js";

export async function render(main, [sku], ctx) {
  if (sku) return item(main, sku, ctx);
  const stock = await get("/api/stock");
  main.append(h("h1", {}, "Stock"),
    table([
      { label: "Item", cell: (s) => link(`#/stock/${encodeURIComponent(s.sku)}`, s.sku) },
      { label: "Name", cell: (s) => s.name },
      { label: "Kind", cell: (s) => s.kind },
      { label: "On hand", num: true, cell: (s) => qty(s.on_hand, s.base_unit) },
      { label: "Reserved", num: true, cell: (s) => qty(s.reserved, s.base_unit) },
      { label: "Allocated", num: true, cell: (s) => qty(s.allocated, s.base_unit) },
      { label: "Available", num: true, cell: (s) => qty(s.available, s.base_unit) },
      { label: "Expired", num: true, cell: (s) => (Number(s.expired) ? qty(s.expired, s.base_unit) : "—") },
      { label: "On hold", num: true, cell: (s) => (Number(s.on_hold) ? h("span", { class: "risk" }, qty(s.on_hold, s.base_unit)) : "—") },
    ], stock, { caption: "Per item, in its base unit" }),
    ctx.mayAct ? receiptForm(ctx, stock) : null,
    ctx.mayAct ? itemForm(ctx) : null);
}

async function item(main, sku, ctx) {
  const [it, lots, ledger] = await Promise.all([
    get(`/api/items/${encodeURIComponent(sku)}`), get("/api/lots", { sku }), get("/api/ledger", { sku, limit: 100 })]);
  main.append(h("p", {}, h("a", { href: "#/stock" }, "← Stock")), h("h1", {}, `${it.name} (${it.sku})`),
    h("p", { class: "muted" }, `${it.kind}, counted in ${it.base_unit}` +
      (it.supplier_lead_time_days != null ? `, supplier lead time ${it.supplier_lead_time_days} days` : "") +
      (it.shelf_life_days != null ? `, shelf life ${it.shelf_life_days} days` : "")),
    h("h2", {}, "Lots"),
    table([
      { label: "Lot", cell: (l) => lotLink(l.lot_no) },
      { label: "Supplier lot", cell: (l) => l.supplier_lot_no || "—" },
      { label: "Received", cell: (l) => day(l.received_date) },
      { label: "Expiry", cell: (l) => [day(l.expiry_date), l.expired ? h("span", { class: "risk" }, " expired") : null] },
      { label: "On hand", num: true, cell: (l) => qty(l.on_hand, l.unit) },
      { label: "Available", num: true, cell: (l) => qty(l.available, l.unit) },
      { label: "Hold", cell: (l) => (l.on_hold ? [h("span", { class: "risk" }, `on hold: ${l.hold_reason || ""}`),
        !l.hold_recall_id ? action("Release", () => post(`/api/lots/${l.lot_id}/release`, { reason: "released from the console" }), ctx, { kind: "secondary" }) : null]
        : action("Hold", async () => {
          const reason = window.prompt(`Why is lot ${l.lot_no} on hold?`, "quality check");
          if (reason) await post(`/api/lots/${l.lot_id}/hold`, { reason });
        }, ctx, { kind: "secondary" })) },
    ], lots, { empty: "No lot of this item." }),
    h("h2", {}, "Ledger"),
    table([
      { label: "When", cell: (m) => dateTime(m.created_at) },
      { label: "Lot", cell: (m) => m.lot_no },
      { label: "Kind", cell: (m) => m.kind },
      { label: "Quantity", num: true, cell: (m) => qty(m.quantity, it.base_unit) },
      { label: "Note", cell: (m) => m.note || "" },
    ], ledger, { empty: "No movement yet." }),
    ctx.mayAct ? receiptForm(ctx, [{ sku: it.sku, base_unit: it.base_unit }], it.sku) : null,
    ctx.mayAct ? changeForm(ctx, it) : null);
}

// Kind and unit are fixed once an item exists (lots, recipes and orders count in them); the
// rest can change. An empty number field clears the value (null), except the name.
function changeForm(ctx, it) {
  const num = (v) => (v === null || v === undefined ? "" : Number(v));
  const name = field("Name", { name: "name", value: it.name, required: true });
  const lead = field("Supplier lead time (days)", { name: "supplier_lead_time_days", type: "number", min: "0", step: "1", value: num(it.supplier_lead_time_days) });
  const shelf = field("Shelf life (days)", { name: "shelf_life_days", type: "number", min: "1", step: "1", value: num(it.shelf_life_days) });
  const bound = field(`Most one order line may ask for (${it.base_unit})`, { name: "max_order_quantity", type: "number", min: "0", step: "any",
    inputmode: "decimal", value: num(it.max_order_quantity) });
  const active = field("Sold / used (active)", { name: "active", type: "checkbox", checked: it.active !== false });
  const err = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  const map = { name, supplier_lead_time_days: lead, shelf_life_days: shelf, max_order_quantity: bound, active };
  const orNull = (f, conv) => (f.input.value === "" ? null : conv(f.input.value));
  return h("details", { class: "card" }, h("summary", {}, "Change this item"), h("form", { novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const wanted = { name: name.input.value.trim(), supplier_lead_time_days: orNull(lead, Number), shelf_life_days: orNull(shelf, Number),
      max_order_quantity: orNull(bound, String), active: active.input.checked };
    // Only what changed: a new lead time re-dates the orders waiting for the material.
    const was = { name: it.name, supplier_lead_time_days: it.supplier_lead_time_days ?? null, shelf_life_days: it.shelf_life_days ?? null,
      max_order_quantity: it.max_order_quantity == null ? null : String(Number(it.max_order_quantity)), active: it.active !== false };
    const body = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => v !== was[k]));
    if (!Object.keys(body).length) { toast("Nothing changed"); return; }
    try {
      await patch(`/api/items/${encodeURIComponent(it.sku)}`, body);
      toast(`Saved ${it.sku}`);
      ctx.rerender();
    } catch (e) { if (e instanceof ApiError) showErrors(e, map, err); else throw e; }
  } }, h("div", { class: "row" }, name, lead, shelf, bound, active), err, h("button", { type: "submit" }, "Save item")));
}

function itemForm(ctx) {
  const sku = field("SKU", { name: "sku", required: true, pattern: "[A-Za-z0-9][A-Za-z0-9._-]*" });
  const name = field("Name", { name: "name", required: true });
  const kind = field("Kind", { name: "kind" }, { as: "select", options: [
    { value: "raw", label: "raw material (bought)" }, { value: "intermediate", label: "intermediate" },
    { value: "finished", label: "finished good (sold)" }] });
  const unit = field("Counted in", { name: "base_unit" }, { as: "select",
    options: ["pcs", "kg", "g", "L", "mL"].map((u) => ({ value: u, label: u })) });
  const lead = field("Supplier lead time (days)", { name: "supplier_lead_time_days", type: "number", min: "0", step: "1" });
  const shelf = field("Shelf life (days)", { name: "shelf_life_days", type: "number", min: "0", step: "1" });
  const err = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  const map = { sku, name, kind, base_unit: unit, supplier_lead_time_days: lead, shelf_life_days: shelf };
  return h("details", { class: "card" }, h("summary", {}, "New item"), h("form", { novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const body = { sku: sku.input.value.trim(), name: name.input.value.trim(), kind: kind.input.value, base_unit: unit.input.value };
    if (lead.input.value) body.supplier_lead_time_days = Number(lead.input.value);
    if (shelf.input.value) body.shelf_life_days = Number(shelf.input.value);
    try {
      await post("/api/items", body);
      ctx.rerender();
    } catch (e) { if (e instanceof ApiError) showErrors(e, map, err); else throw e; }
  } }, h("div", { class: "row" }, sku, name, kind, unit, lead, shelf), err, h("button", { type: "submit" }, "Create item")));
}

function receiptForm(ctx, stock, fixedSku) {
  const units = { kg: ["kg", "g"], g: ["kg", "g"], L: ["L", "mL"], mL: ["L", "mL"], pcs: ["pcs"] };
  const base = Object.fromEntries(stock.map((s) => [s.sku, s.base_unit]));
  const sku = field("Item", { name: "sku", list: "receipt-items", value: fixedSku || "", required: true });
  const quantity = field("Quantity", { name: "quantity", type: "number", min: "0", step: "any", required: true, inputmode: "decimal" });
  const unit = field("Unit", { name: "unit" }, { as: "select", options: [] });
  const supplierLot = field("Supplier lot number", { name: "supplier_lot_no" });
  const lotNo = field("Our lot number (optional)", { name: "lot_no" });
  const expiry = field("Expiry date", { name: "expiry_date", type: "date" });
  const setUnits = () => {
    const b = base[sku.input.value.trim()];
    unit.input.replaceChildren(...(units[b] || ["pcs", "kg", "g", "L", "mL"]).map((u) => h("option", { value: u, selected: u === b }, u)));
  };
  sku.input.addEventListener("change", setUnits);
  setUnits();
  const err = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  const map = { sku, quantity, unit, supplier_lot_no: supplierLot, lot_no: lotNo, expiry_date: expiry };
  return h("form", { class: "card", novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const body = { sku: sku.input.value.trim(), quantity: quantity.input.value, unit: unit.input.value,
      supplier_lot_no: supplierLot.input.value.trim() || undefined, lot_no: lotNo.input.value.trim() || undefined,
      expiry_date: expiry.input.value || undefined };
    try {
      const lot = await post("/api/receipts", body);
      const { toast } = await import("../dom.js");
      toast(`Received lot ${lot.lot_no}`);
      ctx.rerender();
    } catch (e) { if (e instanceof ApiError) showErrors(e, map, err); else throw e; }
  } }, h("h2", {}, "Goods receipt"), h("datalist", { id: "receipt-items" }, stock.map((s) => h("option", { value: s.sku }))),
  h("div", { class: "row" }, sku, quantity, unit, supplierLot, lotNo, expiry), err, h("button", { type: "submit" }, "Receive"));
}

export const refreshOn = (e) => ["MaterialsReserved", "OrderAllocated", "BatchCompleted", "Shipped", "StockReleased",
  "ItemDefined"].includes(e.event_type);
