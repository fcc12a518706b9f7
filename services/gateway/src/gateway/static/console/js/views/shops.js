// Shops: connectors (with the webhook URL to paste), SKU mappings, the needs-mapping queue
// (map a line right there), webhook deliveries, fulfillment failures with a retry button.
import { ApiError, get, post } from "../api.js";
import { field, h, table } from "../dom.js";
import { dateTime } from "../format.js";
import { action, badge, list, orderLink, showErrors } from "./common.js";

export async function render(main, _params, ctx) {
  const [connectors, parked, review, deliveries, failed] = await Promise.all([
    get("/api/connectors"), get("/api/shop-orders", { status: "needs_mapping" }), get("/api/shop-orders", { status: "needs_review" }),
    get("/api/deliveries", { limit: 30 }), get("/api/fulfillments", { status: "failed" })]);
  main.append(h("h1", {}, "Shops"),
    h("h2", {}, "Connectors"),
    table([
      { label: "Shop", cell: (c) => `${c.channel} · ${c.shop}` },
      { label: "State", cell: (c) => (c.enabled ? badge("accepted") : h("span", { class: "status s-bad" }, "Disabled")) },
      { label: "Webhook URL", cell: (c) => h("code", {}, c.webhook_url) },
      { label: "Credentials", cell: (c) => [c.has_webhook_secret ? "secret" : h("span", { class: "risk" }, "no secret"),
        c.has_admin_token || c.has_api_key || c.has_access_token ? ", API access" : ""] },
      { label: "Last import", cell: (c) => (c.reconcile_error ? h("span", { class: "risk" }, c.reconcile_error) : dateTime(c.reconciled_at)) },
      { label: "", cell: (c) => [
        action(c.enabled ? "Disable" : "Enable", () => post(`/api/connectors/${c.channel}/${c.shop}/${c.enabled ? "disable" : "enable"}`), ctx, { kind: "secondary" }),
        c.enabled && c.admin_url ? action("Import now", () => post(`/api/connectors/${c.channel}/${c.shop}/reconcile`, {}), ctx, { kind: "secondary" }) : null] },
    ], connectors, { empty: "No shop connected yet." }),
    h("h2", {}, `Needs mapping (${parked.total ?? list(parked).length})`),
    list(parked).length ? list(parked).map((o) => mappingCard(o, ctx)) : h("p", { class: "muted" }, "Every shop line is mapped."),
    h("h2", {}, `Needs review (${review.total ?? list(review).length})`),
    table([
      { label: "Shop order", cell: (o) => `${o.channel} ${o.reference || o.external_id}` },
      { label: "Why", cell: (o) => o.reason },
      { label: "", cell: (o) => action("Retry", () => post(`/api/shop-orders/${o.shop_order_id}/retry`), ctx, { kind: "secondary" }) },
    ], list(review), { empty: "Nothing to review." }),
    h("h2", {}, "Fulfillments the shop refused"),
    table([
      { label: "Order", cell: (f) => orderLink(f.order_id, `${f.channel} ${f.external_id}`) },
      { label: "Tracking", cell: (f) => `${f.tracking_company} ${f.tracking_number}` },
      { label: "Error", cell: (f) => f.last_error },
      { label: "", cell: (f) => action("Retry", () => post(`/api/fulfillments/${f.fulfillment_id}/retry`), ctx) },
    ], failed, { empty: "Every shipment reached its shop." }),
    h("h2", {}, "Latest webhook deliveries"),
    table([
      { label: "When", cell: (d) => dateTime(d.received_at) },
      { label: "Shop", cell: (d) => `${d.channel} · ${d.shop}` },
      { label: "Topic", cell: (d) => d.topic || "—" },
      { label: "Order", cell: (d) => d.external_id || "—" },
      { label: "Outcome", cell: (d) => [d.outcome, d.repeats ? ` (+${d.repeats} repeats)` : "", d.detail ? h("div", { class: "muted" }, d.detail) : null] },
    ], deliveries, { empty: "No delivery yet." }));
}

function mappingCard(o, ctx) {
  const ref = field("Shop SKU, or variant:<id> / product:<id>", { name: "ref", required: true });
  const sku = field("Our SKU", { name: "sku", required: true });
  const perItem = field("Our units per shop item", { name: "per_item", type: "number", min: "0", step: "any", value: 1 });
  const err = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  const form = ctx.mayAct ? h("form", { class: "row", novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const body = { [ref.input.value.trim()]: { sku: sku.input.value.trim(), per_item: perItem.input.value || "1" } };
    try {
      await post(`/api/connectors/${o.channel}/${o.shop}/sku-map`, body);
      ctx.rerender();
    } catch (e) { if (e instanceof ApiError) showErrors(e, { sku, per_item: perItem }, err); else throw e; }
  } }, ref, sku, perItem, h("button", { type: "submit" }, "Map"), err) : null;
  return h("div", { class: "card" }, h("p", {}, h("strong", {}, `${o.channel} · ${o.shop} · ${o.reference || o.external_id}`),
    ` received ${dateTime(o.received_at)}`), h("p", {}, o.reason), form);
}

export const refreshOn = (e) => e.producer === "channels" || e.event_type === "Shipped";
