/* The live stream /ws/workspace/: every event carries an id, the socket resumes after the last id
 * seen, and everything applied here is idempotent (messages by id), so a replay shows nothing twice. */
import { api } from "./api.js";
import { openChat } from "./chat.js";
import { flash } from "./dom.js";
import { CONFIG, T } from "./i18n.js";
import { notifyNewChat } from "./notify.js";
import { dispatchToPanels } from "./panels.js";
import { queueAdd, queueRemove, refreshQueue } from "./queue.js";
import { MAX_CHATS_SHOWN, state } from "./state.js";
import { renderStatus } from "./status.js";
import { removeChat, renderChatsEmpty } from "./tabs.js";
import { addMessage, showTyping, updateDelivery } from "./transcript.js";
import { renderVisitor } from "./visitor.js";

const listeners = [];

/** Call `listener(frame)` for every live event ({id, kind, payload}), after the page applied it. */
export function onEvent(listener) {
  listeners.push(listener);
}

function applyEvent(frame) {
  if (frame.id) state.lastEventId = Math.max(state.lastEventId || 0, frame.id);
  const p = frame.payload || {};
  switch (frame.kind) {
    case "message.new":
    case "message.edited": {
      const chat = state.chats.get(p.conversation_id);
      if (chat) addMessage(chat, p, { quiet: frame.kind === "message.edited" });
      break;
    }
    case "message.delivery":
      updateDelivery(p);
      break;
    case "conversation.assigned":
      queueRemove(p.id);
      // A chat that arrives while the page is open announces its messages as unread.
      if (p.operator && p.operator.id === CONFIG.operatorId && p.state === "active") {
        if (state.ready && !state.chats.has(p.id)) notifyNewChat(p);
        openChat(p, state.ready);
      }
      break;
    case "conversation.removed":
      // Transferred away, or back to the queue (gone offline, no first reply in time, a manager).
      removeChat(p.conversation_id, p.why === "requeued" ? T.requeued : T.transferred);
      break;
    case "conversation.closed":
      queueRemove(p.conversation_id);
      if (state.chats.has(p.conversation_id)) removeChat(p.conversation_id, T.chat_closed);
      break;
    case "queue.joined":
      queueAdd(p);
      break;
    case "queue.left":
      queueRemove(p.conversation_id);
      break;
    case "typing":
      showTyping(p);
      break;
    case "conversation.context": {
      const chat = state.chats.get(p.conversation_id);
      if (chat) renderVisitor(chat, p.visitor_context);
      break;
    }
    case "operator.status":
      if (p.operator_id === CONFIG.operatorId && state.me) {
        state.me.status = p.status;
        renderStatus();
      }
      break;
    default:
      break;
  }
  dispatchToPanels(frame);
  for (const listener of listeners) listener(frame);
  // For scripts written before the modules: the same stream as a DOM event.
  document.dispatchEvent(new CustomEvent("workspace:event", { detail: frame }));
}

function setConnection(live) {
  const node = document.getElementById("connection");
  node.textContent = live ? T.connected : T.reconnecting;
  node.className = "connection " + (live ? "live" : "down");
}

export function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const resume = state.lastEventId !== null ? `?last_event_id=${state.lastEventId}` : "";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/workspace/${resume}`);
  state.socket = socket;
  socket.addEventListener("open", () => {
    state.retryDelay = 500;
    setConnection(true);
  });
  socket.addEventListener("message", (message) => {
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch (_) {
      return;
    }
    if (frame.type === "hello") {
      if (state.lastEventId === null) {
        // First connection: the groups are joined, so load the state and apply what arrives meanwhile.
        state.lastEventId = frame.last_event_id;
        loadState();
      } else {
        refreshQueue();
      }
    } else if (frame.type === "event") {
      if (state.ready) applyEvent(frame);
      else state.pending.push(frame);
    } else if (frame.type === "resync") {
      location.reload(); // too far behind to replay: start from a fresh state
    } else if (frame.type === "error") {
      console.warn("workspace socket:", frame.code, frame.message);
    }
  });
  socket.addEventListener("close", (event) => {
    setConnection(false);
    if (event.code === 4401) {
      location.href = "/workspace/login/?next=/workspace/";
      return;
    }
    setTimeout(connect, state.retryDelay);
    state.retryDelay = Math.min(state.retryDelay * 2, 10000);
  });
}

async function loadState() {
  try {
    const [me, conversations] = await Promise.all([api("GET", "/me"), api("GET", "/conversations")]);
    state.me = me;
    renderStatus();
    for (const conversation of conversations.slice(0, Math.max(MAX_CHATS_SHOWN, me.cap))) openChat(conversation);
    await refreshQueue();
  } catch (error) {
    flash(error.message);
  }
  state.ready = true;
  document.body.dataset.ready = "true"; // live from here on (tests wait for it)
  renderChatsEmpty();
  for (const frame of state.pending.splice(0)) applyEvent(frame);
}
