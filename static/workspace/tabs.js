/* Tabs: one per open chat, with its unread count; the page title sums them up. */
import { flash } from "./dom.js";
import { T, contactName } from "./i18n.js";
import { state } from "./state.js";

const BASE_TITLE = document.title;

export function renderChatsEmpty() {
  const empty = document.getElementById("no-chats");
  empty.textContent = state.chats.size ? "" : T.no_chats;
  empty.hidden = state.chats.size > 0;
}

export function renderTab(chat) {
  const name = contactName(chat.conversation);
  chat.tabLabel.textContent = name;
  chat.tabBadge.textContent = chat.unread ? String(chat.unread) : "";
  chat.tabBadge.hidden = !chat.unread;
  chat.tab.setAttribute(
    "aria-label",
    chat.unread ? `${T.chat_with} ${name}, ${chat.unread} ${T.unread}` : `${T.chat_with} ${name}`
  );
  chat.tab.classList.toggle("unread", chat.unread > 0);
}

export function updateTitle() {
  let unread = 0;
  for (const chat of state.chats.values()) unread += chat.unread;
  document.title = unread ? `(${unread}) ${T.new_message} · ${BASE_TITLE}` : BASE_TITLE;
}

export function markRead(chat) {
  if (!chat || !chat.unread) return;
  chat.unread = 0;
  renderTab(chat);
  updateTitle();
}

export function scrollToEnd(chat) {
  chat.log.scrollTop = chat.log.scrollHeight;
}

export function select(conversationId) {
  state.selected = conversationId;
  for (const chat of state.chats.values()) {
    const on = chat.conversation.id === conversationId;
    chat.tab.setAttribute("aria-selected", on ? "true" : "false");
    chat.tab.tabIndex = on ? 0 : -1;
    chat.panel.hidden = !on;
    if (on) {
      markRead(chat);
      scrollToEnd(chat);
    }
  }
}

/** Add a built chat's tab and panel to the page; the first one comes to the front. */
export function showChat(chat) {
  state.chats.set(chat.conversation.id, chat);
  state.order.push(chat.conversation.id);
  document.getElementById("chat-tabs").append(chat.tab);
  document.getElementById("chat-panels").append(chat.panel);
  renderTab(chat);
  renderChatsEmpty();
  if (state.selected === null || !state.chats.has(state.selected)) select(chat.conversation.id);
}

const removalListeners = [];

/** Call `listener(conversationId)` after a chat left the page (closed, transferred, requeued). */
export function onChatRemoved(listener) {
  removalListeners.push(listener);
}

export function removeChat(conversationId, why) {
  const chat = state.chats.get(conversationId);
  if (!chat) return;
  chat.tab.remove();
  chat.panel.remove();
  state.chats.delete(conversationId);
  state.order = state.order.filter((id) => id !== conversationId);
  if (state.selected === conversationId) {
    state.selected = null;
    if (state.order.length) select(state.order[0]);
  }
  if (why) flash(`${contactName(chat.conversation)}: ${why}`);
  renderChatsEmpty();
  updateTitle();
  for (const listener of removalListeners) listener(conversationId);
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) markRead(state.chats.get(state.selected));
});
