// Orders that cannot progress, each with why and the action that unblocks it.
import { get } from "../api.js";
import { h, table } from "../dom.js";
import { dateTime, qty } from "../format.js";
import { list, orderLink } from "./common.js";

export async function render(main) {
  let rows;
  try {
    rows = list(await get("/api/orders/stuck"));
  } catch (e) {
    if (e.status !== 404) throw e;
    rows = await composed(); // gateways without the composed list
  }
  main.append(h("h1", {}, "Stuck orders"),
    h("p", { class: "muted" }, "Every order that cannot move on by itself, with what unblocks it."),
    table([
      { label: "Order", cell: (r) => (r.order_id ? orderLink(r.order_id, r.order_no || r.reference) : r.reference || "—") },
      { label: "Why", cell: (r) => r.reason || r.why || "—" },
      { label: "What unblocks it", cell: (r) => r.action || "—" },
      { label: "Since", cell: (r) => dateTime(r.since || r.placed_at || r.received_at) },
    ], rows, { empty: "Nothing is stuck." }));
}

async function composed() {
  const [waiting, review, mapping] = await Promise.all([
    get("/api/orders", { status: "awaiting_materials", limit: 200 }),
    get("/api/review/orders").catch(() => []),
    get("/api/shop-orders", { status: "needs_mapping", limit: 200 }).catch(() => ({ items: [] })),
  ]);
  const out = [];
  for (const o of list(waiting)) out.push({ order_id: o.order_id, order_no: o.order_no, reason: "waiting for materials",
    action: "see Shortages: receive the missing material", since: o.placed_at });
  for (const r of list(review)) out.push({ reference: r.external_order_id || r.order_id, reason: (r.reasons || []).join("; ") || r.reason,
    action: "fix the catalog or the order at the shop", since: r.received_at || r.created_at });
  for (const s of list(mapping)) out.push({ reference: `${s.channel} ${s.reference || s.external_id}`, reason: s.reason,
    action: "map the shop's line on the Shops page", since: s.received_at });
  return out;
}

export const refreshOn = () => true;
export { qty };
