// The console's shell: the key, the role, hash routes (a deep link for every order, batch,
// shipment and lot), the live feed, and one render loop. Views are modules under views/; each
// exports `render(main, params, ctx)` and, to stay live, `refreshOn(event, params)`.

import { ApiError, get, key } from "./api.js";
import { append, h, toast } from "./dom.js";
import { setZone, timeZone } from "./format.js";
import * as orders from "./views/orders.js";
import * as order from "./views/order.js";
import * as newOrder from "./views/new_order.js";
import * as stuck from "./views/stuck.js";
import * as stock from "./views/stock.js";
import * as shortages from "./views/shortages.js";
import * as production from "./views/production.js";
import * as shipping from "./views/shipping.js";
import * as shops from "./views/shops.js";
import * as trace from "./views/trace.js";
import * as mail from "./views/mail.js";
import * as purchasing from "./views/purchasing.js";
import * as recalls from "./views/recalls.js";
import * as recipes from "./views/recipes.js";
import * as reorder from "./views/reorder.js";

const ROUTES = [
  [/^#\/orders\/new$/, newOrder, "Orders"],
  [/^#\/orders\/([^/]+)$/, order, "Orders"],
  [/^#\/orders$/, orders, "Orders"],
  [/^#\/stuck$/, stuck, "Stuck"],
  [/^#\/stock(?:\/([^/]+))?$/, stock, "Stock"],
  [/^#\/shortages$/, shortages, "Shortages"],
  [/^#\/reorder$/, reorder, "Reorder"],
  [/^#\/purchasing(?:\/([^/]+))?$/, purchasing, "Buying"],
  [/^#\/production(?:\/([^/]+))?$/, production, "Production"],
  [/^#\/recipes(?:\/([^/]+))?$/, recipes, "Recipes"],
  [/^#\/shipping(?:\/([^/]+))?(\/slip)?$/, shipping, "Shipping"],
  [/^#\/shops$/, shops, "Shops"],
  [/^#\/trace(?:\/([^/]+))?$/, trace, "Trace"],
  [/^#\/mail$/, mail, "E-mails"],
  [/^#\/recalls(?:\/([^/]+))?$/, recalls, "Recalls"],
];

export const ctx = { role: null, mayAct: false, rerender: () => render() };
let current = null; // {view, params}
const main = () => document.getElementById("main");

function route() {
  const hash = location.hash || "#/orders";
  for (const [pattern, view, nav] of ROUTES) {
    const m = hash.match(pattern);
    if (m) return { view, params: m.slice(1).map((p) => (p === undefined ? undefined : decodeURIComponent(p))), nav };
  }
  return { view: orders, params: [], nav: "Orders" };
}

function markNav(nav) {
  for (const a of document.querySelectorAll("#nav a")) {
    if (a.textContent === nav) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
}

let rendering = 0;
let poller = null;
export async function render({ keepFocus = false } = {}) {
  const target = main();
  if (!key.get() || !ctx.role) return signIn(target);
  const r = route();
  if (!current || current.view !== r.view) {
    clearInterval(poller);
    poller = r.view.pollEvery ? setInterval(() => render({ keepFocus: true }), r.view.pollEvery) : null;
  }
  current = r;
  markNav(r.nav);
  const ticket = ++rendering;
  const box = h("div");
  // Views append conditionally (null, false) and in groups (arrays): skip and flatten.
  box.append = (...children) => append(box, children);
  try {
    await r.view.render(box, r.params, ctx);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { key.clear(); ctx.role = null; return signIn(target); }
    box.replaceChildren(h("h1", {}, "Something went wrong"), h("p", { class: "form-error", role: "alert" }, e.message));
  }
  if (ticket !== rendering) return; // a newer render started meanwhile
  const focused = document.activeElement && target.contains(document.activeElement) ? document.activeElement.id : null;
  target.replaceChildren(...box.childNodes);
  if (keepFocus && focused && document.getElementById(focused)) document.getElementById(focused).focus();
  else if (!keepFocus) target.focus({ preventScroll: true });
  const title = target.querySelector("h1");
  document.title = `${title ? title.textContent : "batchflow"} · batchflow`;
}

function signIn(target) {
  const input = h("input", { id: "apikey", type: "password", autocomplete: "off", required: true });
  const err = h("p", { class: "form-error", role: "alert", id: "apikey-err" });
  input.setAttribute("aria-describedby", "apikey-err");
  const form = h("form", { class: "card", onsubmit: async (ev) => {
    ev.preventDefault();
    key.set(input.value.trim());
    if (await whoami()) { connectLive(); render(); } else { err.textContent = "This key is not known to the gateway."; input.focus(); }
  } }, h("h1", {}, "Sign in"), h("label", { for: "apikey" }, "API key", input), err,
  h("p", { class: "muted" }, "Operators act; viewers only read. (Local stack: dev-operator-key or dev-viewer-key.)"),
  h("button", { type: "submit" }, "Use this key"));
  target.replaceChildren(form);
  input.focus();
}

async function whoami() {
  try {
    const me = await get("/api/whoami");
    ctx.role = me.role; ctx.mayAct = me.may_act; setZone(me.time_zone);
    document.getElementById("whoami").textContent = `${me.role} · times in ${timeZone()}`;
    document.body.classList.toggle("viewer", !me.may_act);
    return true;
  } catch (e) {
    ctx.role = null;
    return false;
  }
}

// Live: events from the gateway's read-only Kafka reader; the page refreshes (debounced)
// when an event concerns what it shows.
let source = null;
let pending = null;
function connectLive() {
  if (source) source.close();
  const badge = document.getElementById("live");
  source = new EventSource(`/api/live?key=${encodeURIComponent(key.get())}`);
  source.onopen = () => { badge.textContent = "live"; badge.classList.add("on"); };
  source.onerror = () => { badge.textContent = "offline"; badge.classList.remove("on"); };
  source.onmessage = (msg) => {
    let event;
    try { event = JSON.parse(msg.data); } catch { return; }
    if (!current || !current.view.refreshOn || !current.view.refreshOn(event, current.params)) return;
    clearTimeout(pending);
    pending = setTimeout(() => render({ keepFocus: true }), 300);
  };
}

document.getElementById("signout").addEventListener("click", () => {
  key.clear(); ctx.role = null; if (source) source.close(); render();
});
window.addEventListener("hashchange", () => render());
window.addEventListener("unhandledrejection", (e) => toast(e.reason?.message || String(e.reason), true));

(async () => {
  if (key.get()) await whoami();
  if (ctx.role) connectLive();
  render();
})();
