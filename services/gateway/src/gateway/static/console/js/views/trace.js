// Traceability: look a lot up by the number printed on its label and see both ways: where
// it came from (batch, ingredient lots, supplier lots) and where it went (batches, finished
// lots, orders, customers: the recall list).
import { ApiError, get, post } from "../api.js";
import { field, h, table } from "../dom.js";
import { day, qty, statusWords } from "../format.js";
import { badge, link, list, orderLink, showErrors } from "./common.js";

export async function render(main, [lotNo], ctx) {
  const input = field("Lot number (as printed on the label)", { name: "lot_no", value: lotNo || "", required: true, autocomplete: "off" });
  const form = h("form", { class: "row card", role: "search", onsubmit: (ev) => {
    ev.preventDefault();
    const v = input.input.value.trim();
    if (v) location.hash = `#/trace/${encodeURIComponent(v)}`;
  } }, input, h("button", { type: "submit" }, "Trace"));
  main.append(h("h1", {}, "Trace a lot"), form);
  if (!lotNo) return;
  const [lots, items] = await Promise.all([get("/api/lots", { lot_no: lotNo }), get("/api/items").catch(() => [])]);
  if (!lots.length) { input.error(`no lot numbered ${lotNo}`); return; }
  // Quantities down the tree are in each lot's item's base unit.
  const units = new Map(list(items).map((i) => [i.sku, i.base_unit]));
  for (const lot of lots) {
    const forward = await get(`/api/lots/${lot.lot_id}/trace`);
    main.append(h("div", { class: "card" },
      h("h2", {}, `Lot ${lot.lot_no} — ${lot.sku}`),
      h("p", {}, `${lot.source === "production" ? "made here" : "received"} ${day(lot.received_date)}` +
        (lot.supplier_lot_no ? `, supplier lot ${lot.supplier_lot_no}` : "") + `, expires ${day(lot.expiry_date)}, on hand ${qty(lot.on_hand, lot.unit)}`),
      h("h3", {}, "Where it went"), forwardTree(forward.trace, units),
      h("h3", {}, "Customers who received it (recall list)"),
      table([
        { label: "Customer", cell: (r) => r.customer?.name || "—" },
        { label: "E-mail", cell: (r) => r.customer?.email || "—" },
        { label: "Order", cell: (r) => orderLink(r.order_id, r.order_no) },
        { label: "Lots", cell: (r) => (r.lots || []).map((l, i) => [i ? ", " : "", l.lot_no || ""]) },
        { label: "Status", cell: (r) => (r.status ? badge(r.status) : "—") },
      ], forward.recall || [], { empty: "No customer has this lot or a lot made from it." }),
      lot.source === "production" && lot.batch_id ? h("p", {}, "Made in ", link(`#/production/${lot.batch_id}`, "its batch"), ".") : null,
      lot.on_hold ? h("p", { class: "risk" }, `On hold: ${lot.hold_reason || ""}`,
        lot.hold_recall_id ? [" — ", link(`#/recalls/${lot.hold_recall_id}`, "see the recall")] : null) : null,
      ctx.mayAct && !lot.hold_recall_id ? recallForm(lot, ctx) : null));
  }
}

function recallForm(lot, ctx) {
  const reason = field("Reason", { name: "reason", required: true, maxlength: 500, placeholder: "e.g. supplier reports contamination" });
  const err = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  return h("details", { class: "card" }, h("summary", {}, `Recall lot ${lot.lot_no}`), h("form", { novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    if (!window.confirm(`Hold ${lot.lot_no} and every lot made from it, and e-mail the customers who received them?`)) return;
    try {
      const recall = await post("/api/recalls", { lot: lot.lot_no, reason: reason.input.value.trim() });
      location.hash = `#/recalls/${recall.recall_id}`;
    } catch (e) { if (e instanceof ApiError) showErrors(e, { reason }, err); else throw e; }
  } }, h("p", { class: "muted" }, "Puts this lot and every lot made from it on hold, blocks their shipments and e-mails each customer who received them, once."),
  reason, err, h("button", { type: "submit", class: "danger" }, "Open recall")));
}

function forwardTree(t, units) {
  if (!t) return h("p", { class: "muted" }, "—");
  const unit = units.get(t.lot?.sku);
  const items = [];
  for (const b of t.consumed_by || []) {
    items.push(h("li", {}, `used in batch ${b.batch_no || b.batch_id} (${qty(b.consumed, unit)})`,
      h("ul", {}, (b.finished_lots || []).map((f) => h("li", {}, "made lot ", link(`#/trace/${encodeURIComponent(f.lot.lot_no)}`, f.lot.lot_no),
        ` (${f.lot.sku})`, forwardTree(f, units))))));
  }
  for (const o of t.orders || []) {
    items.push(h("li", {}, "allocated to ", orderLink(o.order_id, o.order_no),
      ` — ${o.customer}, ${qty(o.quantity, unit)} (${statusWords(o.status, "allocation").toLowerCase()})`));
  }
  if ((t.reserved_by_plans || []).length) items.push(h("li", {}, `reserved for ${t.reserved_by_plans.length} planned batch(es)`));
  return items.length ? h("ul", {}, items) : h("p", { class: "muted" }, "Not used yet.");
}

export const refreshOn = () => false;
