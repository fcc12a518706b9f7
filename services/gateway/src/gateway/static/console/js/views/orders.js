// Orders: search, filter, paging; status in words and colour; at-risk flag.
import { get } from "../api.js";
import { field, h, table } from "../dom.js";
import { dateTime, day } from "../format.js";
import { badge, list, orderLink } from "./common.js";

const PAGE = 25;
const STATUSES = ["", "received", "awaiting_materials", "materials_reserved", "in_production", "allocated",
  "ready_to_ship", "partially_shipped", "shipped", "delivered", "cancelled"];

function query() {
  const q = new URLSearchParams(location.hash.split("?")[1] || "");
  return { status: q.get("status") || "", customer: q.get("customer") || "", channel: q.get("channel") || "",
    offset: Number(q.get("offset") || 0) };
}

function go(q) {
  const p = new URLSearchParams(Object.entries(q).filter(([, v]) => v !== "" && v !== 0));
  location.hash = `#/orders${[...p].length ? "?" + p : ""}`;
}

// At risk: promised later than wanted, or a line waiting for materials.
export function atRisk(o) {
  if (o.status === "awaiting_materials") return "waiting for materials";
  if (o.expected_date && o.promised_date && o.expected_date > o.promised_date) return "expected after the promised date";
  if (o.wanted_date && o.promised_date && o.promised_date > o.wanted_date) return "promised after the wanted date";
  if (o.attention) return o.attention;
  return null;
}

export async function render(main, _params, ctx) {
  const q = query();
  const page = await get("/api/orders", { status: q.status, customer: q.customer, channel: q.channel, limit: PAGE, offset: q.offset });
  const search = field("Customer (name or e-mail)", { type: "search", value: q.customer, name: "customer" });
  const status = field("Status", { name: "status" }, { as: "select",
    options: STATUSES.map((s) => ({ value: s, label: s ? s.replaceAll("_", " ") : "any", selected: s === q.status })) });
  const channel = field("Channel", { name: "channel" }, { as: "select",
    options: ["", "gateway", "shopify", "woocommerce", "etsy"].map((c) => ({ value: c, label: c || "any", selected: c === q.channel })) });
  const form = h("form", { class: "row card", role: "search", onsubmit: (ev) => {
    ev.preventDefault();
    go({ customer: search.input.value.trim(), status: status.input.value, channel: channel.input.value, offset: 0 });
  } }, search, status, channel, h("button", { type: "submit" }, "Search"));
  const items = list(page);
  const rows = table([
    { label: "Order", cell: (o) => orderLink(o.order_id, o.order_no) },
    { label: "Customer", cell: (o) => o.customer_name },
    { label: "Status", cell: (o) => [badge(o.status), o.channel !== "gateway" ? h("span", { class: "muted" }, ` · ${o.channel}`) : null] },
    { label: "Placed", cell: (o) => dateTime(o.placed_at) },
    { label: "Wanted", cell: (o) => day(o.wanted_date) },
    { label: "Promised", cell: (o) => day(o.promised_date) },
    { label: "Expected", cell: (o) => day(o.expected_date) },
    { label: "Risk", cell: (o) => { const r = atRisk(o); return r ? h("span", { class: "risk" }, `⚠ ${r}`) : ""; } },
  ], items, { caption: `${page.total} orders`, empty: "No order matches." });
  const last = Math.min(q.offset + PAGE, page.total);
  const pager = h("nav", { class: "pager", "aria-label": "Pages" },
    h("button", { type: "button", class: "secondary", disabled: q.offset === 0, onclick: () => go({ ...q, offset: Math.max(q.offset - PAGE, 0) }) }, "Previous"),
    h("span", {}, page.total ? `${q.offset + 1}–${last} of ${page.total}` : ""),
    h("button", { type: "button", class: "secondary", disabled: last >= page.total, onclick: () => go({ ...q, offset: q.offset + PAGE }) }, "Next"));
  main.append(
    h("div", { class: "row" }, h("h1", {}, "Orders"), ctx.mayAct ? h("a", { class: "button", href: "#/orders/new" }, "New order") : null),
    form, rows, pager);
}

export const refreshOn = (e) => e.order_id !== undefined;
