/* Where the shopper is, as the widget reports it (live: conversation.context): page, referrer,
 * browser language, device, cart, earlier pages. Every value is text from a stranger's browser:
 * set as textContent, links only to http(s) addresses. */
import { el } from "./dom.js";
import { T } from "./i18n.js";

/** The (hidden until known) section on `chat.visitor`, inside the customer card. */
export function buildVisitor(chat) {
  chat.visitor = el("section", { className: "visitor-context", "aria-label": T.visitor, hidden: true });
  return chat.visitor;
}

function visitorLink(url, text) {
  return /^https?:\/\//i.test(url || "")
    ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: text || url })
    : el("span", { text: text || url || "" });
}

/** Render the newest context seen: a transcript fetch that left before a live update arrives after
 * it, and its older copy must not hide what the live event showed (ISO times of one server compare
 * as strings). */
export function renderVisitor(chat, context) {
  const at = (context && context.updated_at) || "";
  if (chat.visitorAt && at < chat.visitorAt) return;
  chat.visitorAt = at;
  if (!context || !context.page) { chat.visitor.hidden = true; return; }
  const rows = [
    el("dt", { text: T.visitor_page }),
    el("dd", { className: "visitor-page" }, [visitorLink(context.page.url, context.page.title)]),
  ];
  if (context.referrer) rows.push(el("dt", { text: T.visitor_referrer }), el("dd", {}, [visitorLink(context.referrer)]));
  if (context.language) rows.push(el("dt", { text: T.visitor_language }), el("dd", { text: context.language }));
  const device = context.device || {};
  if (device.kind) {
    rows.push(el("dt", { text: T.visitor_device }), el("dd", { title: device.user_agent || "", text: `${T["device_" + device.kind] || device.kind} ${device.viewport || ""}`.trim() }));
  }
  const parts = [el("h4", { text: T.visitor }), el("dl", {}, rows)];
  const cart = context.cart;
  if (cart && cart.items) {
    const money = (value) => (value === null || value === undefined ? "" : Number(value).toLocaleString(document.documentElement.lang || "en", { maximumFractionDigits: 2 }) + (cart.currency ? " " + cart.currency : ""));
    parts.push(
      el("h4", { text: T.visitor_cart }),
      cart.items.length
        ? el("ul", { className: "visitor-cart" }, cart.items.map((item) => el("li", { text: `${item.name} × ${item.quantity}${item.price !== null ? " · " + money(item.price) : ""}` })))
        : el("p", { className: "muted", text: T.visitor_cart_empty }),
    );
    if (cart.total !== null && cart.total !== undefined) parts.push(el("p", { className: "visitor-cart-total", text: `${T.visitor_cart_total}: ${money(cart.total)}` }));
  }
  const earlier = (context.pages || []).slice(0, -1).reverse();
  if (earlier.length) {
    parts.push(el("details", { className: "visitor-pages" }, [
      el("summary", { text: T.visitor_pages.replace("{n}", String(earlier.length)) }),
      el("ol", {}, earlier.map((page) => el("li", {}, [visitorLink(page.url, page.title)]))),
    ]));
  }
  chat.visitor.replaceChildren(...parts);
  chat.visitor.hidden = false;
}
