// One order: lines with their supply state, promise, shop details, allocations, batches,
// shipments, the causal timeline (which event, from which service), trace, cancel.
import { get, post } from "../api.js";
import { field, h, table, toast } from "../dom.js";
import { dateTime, day, qty } from "../format.js";
import { badge, batchLink, lotLink, showErrors } from "./common.js";
import { atRisk } from "./orders.js";

const GOODS_LEFT = new Set(["partially_shipped", "shipped", "delivered"]);

// The customer's private status page: the link went out with the confirmation e-mail. An
// operator can revoke it (a forwarded e-mail, a wrong address) or send a new one; the new
// link is shown once here so it can be passed on by phone, and never again (only its hash is kept).
// What the last click said, per order, kept while the console is open: the page re-renders
// on every event of the order (a parcel delivered), and the new link must not vanish with it.
const linkNews = new Map();
// The box each order's answer goes to: the one on screen now. A re-render while the request
// is in flight (the order's next event) replaces the box the click came from.
const linkBoxes = new Map();

function statusLinkBox(o, ctx) {
  if (!ctx.mayAct) return null;
  const out = h("p", { role: "status" });
  linkBoxes.set(o.order_id, out);
  const show = (news) => {
    linkNews.set(o.order_id, news);
    linkBoxes.get(o.order_id).replaceChildren(...(news.url ? ["New link e-mailed to the customer: ",
      h("input", { readonly: true, value: news.url, "aria-label": "New status link", size: 60, onfocus: (ev) => ev.target.select() })]
      : ["The link is revoked; its page now answers \u201cnot found\u201d."]));
  };
  if (linkNews.has(o.order_id)) show(linkNews.get(o.order_id));
  const issue = h("button", { type: "button", class: "secondary", onclick: async () => {
    issue.disabled = true;
    try {
      const made = await post(`/api/orders/${encodeURIComponent(o.order_id)}/status-link`);
      show({ url: made.url });
    } catch (e) { toast(e.message, true); } finally { issue.disabled = false; }
  } }, "Send a new link");
  const revoke = h("button", { type: "button", class: "danger", onclick: async () => {
    if (!window.confirm("Revoke the customer's status link? Its page stops working at once.")) return;
    try {
      await post(`/api/orders/${encodeURIComponent(o.order_id)}/status-link/revoke`);
      show({ revoked: true });
    } catch (e) { toast(e.message, true); }
  } }, "Revoke link");
  return h("section", {}, h("h2", {}, "Customer's status page"),
    h("p", { class: "muted" }, "The confirmation e-mail carries a private link to a page with this order's progress, dates and parcels."),
    h("div", { class: "row" }, issue, revoke), out);
}

export async function render(main, [orderId], ctx) {
  const view = await get(`/api/orders/${encodeURIComponent(orderId)}`);
  const o = view.order;
  const supply = Object.fromEntries((view.supply || []).map((s) => [s.line_no, s]));
  const risk = atRisk(o);
  main.append(
    h("p", {}, h("a", { href: "#/orders" }, "← Orders")),
    h("h1", {}, `Order ${o.order_no} `, badge(o.status)),
    risk ? h("p", { class: "risk", role: "note" }, `⚠ At risk: ${risk}`) : null,
    o.attention ? h("p", { class: "form-error", role: "note" }, `Needs a person: ${o.attention}`) : null,
    h("div", { class: "card" }, h("dl", { class: "facts" },
      h("dt", {}, "Customer"), h("dd", {}, `${o.customer_name} <${o.customer_email}>`),
      h("dt", {}, "Channel"), h("dd", {}, o.channel + (o.channel_shop ? ` · ${o.channel_shop}` : "") + (o.channel_order_ref ? ` · ${o.channel_order_ref}` : "")),
      h("dt", {}, "Placed"), h("dd", {}, dateTime(o.placed_at)),
      h("dt", {}, "Wanted"), h("dd", {}, day(o.wanted_date)),
      h("dt", {}, "Promised"), h("dd", {}, day(o.promised_date)),
      o.expected_date !== undefined ? [h("dt", {}, "Expected now"), h("dd", {}, day(o.expected_date))] : null,
      o.cancelled_at ? [h("dt", {}, "Cancelled"), h("dd", {}, `${dateTime(o.cancelled_at)}${o.cancel_reason ? ": " + o.cancel_reason : ""}`)] : null,
    )),
    shopDetails(o.shop_details),
    shopLines(view.shop_order, o.lines || []),
    h("h2", {}, "Lines"),
    table([
      { label: "Line", cell: (l) => String(l.line_no) },
      { label: "Product", cell: (l) => l.sku },
      { label: "Quantity", num: true, cell: (l) => qty(l.quantity, l.unit) },
      { label: "State", cell: (l) => badge(l.state, "line") },
      { label: "Supply", cell: (l) => supplyWords(supply[l.line_no], l) },
    ], o.lines || []),
    view.allocations?.length ? [h("h2", {}, "Allocated lots"), table([
      { label: "Line", cell: (a) => String(a.line_no) },
      { label: "Lot", cell: (a) => lotLink(a.lot_no) },
      { label: "Quantity", num: true, cell: (a) => qty(a.quantity, (o.lines || []).find((l) => l.line_no === a.line_no)?.unit) },
      { label: "Expiry", cell: (a) => day(a.expiry_date) },
      { label: "State", cell: (a) => badge(a.status, "allocation") },
    ], view.allocations)] : null,
    view.batches?.length ? [h("h2", {}, "Batches"), table([
      { label: "Batch", cell: (b) => batchLink(b.batch_id, b.batch_no) },
      { label: "Product", cell: (b) => b.sku },
      { label: "Quantity", num: true, cell: (b) => qty(b.planned_quantity, b.unit) },
      { label: "Status", cell: (b) => badge(b.status) },
      { label: "Planned", cell: (b) => `${day(b.planned_start)} → ${day(b.planned_end)}` },
    ], view.batches)] : null,
    view.shipments?.length ? [h("h2", {}, "Shipments"), table([
      { label: "Shipment", cell: (s) => h("a", { href: `#/shipping/${s.shipment_id}`, class: "rowlink" }, `#${s.seq || 1}`) },
      { label: "Status", cell: (s) => badge(s.status) },
      { label: "Carrier", cell: (s) => s.carrier || "—" },
      { label: "Tracking", cell: (s) => s.tracking_no || "—" },
      { label: "Shipped", cell: (s) => dateTime(s.shipped_at) },
    ], view.shipments)] : null,
    Object.keys(view.unavailable || {}).length ? h("p", { class: "form-error" },
      `Not shown (service unavailable): ${Object.keys(view.unavailable).join(", ")}`) : null,
    h("h2", {}, "Timeline"),
    h("ol", { class: "timeline" }, (o.timeline || []).map((t) => h("li", {},
      h("div", { class: "when" }, `${dateTime(t.at)} · ${t.event_type} from ${t.producer} · `, badge(t.status)),
      h("div", {}, typeof t.detail === "string" ? t.detail : JSON.stringify(t.detail))))),
    traceBox(orderId),
    statusLinkBox(o, ctx),
    cancelBox(o, ctx),
  );
}

function supplyWords(s, line) {
  if (!s) return line.short_reason || "";
  const parts = [];
  if (Number(s.allocated) > 0) parts.push(`${qty(s.allocated, s.unit)} allocated`);
  if (Number(s.promised) > 0) parts.push(`${qty(s.promised, s.unit)} from a batch`);
  if (Number(s.shipped) > 0) parts.push(`${qty(s.shipped, s.unit)} shipped`);
  if (Number(s.waiting) > 0) {
    const missing = (s.shortages || []).map((m) => `${qty(m.missing, m.unit)} of ${m.material_sku}`).join(", ");
    parts.push(`${qty(s.waiting, s.unit)} waiting${missing ? ` (missing ${missing})` : ""}${s.reason ? `: ${s.reason}` : ""}`);
  }
  return parts.join("; ") || "—";
}

function shopDetails(d) {
  if (!d) return null;
  const to = d.ship_to;
  return h("div", { class: "card" }, h("h2", {}, `From the shop${d.shop_order_number ? ` (${d.shop_order_number})` : ""}`),
    h("dl", { class: "facts" },
      d.total ? [h("dt", {}, "Total"), h("dd", {}, `${qty(d.total)} ${d.currency || ""} (tax ${qty(d.tax)}, shipping ${qty(d.shipping)})`)] : null,
      to ? [h("dt", {}, d.gift ? "Ship to (gift)" : "Ship to"), h("dd", {}, [to.name, to.company, to.address1, to.address2,
        [to.zip, to.city].filter(Boolean).join(" "), to.province, to.country].filter(Boolean).join(", "))] : null,
      d.shipping_method ? [h("dt", {}, "Shipping paid for"), h("dd", {}, d.shipping_method)] : null,
      d.buyer_note ? [h("dt", {}, "Buyer's note"), h("dd", {}, d.buyer_note)] : null,
      d.language ? [h("dt", {}, "Language"), h("dd", {}, d.language)] : null));
}

// How each of the shop's lines became one of ours: an operator's mapping (by variant, product
// or the shop's SKU) or the shop's SKU being one of ours.
const MATCHED = { variant: "mapped by variant", product: "mapped by product", sku: "mapped by shop SKU",
  catalog: "same SKU as ours" };

function shopLines(s, ours) {
  if (!s || !(s.lines || []).length) return null;
  const unit = Object.fromEntries(ours.map((l) => [l.line_no, l.unit]));
  return h("section", {}, h("h2", {}, `From the shop's lines (${s.channel} ${s.reference || s.external_id})`),
    table([
      { label: "Line", cell: (l) => String(l.line_no) },
      { label: "Shop SKU", cell: (l) => l.external_sku || "—" },
      { label: "Our SKU", cell: (l) => l.sku },
      { label: "Per shop item", num: true, cell: (l) => qty(l.per_item, unit[l.line_no]) },
      { label: "Ordered", num: true, cell: (l) => qty(l.quantity, unit[l.line_no]) },
      { label: "How", cell: (l) => MATCHED[l.matched_on] || l.matched_on || "—" },
    ], s.lines));
}

function traceBox(orderId) {
  const out = h("div");
  const btn = h("button", { type: "button", class: "secondary", onclick: async () => {
    btn.disabled = true;
    try {
      const t = await get(`/api/orders/${encodeURIComponent(orderId)}/trace`);
      out.replaceChildren(renderBackward(t.trace));
    } catch (e) {
      out.replaceChildren(h("p", { class: "form-error", role: "alert" }, e.message));
    } finally { btn.disabled = false; }
  } }, "Show where it came from (trace)");
  return h("section", {}, h("h2", {}, "Traceability"), btn, out);
}

export function renderBackward(trace) {
  const lots = (trace && (trace.lots || trace.items)) || [];
  if (!lots.length) return h("p", { class: "muted" }, "Nothing allocated or shipped yet: no lot to trace.");
  return h("ul", {}, lots.map((l) => h("li", {}, lotLink(l.lot_no), ` ${l.sku || ""} ${l.quantity ? qty(l.quantity, l.unit) : ""}`,
    l.batch_no ? ` · batch ${l.batch_no}` : "",
    (l.ingredients || []).length ? h("ul", {}, l.ingredients.map((i) => h("li", {}, `${i.sku}: lot `, lotLink(i.lot_no),
      i.supplier_lot_no ? ` (supplier lot ${i.supplier_lot_no})` : "", i.quantity ? ` · ${qty(i.quantity, i.unit)}` : ""))) : null)));
}

function cancelBox(o, ctx) {
  if (!ctx.mayAct || o.cancelled_at || GOODS_LEFT.has(o.status)) return null;
  const reason = field("Reason", { name: "reason", maxlength: 500, placeholder: "e.g. customer changed their mind" });
  const err = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  return h("form", { class: "card", onsubmit: async (ev) => {
    ev.preventDefault();
    if (!window.confirm(`Cancel order ${o.order_no}? Allocations and reservations are released.`)) return;
    try {
      await post(`/api/orders/${encodeURIComponent(o.order_id)}/cancel`, { reason: reason.input.value.trim() });
      ctx.rerender();
    } catch (e) { showErrors(e, { reason }, err); }
  } }, h("h2", {}, "Cancel this order"), reason, err, h("button", { type: "submit", class: "danger" }, "Cancel order"));
}

export const refreshOn = (e, [orderId]) => e.order_id === orderId || (e.batch_id && true);
