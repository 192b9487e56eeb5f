/* One open chat: its tab, header, transcript, composer and customer panel, put together. */
import { api } from "./api.js";
import { buildComposer, insertIntoReply } from "./composer.js";
import { buildCustomerPanel, customerChanged, loadCustomer, mountSections } from "./customer.js";
import { openClose, openTransfer } from "./dialogs.js";
import { el, flash } from "./dom.js";
import { T, connectorName, contactName, queueName } from "./i18n.js";
import { detachCustomerPanel } from "./panels.js";
import { state } from "./state.js";
import { onChatRemoved, renderTab, scrollToEnd, select, showChat } from "./tabs.js";
import { addMessage, buildTranscript } from "./transcript.js";
import { renderVisitor } from "./visitor.js";

onChatRemoved(detachCustomerPanel);

/** Open `conversation` as a tab (or refresh the one open); `announce`: its messages count as unread. */
export function openChat(conversation, announce) {
  const open = state.chats.get(conversation.id);
  if (open) {
    open.conversation = conversation;
    customerChanged(open);
    return open;
  }
  const chat = { conversation, unread: 0, announce: !!announce };
  buildTab(chat);
  buildTranscript(chat);
  buildComposer(chat);
  chat.insertIntoReply = (text) => insertIntoReply(chat, text);
  buildCustomerPanel(chat);
  chat.panel = el("section", { id: `chat-${conversation.id}`, role: "tabpanel", "aria-labelledby": `tab-${conversation.id}`, className: "chat", hidden: true }, [
    el("div", { className: "conversation" }, [buildHeader(chat), chat.olderButton, chat.log, chat.typing, chat.form]),
    chat.customer,
  ]);
  renderHeader(chat);
  showChat(chat);
  mountSections(chat);
  loadChat(chat);
  loadCustomer(chat);
  return chat;
}

function buildTab(chat) {
  const id = chat.conversation.id;
  chat.tabLabel = el("span", { className: "tab-name" });
  chat.tabBadge = el("span", { className: "badge", hidden: true });
  chat.tab = el(
    "button",
    { type: "button", role: "tab", id: `tab-${id}`, "aria-controls": `chat-${id}`, className: "tab", onclick: () => select(id) },
    [el("span", { className: "dot", "aria-hidden": "true" }), chat.tabLabel, chat.tabBadge]
  );
}

function buildHeader(chat) {
  chat.title = el("h2", { className: "chat-title" });
  chat.subtitle = el("p", { className: "chat-subtitle muted" });
  return el("header", { className: "chat-header" }, [
    el("div", {}, [chat.title, chat.subtitle]),
    el("div", { className: "chat-actions" }, [
      el("button", { type: "button", className: "secondary", text: T.transfer, onclick: () => openTransfer(chat) }),
      el("button", { type: "button", className: "danger", text: T.close, onclick: () => openClose(chat) }),
    ]),
  ]);
}

function renderHeader(chat) {
  const c = chat.conversation;
  chat.title.textContent = contactName(c);
  chat.subtitle.textContent = `${connectorName(c.connector)} · ${queueName(c.queue)} · #${c.id}`;
}

async function loadChat(chat) {
  try {
    const data = await api("GET", `/conversations/${chat.conversation.id}?limit=50`);
    chat.conversation = data.conversation;
    renderHeader(chat);
    renderTab(chat);
    customerChanged(chat);
    for (const message of data.messages) addMessage(chat, message, { quiet: !chat.announce });
    chat.olderButton.hidden = !data.has_more;
    renderVisitor(chat, data.visitor_context);
    scrollToEnd(chat);
  } catch (error) {
    flash(error.message);
  }
}
