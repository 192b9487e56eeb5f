/* The customer's orders in the operator's customer panel: stage, items, amounts, tracking link,
 * status history, and which order the chat is about (the shopper's pick, or the likeliest).
 *
 * A customer-panel section registered with panels.js (bottom of this file): it loads on mount, and
 * again when the chat is reloaded or a live "order.*" frame concerns it; dates and amounts in the
 * operator's language. Texts come from the server (#orders-strings). Shop data only ever goes in
 * through textContent; links are followed only when they are http(s).
 */
import { registerCustomerSection } from "./panels.js";

const T = JSON.parse(document.getElementById("orders-strings").textContent);

function el(tag, props, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children || []) if (child) node.appendChild(child);
  return node;
}

function fill(text, values) {
  return text.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
}

function safeLink(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch (_) {
    return null;
  }
}

function formatDate(iso, language) {
  return iso ? new Date(iso).toLocaleDateString(language, { day: "numeric", month: "short", year: "numeric" }) : "";
}

function formatMoney(amount, currency, language) {
  if (amount === null || amount === undefined) return "";
  try {
    return new Intl.NumberFormat(language, { style: "currency", currency: currency || "EUR" }).format(Number(amount));
  } catch (_) {
    return `${amount} ${currency || ""}`.trim();
  }
}

// The carrier's promised date, marked late while the parcel is on its way past it.
function promised(order, language) {
  if (!order.promised_delivery_at) return "";
  const date = formatDate(order.promised_delivery_at, language);
  const late = order.status === "shipped" && new Date(order.promised_delivery_at) < new Date();
  if (!late) return date;
  return el("span", {}, [el("span", { text: date + " " }), el("span", { className: "pill order-late", text: T.late })]);
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function pick(root, context, order) {
  const answer = await fetch(`/api/conversations/${context.conversationId}/orders/${order.id}/about`, {
    method: "POST",
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
  }).catch(() => null);
  const data = answer && answer.ok ? await answer.json().catch(() => null) : null;
  if (data) render(root, data, context);
  else root.querySelector(".orders-error")?.removeAttribute("hidden");
}

function orderCard(order, about, context, root) {
  const language = context.language;
  const status = T.statuses[order.status] || order.status;
  const header = el("summary", {}, [
    el("strong", { text: fill(T.order, { number: order.number }) }),
    el("span", { className: `pill order-stage stage-${order.status}`, text: status }),
    el("span", { className: "muted", text: " " + fill(T.since, { date: formatDate(order.stage_since, language) }) }),
  ]);
  const parts = [header];
  if (about) parts.push(el("p", { className: "order-about", text: T[`about_${about}`] || "" }));
  else {
    const button = el("button", { type: "button", className: "link order-pick", text: T.pick });
    button.addEventListener("click", () => pick(root, context, order));
    parts.push(button);
  }
  const items = el("ul", { className: "order-items", "aria-label": T.items }, order.items.map((item) =>
    el("li", {}, [
      el("span", { text: `${item.quantity} × ${item.name}` }),
      item.price !== null ? el("span", { className: "muted", text: " " + formatMoney(item.price, order.currency, language) }) : null,
    ])
  ));
  if (order.items.length) parts.push(items);
  const facts = el("dl", { className: "order-facts" });
  const fact = (label, value) => {
    if (!value) return;
    facts.appendChild(el("dt", { text: label }));
    facts.appendChild(typeof value === "string" ? el("dd", { text: value }) : el("dd", {}, [value]));
  };
  fact(T.total, formatMoney(order.total, order.currency, language));
  fact(T.carrier, [order.carrier, order.tracking_number].filter(Boolean).join(" · "));
  fact(T.promised, promised(order, language));
  const link = safeLink(order.tracking_url);
  if (link) fact(T.tracking, el("a", { href: link, target: "_blank", rel: "noopener noreferrer", className: "tracking-link", text: order.tracking_number || T.tracking }));
  fact(T.address, order.delivery_address);
  parts.push(facts);
  parts.push(el("h5", { text: T.history }));
  parts.push(el("ol", { className: "order-history" }, order.history.map((change) =>
    el("li", {}, [
      el("span", { text: T.statuses[change.status] || change.status }),
      el("time", { className: "muted", datetime: change.at, text: " " + formatDate(change.at, language) }),
    ])
  )));
  return el("details", { className: "order" + (about ? " order-about-this" : ""), "data-order-number": order.number, open: about ? true : null }, parts);
}

async function load(root, context) {
  root.dataset.contactId = String(context.contactId);
  const answer = await fetch(`/api/conversations/${context.conversationId}/orders`, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  }).catch(() => null);
  const data = answer && answer.ok ? await answer.json().catch(() => null) : null;
  if (!data) {
    root.replaceChildren(el("h4", { text: T.title }), el("p", { className: "muted", text: T.error }));
    return;
  }
  render(root, data, context);
}

function render(root, data, context) {
  // A reload keeps what the operator unfolded: an order they opened stays open.
  const unfolded = new Set([...root.querySelectorAll("details.order[open]")].map((d) => d.dataset.orderNumber));
  const cards = data.orders.map((order) =>
    orderCard(order, order.id === data.about_order_id ? data.about_reason : null, context, root)
  );
  for (const card of cards) if (unfolded.has(card.dataset.orderNumber)) card.open = true;
  root.replaceChildren(
    el("h4", { text: T.title }),
    el("p", { className: "muted orders-error", role: "alert", hidden: true, text: T.pick_failed }),
    cards.length ? el("div", { className: "orders-list" }, cards) : el("p", { className: "muted", text: T.none })
  );
}

// The section's context, in the operator's language (the panel is theirs, not the shopper's).
function operatorView(context) {
  return { ...context, language: context.operatorLanguage || document.documentElement.lang || "en" };
}

export function mount(root, context) {
  root.classList.add("orders-panel");
  root.setAttribute("aria-label", T.title);
  root.dataset.conversationId = String(context.conversationId);
  return load(root, operatorView(context));
}

export function update(context) {
  // Reload for an order's live event or another contact (a merge); any other change of the chat
  // leaves the cards, and what the operator unfolded, as they are.
  if (context.event && !String(context.event.kind || "").startsWith("order")) return undefined;
  if (!context.event && context.root.dataset.contactId === String(context.contactId)) return undefined;
  return load(context.root, operatorView(context));
}

registerCustomerSection({ id: "orders", mount, update });
