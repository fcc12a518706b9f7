// Pieces several views share.
import { h } from "../dom.js";
import { statusClass, statusWords } from "../format.js";

// `of`: what the status belongs to when it is not an order or a batch ("line", "allocation").
export const badge = (status, of) => h("span", { class: `status ${statusClass(status, of)}` }, statusWords(status, of));
export const link = (href, text, attrs = {}) => h("a", { href, class: "rowlink", ...attrs }, text);
export const orderLink = (id, no) => link(`#/orders/${encodeURIComponent(id)}`, no || id.slice(0, 8));
export const lotLink = (lotNo) => link(`#/trace/${encodeURIComponent(lotNo)}`, lotNo);
export const batchLink = (id, no) => link(`#/production/${encodeURIComponent(id)}`, no || id.slice(0, 8));
export const list = (body) => (Array.isArray(body) ? body : (body && body.items) || []);

// A button that runs an action, shows errors in words, and refreshes the page after.
export function action(label, fn, ctx, { kind, confirmText } = {}) {
  if (!ctx.mayAct) return null;
  const btn = h("button", { type: "button", class: kind || null });
  btn.textContent = label;
  btn.addEventListener("click", async () => {
    if (confirmText && !window.confirm(confirmText)) return;
    btn.disabled = true;
    try {
      await fn();
      ctx.rerender({ keepFocus: false });
    } catch (e) {
      btn.disabled = false;
      const { toast } = await import("../dom.js");
      toast(e.message, true);
    }
  });
  return btn;
}

// Shows a 422's reasons next to the fields it names (`map`: API path -> field wrapper) and
// the rest above the submit button.
export function showErrors(err, map, formError) {
  for (const f of Object.values(map)) f.error("");
  const byField = err.fieldErrors ? err.fieldErrors() : {};
  const unplaced = [];
  for (const [path, msg] of Object.entries(byField)) {
    const f = map[path];
    if (f) f.error(msg); else unplaced.push(`${path}: ${msg}`);
  }
  formError.textContent = Object.keys(byField).length ? unplaced.join("; ") : err.message;
  const first = Object.values(map).find((f) => f.input.getAttribute("aria-invalid"));
  (first ? first.input : formError).focus?.();
}
