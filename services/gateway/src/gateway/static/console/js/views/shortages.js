// What is missing, for which orders, and what to buy.
import { get } from "../api.js";
import { h, table } from "../dom.js";
import { qty } from "../format.js";
import { orderLink } from "./common.js";

export async function render(main) {
  const rows = await get("/api/shortages");
  main.append(h("h1", {}, "Shortages"),
    h("p", { class: "muted" }, "Materials that stock and reservations cannot cover. A goods receipt resumes the waiting orders by priority, then age. ",
      h("a", { href: "#/purchasing" }, "What to buy, from whom, and what is on order →")),
    table([
      { label: "Material", cell: (s) => h("a", { href: `#/stock/${encodeURIComponent(s.material_sku)}`, class: "rowlink" }, s.material_sku) },
      { label: "Missing (to buy)", num: true, cell: (s) => h("strong", {}, qty(s.missing, s.unit)) },
      { label: "Required", num: true, cell: (s) => qty(s.required, s.unit) },
      { label: "Available now", num: true, cell: (s) => qty(s.available, s.unit) },
      { label: "Supplier lead time", cell: (s) => (s.supplier_lead_time_days != null ? `${s.supplier_lead_time_days} days` : "unknown") },
      { label: "For orders", cell: (s) => (s.orders || []).map((o, i) => [i ? ", " : "", orderLink(o.order_id, o.order_no),
        ` (line ${o.line_no}: ${qty(o.missing, s.unit)})`]) },
    ], rows, { empty: "Nothing is short." }));
}

export const refreshOn = (e) => ["MaterialsShort", "MaterialsReserved", "StockReleased", "OrderCancelled"].includes(e.event_type);
