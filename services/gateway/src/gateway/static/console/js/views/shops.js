// Shops: connectors (with the webhook URL to paste), SKU mappings, the needs-mapping queue
// (map a line right there), webhook deliveries, fulfillment failures with a retry button.
import { ApiError, api, get, post } from "../api.js";
import { field, h, table, toast } from "../dom.js";
import { dateTime, qty } from "../format.js";
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
    ctx.mayAct ? connectorForm(ctx) : null,
    h("h2", {}, "SKU mappings"),
    h("p", { class: "muted" }, "A shop line whose SKU is one of ours (a finished item sold by the piece, in any case) maps by itself; map the others here."),
    connectors.length ? await Promise.all(connectors.map(async (c) => h("details", { class: "card" },
      h("summary", {}, `${c.channel} · ${c.shop}`),
      table([
        { label: "Shop line", cell: (m) => m.ref },
        { label: "Our SKU", cell: (m) => (m.ignore ? "not goods (dropped)" : m.sku) },
        { label: "Per shop item", num: true, cell: (m) => (m.ignore ? "—" : qty(m.per_item, m.unit)) },
        { label: "", cell: (m) => action("Remove", () => api("DELETE", `/api/connectors/${c.channel}/${c.shop}/sku-map/${encodeURIComponent(m.ref)}`), ctx,
          { kind: "secondary", confirmText: `Remove the mapping of ${m.ref}?` }) },
      ], await get(`/api/connectors/${c.channel}/${c.shop}/sku-map`), { empty: "Nothing mapped yet." })))) : null,
    ctx.mayAct && connectors.length ? [h("h2", {}, "Connector settings"), connectors.map((c) => settingsCard(c, ctx))] : null,
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

function connectorForm(ctx) {
  const channel = field("Platform", { name: "channel" }, { as: "select",
    options: [["shopify", "Shopify"], ["woocommerce", "WooCommerce"], ["etsy", "Etsy"]].map(([value, label]) => ({ value, label })) });
  const shop = field("Shop handle (e.g. acme.myshopify.com)", { name: "shop", required: true });
  const secret = field("Webhook secret (from the shop)", { name: "webhook_secret", type: "password", autocomplete: "off" });
  const url = field("Shop API URL (for fulfillment and imports)", { name: "admin_url", type: "url" });
  const token = field("API token / consumer key", { name: "token", type: "password", autocomplete: "off" });
  const apiSecret = field("Consumer secret (WooCommerce)", { name: "api_secret", type: "password", autocomplete: "off" });
  const err = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  const map = { channel, shop, webhook_secret: secret, admin_url: url, admin_token: token, api_key: token, api_secret: apiSecret };
  return h("details", { class: "card" }, h("summary", {}, "Connect a shop"), h("form", { novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const c = channel.input.value;
    const body = { channel: c, shop: shop.input.value.trim() };
    if (secret.input.value) body.webhook_secret = secret.input.value;
    if (url.input.value) body.admin_url = url.input.value.trim();
    if (token.input.value) body[c === "shopify" ? "admin_token" : "api_key"] = token.input.value;
    if (apiSecret.input.value) body.api_secret = apiSecret.input.value;
    try {
      const made = await post("/api/connectors", body);
      const { toast } = await import("../dom.js");
      toast(`Connected. Paste ${made.webhook_url} into the shop's webhook settings.`);
      ctx.rerender();
    } catch (e) { if (e instanceof ApiError) showErrors(e, map, err); else throw e; }
  } }, h("div", { class: "row" }, channel, shop, secret, url, token, apiSecret), err, h("button", { type: "submit" }, "Save connector")));
}

// Settings cards stay open across re-renders (a save re-renders the page).
const openSettings = new Set();
const csv = (text) => text.split(",").map((t) => t.trim()).filter(Boolean);

// Per connector: which shop orders wait and which lines are not goods (intake rules), a new
// webhook secret (the old one keeps working for a grace period), and removal.
function settingsCard(c, ctx) {
  const r = c.rules || {};
  const box = (label, name) => field(label, { name, type: "checkbox", checked: r[name] !== false });
  const unpaid = box("Unpaid orders wait until paid", "hold_unpaid");
  const tests = box("Platform test orders are never produced", "skip_test_orders");
  const noShipping = box("Lines needing no shipping are not goods", "ignore_non_shipping");
  const zero = box("Free lines nobody mapped are not goods", "ignore_zero_price");
  const types = field("Product types that are not goods (comma-separated)", { name: "ignore_product_types",
    value: (r.ignore_product_types || []).join(", ") });
  const skus = field("Shop SKUs that are not goods (comma-separated)", { name: "ignore_skus", value: (r.ignore_skus || []).join(", ") });
  const rulesErr = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  const rulesMap = { "rules.hold_unpaid": unpaid, "rules.skip_test_orders": tests, "rules.ignore_non_shipping": noShipping,
    "rules.ignore_zero_price": zero, "rules.ignore_product_types": types, "rules.ignore_skus": skus };
  const rules = h("form", { novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const body = { channel: c.channel, shop: c.shop, rules: {
      hold_unpaid: unpaid.input.checked, skip_test_orders: tests.input.checked, ignore_non_shipping: noShipping.input.checked,
      ignore_zero_price: zero.input.checked, ignore_product_types: csv(types.input.value), ignore_skus: csv(skus.input.value) } };
    try {
      await post("/api/connectors", body);
      // No re-render: the form shows what was saved, and typing elsewhere on the page goes on.
      toast(`Saved the intake rules of ${c.channel} · ${c.shop}`);
    } catch (e) { if (e instanceof ApiError) showErrors(e, rulesMap, rulesErr); else throw e; }
  } }, h("h3", {}, "Intake rules"), h("div", { class: "row" }, unpaid, tests, noShipping, zero), h("div", { class: "row" }, types, skus),
  rulesErr, h("button", { type: "submit" }, "Save rules"));
  const secret = field("New webhook secret", { name: "webhook_secret", type: "password", autocomplete: "off", required: true });
  const secretErr = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  const rotate = h("form", { novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      await post(`/api/connectors/${c.channel}/${c.shop}/rotate-secret`, { webhook_secret: secret.input.value });
      secret.input.value = "";
      toast("New secret in force; the old one is still accepted for a grace period.");
    } catch (e) { if (e instanceof ApiError) showErrors(e, { webhook_secret: secret }, secretErr); else throw e; }
  } }, h("h3", {}, "Webhook secret"), h("div", { class: "row" }, secret), secretErr, h("button", { type: "submit" }, "Rotate secret"));
  const id = `${c.channel}/${c.shop}`;
  return h("details", { class: "card", open: openSettings.has(id),
    ontoggle: (ev) => { if (ev.target.open) openSettings.add(id); else openSettings.delete(id); } },
  h("summary", {}, `${c.channel} · ${c.shop}`), rules, rotate,
    h("h3", {}, "Remove"), h("p", { class: "muted" }, "The connector and its SKU map go; its shop orders and fulfillments stay as history."),
    action("Delete connector", () => api("DELETE", `/api/connectors/${c.channel}/${c.shop}`), ctx,
      { kind: "danger", confirmText: `Delete the ${c.channel} connector of ${c.shop}? Its webhooks will no longer be accepted.` }));
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
