// Numbers, dates and statuses as people read them: no trailing zeros, a unit on every
// quantity, whole pieces for count items, times in a stated time zone.

let zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
export const setZone = (z) => { if (z) zone = z; };
export const timeZone = () => zone;

export function qty(value, unit) {
  if (value === null || value === undefined || value === "") return "—";
  let n = Number(value);
  if (unit === "pcs") n = Math.round(n);
  const text = Number.isInteger(n) ? n.toLocaleString("en-GB") : n.toLocaleString("en-GB", { maximumFractionDigits: 3 });
  return unit ? `${text} ${unit}` : text;
}

// A price or an amount: at least cents, up to four places for the sub-cent unit prices of
// labels and bottles, never the six places the services store.
export function money(value, currency) {
  if (value === null || value === undefined || value === "") return "—";
  const text = Number(value).toLocaleString("en-GB", { minimumFractionDigits: 2, maximumFractionDigits: 4 });
  return currency ? `${text} ${currency}` : text;
}

export function dateTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return new Intl.DateTimeFormat("en-GB", { timeZone: zone, dateStyle: "medium", timeStyle: "short" }).format(d);
}

export function day(iso) {
  if (!iso) return "—";
  // Plain dates (promised, wanted) are calendar days, not instants: no zone shift.
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", dateStyle: "medium" }).format(Date.UTC(y, m - 1, d));
}

const STATUS = {
  received: ["Received", "s-idle"], awaiting_materials: ["Awaiting materials", "s-warn"],
  materials_reserved: ["Materials reserved", "s-info"], in_production: ["In production", "s-prod"],
  allocated: ["Partly allocated", "s-info"], ready_to_ship: ["Ready to ship", "s-ok"],
  partially_shipped: ["Partly shipped", "s-ok"], shipped: ["Shipped", "s-ok"], delivered: ["Delivered", "s-ok"],
  cancelled: ["Cancelled", "s-bad"], needs_review: ["Needs review", "s-bad"],
  planned: ["Planned", "s-info"], started: ["Started", "s-prod"], completed: ["Completed", "s-ok"],
  prepared: ["Prepared", "s-info"], pending: ["Pending", "s-warn"], synced: ["Reported", "s-ok"], failed: ["Failed", "s-bad"],
  sent: ["Sent", "s-ok"], waiting_recipient: ["Waiting for address", "s-warn"], accepted: ["Accepted", "s-ok"],
  needs_mapping: ["Needs mapping", "s-bad"], awaiting_payment: ["Awaiting payment", "s-warn"], test: ["Test order", "s-idle"],
  no_goods: ["No goods", "s-idle"], withdrawn: ["Withdrawn", "s-bad"],
};
// The same word means something else on a line or an allocated lot than on an order: an
// order "allocated" has part of its goods set aside, a line "allocated" has all of them.
const STATUS_OF = {
  line: { allocated: ["Allocated", "s-ok"], partially_allocated: ["Partly allocated", "s-info"] },
  allocation: { allocated: ["Set aside", "s-info"], shipped: ["Shipped", "s-ok"], released: ["Released", "s-idle"] },
};
const statusEntry = (s, of) => (of && STATUS_OF[of]?.[s]) || STATUS[s];
export const statusWords = (s, of) => (statusEntry(s, of) || [String(s || "—").replaceAll("_", " ")])[0];
export const statusClass = (s, of) => (statusEntry(s, of) || [null, "s-idle"])[1];
