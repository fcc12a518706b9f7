// Orders that cannot progress, each with why and the action that unblocks it (the gateway
// composes orders' waiting lines, orders' review list and the shops' parked orders).
import { get } from "../api.js";
import { h, table } from "../dom.js";
import { day } from "../format.js";
import { link, list, orderLink } from "./common.js";

export async function render(main) {
  const stuck = await get("/api/orders/stuck");
  const rows = list(stuck);
  const missing = Object.keys(stuck.unavailable || {});
  main.append(h("h1", {}, "Stuck orders"),
    h("p", { class: "muted" }, "Every order that cannot move on by itself, with what unblocks it."),
    missing.length ? h("p", { class: "form-error", role: "alert" }, `Not shown (service unavailable): ${missing.join(", ")}`) : null,
    table([
      { label: "Order", cell: (r) => (r.source === "orders" ? orderLink(r.order_id, r.order_no)
        : link("#/shops", r.order_no || r.reference || "shop order")) },
      { label: "Customer", cell: (r) => r.customer_name || "—" },
      { label: "Line", cell: (r) => (r.line_no ? `${r.line_no}: ${r.sku}` : "—") },
      { label: "Why", cell: (r) => [h("strong", {}, r.category || ""), r.reason && r.reason !== r.category ? ` — ${r.reason}` : ""] },
      { label: "What unblocks it", cell: (r) => r.action || "—" },
      { label: "Expected", cell: (r) => day(r.expected_date) },
    ], rows, { empty: "Nothing is stuck." }));
}

export const refreshOn = (e) => ["MaterialsShort", "MaterialsReserved", "OrderAllocated", "ChannelOrderReceived",
  "OrderPlaced", "OrderCancelled", "GoodsReceived"].includes(e.event_type);
