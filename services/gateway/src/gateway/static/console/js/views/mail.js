// E-mails: what was sent to whom and what failed (shipping's notifications), with a retry,
// and what the local mail catcher received.
import { get, post } from "../api.js";
import { h, table } from "../dom.js";
import { dateTime } from "../format.js";
import { action, badge, orderLink } from "./common.js";

export async function render(main, _params, ctx) {
  const [notes, caught] = await Promise.all([get("/api/notifications", { limit: 100 }),
    get("/api/mailbox", { limit: 50 }).catch((e) => ({ error: e.message }))]);
  main.append(h("h1", {}, "E-mails"),
    h("h2", {}, "Customer notifications"),
    table([
      { label: "Order", cell: (n) => orderLink(n.order_id, n.order_no) },
      { label: "To", cell: (n) => n.to || "—" },
      { label: "Subject", cell: (n) => n.subject },
      { label: "Status", cell: (n) => [badge(n.status), n.last_error ? h("div", { class: "muted" }, n.last_error) : null] },
      { label: "Sent", cell: (n) => dateTime(n.sent_at) },
      { label: "", cell: (n) => (n.status === "failed" ? action("Send again", () => post(`/api/notifications/${n.notification_id}/retry`), ctx) : "") },
    ], notes, { empty: "No e-mail yet." }),
    h("h2", {}, "Mail catcher (what really arrived)"),
    caught.error ? h("p", { class: "muted" }, caught.error) : caught.map((m) => h("details", { class: "card" },
      h("summary", {}, `${dateTime(m.received_at)} — to ${m.to.join(", ")}: ${m.subject}`),
      h("pre", { style: "white-space: pre-wrap" }, m.body))));
}

export const refreshOn = (e) => ["Shipped", "Delivered", "RecallOpened", "PromiseChanged", "PurchaseOrderPlaced"].includes(e.event_type);
// Mail goes out a moment after the event that caused it (and the catcher publishes no
// event): look again every few seconds while the page is open.
export const pollEvery = 4000;
