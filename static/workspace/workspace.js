/* The operator workspace: reads and writes through /api/, live updates from /ws/workspace/.
 *
 * Text from shoppers (and everyone else) is only ever put into the page with textContent, so
 * HTML, scripts and markdown show literally. Every event carries an id; the socket resumes from the
 * last id seen, and everything applied here is idempotent (messages by id), so a replay shows nothing twice.
 */
(function () {
  "use strict";

  const T = JSON.parse(document.getElementById("workspace-strings").textContent);
  const CONFIG = JSON.parse(document.getElementById("workspace-config").textContent);
  const CONTEXT = JSON.parse((document.getElementById("workspace-context") || { textContent: "{}" }).textContent);
  const BASE_TITLE = document.title;
  const MAX_CHATS_SHOWN = 4;

  const state = {
    me: null,
    chats: new Map(), // conversation id -> chat
    order: [],
    selected: null,
    queue: new Map(), // conversation id -> queue item
    reasons: [],
    lastEventId: null,
    ready: false,
    pending: [],
    socket: null,
    retryDelay: 500,
  };

  // --- small helpers -------------------------------------------------------------------------

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children || []) if (child) node.append(child);
    return node;
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function api(method, path, body) {
    const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrfToken();
      options.body = JSON.stringify(body);
    } else if (method !== "GET") {
      options.headers["X-CSRFToken"] = csrfToken();
    }
    const response = await fetch("/api" + path, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error((data.error && data.error.message) || T.error);
      error.code = data.error && data.error.code;
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function flash(message) {
    const node = document.getElementById("flash");
    node.textContent = message;
    node.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => (node.hidden = true), 6000);
  }

  function formatTime(iso) {
    return new Date(iso).toLocaleTimeString(CONFIG.language, { hour: "2-digit", minute: "2-digit" });
  }

  function formatDate(iso) {
    return new Date(iso).toLocaleString(CONFIG.language, { dateStyle: "short", timeStyle: "short" });
  }

  function formatWait(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    const m = Math.floor(seconds / 60);
    const s = String(seconds % 60).padStart(2, "0");
    return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}:${s}` : `${m}:${s}`;
  }

  function connectorName(connector) {
    return T[connector] || connector;
  }

  // Queue names in the operator's language (the page lists them; events carry the stored name).
  function queueName(queue) {
    return (CONTEXT.queueNames && CONTEXT.queueNames[queue.slug]) || queue.name;
  }

  function contactName(conversation) {
    return (conversation.contact && conversation.contact.name) || `${T.anonymous} #${conversation.contact.id}`;
  }

  // --- notifications: title and a short beep --------------------------------------------------

  let audio = null;
  document.addEventListener(
    "pointerdown",
    () => {
      if (!audio && window.AudioContext) audio = new AudioContext();
      if (audio && audio.state === "suspended") audio.resume();
    },
    { once: false }
  );

  function beep() {
    try {
      if (!audio && window.AudioContext) audio = new AudioContext();
      if (!audio) return;
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + 0.3);
    } catch (_) {
      /* no sound available: the title still says it */
    }
  }

  function updateTitle() {
    let unread = 0;
    for (const chat of state.chats.values()) unread += chat.unread;
    document.title = unread ? `(${unread}) ${T.new_message} · ${BASE_TITLE}` : BASE_TITLE;
  }

  function markRead(chat) {
    if (!chat || !chat.unread) return;
    chat.unread = 0;
    renderTab(chat);
    updateTitle();
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) markRead(state.chats.get(state.selected));
  });

  // --- desktop notifications: a new chat, or a message in a chat not in front of the operator ---

  const notifyButton = document.getElementById("notify-enable");
  function notificationsWanted() {
    return "Notification" in window && Notification.permission === "default";
  }
  function renderNotifyButton() {
    if (notifyButton) notifyButton.hidden = !notificationsWanted();
  }
  if (notifyButton) {
    notifyButton.textContent = T.notify_enable;
    notifyButton.addEventListener("click", async () => {
      await Notification.requestPermission().catch(() => null);
      renderNotifyButton();
    });
  }
  renderNotifyButton();

  function desktopNotify(title, body, conversationId) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      // One notification per chat: a newer one replaces the last (tag), a click brings the chat up.
      const note = new Notification(title, { body, tag: `chat-${conversationId}`, lang: CONFIG.language });
      note.onclick = () => {
        window.focus();
        if (state.chats.has(conversationId)) select(conversationId);
        note.close();
      };
    } catch (_) {
      /* some browsers only notify from a service worker: the sound and the title still say it */
    }
  }

  // A new chat and its first message arrive together: one sound for both.
  const lastRing = new Map(); // conversation id -> time of its last sound
  function ring(conversationId) {
    const now = Date.now();
    if (now - (lastRing.get(conversationId) || 0) > 1500) beep();
    lastRing.set(conversationId, now);
  }

  function notifyNewChat(conversation) {
    ring(conversation.id);
    desktopNotify(T.notify_new_chat, contactName(conversation), conversation.id);
  }

  function notifyMessage(chat, message) {
    ring(chat.conversation.id);
    desktopNotify(T.notify_new_message.replace("%(name)s", contactName(chat.conversation)), message.text.slice(0, 140), chat.conversation.id);
  }

  // --- composer length: over the limit the reply is refused here, visibly, and kept in the box ---

  function checkLength(chat) {
    const count = chat.textarea.value.length;
    const over = count > CONFIG.maxChars;
    chat.lengthNote.hidden = !over;
    chat.lengthNote.textContent = over ? T.over_limit.replace("%(count)s", count).replace("%(max)s", CONFIG.maxChars) : "";
    chat.textarea.setAttribute("aria-invalid", over ? "true" : "false");
    chat.sendButton.disabled = over;
    return over;
  }

  // --- status ---------------------------------------------------------------------------------

  const statusSelect = document.getElementById("status");
  statusSelect.addEventListener("change", async () => {
    const wanted = statusSelect.value;
    try {
      const me = await api("POST", "/me/status", { status: wanted });
      state.me = me;
      renderStatus();
    } catch (error) {
      flash(error.message);
      renderStatus();
    }
  });

  function renderStatus() {
    if (!state.me) return;
    statusSelect.value = state.me.status;
    statusSelect.dataset.status = state.me.status;
  }

  // --- queue ----------------------------------------------------------------------------------

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

  function queueAdd(conversation) {
    if (conversation.state !== "queued") return;
    state.queue.set(conversation.id, { conversation, queued_at: conversation.queued_at || conversation.created_at });
    renderQueue();
  }

  function queueRemove(conversationId) {
    if (state.queue.delete(conversationId)) renderQueue();
  }

  // --- chats ----------------------------------------------------------------------------------

  function renderChatsEmpty() {
    const empty = document.getElementById("no-chats");
    empty.textContent = state.chats.size ? "" : T.no_chats;
    empty.hidden = state.chats.size > 0;
  }

  function renderTab(chat) {
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

  function select(conversationId) {
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

  function scrollToEnd(chat) {
    chat.log.scrollTop = chat.log.scrollHeight;
  }

  function openChat(conversation, announce) {
    if (state.chats.has(conversation.id)) {
      state.chats.get(conversation.id).conversation = conversation;
      return state.chats.get(conversation.id);
    }
    const id = conversation.id;
    const chat = { conversation, messages: new Map(), unread: 0, typingTimer: null, lastTypingSent: 0, announce: !!announce };

    chat.tabLabel = el("span", { className: "tab-name" });
    chat.tabBadge = el("span", { className: "badge", hidden: true });
    chat.tab = el(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${id}`,
        "aria-controls": `chat-${id}`,
        className: "tab",
        onclick: () => select(id),
      },
      [el("span", { className: "dot", "aria-hidden": "true" }), chat.tabLabel, chat.tabBadge]
    );

    chat.log = el("div", { className: "log", role: "log", "aria-live": "polite", "aria-label": `${T.chat_with} ${contactName(conversation)}` });
    chat.olderButton = el("button", { type: "button", className: "link older", hidden: true, text: T.older, onclick: () => loadOlder(chat) });
    chat.typing = el("p", { className: "typing", "aria-live": "polite" });
    chat.textarea = el("textarea", {
      rows: "3",
      name: "text",
      "aria-label": T.reply_label,
      placeholder: T.reply_label + " — Enter ↵, Shift+Enter, /",
      "aria-autocomplete": "list",
      "aria-controls": `canned-${id}`,
      "aria-expanded": "false",
    });
    chat.noteBox = el("input", { type: "checkbox", name: "is_note", id: `note-${id}` });
    chat.sendButton = el("button", { type: "submit", text: T.send });
    chat.lengthNote = el("span", { className: "length-note", id: `length-${id}`, "aria-live": "polite", hidden: true });
    chat.textarea.setAttribute("aria-describedby", `length-${id}`);
    chat.cannedList = el("ul", { id: `canned-${id}`, className: "canned", role: "listbox", "aria-label": T.canned_label, hidden: true });
    chat.fileInput = el("input", { type: "file", className: "attach-input", hidden: true, "aria-label": T.attach_file });
    chat.fileInput.addEventListener("change", () => {
      for (const file of chat.fileInput.files) sendFile(chat, file);
      chat.fileInput.value = "";
    });
    chat.textarea.addEventListener("paste", (event) => {
      const files = event.clipboardData && event.clipboardData.files;
      if (files && files.length) {
        event.preventDefault();
        for (const file of files) sendFile(chat, file);
      }
    });
    chat.form = el("form", { className: "composer", onsubmit: (event) => { event.preventDefault(); send(chat); } }, [
      chat.cannedList,
      chat.textarea,
      el("div", { className: "composer-actions" }, [
        el("button", { type: "button", className: "secondary attach", text: T.attach_file, onclick: () => chat.fileInput.click() }),
        chat.fileInput,
        el("label", { className: "note-toggle", for: `note-${id}`, title: T.note_hint }, [chat.noteBox, el("span", { text: T.note })]),
        chat.lengthNote,
        chat.sendButton,
      ]),
    ]);
    chat.noteBox.addEventListener("change", () => {
      chat.form.classList.toggle("as-note", chat.noteBox.checked);
      chat.textarea.setAttribute("aria-label", chat.noteBox.checked ? T.note_label : T.reply_label);
    });
    chat.textarea.addEventListener("keydown", (event) => onComposerKey(chat, event));
    chat.textarea.addEventListener("input", () => {
      checkLength(chat);
      updateCanned(chat);
      sendTyping(chat);
    });

    chat.title = el("h2", { className: "chat-title" });
    chat.subtitle = el("p", { className: "chat-subtitle muted" });
    chat.customer = el("aside", { className: "customer", "aria-label": T.customer });
    chat.visitor = el("section", { className: "visitor-context", "aria-label": T.visitor, hidden: true });
    chat.customer.append(chat.visitor);
    const header = el("header", { className: "chat-header" }, [
      el("div", {}, [chat.title, chat.subtitle]),
      el("div", { className: "chat-actions" }, [
        el("button", { type: "button", className: "secondary", text: T.transfer, onclick: () => openTransfer(chat) }),
        el("button", { type: "button", className: "danger", text: T.close, onclick: () => openClose(chat) }),
      ]),
    ]);
    chat.panel = el("section", { id: `chat-${id}`, role: "tabpanel", "aria-labelledby": `tab-${id}`, className: "chat", hidden: true }, [
      el("div", { className: "conversation" }, [header, chat.olderButton, chat.log, chat.typing, chat.form]),
      chat.customer,
    ]);

    state.chats.set(id, chat);
    state.order.push(id);
    document.getElementById("chat-tabs").append(chat.tab);
    document.getElementById("chat-panels").append(chat.panel);
    renderHeader(chat);
    renderTab(chat);
    renderChatsEmpty();
    if (state.selected === null || !state.chats.has(state.selected)) select(id);
    loadChat(chat);
    loadCustomer(chat);
    return chat;
  }

  function renderHeader(chat) {
    const c = chat.conversation;
    chat.title.textContent = contactName(c);
    chat.subtitle.textContent = `${connectorName(c.connector)} · ${queueName(c.queue)} · #${c.id}`;
  }

  function removeChat(conversationId, why) {
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
  }

  async function loadChat(chat) {
    try {
      const data = await api("GET", `/conversations/${chat.conversation.id}?limit=50`);
      chat.conversation = data.conversation;
      renderHeader(chat);
      renderTab(chat);
      for (const message of data.messages) addMessage(chat, message, { quiet: !chat.announce });
      chat.olderButton.hidden = !data.has_more;
      renderVisitor(chat, data.visitor_context);
      scrollToEnd(chat);
    } catch (error) {
      flash(error.message);
    }
  }

  async function loadOlder(chat) {
    const first = Math.min(...chat.messages.keys());
    const data = await api("GET", `/conversations/${chat.conversation.id}?limit=50&before_id=${first}`);
    for (const message of data.messages) addMessage(chat, message, { quiet: true });
    chat.olderButton.hidden = !data.has_more;
  }

  function authorLabel(message) {
    if (message.author_kind === "shopper") return T.shopper;
    if (message.author_kind === "system") return T.system;
    return message.author_name || T.you;
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

  function addMessage(chat, message, { quiet } = {}) {
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

  function updateDelivery(payload) {
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

  async function send(chat) {
    const text = chat.textarea.value;
    if (!text.trim() || checkLength(chat)) return;
    const isNote = chat.noteBox.checked;
    chat.textarea.disabled = true;
    try {
      const message = await api("POST", `/conversations/${chat.conversation.id}/messages`, { text, is_note: isNote });
      addMessage(chat, message, { quiet: true });
      chat.textarea.value = "";
      checkLength(chat);
      if (isNote) {
        chat.noteBox.checked = false;
        chat.noteBox.dispatchEvent(new Event("change"));
      }
    } catch (error) {
      flash(error.message); // the text stays in the box: nothing is lost
    } finally {
      chat.textarea.disabled = false;
      chat.textarea.focus();
      hideCanned(chat);
    }
  }

  // A file to the shopper (or, with the note box ticked, among operators); the words in the box go
  // with it as its caption. A refusal (size, type) is shown and the words stay.
  async function sendFile(chat, file) {
    const body = new FormData();
    body.append("file", file, file.name || "file");
    body.append("text", chat.textarea.value);
    body.append("is_note", chat.noteBox.checked ? "true" : "false");
    flash(T.sending_file.replace("{name}", file.name || ""));
    try {
      const response = await fetch(`/api/conversations/${chat.conversation.id}/attachments`, {
        method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error((data.error && data.error.message) || T.error);
      addMessage(chat, data, { quiet: true });
      chat.textarea.value = "";
      checkLength(chat);
      document.getElementById("flash").hidden = true;
    } catch (error) {
      flash(error.message);
    }
  }

  function sendTyping(chat) {
    const now = Date.now();
    if (now - chat.lastTypingSent < 2000 || chat.noteBox.checked) return;
    chat.lastTypingSent = now;
    if (state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(JSON.stringify({ type: "typing", conversation_id: chat.conversation.id }));
    }
  }

  function showTyping(payload) {
    const chat = state.chats.get(payload.conversation_id);
    if (!chat || payload.author_kind !== "shopper") return;
    chat.typing.textContent = T.typing;
    clearTimeout(chat.typingTimer);
    chat.typingTimer = setTimeout(() => (chat.typing.textContent = ""), 4000);
  }

  // --- canned replies: "/" in the reply box ---------------------------------------------------

  // The shopper's language first (that is who reads the reply), then the operator's own.
  const cannedByLanguage = new Map();
  function cannedIn(language) {
    if (!cannedByLanguage.has(language)) {
      cannedByLanguage.set(language, api("GET", `/canned-replies?language=${encodeURIComponent(language)}`).catch(() => []));
    }
    return cannedByLanguage.get(language);
  }

  function shopperLanguage(chat) {
    const code = ((chat.conversation.contact && chat.conversation.contact.language) || "").toLowerCase().slice(0, 2);
    return code === "ru" || code === "en" ? code : null;
  }

  async function cannedReplies(chat) {
    const own = (CONFIG.language || "en").slice(0, 2);
    const first = shopperLanguage(chat) || own;
    const languages = first === own ? [own] : [first, own];
    return (await Promise.all(languages.map(cannedIn))).flat();
  }

  function slashQuery(chat) {
    const before = chat.textarea.value.slice(0, chat.textarea.selectionStart);
    const match = before.match(/(?:^|\s)\/([\w-]*)$/);
    return match ? match[1] : null;
  }

  async function updateCanned(chat) {
    const query = slashQuery(chat);
    if (query === null) return hideCanned(chat);
    const replies = (await cannedReplies(chat)).filter(
      (r) => r.shortcut.startsWith(query.toLowerCase()) || (query && r.text.toLowerCase().includes(query.toLowerCase()))
    );
    if (!replies.length) return hideCanned(chat);
    chat.cannedItems = replies;
    chat.cannedIndex = 0;
    chat.cannedList.replaceChildren(
      ...replies.map((reply, index) =>
        el(
          "li",
          {
            role: "option",
            id: `canned-${chat.conversation.id}-${reply.id}`,
            "aria-selected": index === 0 ? "true" : "false",
            onmousedown: (event) => { event.preventDefault(); insertCanned(chat, reply); },
          },
          [el("strong", { text: "/" + reply.shortcut }), el("span", { className: "pill", text: reply.language.toUpperCase() }), el("span", { text: " " + reply.text })]
        )
      )
    );
    chat.cannedList.hidden = false;
    chat.textarea.setAttribute("aria-expanded", "true");
    highlightCanned(chat);
  }

  function highlightCanned(chat) {
    [...chat.cannedList.children].forEach((item, index) => item.setAttribute("aria-selected", index === chat.cannedIndex ? "true" : "false"));
    const active = chat.cannedList.children[chat.cannedIndex];
    if (active) chat.textarea.setAttribute("aria-activedescendant", active.id);
  }

  function hideCanned(chat) {
    chat.cannedList.hidden = true;
    chat.cannedItems = null;
    chat.textarea.setAttribute("aria-expanded", "false");
    chat.textarea.removeAttribute("aria-activedescendant");
  }

  function insertCanned(chat, reply) {
    const area = chat.textarea;
    const caret = area.selectionStart;
    const before = area.value.slice(0, caret).replace(/\/[\w-]*$/, "");
    const text = reply.text.replaceAll("{operator}", state.me ? state.me.name : "");
    area.value = before + text + area.value.slice(caret);
    area.selectionStart = area.selectionEnd = (before + text).length;
    hideCanned(chat);
    area.focus();
  }

  function onComposerKey(chat, event) {
    if (chat.cannedItems && !chat.cannedList.hidden) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const n = chat.cannedItems.length;
        chat.cannedIndex = (chat.cannedIndex + (event.key === "ArrowDown" ? 1 : n - 1)) % n;
        highlightCanned(chat);
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        insertCanned(chat, chat.cannedItems[chat.cannedIndex]);
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        hideCanned(chat);
        return;
      }
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send(chat);
    }
  }

  // --- customer panel -------------------------------------------------------------------------

  async function loadCustomer(chat) {
    const contactId = chat.conversation.contact.id;
    let card;
    try {
      card = await api("GET", `/contacts/${contactId}`);
    } catch (error) {
      chat.customer.replaceChildren(el("p", { className: "muted", text: error.message }), chat.visitor);
      return;
    }
    const identities = el("ul", { className: "identities" }, card.identities.map(identityItem));
    const earlier = card.conversations.filter((c) => c.id !== chat.conversation.id);
    const history = earlier.length
      ? el("ol", { className: "history" }, earlier.map((c) => historyItem(c)))
      : el("p", { className: "muted", text: T.no_earlier });
    const details = el("dl", {}, [
      el("dt", { text: T.name }), el("dd", { text: card.name || T.anonymous }),
      el("dt", { text: T.connector }), el("dd", { text: connectorName(chat.conversation.connector) }),
      card.email ? el("dt", { text: T.email }) : null, card.email ? el("dd", {}, [el("a", { href: `mailto:${card.email}`, text: card.email })]) : null,
      card.phone ? el("dt", { text: T.phone }) : null, card.phone ? el("dd", {}, [el("a", { href: `tel:${card.phone}`, text: card.phone })]) : null,
    ]);
    chat.customer.replaceChildren(
      el("h3", { text: T.customer }),
      details,
      chat.visitor,
      el("h4", { text: T.identities }),
      identities,
      el("h4", { text: T.earlier }),
      history,
      // Later features (orders, questionnaire, rating) render into this area.
      el("section", { className: "customer-extra", "data-contact-id": String(contactId), "data-conversation-id": String(chat.conversation.id) }, [
        el("p", { className: "muted", text: T.more_soon }),
      ])
    );
    const language = chat.conversation.contact.language || CONFIG.language;
    const insertIntoReply = (text) => insertIntoComposer(chat, text);
    document.dispatchEvent(new CustomEvent("workspace:customer-panel", { detail: { contactId, conversationId: chat.conversation.id, element: chat.customer, language, insertIntoReply } }));
  }

  // Text from a panel (a knowledge base answer) goes in at the cursor, on a line of its own.
  function insertIntoComposer(chat, text) {
    const box = chat.textarea;
    const before = box.value.slice(0, box.selectionStart), after = box.value.slice(box.selectionEnd);
    const glue = before && !before.endsWith("\n") ? "\n" : "";
    box.value = before + glue + text + after;
    box.selectionStart = box.selectionEnd = (before + glue + text).length;
    box.dispatchEvent(new Event("input"));
    box.focus();
  }

  // Where the shopper is, as the widget reports it (live: conversation.context). Every value is
  // text from a stranger's browser: set as textContent, links only to http(s) addresses.
  function visitorLink(url, text) {
    return /^https?:\/\//i.test(url || "")
      ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: text || url })
      : el("span", { text: text || url || "" });
  }
  function renderVisitor(chat, context) {
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

  // An identity as people read it: a name and @username, a VK profile link, "Site visitor"; the raw
  // id only on hover (support staff may need it), never as the text.
  function identityItem(i) {
    const name = i.display_name && i.display_name !== i.external_id ? i.display_name : "";
    const parts = [el("span", { className: "pill", text: connectorName(i.connector) })];
    if (i.connector === "widget") parts.push(el("span", { text: " " + (name || T.site_visitor) }));
    else if (name) parts.push(el("span", { text: " " + name }));
    if (i.handle && i.profile_url) {
      parts.push(el("a", { className: "handle", href: i.profile_url, target: "_blank", rel: "noopener noreferrer", text: " " + i.handle }));
    } else if (i.profile_url) {
      parts.push(el("a", { className: "handle", href: i.profile_url, target: "_blank", rel: "noopener noreferrer", text: " " + T.vk_profile }));
    } else if (i.connector !== "widget" && !name) {
      parts.push(el("span", { text: " " + T.anonymous }));
    }
    return el("li", { title: `${connectorName(i.connector)} ${i.external_id}` }, parts);
  }

  function historyItem(c) {
    const transcript = el("div", { className: "transcript", hidden: true });
    const toggle = el("button", { type: "button", className: "link", text: T.show_transcript, "aria-expanded": "false" });
    toggle.addEventListener("click", async () => {
      const open = transcript.hidden;
      transcript.hidden = !open;
      toggle.textContent = open ? T.hide_transcript : T.show_transcript;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open && !transcript.childElementCount) {
        try {
          const data = await api("GET", `/conversations/${c.id}?limit=50`);
          transcript.replaceChildren(...data.messages.map((m) => el("p", { className: `line ${m.author_kind}${m.is_note ? " note" : ""}` }, [
            el("strong", { text: authorLabel(m) + ": " }), el("span", { text: m.text }),
          ])));
        } catch (error) {
          transcript.replaceChildren(el("p", { className: "muted", text: error.message }));
        }
      }
    });
    return el("li", {}, [
      el("div", { className: "history-head" }, [
        el("span", { className: "pill", text: connectorName(c.connector) }),
        el("time", { datetime: c.created_at, text: " " + formatDate(c.created_at) }),
        el("span", { className: "muted", text: ` · ${T[c.state] || c.state}${c.reason ? " · " + c.reason : ""}${c.operator_name ? " · " + c.operator_name : ""}` }),
      ]),
      el("p", { className: "last", text: c.last_message }),
      toggle,
      transcript,
    ]);
  }

  // --- transfer and close dialogs -------------------------------------------------------------

  const transferDialog = document.getElementById("transfer-dialog");
  const closeDialog = document.getElementById("close-dialog");
  for (const dialog of [transferDialog, closeDialog]) {
    dialog.querySelector("[data-cancel]").addEventListener("click", () => dialog.close());
  }

  async function openTransfer(chat) {
    transferDialog.dataset.conversation = chat.conversation.id;
    transferDialog.querySelector(".dialog-error").textContent = "";
    const [operators, queues] = await Promise.all([api("GET", "/operators"), api("GET", "/queues")]);
    const statusText = { online: statusSelect.options[0].text, away: statusSelect.options[1].text, offline: statusSelect.options[2].text };
    document.getElementById("transfer-operators").replaceChildren(
      ...operators.map((o) => el("option", { value: `operator:${o.id}`, disabled: o.status !== "online", text: `${o.name} — ${statusText[o.status] || o.status} (${o.active_count}/${o.cap})` }))
    );
    document.getElementById("transfer-queues").replaceChildren(
      ...queues.map((q) => el("option", { value: `queue:${q.id}`, text: q.name }))
    );
    transferDialog.showModal();
  }

  document.getElementById("transfer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = Number(transferDialog.dataset.conversation);
    const [kind, target] = document.getElementById("transfer-target").value.split(":");
    const body = kind === "operator" ? { operator_id: Number(target) } : { queue_id: Number(target) };
    try {
      await api("POST", `/conversations/${id}/transfer`, body);
      transferDialog.close();
      removeChat(id, T.transferred);
    } catch (error) {
      transferDialog.querySelector(".dialog-error").textContent = error.message;
    }
  });

  async function openClose(chat) {
    closeDialog.dataset.conversation = chat.conversation.id;
    closeDialog.querySelector(".dialog-error").textContent = "";
    if (!state.reasons.length) state.reasons = await api("GET", "/reasons");
    const filter = document.getElementById("reason-filter");
    filter.value = "";
    const container = document.getElementById("close-reasons");
    container.replaceChildren(
      ...state.reasons.map((r) =>
        el("label", { className: "reason", "data-name": r.name.toLowerCase() }, [
          el("input", { type: "radio", name: "reason", value: String(r.id), required: true }),
          el("span", { text: " " + r.name }),
        ])
      )
    );
    closeDialog.showModal();
  }

  document.getElementById("reason-filter").addEventListener("input", (event) => {
    const query = event.target.value.toLowerCase();
    for (const label of document.querySelectorAll("#close-reasons .reason")) label.hidden = !label.dataset.name.includes(query);
  });

  document.getElementById("close-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = Number(closeDialog.dataset.conversation);
    const picked = closeDialog.querySelector("input[name=reason]:checked");
    if (!picked) return;
    try {
      await api("POST", `/conversations/${id}/close`, { reason_id: Number(picked.value) });
      closeDialog.close();
      removeChat(id, T.chat_closed);
    } catch (error) {
      closeDialog.querySelector(".dialog-error").textContent = error.message;
    }
  });

  // --- live events ----------------------------------------------------------------------------

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
    // Other features (ratings, questionnaires) follow the same stream.
    document.dispatchEvent(new CustomEvent("workspace:event", { detail: frame }));
  }

  function setConnection(live) {
    const node = document.getElementById("connection");
    node.textContent = live ? T.connected : T.reconnecting;
    node.className = "connection " + (live ? "live" : "down");
  }

  function connect() {
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

  async function refreshQueue() {
    const items = await api("GET", "/queue").catch(() => null);
    if (!items) return;
    state.queue.clear();
    for (const item of items) state.queue.set(item.conversation.id, { conversation: item.conversation, queued_at: item.conversation.queued_at });
    renderQueue();
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

  renderChatsEmpty();
  connect();
})();
