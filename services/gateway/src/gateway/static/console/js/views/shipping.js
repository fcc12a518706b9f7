// Shipping: prepared shipments with their contents and address, ship with a carrier from
// the list and a tracking number, a printable packing slip, mark delivered.
import { ApiError, download, get, post } from "../api.js";
import { field, h, table, toast } from "../dom.js";
import { dateTime, day, money, qty } from "../format.js";
import { action, badge, lotLink, orderLink, showErrors } from "./common.js";

export async function render(main, [shipmentId, slip], ctx) {
  if (shipmentId && slip) return packingSlip(main, shipmentId);
  if (shipmentId) return one(main, shipmentId, ctx);
  const [prepared, shipped, carriers, blocked] = await Promise.all([
    get("/api/shipments", { status: "prepared" }), get("/api/shipments", { status: "shipped" }), get("/api/carriers"),
    get("/api/shipments", { status: "blocked" }).catch(() => [])]);
  main.append(h("h1", {}, "Shipping"),
    blocked.length ? [h("h2", {}, `Blocked (${blocked.length})`), table([
      { label: "Order", cell: (s) => orderLink(s.order_id, s.order_no) },
      { label: "Why", cell: (s) => (s.blocked_reasons || []).join("; ") || "a lot in it is on hold" },
      { label: "Contents", cell: (s) => (s.lines || []).map((l) => `${qty(l.quantity, l.unit)} ${l.sku} (lot ${l.lot_no})`).join(", ") },
    ], blocked)] : null,
    h("h2", {}, `To ship (${prepared.length})`),
    prepared.length ? prepared.map((s) => shipmentCard(s, carriers, ctx)) : h("p", { class: "muted" }, "Nothing to ship."),
    h("h2", {}, "On the way"),
    table([
      { label: "Order", cell: (s) => orderLink(s.order_id, s.order_no) },
      { label: "Shipment", cell: (s) => h("a", { href: `#/shipping/${s.shipment_id}`, class: "rowlink" }, `#${s.seq}`) },
      { label: "Carrier", cell: (s) => s.carrier },
      { label: "Tracking", cell: (s) => s.tracking_no },
      { label: "Shipped", cell: (s) => dateTime(s.shipped_at) },
      { label: "", cell: (s) => action("Mark delivered", () => post(`/api/shipments/${s.shipment_id}/deliver`), ctx) },
    ], shipped, { empty: "Nothing on the way." }));
}

async function one(main, shipmentId, ctx) {
  const [s, carriers] = await Promise.all([get(`/api/shipments/${encodeURIComponent(shipmentId)}`), get("/api/carriers")]);
  main.append(h("p", {}, h("a", { href: "#/shipping" }, "← Shipping")), h("h1", {}, `Shipment #${s.seq} of ${s.order_no || "order"} `, badge(s.status)),
    shipmentCard(s, carriers, ctx, true));
}

// Whom the parcel is for, then where: a shop's ship-to names its addressee (a gift's recipient,
// not the buyer) and its address already starts with it; a typed address does not.
function address(s) {
  const t = s.ship_to || {};
  const who = t.addressee || t.name;
  const lead = who && t.address && t.address.startsWith(who) ? null : who;
  return [lead, t.address, t.country].filter(Boolean).join(", ") || "address not known yet";
}

function shipmentCard(s, carriers, ctx, full = false) {
  return h("div", { class: "card" },
    h("div", { class: "row" }, h("strong", {}, orderLink(s.order_id, s.order_no)), badge(s.status),
      h("span", {}, `to ${address(s)}`), h("a", { class: "button secondary", href: `#/shipping/${s.shipment_id}/slip` }, "Packing slip"),
      pdfButton("Label (PDF)", `/api/shipments/${s.shipment_id}/label.pdf`, `label-${s.order_no || s.order_id}-${s.seq || 1}.pdf`),
      pdfButton("Packing slip (PDF)", `/api/shipments/${s.shipment_id}/packing-slip.pdf`, `packing-slip-${s.order_no || s.order_id}-${s.seq || 1}.pdf`)),
    table([
      { label: "Line", cell: (l) => String(l.line_no) },
      { label: "Product", cell: (l) => l.sku },
      { label: "Lot", cell: (l) => lotLink(l.lot_no) },
      { label: "Quantity", num: true, cell: (l) => qty(l.quantity, l.unit) },
      { label: "Expiry", cell: (l) => day(l.expiry_date) },
    ], s.lines || []),
    s.status === "prepared" && ctx.mayAct ? shipForm(s, carriers, ctx) : null,
    full && s.status === "shipped" ? [h("p", {}, `${s.carrier} ${s.tracking_no}, shipped ${dateTime(s.shipped_at)}`),
      action("Mark delivered", () => post(`/api/shipments/${s.shipment_id}/deliver`), ctx)] : null);
}

function pdfButton(label, path, filename) {
  const btn = h("button", { type: "button", class: "secondary", onclick: async () => {
    btn.disabled = true;
    try { await download(path, filename); } catch (e) { toast(e.message, true); } finally { btn.disabled = false; }
  } }, label);
  return btn;
}

// Ship with a carrier and tracking number typed in, or with a label bought at the carrier
// (buying fills both in; the parcel leaves when the operator confirms with Ship). Buying
// twice answers the label already bought, so a second click never pays twice.
function shipForm(s, carriers, ctx) {
  const carrier = field("Carrier", { name: "carrier" }, { as: "select", options: carriers.map((c) => ({ value: c.name, label: c.name })) });
  const tracking = field("Tracking number", { name: "tracking_no", required: true, autocomplete: "off", pattern: "[A-Za-z0-9][A-Za-z0-9-]{3,39}" });
  const err = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  const bought = h("p", { role: "status" });
  const buy = h("button", { type: "button", class: "secondary", onclick: async () => {
    buy.disabled = true;
    err.textContent = "";
    try {
      const label = await post(`/api/shipments/${s.shipment_id}/buy-label`, {});
      if (label.ship_with) {
        if (![...carrier.input.options].some((o) => o.value === label.ship_with.carrier)) {
          carrier.input.append(h("option", { value: label.ship_with.carrier }, label.ship_with.carrier));
        }
        carrier.input.value = label.ship_with.carrier;
        tracking.input.value = label.ship_with.tracking_no;
      }
      bought.replaceChildren(`Label bought: ${label.carrier || ""} ${label.service || ""}, tracking ${label.tracking_no || "—"}` +
        (label.rate != null ? `, ${money(label.rate, label.currency)}` : "") + ". ",
      label.label_file ? pdfButton("Carrier label", `/api/shipments/${s.shipment_id}/carrier-label`, `carrier-label-${s.order_no || s.order_id}-${s.seq || 1}`) : null,
      " Stick it on the parcel, then Ship.");
    } catch (e) {
      err.textContent = e.message;
    } finally { buy.disabled = false; }
  } }, "Buy label");
  return h("form", { class: "row", novalidate: true, "aria-label": `Ship ${s.order_no || ""}`, onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      await post(`/api/shipments/${s.shipment_id}/ship`, { carrier: carrier.input.value, tracking_no: tracking.input.value.trim() });
      ctx.rerender();
    } catch (e) { if (e instanceof ApiError) showErrors(e, { carrier, tracking_no: tracking }, err); else throw e; }
  } }, buy, carrier, tracking, h("button", { type: "submit" }, "Ship"), bought, err);
}

async function packingSlip(main, shipmentId) {
  const s = await get(`/api/shipments/${encodeURIComponent(shipmentId)}`);
  main.append(h("p", { class: "noprint" }, h("a", { href: `#/shipping/${s.shipment_id}` }, "← Shipment"), " ",
    h("button", { type: "button", onclick: () => window.print() }, "Print")),
  h("div", { class: "slip" }, h("h1", {}, `Packing slip — ${s.order_no || s.order_id}`),
    h("p", {}, `Shipment ${s.seq}${s.complete === false ? " (part of the order; the rest follows)" : ""}`),
    h("h2", {}, "Ship to"), h("p", {}, address(s)),
    table([
      { label: "Product", cell: (l) => l.sku },
      { label: "Lot", cell: (l) => l.lot_no },
      { label: "Best before", cell: (l) => day(l.expiry_date) },
      { label: "Quantity", num: true, cell: (l) => qty(l.quantity, l.unit) },
    ], s.lines || []),
    s.tracking_no ? h("p", {}, `${s.carrier} tracking ${s.tracking_no}`) : null));
}

export const refreshOn = (e) => ["OrderAllocated", "Shipped", "Delivered", "ShipmentWithdrawn", "OrderPlaced", "LotHeld",
  "LotReleased", "RecallOpened"].includes(e.event_type);
