// Building DOM from data. Text only, never innerHTML with data: everything shown may come
// from customers and shops.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    Element.prototype.append.call(el, c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// A table that becomes stacked, labelled cards on a phone. columns: [{label, cell(row), num}]
export function table(columns, rows, { caption, empty = "Nothing here.", rowClass } = {}) {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  return h("table", { class: "stack" },
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
    h("tbody", {}, rows.map((r) => h("tr", { class: rowClass ? rowClass(r) : null },
      // An action column has no label: its stacked card shows the button alone, not ": Start".
      columns.map((c) => h("td", { "data-label": c.label || null, class: c.num ? "num" : null }, c.cell(r)))))));
}

let uid = 0;
// A labelled input whose error shows next to it (aria-describedby).
export function field(label, attrs = {}, { as = "input", options } = {}) {
  const id = attrs.id || `f${++uid}`;
  const err = h("span", { class: "field-error", id: `${id}-err`, role: "alert" });
  let control;
  if (as === "select") {
    control = h("select", { ...attrs, id, "aria-describedby": `${id}-err` },
      (options || []).map((o) => h("option", { value: o.value, selected: o.selected }, o.label)));
  } else {
    control = h(as, { ...attrs, id, "aria-describedby": `${id}-err` });
  }
  const wrap = h("label", { for: id }, label, control, err);
  wrap.input = control;
  wrap.error = (text) => {
    err.textContent = text || "";
    if (text) control.setAttribute("aria-invalid", "true"); else control.removeAttribute("aria-invalid");
  };
  return wrap;
}

export function toast(text, bad = false) {
  const box = document.getElementById("toast");
  const item = h("div", { class: bad ? "bad" : null }, text);
  box.append(item);
  setTimeout(() => item.remove(), bad ? 8000 : 4000);
}
