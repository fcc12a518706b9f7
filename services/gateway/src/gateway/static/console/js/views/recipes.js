// Recipes: the bill of materials in force per product, and publishing a new version (the
// production service validates it against the catalog: ingredients that exist and are raw or
// intermediate, units of the right dimension, no cycles; its 422s show next to the fields).
import { ApiError, get, post } from "../api.js";
import { field, h, table, toast } from "../dom.js";
import { dateTime, qty } from "../format.js";
import { link, showErrors } from "./common.js";

const UNITS = ["pcs", "kg", "g", "L", "mL"];

export async function render(main, [sku], ctx) {
  const [recipes, items] = await Promise.all([get("/api/recipes"), get("/api/items")]);
  if (sku) return recipe(main, sku, items, ctx);
  main.append(h("h1", {}, "Recipes"),
    table([
      { label: "Product", cell: (r) => link(`#/recipes/${encodeURIComponent(r.sku)}`, r.sku) },
      { label: "Name", cell: (r) => r.name },
      { label: "Version", num: true, cell: (r) => String(r.recipe_version) },
      { label: "Ingredients", cell: (r) => r.ingredients.map((i) => `${qty(i.quantity, i.unit)} ${i.sku}`).join(", ") },
      { label: "Batch", cell: (r) => `min ${qty(r.batch_min, r.output_unit)}, multiple of ${qty(r.batch_multiple, r.output_unit)}` },
      { label: "Lead time", num: true, cell: (r) => `${r.lead_time_days} d` },
    ], recipes, { caption: "Ingredient quantities are per one unit of output", empty: "No recipe published yet." }),
    ctx.mayAct ? recipeForm(ctx, items, null) : null);
}

async function recipe(main, sku, items, ctx) {
  let r = null;
  try {
    r = await get(`/api/recipes/${encodeURIComponent(sku)}`);
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
  }
  main.append(h("p", {}, h("a", { href: "#/recipes" }, "← Recipes")),
    h("h1", {}, r ? `${r.name} (${r.sku})` : `No recipe for ${sku} yet`),
    r ? [
      h("p", { class: "muted" }, `Version ${r.recipe_version}, published ${dateTime(r.published_at)}; makes ${r.output_unit}, ` +
        `yield ${Math.round(Number(r.expected_yield) * 1000) / 10} %, lead time ${r.lead_time_days} days` +
        (r.shelf_life_days != null ? `, shelf life ${r.shelf_life_days} days` : "")),
      table([
        { label: "Ingredient", cell: (i) => link(`#/stock/${encodeURIComponent(i.sku)}`, i.sku) },
        { label: "Per 1 " + r.output_unit, num: true, cell: (i) => qty(i.quantity, i.unit) },
      ], r.ingredients, { caption: "Bill of materials" }),
    ] : null,
    ctx.mayAct ? recipeForm(ctx, items, r || { sku }) : null);
}

function ingredientRow(items, rows, value = {}) {
  const sku = field("Ingredient", { list: "recipe-materials", value: value.sku || "", required: true });
  const quantity = field("Quantity per 1 unit of output", { type: "number", min: "0", step: "any", inputmode: "decimal",
    value: value.quantity != null ? Number(value.quantity) : "", required: true });
  const unit = field("Unit", {}, { as: "select", options: UNITS.map((u) => ({ value: u, label: u, selected: u === value.unit })) });
  const base = Object.fromEntries(items.map((i) => [i.sku, i.base_unit]));
  sku.input.addEventListener("change", () => {
    const b = base[sku.input.value.trim()];
    if (b) unit.input.value = b;
  });
  const row = h("div", { class: "row ingredient" }, sku, quantity, unit);
  const remove = h("button", { type: "button", class: "secondary", onclick: () => {
    rows.splice(rows.indexOf(entry), 1);
    row.remove();
  } }, "Remove");
  row.append(remove);
  const entry = { row, sku, quantity, unit };
  return entry;
}

// A new product's first recipe, or the next version of one (prefilled from the version in force).
function recipeForm(ctx, items, current) {
  const products = items.filter((i) => i.kind !== "raw");
  const materials = items.filter((i) => i.kind !== "finished");
  const fixed = current && current.sku;
  const sku = field("Product", { list: "recipe-products", value: fixed || "", required: true, readonly: Boolean(fixed) });
  const name = field("Name", { value: current?.name || "", required: true });
  const outUnit = field("Makes (unit)", {}, { as: "select",
    options: UNITS.map((u) => ({ value: u, label: u, selected: u === (current?.output_unit || "pcs") })) });
  const batchMin = field("Smallest batch", { type: "number", min: "0", step: "any", inputmode: "decimal",
    value: current?.batch_min != null ? Number(current.batch_min) : "", required: true });
  const batchMultiple = field("Batch size step", { type: "number", min: "0", step: "any", inputmode: "decimal",
    value: current?.batch_multiple != null ? Number(current.batch_multiple) : "", required: true });
  const yieldPct = field("Expected yield (%)", { type: "number", min: "1", max: "100", step: "any", inputmode: "decimal",
    value: current?.expected_yield != null ? Math.round(Number(current.expected_yield) * 10000) / 100 : 100, required: true });
  const lead = field("Production lead time (days)", { type: "number", min: "0", step: "1",
    value: current?.lead_time_days ?? "", required: true });
  const shelf = field("Shelf life (days, optional)", { type: "number", min: "1", step: "1", value: current?.shelf_life_days ?? "" });
  const rows = [];
  const rowsBox = h("div", {});
  const addRow = (value) => {
    const entry = ingredientRow(materials, rows, value);
    rows.push(entry);
    rowsBox.append(entry.row);
    return entry;
  };
  for (const i of current?.ingredients || []) addRow(i);
  if (!rows.length) addRow();
  // A fixed product's unit is the item's base unit: preselect it.
  sku.input.addEventListener("change", () => {
    const it = items.find((i) => i.sku === sku.input.value.trim());
    if (it) { outUnit.input.value = it.base_unit; if (!name.input.value) name.input.value = it.name; }
  });
  const err = h("p", { class: "form-error", role: "alert", tabindex: "-1" });
  const map = () => {
    const m = { sku, name, output_unit: outUnit, batch_min: batchMin, batch_multiple: batchMultiple, expected_yield: yieldPct,
      lead_time_days: lead, shelf_life_days: shelf };
    rows.forEach((r, i) => { m[`ingredients.${i}.sku`] = r.sku; m[`ingredients.${i}.quantity`] = r.quantity; m[`ingredients.${i}.unit`] = r.unit; });
    return m;
  };
  const form = h("form", { class: "card", novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const body = {
      sku: sku.input.value.trim(), name: name.input.value.trim(), output_unit: outUnit.input.value,
      batch_min: batchMin.input.value, batch_multiple: batchMultiple.input.value,
      expected_yield: yieldPct.input.value === "" ? "" : String(Number(yieldPct.input.value) / 100),
      lead_time_days: lead.input.value === "" ? null : Number(lead.input.value),
      shelf_life_days: shelf.input.value === "" ? null : Number(shelf.input.value),
      ingredients: rows.map((r) => ({ sku: r.sku.input.value.trim(), quantity: r.quantity.input.value, unit: r.unit.input.value })),
    };
    try {
      const made = await post("/api/recipes", body);
      toast(`Published ${made.sku} recipe version ${made.recipe_version}`);
      if (location.hash !== `#/recipes/${encodeURIComponent(made.sku)}`) location.hash = `#/recipes/${encodeURIComponent(made.sku)}`;
      else ctx.rerender();
    } catch (e) { if (e instanceof ApiError) showErrors(e, map(), err); else throw e; }
  } },
  h("h2", {}, current?.recipe_version ? `Publish version ${current.recipe_version + 1}` : "Publish a recipe"),
  h("datalist", { id: "recipe-products" }, products.map((i) => h("option", { value: i.sku }, i.name))),
  h("datalist", { id: "recipe-materials" }, materials.map((i) => h("option", { value: i.sku }, i.name))),
  h("div", { class: "row" }, sku, name, outUnit),
  h("div", { class: "row" }, batchMin, batchMultiple, yieldPct, lead, shelf),
  h("h3", {}, "Ingredients"), rowsBox,
  h("p", {}, h("button", { type: "button", class: "secondary", onclick: () => addRow().sku.input.focus() }, "Add ingredient")),
  err, h("button", { type: "submit" }, "Publish recipe"));
  return form;
}

export const refreshOn = (e) => ["RecipePublished", "ItemDefined"].includes(e.event_type);
