/* The queue on the left: who waits, on which connector and queue, each wait ticking from its
 * queued_at (so every operator's page shows the same wait). */
import { api } from "./api.js";
import { el } from "./dom.js";
import { T, connectorName, contactName, formatWait, queueName } from "./i18n.js";
import { state } from "./state.js";

function renderQueue() {
  const list = document.getElementById("queue-list");
  const items = [...state.queue.values()].sort(
    (a, b) => new Date(a.queued_at) - new Date(b.queued_at) || a.conversation.id - b.conversation.id
  );
  list.replaceChildren(
    ...items.map((item) => {
      const conversation = item.conversation;
      const wait = el("span", { className: "wait", "data-queued-at": item.queued_at });
      return el("li", { className: "queue-item", "data-conversation": conversation.id }, [
        el("span", { className: "who", text: contactName(conversation) }),
        el("span", { className: "meta", text: `${connectorName(conversation.connector)} · ${queueName(conversation.queue)}` }),
        el("span", { className: "waiting" }, [el("span", { className: "visually-hidden", text: T.waiting + " " }), wait]),
      ]);
    })
  );
  document.getElementById("queue-count").textContent = items.length ? `(${items.length})` : "";
  document.getElementById("queue-empty").textContent = items.length ? "" : T.queue_empty;
  tickQueue();
}

function tickQueue() {
  const now = Date.now();
  for (const node of document.querySelectorAll("[data-queued-at]")) {
    node.textContent = formatWait((now - new Date(node.dataset.queuedAt).getTime()) / 1000);
  }
}
setInterval(tickQueue, 1000);

export function queueAdd(conversation) {
  if (conversation.state !== "queued") return;
  state.queue.set(conversation.id, { conversation, queued_at: conversation.queued_at || conversation.created_at });
  renderQueue();
}

export function queueRemove(conversationId) {
  if (state.queue.delete(conversationId)) renderQueue();
}

/** The whole queue again from the API (first load, and after every reconnect). */
export async function refreshQueue() {
  const items = await api("GET", "/queue").catch(() => null);
  if (!items) return;
  state.queue.clear();
  for (const item of items) state.queue.set(item.conversation.id, { conversation: item.conversation, queued_at: item.conversation.queued_at });
  renderQueue();
}
