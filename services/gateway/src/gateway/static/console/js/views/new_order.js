// Place an order: catalog search (finished goods), units of the item's dimension, wanted
// date, the quoted date where the API offers one; errors next to the fields.
import { ApiError, get, post } from "../api.js";
import { field, h } from "../dom.js";
import { day } from "../format.js";
import { showErrors } from "./common.js";

const DIMENSION = { kg: ["kg", "g"], g: ["kg", "g"], L: ["L", "mL"], mL: ["L", "mL"], pcs: ["pcs"] };

export async function render(main, _params, ctx) {
  if (!ctx.mayAct) { main.append(h("h1", {}, "New order"), h("p", {}, "Your key may only read; placing orders needs an operator key.")); return; }
  const items = (await get("/api/items")).filter((i) => i.kind === "finished" && i.active !== false);
  const bySku = Object.fromEntries(items.map((i) => [i.sku, i]));
  const catalog = h("datalist", { id: "catalog" }, items.map((i) => h("option", { value: i.sku }, `${i.name} (${i.base_unit})`)));
  const map = {};
  const name = field("Customer name", { name: "name", required: true, autocomplete: "off" });
  const email = field("Customer e-mail", { name: "email", type: "email", required: true });
  const country = field("Country (2 letters)", { name: "country", maxlength: 2, size: 3 });
  const address = field("Address", { name: "address" });
  const wanted = field("Wanted date", { name: "wanted", type: "date" });
  Object.assign(map, { "customer.name": name, "customer.email": email, "customer.country": country,
    "customer.address": address, wanted_date: wanted });
  const lines = h("div");
  const addLine = () => lines.append(lineRow(lines.children.length, bySku, map));
  addLine();
  const err = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  const form = h("form", { class: "card", novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const body = {
      customer: { name: name.input.value.trim(), email: email.input.value.trim(),
        country: country.input.value.trim().toUpperCase() || undefined, address: address.input.value.trim() || undefined },
      lines: [...lines.children].map((r) => r.value()).filter((l) => l.sku || l.quantity),
      wanted_date: wanted.input.value || undefined,
    };
    try {
      const placed = await post("/api/orders", body);
      location.hash = `#/orders/${encodeURIComponent(placed.order_id)}`;
    } catch (e) {
      if (e instanceof ApiError) showErrors(e, map, err); else throw e;
    }
  } },
  h("fieldset", {}, h("legend", {}, "Customer"), h("div", { class: "row" }, name, email, country, address)),
  h("fieldset", {}, h("legend", {}, "Lines"), lines,
    h("button", { type: "button", class: "secondary", onclick: addLine }, "Add a line")),
  h("div", { class: "row" }, wanted), err, h("button", { type: "submit" }, "Place order"));
  main.append(h("p", {}, h("a", { href: "#/orders" }, "← Orders")), h("h1", {}, "New order"), catalog, form);
}

function lineRow(index, bySku, map) {
  const sku = field("Product", { list: "catalog", required: true, autocomplete: "off", name: `sku${index}` });
  const quantity = field("Quantity", { type: "number", min: "0", step: "any", required: true, inputmode: "decimal", name: `qty${index}` });
  const unit = field("Unit", { name: `unit${index}` }, { as: "select", options: [] });
  const quote = h("p", { class: "muted", "aria-live": "polite" });
  map[`lines.${index}.sku`] = sku; map[`lines.${index}.quantity`] = quantity; map[`lines.${index}.unit`] = unit;
  const units = () => {
    const item = bySku[sku.input.value.trim()];
    const allowed = item ? DIMENSION[item.base_unit] || [item.base_unit] : ["pcs", "kg", "g", "L", "mL"];
    unit.input.replaceChildren(...allowed.map((u) => h("option", { value: u, selected: item && u === item.base_unit }, u)));
    quantity.input.step = item && item.base_unit === "pcs" ? "1" : "any";
    sku.error(sku.input.value && !item ? "not in the catalog of finished goods" : "");
  };
  let timer;
  const askQuote = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const s = sku.input.value.trim(); const q = quantity.input.value;
      if (!bySku[s] || !(Number(q) > 0)) { quote.textContent = ""; return; }
      try {
        const answer = await get("/api/quote", { sku: s, quantity: q, unit: unit.input.value });
        quote.textContent = `Can ship ${day(answer.ship_date)}${answer.explanation ? ` — ${answer.explanation}` : ""}`;
      } catch (e) {
        quote.textContent = e.status === 404 ? "" : `No date: ${e.message}`;
      }
    }, 300);
  };
  sku.input.addEventListener("change", () => { units(); askQuote(); });
  quantity.input.addEventListener("input", askQuote);
  unit.input.addEventListener("change", askQuote);
  units();
  const row = h("div", { class: "row" }, sku, quantity, unit, quote);
  row.value = () => ({ sku: sku.input.value.trim(), quantity: quantity.input.value, unit: unit.input.value });
  return row;
}
