/* A chat's messages: rendered by id (a replay or an edit replaces, never duplicates), delivery state
 * live, older pages on demand, the shopper's typing. */
import { api } from "./api.js";
import { el, flash } from "./dom.js";
import { T, authorLabel, contactName, formatTime } from "./i18n.js";
import { notifyMessage } from "./notify.js";
import { state } from "./state.js";
import { renderTab, scrollToEnd, updateTitle } from "./tabs.js";

/** The transcript's elements on `chat`: log, older-messages button, typing line. */
export function buildTranscript(chat) {
  chat.messages = new Map(); // message id -> {message, node}
  chat.log = el("div", { className: "log", role: "log", "aria-live": "polite", "aria-label": `${T.chat_with} ${contactName(chat.conversation)}` });
  chat.olderButton = el("button", { type: "button", className: "link older", hidden: true, text: T.older, onclick: () => loadOlder(chat) });
  chat.typing = el("p", { className: "typing", "aria-live": "polite" });
  chat.typingTimer = null;
}

async function loadOlder(chat) {
  const first = Math.min(...chat.messages.keys());
  const data = await api("GET", `/conversations/${chat.conversation.id}?limit=50&before_id=${first}`);
  for (const message of data.messages) addMessage(chat, message, { quiet: true });
  chat.olderButton.hidden = !data.has_more;
}

function deliveryNode(chat, message) {
  if (message.author_kind !== "operator" || message.is_note || !message.delivery_state) return null;
  if (message.delivery_state === "failed") {
    return el("span", { className: "delivery failed", role: "status" }, [
      el("span", { text: `${T.failed}: ` }),
      el("span", { className: "delivery-error", text: message.delivery_error || "" }),
      el("button", { type: "button", className: "link retry", text: T.retry, onclick: () => retry(chat, message.id) }),
    ]);
  }
  const label = message.delivery_state === "pending" ? T.sending : T.sent;
  // A note beside the state: "retrying in 8 s", or "call the shopper on ..." for an offline form.
  const text = message.delivery_error ? `${label} · ${message.delivery_error}` : label;
  return el("span", { className: `delivery ${message.delivery_state}`, text });
}

function renderMessage(chat, message) {
  const classes = ["message", message.author_kind];
  if (message.is_note) classes.push("note");
  const meta = el("div", { className: "meta" }, [
    el("span", { className: "author", text: message.is_note ? `${authorLabel(message)} · ${T.note}` : authorLabel(message) }),
    el("time", { datetime: message.created_at, text: formatTime(message.created_at) }),
    message.edited ? el("span", { className: "edited", text: T.edited }) : null,
    deliveryNode(chat, message),
  ]);
  const body = el("p", { className: "text" });
  body.textContent = message.text; // never innerHTML: strangers' markup shows literally
  // Only pictures the server sniffed as raster images show in place; every other file is a link
  // the server answers as a sandboxed download.
  const attachments = (message.attachments || []).map((a) =>
    a.inline
      ? el("a", { className: "attachment image", href: a.url, target: "_blank", rel: "noopener noreferrer" }, [
          el("img", { src: a.url, alt: a.name, loading: "lazy" }),
        ])
      : el("a", { className: "attachment", href: a.url, target: "_blank", rel: "noopener noreferrer", text: a.name })
  );
  return el("div", { className: classes.join(" "), "data-message-id": message.id }, [meta, body, ...attachments]);
}

/** Show `message` in its place by id; a new shopper message counts as unread unless `quiet`. */
export function addMessage(chat, message, { quiet } = {}) {
  const existing = chat.messages.get(message.id);
  const node = renderMessage(chat, message);
  chat.messages.set(message.id, { message, node });
  if (existing) {
    existing.node.replaceWith(node);
    return;
  }
  const later = [...chat.log.children].find((child) => Number(child.dataset.messageId) > message.id);
  const nearBottom = chat.log.scrollHeight - chat.log.scrollTop - chat.log.clientHeight < 80;
  chat.log.insertBefore(node, later || null);
  if (!later && (nearBottom || message.author_kind === "operator")) scrollToEnd(chat);
  if (!quiet && message.author_kind === "shopper") {
    chat.typing.textContent = "";
    if (state.selected !== chat.conversation.id || document.hidden) {
      chat.unread += 1;
      renderTab(chat);
    }
    updateTitle();
    if (document.hidden || state.selected !== chat.conversation.id) notifyMessage(chat, message);
  }
}

export function updateDelivery(payload) {
  const chat = state.chats.get(payload.conversation_id);
  if (!chat) return;
  const entry = chat.messages.get(payload.id);
  if (!entry) return;
  addMessage(chat, { ...entry.message, delivery_state: payload.delivery_state, delivery_error: payload.delivery_error });
}

async function retry(chat, messageId) {
  try {
    addMessage(chat, await api("POST", `/messages/${messageId}/retry`));
  } catch (error) {
    flash(error.message);
  }
}

export function showTyping(payload) {
  const chat = state.chats.get(payload.conversation_id);
  if (!chat || payload.author_kind !== "shopper") return;
  chat.typing.textContent = T.typing;
  clearTimeout(chat.typingTimer);
  chat.typingTimer = setTimeout(() => (chat.typing.textContent = ""), 4000);
}
