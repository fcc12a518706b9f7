// Recalls as a workflow: the lots on hold with what is left of them, the customers who
// received affected goods and where each stands, closing by disposing of or releasing the stock.
import { get, post } from "../api.js";
import { h, table } from "../dom.js";
import { dateTime, qty } from "../format.js";
import { action, badge, lotLink, orderLink } from "./common.js";

export async function render(main, [recallId], ctx) {
  if (recallId) return one(main, recallId, ctx);
  const recalls = await get("/api/recalls");
  main.append(h("h1", {}, "Recalls"),
    h("p", { class: "muted" }, "Open a recall from a lot's trace (Trace, by the number printed on the label)."),
    table([
      { label: "Recall", cell: (r) => h("a", { href: `#/recalls/${r.recall_id}`, class: "rowlink" }, `${r.lot_no} (${r.sku})`) },
      { label: "Status", cell: (r) => badge(r.status === "open" ? "pending" : "completed") },
      { label: "Reason", cell: (r) => r.reason },
      { label: "Lots held", num: true, cell: (r) => String(r.lot_count) },
      { label: "Customers", cell: (r) => `${r.customer_count} (${r.customers_notified} notified)` },
      { label: "Opened", cell: (r) => dateTime(r.opened_at) },
    ], recalls, { empty: "No recall." }));
}

async function one(main, recallId, ctx) {
  const r = await get(`/api/recalls/${encodeURIComponent(recallId)}`);
  const open = r.status === "open";
  main.append(h("p", {}, h("a", { href: "#/recalls" }, "← Recalls")),
    h("h1", {}, `Recall of lot ${r.lot_no} `, h("span", { class: `status ${open ? "s-bad" : "s-ok"}` }, open ? "Open" : `Closed (${r.disposition})`)),
    h("p", {}, `${r.reason} — opened ${dateTime(r.opened_at)}`),
    h("h2", {}, "Lots on hold"),
    table([
      { label: "Lot", cell: (l) => lotLink(l.lot_no) },
      { label: "Item", cell: (l) => l.sku },
      { label: "On hand", num: true, cell: (l) => qty(l.on_hand, l.unit) },
      { label: "Set aside for orders", num: true, cell: (l) => qty(l.allocated, l.unit) },
      { label: "Hold", cell: (l) => (l.on_hold ? h("span", { class: "risk" }, "on hold") : "released") },
    ], r.lots || []),
    h("h2", {}, "Customers who received affected goods"),
    table([
      { label: "Order", cell: (c) => orderLink(c.order_id, c.order_no) },
      { label: "Customer", cell: (c) => (typeof c.customer === "string" ? c.customer : c.customer?.name) || "—" },
      { label: "Goods", cell: (c) => (c.goods || []).map((g) => `${qty(g.quantity, g.unit)} ${g.sku} (lot ${g.lot_no})`).join(", ") },
      { label: "State", cell: (c) => c.state },
      { label: "", cell: (c) => (open && c.state === "notified" ? [
        action("Acknowledged", () => post(`/api/recalls/${r.recall_id}/customers/${c.order_id}`, { state: "acknowledged" }), ctx, { kind: "secondary" }),
        action("Returned", () => post(`/api/recalls/${r.recall_id}/customers/${c.order_id}`, { state: "returned" }), ctx, { kind: "secondary" })] : "") },
    ], r.customers || [], { empty: "No customer received affected goods." }),
    open ? h("div", { class: "row" },
      action("Close: dispose of the stock", () => post(`/api/recalls/${r.recall_id}/close`, { disposition: "dispose" }), ctx,
        { kind: "danger", confirmText: "Write off what is left of the held lots and close the recall?" }),
      action("Close: release the stock", () => post(`/api/recalls/${r.recall_id}/close`, { disposition: "release" }), ctx,
        { kind: "secondary", confirmText: "The investigation cleared the lots: release them for use and close?" })) : null);
}

export const refreshOn = (e) => ["RecallOpened", "LotHeld", "LotReleased"].includes(e.event_type);
