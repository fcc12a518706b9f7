// Buying: what to buy from whom (suggestions from the shortages, net of stock and open
// purchase orders, in whole packs), purchase orders (draft -> sent -> received), receiving
// against a purchase order line, suppliers and their terms.
import { ApiError, del, get, post, put } from "../api.js";
import { field, h, table } from "../dom.js";
import { dateTime, day, money, qty } from "../format.js";
import { action, badge, list, orderLink, showErrors } from "./common.js";

export async function render(main, [poId], ctx) {
  if (poId) return purchaseOrder(main, poId, ctx);
  const [suggestions, orders, suppliers, items, shortages] = await Promise.all([
    get("/api/suggestions"), get("/api/purchase-orders", { limit: 100 }), get("/api/suppliers"), get("/api/items"),
    get("/api/shortages").catch(() => [])]);
  // Purchasing knows the waiting lines by order id; inventory's shortages carry the order numbers people use.
  const orderNo = new Map(list(shortages).flatMap((s) => (s.orders || []).map((o) => [o.order_id, o.order_no])));
  const buyable = list(suggestions).filter((s) => Number(s.quantity) > 0);
  main.append(h("h1", {}, "Purchasing"),
    h("h2", {}, "What to buy"),
    table([
      { label: "Material", cell: (s) => h("a", { href: `#/stock/${encodeURIComponent(s.material_sku)}`, class: "rowlink" }, s.material_sku) },
      { label: "Missing", num: true, cell: (s) => qty(s.missing, s.unit) },
      { label: "On order", num: true, cell: (s) => qty(Number(s.on_order) + Number(s.in_draft), s.unit) },
      { label: "To order", num: true, cell: (s) => (Number(s.quantity) > 0 ? h("strong", {}, qty(s.quantity, s.unit)) : "—") },
      { label: "From", cell: (s) => s.supplier_name || h("span", { class: "risk" }, s.reason || "no supplier") },
      { label: "Arrives", cell: (s) => day(s.expected_date) },
      { label: "For orders", cell: (s) => (s.waiting || []).map((w, i) => [i ? ", " : "", orderLink(w.order_id, `${orderNo.get(w.order_id) || w.order_id.slice(0, 8)} line ${w.line_no}`)]) },
    ], list(suggestions), { empty: "Nothing to buy." }),
    buyable.length ? action("Draft purchase orders for these", () => post("/api/purchase-orders/from-suggestions", {}), ctx) : null,
    h("h2", {}, "Purchase orders"),
    table([
      { label: "PO", cell: (p) => h("a", { href: `#/purchasing/${p.purchase_order_id}`, class: "rowlink" }, p.po_no) },
      { label: "Supplier", cell: (p) => p.supplier_name },
      { label: "Status", cell: (p) => badge(p.status) },
      { label: "Lines", cell: (p) => p.lines.map((l) => `${qty(l.quantity, l.unit)} ${l.material_sku}`).join(", ") },
      { label: "Expected", cell: (p) => day(p.lines.map((l) => l.expected_date).filter(Boolean).sort()[0]) },
      { label: "Created", cell: (p) => dateTime(p.created_at) },
    ], list(orders), { empty: "No purchase order yet." }),
    h("h2", {}, "Suppliers"),
    table([
      { label: "Supplier", cell: (s) => s.name },
      { label: "Contact", cell: (s) => [s.email, s.phone].filter(Boolean).join(" · ") || "—" },
      { label: "Materials", cell: (s) => ((s.materials || []).length ? h("ul", { class: "plain" }, s.materials.map((t) => h("li", {},
        `${t.material_sku}: ${t.lead_time_days} d, packs of ${qty(t.pack_size, t.base_unit)}` +
        (Number(t.min_order_quantity) ? `, at least ${qty(t.min_order_quantity, t.base_unit)}` : "") +
        (t.price != null ? `, ${money(t.price, t.currency)} per ${t.base_unit}` : "") + (t.preferred ? ", preferred" : ""), " ",
        action("Remove", () => del(`/api/suppliers/${s.supplier_id}/materials/${encodeURIComponent(t.material_sku)}`), ctx,
          { kind: "secondary", confirmText: `${s.name} no longer supplies ${t.material_sku}?` })))) : "—") },
    ], list(suppliers), { empty: "No supplier yet." }),
    ctx.mayAct ? supplierForm(ctx) : null,
    ctx.mayAct && list(suppliers).length ? termsForm(ctx, list(suppliers), list(items).filter((i) => i.kind !== "finished")) : null);
}

async function purchaseOrder(main, poId, ctx) {
  const p = await get(`/api/purchase-orders/${encodeURIComponent(poId)}`);
  main.append(h("p", {}, h("a", { href: "#/purchasing" }, "← Purchasing")),
    h("h1", {}, `Purchase order ${p.po_no} `, badge(p.status)),
    h("div", { class: "card" }, h("dl", { class: "facts" },
      h("dt", {}, "Supplier"), h("dd", {}, `${p.supplier_name}${p.supplier_email ? ` <${p.supplier_email}>` : ""}`),
      h("dt", {}, "Created"), h("dd", {}, dateTime(p.created_at)),
      p.sent_at ? [h("dt", {}, "Sent"), h("dd", {}, dateTime(p.sent_at))] : null,
      p.cancelled_at ? [h("dt", {}, "Cancelled"), h("dd", {}, `${dateTime(p.cancelled_at)} ${p.cancel_reason || ""}`)] : null)),
    table([
      { label: "Line", cell: (l) => String(l.line_no) },
      { label: "Material", cell: (l) => l.material_sku },
      { label: "Ordered", num: true, cell: (l) => qty(l.quantity, l.unit) },
      { label: "Received", num: true, cell: (l) => qty(l.received, l.base_unit) },
      { label: "Open", num: true, cell: (l) => qty(l.open_quantity, l.base_unit) },
      { label: "Expected", cell: (l) => day(l.expected_date) },
    ], p.lines),
    p.receipts?.length ? [h("h2", {}, "Received"), table([
      { label: "Line", cell: (r) => String(r.po_line) },
      { label: "Lot", cell: (r) => h("a", { href: `#/trace/${encodeURIComponent(r.lot_no)}`, class: "rowlink" }, r.lot_no) },
      { label: "Supplier lot", cell: (r) => r.supplier_lot_no || "—" },
      { label: "Quantity", num: true, cell: (r) => qty(r.base_quantity) },
      { label: "Date", cell: (r) => day(r.received_date) },
    ], p.receipts)] : null,
    h("div", { class: "row" },
      p.status === "draft" ? action("Send to supplier", () => post(`/api/purchase-orders/${p.purchase_order_id}/send`), ctx) : null,
      ["draft", "sent", "partly_received"].includes(p.status)
        ? action("Cancel", () => post(`/api/purchase-orders/${p.purchase_order_id}/cancel`, { reason: "cancelled from the console" }), ctx,
          { kind: "danger", confirmText: `Cancel ${p.po_no}? What is not received is no longer expected.` }) : null),
    ["sent", "partly_received"].includes(p.status) && ctx.mayAct ? receiveForm(p, ctx) : null);
}

function receiveForm(p, ctx) {
  const open = p.lines.filter((l) => Number(l.open_quantity) > 0);
  const line = field("Line", { name: "po_line" }, { as: "select",
    options: open.map((l) => ({ value: l.line_no, label: `${l.line_no}: ${l.material_sku} (${qty(l.open_quantity, l.base_unit)} open)` })) });
  const quantity = field("Quantity received", { name: "quantity", type: "number", min: "0", step: "any", required: true, inputmode: "decimal" });
  const supplierLot = field("Supplier lot number", { name: "supplier_lot_no" });
  const expiry = field("Expiry date", { name: "expiry_date", type: "date" });
  const err = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  return h("form", { class: "card", novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const l = open.find((x) => String(x.line_no) === line.input.value);
    try {
      await post("/api/receipts", { sku: l.material_sku, quantity: quantity.input.value, unit: l.base_unit,
        supplier_lot_no: supplierLot.input.value.trim() || undefined, expiry_date: expiry.input.value || undefined,
        purchase_order_id: p.purchase_order_id, po_line: l.line_no });
      // The receipt is inventory's; the purchase order learns of it from GoodsReceived a moment
      // later. Wait for that (briefly) so the page does not show the order as it was.
      const before = (p.receipts || []).length;
      for (let i = 0; i < 40; i++) {
        const now = await get(`/api/purchase-orders/${encodeURIComponent(p.purchase_order_id)}`);
        if ((now.receipts || []).length > before) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      ctx.rerender();
    } catch (e) { if (e instanceof ApiError) showErrors(e, { quantity, supplier_lot_no: supplierLot, expiry_date: expiry, po_line: line }, err); else throw e; }
  } }, h("h2", {}, "Receive goods against this order"), h("div", { class: "row" }, line, quantity, supplierLot, expiry), err,
  h("button", { type: "submit" }, "Receive"));
}

function supplierForm(ctx) {
  const name = field("Name", { name: "name", required: true });
  const email = field("Contact e-mail", { name: "email", type: "email" });
  const phone = field("Phone", { name: "phone" });
  const err = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  return h("details", { class: "card" }, h("summary", {}, "New supplier"), h("form", { novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      await post("/api/suppliers", { name: name.input.value.trim(), email: email.input.value.trim() || undefined,
        phone: phone.input.value.trim() || undefined });
      ctx.rerender();
    } catch (e) { if (e instanceof ApiError) showErrors(e, { name, email, phone }, err); else throw e; }
  } }, h("div", { class: "row" }, name, email, phone), err, h("button", { type: "submit" }, "Add supplier")));
}

// What a supplier asks for one material: lead time, pack size and minimum in the material's
// base unit, price; "preferred" makes it the supplier the suggestions buy from.
function termsForm(ctx, suppliers, materials) {
  const supplier = field("Supplier", { name: "supplier" }, { as: "select",
    options: suppliers.map((s) => ({ value: s.supplier_id, label: s.name })) });
  const material = field("Material", { name: "material", list: "terms-materials", required: true });
  const lead = field("Lead time (days)", { name: "lead_time_days", type: "number", min: "0", step: "1", required: true });
  const pack = field("Pack size", { name: "pack_size", type: "number", min: "0", step: "any", inputmode: "decimal", required: true });
  const min = field("Minimum order", { name: "min_order_quantity", type: "number", min: "0", step: "any", inputmode: "decimal", value: 0 });
  const price = field("Price per unit", { name: "price", type: "number", min: "0", step: "any", inputmode: "decimal" });
  const currency = field("Currency", { name: "currency", maxlength: "3", placeholder: "EUR" });
  const preferred = field("Preferred supplier", { name: "preferred", type: "checkbox", checked: true });
  const base = Object.fromEntries(materials.map((i) => [i.sku, i.base_unit]));
  const unitNote = h("p", { class: "muted" }, "Quantities in the material's base unit.");
  material.input.addEventListener("change", () => {
    const b = base[material.input.value.trim()];
    unitNote.textContent = b ? `Quantities in ${b}, the base unit of ${material.input.value.trim()}.` : "Quantities in the material's base unit.";
  });
  const err = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  const map = { lead_time_days: lead, pack_size: pack, min_order_quantity: min, price, currency, preferred };
  return h("details", { class: "card" }, h("summary", {}, "Supplier terms for a material"), h("form", { novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const sku = material.input.value.trim();
    if (!sku) { material.error("Choose the material"); material.input.focus(); return; }
    material.error("");
    const body = { lead_time_days: lead.input.value === "" ? null : Number(lead.input.value), pack_size: pack.input.value,
      min_order_quantity: min.input.value || "0", preferred: preferred.input.checked };
    if (price.input.value) body.price = price.input.value;
    if (currency.input.value.trim()) body.currency = currency.input.value.trim().toUpperCase();
    try {
      await put(`/api/suppliers/${supplier.input.value}/materials/${encodeURIComponent(sku)}`, body);
      ctx.rerender();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) { material.error(e.message); material.input.focus(); }
      else if (e instanceof ApiError) showErrors(e, map, err); else throw e;
    }
  } }, h("datalist", { id: "terms-materials" }, materials.map((i) => h("option", { value: i.sku }, i.name))),
  h("div", { class: "row" }, supplier, material, lead, pack, min, price, currency, preferred), unitNote, err,
  h("button", { type: "submit" }, "Save terms")));
}

export const refreshOn = (e) => ["MaterialsShort", "PurchaseOrderPlaced", "PurchaseOrderCancelled", "GoodsReceived"].includes(e.event_type);
